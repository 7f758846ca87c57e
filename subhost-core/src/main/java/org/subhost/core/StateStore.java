package org.subhost.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.subhost.linux.Fds;
import org.subhost.linux.Flock;
import org.subhost.linux.SyscallException;

/**
 * The state records of subhosts under one directory ({@code /run/subhost}): one directory
 * per NAME with a {@code state} file, and one lock file per NAME beside them.
 *
 * <p>Locks are {@code flock(2)} locks on {@code .NAME.lock}: they belong to an open file
 * description, so two threads of one JVM exclude each other as two processes do, and the
 * kernel drops a lock when its holder dies. A lock file is removed, still locked, when
 * its holder releases it and no record of the NAME is left; a waiter that then gets the
 * lock of the removed file sees that it is no longer at its path and locks the new one,
 * so that two holders never lock different files of one NAME.
 */
final class StateStore {
    /**
     * NAME as docs/spec.md §2 allows it, not starting with {@code .} (so never {@code .}, {@code ..}
     * or the name of a lock file {@code .NAME.lock}) or {@code -}: it becomes a path.
     */
    private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,11}");

    private final Path root;

    StateStore(Path root) {
        this.root = root;
    }

    Path root() {
        return root;
    }

    /**
     * Waits for and takes the lock of {@code name}; closing the returned lock releases it.
     */
    NameLock lock(String name) throws IOException {
        checkName(name);
        Files.createDirectories(root);
        Path file = root.resolve("." + name + ".lock");
        while (true) {
            int fd = Fds.open(file.toString(), Fds.O_RDWR | Fds.O_CREAT | Fds.O_CLOEXEC, 0600);
            try {
                Flock.flock(fd, Flock.LOCK_EX);
                // The holder before us may have removed the file (see NameLock.close): a lock
                // on a file no longer at that path excludes nobody, so start again.
                if (sameFile(fd, file)) {
                    return new NameLock(name, fd, file, this);
                }
            } catch (SyscallException e) {
                Fds.close(fd);
                throw e;
            }
            Fds.close(fd);
        }
    }

    /** Whether descriptor {@code fd} is the file now at {@code path}. */
    private static boolean sameFile(int fd, Path path) {
        try {
            Object open = Files.getAttribute(Path.of("/proc/self/fd/" + fd), "unix:ino");
            Object named = Files.getAttribute(path, "unix:ino", java.nio.file.LinkOption.NOFOLLOW_LINKS);
            return open.equals(named);
        } catch (IOException e) {
            return false; // the path is gone: removed by the holder before us
        }
    }

    /** The record of {@code name}, if there is one. */
    Optional<SubhostState> read(String name) throws IOException {
        checkName(name);
        try {
            String text = Files.readString(stateFile(name), StandardCharsets.UTF_8);
            return Optional.of(SubhostState.parse(text));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            throw new IOException(stateFile(name) + ": unreadable state record (" + e.getMessage()
                    + "); remove it if no subhost " + name + " runs", e);
        }
    }

    /** Writes the record of {@code state.name()}, replacing the old one in one step. */
    void write(SubhostState state) throws IOException {
        checkName(state.name());
        Path dir = root.resolve(state.name());
        Files.createDirectories(dir);
        Path tmp = dir.resolve("state.tmp");
        Files.writeString(tmp, state.format(), StandardCharsets.UTF_8);
        try {
            Files.move(tmp, stateFile(state.name()), StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, stateFile(state.name()), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Removes the record of {@code name} and its directory. */
    void remove(String name) throws IOException {
        checkName(name);
        Path dir = root.resolve(name);
        Files.deleteIfExists(dir.resolve("state.tmp"));
        Files.deleteIfExists(stateFile(name));
        Files.deleteIfExists(dir);
    }

    /** The names that have a record. */
    List<String> names() throws IOException {
        List<String> names = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return names;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root)) {
            for (Path dir : dirs) {
                String n = dir.getFileName().toString();
                if (!n.startsWith(".") && Files.exists(dir.resolve("state"))) {
                    names.add(n);
                }
            }
        }
        names.sort(null);
        return names;
    }

    private Path stateFile(String name) {
        return root.resolve(name).resolve("state");
    }

    /**
     * Checks that {@code name} cannot leave the state directory (or {@code /run/netns}).
     *
     * @throws IllegalArgumentException when it could
     */
    static void checkName(String name) {
        if (!SAFE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("NAME (" + printable(name)
                    + ") must be 1 to 12 characters of A-Z a-z 0-9 _ . - and not start with . or -");
        }
    }

    /** {@code text} with control characters shown as {@code \xNN}, for messages. */
    private static String printable(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (char c : text.toCharArray()) {
            out.append(c < ' ' || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return out.toString();
    }

    /** The held lock of one NAME; closing releases it. */
    static final class NameLock implements AutoCloseable {
        private final String name;
        private final Path file;
        private final StateStore store;
        private int fd;

        NameLock(String name, int fd, Path file, StateStore store) {
            this.name = name;
            this.fd = fd;
            this.file = file;
            this.store = store;
        }

        String name() {
            return name;
        }

        /**
         * Releases the lock. When no record of the NAME is left, the lock file goes too, while
         * still held: a waiter that opened it finds it no longer at its path and opens a new
         * one (see {@link StateStore#lock}), so nothing is left behind per NAME.
         */
        @Override
        public void close() {
            if (fd < 0) {
                return;
            }
            if (!Files.exists(store.root().resolve(name))) {
                try {
                    Files.deleteIfExists(file);
                } catch (IOException e) {
                    // An empty lock file left on /run does no harm; the next lock reuses it.
                }
            }
            BootContext.closeQuietly(fd);
            fd = -1;
        }
    }

    /**
     * The first record of a boot, before any host resource is made, so that a boot killed
     * midway leaves a record of what to remove. Undo: the record goes.
     */
    record RecordBooting(SubhostState planned) implements BootStep.OnHost {
        @Override
        public String describe() {
            return "record the boot in /run/subhost/" + planned.name() + "/state";
        }

        @Override
        public void apply(BootContext context) throws Exception {
            long offset = java.nio.file.Files.exists(planned.log()) ? java.nio.file.Files.size(planned.log()) : 0;
            context.logOffset = offset;
            context.state = new SubhostState(planned.name(), SubhostState.Phase.BOOTING, Optional.empty(),
                    planned.config(), planned.log(), offset, planned.live(), planned.rootKind(), planned.netns(),
                    planned.hostLinks(), planned.cableEnds(), List.of(), planned.cgroup(), planned.services(),
                    java.time.Instant.now(), planned.disks());
            context.store.write(context.state);
        }

        @Override
        public void undo(BootContext context) throws Exception {
            context.store.remove(planned.name());
        }
    }

    /** The record of the running subhost: pid 1 with its start time. */
    record RecordRunning() implements BootStep.OnHost {
        @Override
        public String describe() {
            return "record pid 1 and its start time";
        }

        @Override
        public void apply(BootContext context) throws Exception {
            ProcessIdentity pid1 = ProcessIdentity.of(context.pid1).orElseThrow(() -> new IOException(
                    "pid 1 (" + context.pid1 + ") ended at once; see " + context.config.log()));
            context.pid1StartTime = pid1.startTime();
            context.state = context.state.running(pid1, context.ifupped);
            context.store.write(context.state);
        }
    }
}
