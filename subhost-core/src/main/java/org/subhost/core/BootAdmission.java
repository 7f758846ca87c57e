package org.subhost.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.Semaphore;
import org.subhost.SubhostException;

/**
 * How many boots one JVM runs at once: as many as its open-files limit has room for; the
 * others wait their turn (a virtual thread parks, holding no carrier).
 *
 * <p>A boot holds about 13 descriptors until it returns (LOG twice, the pipes to the relay
 * and to pid 1, its name's lock, a netlink socket, {@code /run/netns/NAME}, ...). Started
 * all at once from virtual threads, 1500 boots reached a limit of 20000 open files and
 * failed with EMFILE, and a boot that fails so can fail in any step, with a message about
 * that step rather than about the limit. The limit is per process, so the turns are per
 * JVM, shared by every {@link LinuxSubhosts}.
 */
final class BootAdmission {
    /** What a boot is allowed in descriptors: about twice what one was seen to hold. */
    static final int DESCRIPTORS_PER_BOOT = 32;
    /** What a limit that cannot be read is taken to be: the usual soft limit. */
    static final long UNKNOWN_LIMIT = 1024;

    private static final class ThisProcess {
        static final BootAdmission ADMISSION = new BootAdmission(
                turnsFor(openFilesLimit(Path.of("/proc/self/limits")).orElse(UNKNOWN_LIMIT)));
    }

    private final int turns;
    private final Semaphore free;

    BootAdmission(int turns) {
        if (turns < 1) {
            throw new IllegalArgumentException("turns (" + turns + ") must be at least 1");
        }
        this.turns = turns;
        this.free = new Semaphore(turns, true);
    }

    /** {@return the turns of this process, from its open-files limit when first asked} */
    static BootAdmission thisProcess() {
        return ThisProcess.ADMISSION;
    }

    /**
     * The boots at once that a limit of {@code openFiles} has room for: three quarters of it,
     * the rest left to the embedder's own files and to the subhosts' exec and stop, at
     * {@link #DESCRIPTORS_PER_BOOT} each; at least one.
     */
    static int turnsFor(long openFiles) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, openFiles / 4 * 3 / DESCRIPTORS_PER_BOOT));
    }

    /**
     * The soft limit on open files that {@code limits} (the form of {@code /proc/PID/limits})
     * states; {@link Long#MAX_VALUE} for "unlimited"; empty when the file or its line
     * cannot be read.
     */
    static OptionalLong openFilesLimit(Path limits) {
        try {
            for (String line : Files.readAllLines(limits, StandardCharsets.US_ASCII)) {
                if (line.startsWith("Max open files")) {
                    String soft = line.substring("Max open files".length()).strip().split("\\s+")[0];
                    return soft.equals("unlimited") ? OptionalLong.of(Long.MAX_VALUE)
                            : OptionalLong.of(Long.parseLong(soft));
                }
            }
        } catch (IOException | RuntimeException e) {
            // No /proc, or a line of another shape: the caller takes the usual limit.
        }
        return OptionalLong.empty();
    }

    /** {@return how many boots run at once} */
    int turns() {
        return turns;
    }

    /**
     * Takes a turn, once one is free; the caller boots, then closes it.
     *
     * @param name the subhost's NAME, for the message of an interrupted wait
     * @throws SubhostException when the thread was interrupted while it waited (its
     *     interrupt status is set again)
     */
    Turn take(String name) throws SubhostException {
        try {
            free.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SubhostException("boot " + name + ": interrupted while waiting for a turn (this JVM boots at most "
                    + turns + " subhosts at once, for its limit on open files)", e);
        }
        return new Turn(free);
    }

    /** A boot's turn, given back once when closed. */
    static final class Turn implements AutoCloseable {
        private Semaphore free;

        private Turn(Semaphore free) {
            this.free = free;
        }

        @Override
        public void close() {
            if (free != null) {
                free.release();
                free = null;
            }
        }
    }
}
