package org.subhost.cli;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.subhost.testing.HostTools;
import org.subhost.testing.TinyRoot;

/**
 * Disk images for the overlay-diskfile tests, made by the real tools (sfdisk, mkfs.ext4,
 * mksquashfs, through {@link HostTools}), a tiny root tree to put in them, and the
 * independent look at which loop devices are bound to an image
 * ({@code /sys/block/loop*}/loop/backing_file).
 */
final class TestImages {
    private TestImages() {}

    /** A sparse file of {@code megabytes} MiB. */
    static Path blank(Path file, int megabytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(megabytes * 1024L * 1024L);
        }
        return file;
    }

    /** A partition table from an sfdisk script, such as {@code label: gpt\n,8MiB,L\n,,L\n}. */
    static void sfdisk(Path image, String script) throws IOException, InterruptedException {
        HostTools.require("sfdisk", "fdisk");
        HostTools.run(List.of("sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", image.toString()), script);
    }

    /** An ext4 filesystem filling {@code image}, holding a copy of {@code content} (or nothing). */
    static void mkfsExt4(Path image, Path content) throws IOException, InterruptedException {
        HostTools.require("mkfs.ext4", "e2fsprogs");
        List<String> cmd = new ArrayList<>(List.of("mkfs.ext4", "-q", "-F"));
        if (content != null) {
            cmd.addAll(List.of("-d", content.toString()));
        }
        cmd.add(image.toString());
        HostTools.run(cmd, null);
    }

    /** A squashfs image of {@code content}. */
    static void mksquashfs(Path content, Path image) throws IOException, InterruptedException {
        HostTools.require("mksquashfs", "squashfs-tools");
        HostTools.run(List.of("mksquashfs", content.toString(), image.toString(), "-quiet", "-noappend", "-no-progress"), null);
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
     * A tiny root tree in {@code dir}: sh, cat, ls, echo, sleep and the libraries they need,
     * and the directories a subhost mounts on; enough for pid 1 and a shell.
     */
    static Path tinyRoot(Path dir) throws IOException, InterruptedException {
        return TinyRoot.build(dir, List.of("sh", "cat", "ls", "echo", "sleep"));
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
