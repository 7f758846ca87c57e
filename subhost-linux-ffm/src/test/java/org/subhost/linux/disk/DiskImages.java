package org.subhost.linux.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Images for the tests, made by the real tools: sfdisk for partition tables, mkfs.* and
 * mksquashfs for filesystems. A missing tool skips the test with the package to install
 * when not root, and fails it as root (CI runs as root and installs them: see .ci/run).
 */
final class DiskImages {
    private static final Pattern DUMP_LINE = Pattern.compile(
            ".*?(\\d+) : start=\\s*(\\d+), size=\\s*(\\d+), type=([0-9A-Fa-f-]+).*");

    private DiskImages() {}

    /** Whether the tests run as root (uid 0). */
    static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(line -> line.startsWith("Uid:")).anyMatch(line -> line.split("\\s+")[1].equals("0"));
        } catch (IOException e) {
            return false;
        }
    }

    /** Makes sure {@code program} is installed (from {@code pkg}); see the class comment. */
    static void requireTool(String program, String pkg) {
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return;
            }
        }
        if (isRoot()) {
            fail("%s is missing: apt-get install %s (.ci/run installs it)", program, pkg);
        }
        assumeTrue(false, program + " is missing (package " + pkg + ")");
    }

    /** Runs {@code command}, which must succeed; its standard output. */
    static String run(List<String> command, String input) throws IOException, InterruptedException {
        Path errFile = Files.createTempFile("subhost-disk-", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectError(errFile.toFile()).start();
            try (var in = p.getOutputStream()) {
                if (input != null) {
                    in.write(input.getBytes());
                }
            }
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
            assertThat(p.exitValue()).as("%s exit status (stderr: %s)", command, Files.readString(errFile)).isZero();
            return out;
        } finally {
            Files.deleteIfExists(errFile);
        }
    }

    /** An empty (sparse) file of {@code megabytes} MiB. */
    static Path blank(Path dir, String name, int megabytes) throws IOException {
        Path image = dir.resolve(name);
        try (var file = new java.io.RandomAccessFile(image.toFile(), "rw")) {
            file.setLength(megabytes * 1024L * 1024L);
        }
        return image;
    }

    /** Writes a partition table with an sfdisk script, such as {@code label: dos\n,4MiB,L\n}. */
    static void sfdisk(Path image, String script) throws IOException, InterruptedException {
        requireTool("sfdisk", "fdisk");
        run(List.of("sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", image.toString()), script);
    }

    /**
     * The partitions as sfdisk itself dumps them ({@code sfdisk --dump}), without MBR
     * extended partitions: the independent view our reader must agree with.
     */
    static List<Partition> sfdiskPartitions(Path image) throws IOException, InterruptedException {
        List<Partition> out = new ArrayList<>();
        for (String line : run(List.of("sfdisk", "--dump", image.toString()), null).lines().toList()) {
            Matcher m = DUMP_LINE.matcher(line);
            if (!m.matches()) {
                continue;
            }
            String type = m.group(4).toLowerCase();
            if (type.equals("5") || type.equals("f") || type.equals("85")) {
                continue;
            }
            out.add(new Partition(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)) * 512,
                    Long.parseLong(m.group(3)) * 512, type.contains("-") ? type : String.format("0x%02x",
                    Integer.parseInt(type, 16))));
        }
        return out;
    }

    /** Makes filesystem {@code type} in {@code image} (a file of the right size) with the real tool. */
    static void mkfs(FilesystemType type, Path image, Path contentDir) throws IOException, InterruptedException {
        String path = image.toString();
        switch (type) {
            case EXT2, EXT3, EXT4 -> {
                requireTool("mkfs." + type.kernelName(), "e2fsprogs");
                List<String> cmd = new ArrayList<>(List.of("mkfs." + type.kernelName(), "-q", "-F"));
                if (contentDir != null) {
                    cmd.addAll(List.of("-d", contentDir.toString()));
                }
                cmd.add(path);
                run(cmd, null);
            }
            case XFS -> {
                requireTool("mkfs.xfs", "xfsprogs");
                run(List.of("mkfs.xfs", "-q", "-f", path), null);
            }
            case BTRFS -> {
                requireTool("mkfs.btrfs", "btrfs-progs");
                run(List.of("mkfs.btrfs", "-q", "-f", path), null);
            }
            case VFAT -> {
                requireTool("mkfs.vfat", "dosfstools");
                run(List.of("mkfs.vfat", path), null);
            }
            case SQUASHFS -> {
                requireTool("mksquashfs", "squashfs-tools");
                Files.deleteIfExists(image);
                run(List.of("mksquashfs", contentDir.toString(), path, "-quiet", "-noappend", "-no-progress"), null);
            }
            case EROFS -> {
                requireTool("mkfs.erofs", "erofs-utils");
                Files.deleteIfExists(image);
                run(List.of("mkfs.erofs", "--quiet", path, contentDir.toString()), null);
            }
        }
    }

    /** Copies the whole of {@code source} into {@code image} at byte {@code offset}. */
    static void copyInto(Path source, Path image, long offset) throws IOException {
        try (var in = java.nio.channels.FileChannel.open(source);
                var out = java.nio.channels.FileChannel.open(image, java.nio.file.StandardOpenOption.WRITE)) {
            long done = 0;
            while (done < in.size()) {
                done += in.transferTo(done, in.size() - done, out.position(offset + done));
            }
        }
    }

    /** Deletes {@code dir} and what is in it. */
    static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
