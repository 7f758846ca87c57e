package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Disk images for the overlay-diskfile tests, made by the real tools (sfdisk, mkfs.ext4,
 * mksquashfs), a tiny root tree to put in them, and the independent look at which loop
 * devices are bound to an image ({@code /sys/block/loop*}/loop/backing_file).
 */
final class TestImages {
    private static final Pattern LIBRARY = Pattern.compile("(/\\S+) \\(0x");

    private TestImages() {}

    /** Makes sure {@code program} (from package {@code pkg}) is installed: fails as root, skips otherwise. */
    static void requireTool(String program, String pkg) {
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return;
            }
        }
        if (CliSupport.isRoot()) {
            fail("%s is missing: apt-get install %s (.ci/run installs it)", program, pkg);
        }
        assumeTrue(false, program + " is missing (package " + pkg + ")");
    }

    /** Runs {@code command} with {@code input} on its standard input; it must succeed. Its output. */
    static String run(List<String> command, String input) throws IOException, InterruptedException {
        Path errFile = Files.createTempFile("subhost-img-", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectError(errFile.toFile()).start();
            try (var in = p.getOutputStream()) {
                if (input != null) {
                    in.write(input.getBytes());
                }
            }
            String out = new String(p.getInputStream().readAllBytes());
            assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
            assertThat(p.exitValue()).as("%s (stderr: %s)", command, Files.readString(errFile)).isZero();
            return out;
        } finally {
            Files.deleteIfExists(errFile);
        }
    }

    /** A sparse file of {@code megabytes} MiB. */
    static Path blank(Path file, int megabytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(megabytes * 1024L * 1024L);
        }
        return file;
    }

    /** A partition table from an sfdisk script, such as {@code label: gpt\n,8MiB,L\n,,L\n}. */
    static void sfdisk(Path image, String script) throws IOException, InterruptedException {
        requireTool("sfdisk", "fdisk");
        run(List.of("sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", image.toString()), script);
    }

    /** An ext4 filesystem filling {@code image}, holding a copy of {@code content} (or nothing). */
    static void mkfsExt4(Path image, Path content) throws IOException, InterruptedException {
        requireTool("mkfs.ext4", "e2fsprogs");
        List<String> cmd = new ArrayList<>(List.of("mkfs.ext4", "-q", "-F"));
        if (content != null) {
            cmd.addAll(List.of("-d", content.toString()));
        }
        cmd.add(image.toString());
        run(cmd, null);
    }

    /** A squashfs image of {@code content}. */
    static void mksquashfs(Path content, Path image) throws IOException, InterruptedException {
        requireTool("mksquashfs", "squashfs-tools");
        run(List.of("mksquashfs", content.toString(), image.toString(), "-quiet", "-noappend", "-no-progress"), null);
    }

    /** Copies {@code source} into {@code image} at byte {@code offset}. */
    static void copyInto(Path source, Path image, long offset) throws IOException {
        try (FileChannel in = FileChannel.open(source); FileChannel out = FileChannel.open(image, StandardOpenOption.WRITE)) {
            long done = 0;
            while (done < in.size()) {
                done += in.transferTo(done, in.size() - done, out.position(offset + done));
            }
        }
    }

    /**
     * A tiny root tree in {@code dir}: sh, cat, ls, echo and the libraries they need (as
     * ldd lists them), and the directories a subhost mounts on; enough for pid 1 and a shell.
     */
    static Path tinyRoot(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        for (String top : new String[] {"bin", "sbin", "lib", "lib32", "lib64", "libx32"}) {
            Path link = Path.of("/", top);
            if (Files.isSymbolicLink(link) && !Files.exists(dir.resolve(top), LinkOption.NOFOLLOW_LINKS)) {
                Path to = Files.readSymbolicLink(link);
                Files.createDirectories(dir.resolve(top).resolveSibling(to));
                Files.createSymbolicLink(dir.resolve(top), to);
            }
        }
        Set<Path> files = new LinkedHashSet<>();
        for (String program : new String[] {"sh", "cat", "ls", "echo", "sleep"}) {
            Path p = Files.exists(Path.of("/bin", program)) ? Path.of("/bin", program) : Path.of("/usr/bin", program);
            files.add(p.toRealPath());
            files.add(p);
            Matcher m = LIBRARY.matcher(run(List.of("ldd", p.toRealPath().toString()), null));
            while (m.find()) {
                files.add(Path.of(m.group(1)));
                files.add(Path.of(m.group(1)).toRealPath());
            }
        }
        for (Path f : files) {
            Path target = dir.resolve(f.toString().substring(1));
            Files.createDirectories(target.getParent());
            if (Files.isSymbolicLink(f)) {
                if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createSymbolicLink(target, Files.readSymbolicLink(f));
                }
            } else {
                Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        for (String d : new String[] {"proc", "sys", "dev", "run", "tmp", "etc", "root"}) {
            Files.createDirectories(dir.resolve(d));
        }
        return dir;
    }

    /** The loop devices whose sysfs backing_file names {@code image}. */
    static List<String> loopsBoundTo(Path image) throws IOException {
        List<String> devices = new ArrayList<>();
        try (var blocks = Files.newDirectoryStream(Path.of("/sys/block"), "loop*")) {
            for (Path block : blocks) {
                try {
                    String file = Files.readString(block.resolve("loop/backing_file")).strip();
                    if (file.equals(image.toString()) || file.equals(image + " (deleted)")) {
                        devices.add("/dev/" + block.getFileName());
                    }
                } catch (java.nio.file.NoSuchFileException e) {
                    // not bound
                }
            }
        }
        return devices;
    }

    /** Waits up to 10 s for no loop device to be bound to {@code image}; the kernel releases asynchronously. */
    static List<String> awaitNoLoopBoundTo(Path image) throws IOException, InterruptedException {
        for (int i = 0; i < 1000 && !loopsBoundTo(image).isEmpty(); i++) {
            Thread.sleep(10);
        }
        return loopsBoundTo(image);
    }

    /** Detaches, with losetup, every loop device bound to {@code image}: the cleanup of a failed test. */
    static void detachAll(Path image) throws IOException, InterruptedException {
        for (String device : loopsBoundTo(image)) {
            new ProcessBuilder("losetup", "--detach", device).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    /** Deletes {@code dir} and what is in it, when nothing is mounted below it. */
    static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
