package org.subhost.core;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.subhost.linux.Fds;
import org.subhost.linux.Spawn;
import org.subhost.linux.SyscallException;

/**
 * The SDK's own copy of {@code subhost-init} (built static from {@code src/main/c} into this
 * module's resources), from which every process of ours that a subhost could reach runs:
 * its pid 1, the processes that enter it later, its log relay.
 *
 * <p>One sealed memfd per JVM, made before the first root switch and kept open: the seals
 * make its content final, no file of the subhost's tree is run, written or trusted (the
 * old {@code /.reaper} in UPPER could be replaced, renamed, or load the subhost's dynamic
 * loader and {@code /etc/ld.so.preload} into pid 1 with every capability), and every
 * subhost that this JVM boots maps the same pages. The host side runs it as {@code
 * /proc/self/fd/N}; pid 1, spawned by a thread whose root is already the subhost's (which
 * has no {@code /proc} yet), runs it as the entry {@code N} of the directory {@code
 * /proc/self/fd} opened here beforehand, in the host's mount namespace ({@link
 * Spawn#programIn}).
 *
 * <p>A running pid 1 is known as subhost-init by this copy's identity (device and inode,
 * {@link #identity}), which the boot records: never by a path or a name that the subhost's
 * root could give to another program.
 */
final class SdkProgram {
    private static volatile byte[] bytes;
    private static int memfd = -1;
    private static int directory = -1;
    private static FileIdentity identity;

    private SdkProgram() {}

    /** {@return the program's bytes, read once from this module's resources} */
    static byte[] bytes() {
        byte[] b = bytes;
        if (b == null) {
            try (InputStream in = SdkProgram.class.getResourceAsStream("subhost-init")) {
                if (in == null) {
                    throw new IllegalStateException("subhost-core lacks its pid 1 program (org/subhost/core/subhost-init);"
                            + " rebuild it with gcc installed");
                }
                b = in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read subhost-init from subhost-core", e);
            }
            bytes = b;
        }
        return b;
    }

    /**
     * The sealed memfd, as {@link #memfd()} gives it, but on its first call in this JVM taken
     * from a subhost that {@code store} records as running, when its pid 1 still runs the
     * copy recorded for it: every subhost of the host then maps the same pages, also when
     * each was booted by a JVM of its own (one overlay-boot each). The copy is opened through
     * {@code /proc/PID/exe} and taken only when it is the recorded inode, still sealed
     * against any change, and byte for byte this JVM's program; else this JVM makes its own.
     *
     * @param store the records of the running subhosts
     * @return the memfd, kept open for the JVM's life
     */
    static int memfd(StateStore store) throws SyscallException {
        synchronized (SdkProgram.class) {
            if (memfd < 0) {
                adopt(store);
            }
        }
        return memfd();
    }

    /** Takes a running subhost's copy, when one fits; see {@link #memfd(StateStore)}. */
    private static void adopt(StateStore store) {
        List<String> names;
        try {
            names = store.names();
        } catch (IOException e) {
            return; // no store yet, or not readable: make our own
        }
        byte[] wanted = bytes();
        for (String name : names) {
            try {
                Optional<SubhostState> state = store.read(name);
                if (state.isEmpty() || state.get().program().isEmpty() || state.get().pid1().isEmpty()) {
                    continue;
                }
                ProcessIdentity pid1 = state.get().pid1().get();
                int fd = Fds.open("/proc/" + pid1.pid() + "/exe", Fds.O_RDONLY | Fds.O_CLOEXEC);
                boolean taken = false;
                try {
                    Path self = Path.of("/proc/self/fd", Integer.toString(fd));
                    if (pid1.isAlive() && identityOf(self).equals(state.get().program()) && Fds.isSealedMemfd(fd)
                            && Files.size(self) == wanted.length && Arrays.equals(Files.readAllBytes(self), wanted)) {
                        directory = Fds.open("/proc/self/fd", Fds.O_PATH | Fds.O_DIRECTORY | Fds.O_CLOEXEC);
                        identity = state.get().program().get();
                        memfd = fd;
                        taken = true;
                        return;
                    }
                } finally {
                    if (!taken) {
                        Fds.close(fd);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // That one ended, or is another version's: try the next, else make our own.
            }
        }
    }

    /**
     * The sealed memfd, made on the first call (which must come before the calling
     * thread's root is switched: {@link PlanExecutor#loadWhatIsUsedAfterTheRootSwitch}), with
     * the descriptor of {@code /proc/self/fd} that {@link #spawnIn} needs and its identity.
     *
     * @return the memfd, kept open for the JVM's life
     */
    static synchronized int memfd() throws SyscallException {
        if (memfd < 0) {
            int fd = Fds.sealedMemfd("subhost-init", bytes());
            try {
                // The fd table of this process as a directory, so that a thread in another root
                // can still name the memfd ("N" in it). O_PATH: nothing is read through it.
                directory = Fds.open("/proc/self/fd", Fds.O_PATH | Fds.O_DIRECTORY | Fds.O_CLOEXEC);
                // No orElseThrow with a lambda: its class was generated at run time by a cold CLI
                // whose cache's training had taken over another JVM's copy instead.
                Optional<FileIdentity> found = identityOf(Path.of("/proc/self/fd", Integer.toString(fd)));
                if (found.isEmpty()) {
                    throw new IllegalStateException("cannot stat the SDK's copy of subhost-init (/proc/self/fd/" + fd
                            + ")");
                }
                identity = found.get();
            } catch (SyscallException | RuntimeException e) {
                Fds.close(fd);
                throw e;
            }
            memfd = fd;
        }
        return memfd;
    }

    /**
     * A builder that runs the program from any root, the subhost's included: the entry of the
     * memfd in this JVM's {@code /proc/self/fd}. The program starts in that directory and
     * must change out of it ({@code subhost-init} changes to {@code /} first thing).
     */
    static Spawn.Builder spawnIn() throws SyscallException {
        int fd = memfd();
        synchronized (SdkProgram.class) {
            return Spawn.programIn(directory, Integer.toString(fd)).argv0("subhost-init");
        }
    }

    /**
     * This JVM's copy's identity, which a boot records for its pid 1 ({@link
     * StateStore.RecordRunning}): while the subhost lives, the copy stays (its pid 1 or its
     * log relay runs from it), so no other file takes its inode number.
     *
     * @throws IOException when the memfd cannot be made or looked at
     */
    static FileIdentity identity() throws IOException {
        try {
            memfd();
        } catch (SyscallException e) {
            throw new IOException("the SDK's copy of subhost-init: " + e.getMessage(), e);
        }
        synchronized (SdkProgram.class) {
            return identity;
        }
    }

    /**
     * The identity of the program that {@code /proc/PID/exe} names, if that can be read:
     * the same as {@link #identity()}'s while the process runs this JVM's copy. The stat of the
     * magic link is that of the file it leads to, wherever it lies.
     *
     * @param pid a host pid
     */
    static Optional<FileIdentity> executableOf(int pid) {
        return identityOf(Path.of("/proc", Integer.toString(pid), "exe"));
    }

    private static Optional<FileIdentity> identityOf(Path path) {
        try {
            Object dev = Files.getAttribute(path, "unix:dev");
            Object ino = Files.getAttribute(path, "unix:ino");
            return Optional.of(new FileIdentity(((Number) dev).longValue(), ((Number) ino).longValue()));
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return Optional.empty(); // gone, or not ours to read
        }
    }

    /**
     * A file's identity: the device and inode numbers as stat(2) gives them.
     *
     * @param device st_dev
     * @param inode st_ino
     */
    record FileIdentity(long device, long inode) {
        // Written out, not the record's own: that one is linked at its first call by a
        // bootstrap method whose method handles the start-up cache cannot hold, and a cold
        // command generated 12 classes for it (some 8 ms of a cold overlay-stop).
        @Override
        public boolean equals(Object other) {
            return other instanceof FileIdentity o && o.device == device && o.inode == inode;
        }

        @Override
        public int hashCode() {
            return 31 * Long.hashCode(device) + Long.hashCode(inode);
        }

        /** {@return "DEVICE:INODE", as the state record keeps it} */
        @Override
        public String toString() {
            return device + ":" + inode;
        }

        /**
         * Reads what {@link #toString} wrote.
         *
         * @throws IllegalArgumentException when it is not two numbers with a colon
         */
        static FileIdentity parse(String text) {
            int colon = text.indexOf(':');
            if (colon < 0) {
                throw new IllegalArgumentException("file identity (" + text + ") must be DEVICE:INODE");
            }
            return new FileIdentity(Long.parseLong(text.substring(0, colon)), Long.parseLong(text.substring(colon + 1)));
        }
    }
}
