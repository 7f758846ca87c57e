package org.subhost.linux.disk;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.subhost.testing.HostTools;

/**
 * Images for the tests, made by the real tools: sfdisk for partition tables, mkfs.* and
 * mksquashfs for filesystems, through {@link HostTools}: a missing tool skips the test with
 * the package to install when not root, and fails it as root (CI runs as root and installs
 * them: see .ci/run).
 */
final class DiskImages {
    private static final Pattern DUMP_LINE = Pattern.compile(
            ".*?(\\d+) : start=\\s*(\\d+), size=\\s*(\\d+), type=([0-9A-Fa-f-]+).*");

    private DiskImages() {}

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
        HostTools.require("sfdisk", "fdisk");
        HostTools.run(List.of("sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", image.toString()), script);
    }

    /**
     * The partitions as sfdisk itself dumps them ({@code sfdisk --dump}), without MBR
     * extended partitions: the independent view our reader must agree with.
     */
    static List<Partition> sfdiskPartitions(Path image) throws IOException, InterruptedException {
        List<Partition> out = new ArrayList<>();
        for (String line : HostTools.run(List.of("sfdisk", "--dump", image.toString()), null).lines().toList()) {
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
                HostTools.require("mkfs." + type.kernelName(), "e2fsprogs");
                List<String> cmd = new ArrayList<>(List.of("mkfs." + type.kernelName(), "-q", "-F"));
                if (contentDir != null) {
                    cmd.addAll(List.of("-d", contentDir.toString()));
                }
                cmd.add(path);
                HostTools.run(cmd, null);
            }
            case XFS -> {
                HostTools.require("mkfs.xfs", "xfsprogs");
                HostTools.run(List.of("mkfs.xfs", "-q", "-f", path), null);
            }
            case BTRFS -> {
                HostTools.require("mkfs.btrfs", "btrfs-progs");
                HostTools.run(List.of("mkfs.btrfs", "-q", "-f", path), null);
            }
            case VFAT -> {
                HostTools.require("mkfs.vfat", "dosfstools");
                HostTools.run(List.of("mkfs.vfat", path), null);
            }
            case SQUASHFS -> {
                HostTools.require("mksquashfs", "squashfs-tools");
                Files.deleteIfExists(image);
                HostTools.run(List.of("mksquashfs", contentDir.toString(), path, "-quiet", "-noappend", "-no-progress"), null);
            }
            case EROFS -> {
                HostTools.require("mkfs.erofs", "erofs-utils");
                Files.deleteIfExists(image);
                HostTools.run(List.of("mkfs.erofs", "--quiet", path, contentDir.toString()), null);
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
