package org.subhost.tools;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What making a file costs on a filesystem right now: the bench prints it beside its
 * figures, because a boot makes about a dozen files (its record, LOG, the network
 * interfaces file, the overlay's work directory, the netns name) and this cost is the
 * machine's, not the SDK's. On an ext4 without a journal, each new inode skips, one by
 * one, every inode of its group deleted in the last minutes ({@code recently_deleted} in
 * fs/ext4/ialloc.c): after much churn (a bench's clean-up, a build) a file takes a
 * millisecond to make instead of microseconds.
 */
final class FileCreationProbe {
    /** How many files one probe makes and removes. */
    static final int FILES = 20;

    private FileCreationProbe() {}

    /**
     * The mean time in milliseconds to make one empty file in a new directory under {@code
     * parent}, over {@link #FILES} files; the files and the directory are removed again.
     */
    static double millisEach(Path parent) throws IOException {
        Path dir = Files.createTempDirectory(parent, "subhost-bench-probe-");
        try {
            long start = System.nanoTime();
            for (int i = 0; i < FILES; i++) {
                Files.createFile(dir.resolve("f" + i));
            }
            return (System.nanoTime() - start) / 1e6 / FILES;
        } finally {
            for (int i = 0; i < FILES; i++) {
                Files.deleteIfExists(dir.resolve("f" + i));
            }
            Files.delete(dir);
        }
    }

    /** One line: the cost under each of {@code dirs}, as {@code file creation: 0.31 ms each under /tmp, ...}. */
    static String line(Path... dirs) throws IOException {
        StringBuilder out = new StringBuilder("file creation: ");
        for (int i = 0; i < dirs.length; i++) {
            out.append(i == 0 ? "" : ", ").append(String.format("%.2f ms each under %s", millisEach(dirs[i]), dirs[i]));
        }
        return out.append(" (").append(FILES).append(" made and removed in each; the machine's, not the SDK's)").toString();
    }
}
