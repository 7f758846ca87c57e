package org.subhost.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.LinkOption;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.subhost.linux.AtFiles;
import org.subhost.linux.Credentials;
import org.subhost.linux.Fds;
import org.subhost.linux.FileStatus;
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
    static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,11}");

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
        // The user this process acts as: asked once per lock, read or write, not once per file.
        int us = Credentials.effectiveUid();
        privateDirectory(root, us);
        Path file = root.resolve("." + name + ".lock");
        while (true) {
            int fd = Fds.open(file.toString(), Fds.O_RDWR | Fds.O_CREAT | Fds.O_NOFOLLOW | Fds.O_NONBLOCK | Fds.O_CLOEXEC,
                    FILE_MODE);
            try {
                FileStatus opened = AtFiles.fstat(fd);
                checkOurs(file, opened, false, us);
                Flock.flock(fd, Flock.LOCK_EX);
                // The holder before us may have removed the file (see NameLock.close): a lock
                // on a file no longer at that path excludes nobody, so start again.
                if (isAt(opened, file)) {
                    return new NameLock(name, fd, file, this);
                }
            } catch (IOException e) {
                Fds.close(fd);
                throw e;
            }
            Fds.close(fd);
        }
    }

    /** The mode of the state directory and each NAME's directory: root's alone. */
    static final int DIRECTORY_MODE = 0700;
    /** The mode of state and lock files. */
    static final int FILE_MODE = 0600;
    /** The most a state record may be. */
    private static final int RECORD_LIMIT = 1 << 16;

    /**
     * Makes {@code dir} with mode 0700 whatever the umask, or checks the one there: a
     * directory (no link) of ours; one that others may write (made under umask 000 by an
     * older version) is made 0700.
     */
    private static void privateDirectory(Path dir, int us) throws IOException {
        java.util.Map<String, Object> attributes;
        try {
            // Looked at first, made only when missing: on every write both directories are there.
            attributes = Files.readAttributes(dir, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException missing) {
            Path parent = dir.getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                Files.createDirectories(parent);
            }
            try {
                Files.createDirectory(dir);
                Files.setPosixFilePermissions(dir, OWNER_ONLY_DIRECTORY);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                // Made by another boot meanwhile: checked below.
            }
            attributes = Files.readAttributes(dir, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS);
        }
        int mode = checkOurs(dir, attributes, true, us);
        if ((mode & 0022) != 0) {
            Files.setPosixFilePermissions(dir, OWNER_ONLY_DIRECTORY);
        }
    }

    /** rwx------ and rw-------: never changed, so made once. */
    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> OWNER_ONLY_DIRECTORY =
            java.util.Collections.unmodifiableSet(PosixFilePermissions.fromString("rwx------"));
    private static final java.util.Set<java.nio.file.attribute.PosixFilePermission> OWNER_ONLY_FILE =
            java.util.Collections.unmodifiableSet(PosixFilePermissions.fromString("rw-------"));

    /**
     * Checks attributes read with NOFOLLOW: the kind, and the owner (user {@code us}); returns
     * the mode.
     */
    private static int checkOurs(Path path, java.util.Map<String, Object> attributes, boolean directory, int us)
            throws IOException {
        int mode = (Integer) attributes.get("mode");
        int uid = (Integer) attributes.get("uid");
        return checkOurs(path, mode, uid, directory, us);
    }

    private static int checkOurs(Path path, FileStatus status, boolean directory, int us) throws IOException {
        return checkOurs(path, status.mode(), status.uid(), directory, us);
    }

    private static int checkOurs(Path path, int mode, int uid, boolean directory, int us) throws IOException {
        int kind = mode & FileStatus.S_IFMT;
        if (kind != (directory ? FileStatus.S_IFDIR : FileStatus.S_IFREG)) {
            throw new IOException(path + ": not a " + (directory ? "directory" : "regular file")
                    + " (a link or another kind of file); refused: remove it if no subhost runs");
        }
        if (uid != us) {
            throw new IOException(path + ": belongs to uid " + uid + ", not to " + (us == 0 ? "root" : "uid " + us)
                    + "; refused: remove it if no subhost runs");
        }
        return mode;
    }

    /**
     * Whether {@code opened}, the status of a descriptor (whose file never changes), is of
     * the file now at {@code path}.
     */
    private static boolean isAt(FileStatus opened, Path path) {
        try {
            Object named = Files.getAttribute(path, "unix:ino", java.nio.file.LinkOption.NOFOLLOW_LINKS);
            return ((Number) named).longValue() == opened.inode();
        } catch (IOException e) {
            return false; // the path is gone: removed by the holder before us
        }
    }

    /**
     * The record of {@code name}, if there is one. Its directory and file must be ours and
     * writable by us alone, as {@link #write} makes them: then what it says (pid 1, the
     * services a stop runs, the links it removes) is what a boot recorded.
     */
    Optional<SubhostState> read(String name) throws IOException {
        checkName(name);
        Path dir = root.resolve(name);
        Path file = stateFile(name);
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        int us = Credentials.effectiveUid();
        for (Path p : List.of(root, dir, file)) {
            int mode = checkOurs(p, Files.readAttributes(p, "unix:mode,uid", LinkOption.NOFOLLOW_LINKS), p != file, us);
            if ((mode & 0022) != 0) {
                throw new IOException(p + ": writable by others than its owner (mode 0"
                        + Integer.toOctalString(mode & 07777) + "), so its record cannot be trusted; refused: "
                        + "if you made it, chmod go-w " + p + "; else remove it if no subhost " + name + " runs");
            }
        }
        try {
            if (Files.size(file) > RECORD_LIMIT) {
                throw new IOException(file + ": larger than a state record can be (" + RECORD_LIMIT + " bytes)");
            }
            String text = Files.readString(file, StandardCharsets.UTF_8);
            return Optional.of(SubhostState.parse(text));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": unreadable state record (" + e.getMessage()
                    + "); remove it if no subhost " + name + " runs", e);
        }
    }

    /**
     * Writes the record of {@code state.name()}, replacing the old one in one step: a new
     * file (mode 0600, no link followed) renamed over it, in a directory of mode 0700.
     */
    void write(SubhostState state) throws IOException {
        checkName(state.name());
        int us = Credentials.effectiveUid();
        privateDirectory(root, us);
        Path dir = root.resolve(state.name());
        privateDirectory(dir, us);
        Path tmp = dir.resolve("state.tmp");
        Files.deleteIfExists(tmp);
        try (java.nio.channels.SeekableByteChannel out = Files.newByteChannel(tmp, java.util.Set.of(
                StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW, LinkOption.NOFOLLOW_LINKS))) {
            Files.setPosixFilePermissions(tmp, OWNER_ONLY_FILE);
            java.nio.ByteBuffer bytes = java.nio.ByteBuffer.wrap(state.format().getBytes(StandardCharsets.UTF_8));
            while (bytes.hasRemaining()) {
                out.write(bytes);
            }
        }
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
        Files.deleteIfExists(dir.resolve(LogRelay.SERVICES));
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
        if (!isSafeName(name)) {
            throw new IllegalArgumentException("NAME (" + printable(name)
                    + ") must be 1 to 12 characters of A-Z a-z 0-9 _ . - and not start with . or -");
        }
    }

    /**
     * Whether {@code name} is as {@link #SAFE_NAME} says: checked on every lock, read and
     * write, so by hand rather than by the regular expression, which runs interpreted.
     */
    static boolean isSafeName(String name) {
        int n = name.length();
        if (n < 1 || n > 12) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = name.charAt(i);
            boolean ok = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_'
                    || i > 0 && (c == '.' || c == '-');
            if (!ok) {
                return false;
            }
        }
        return true;
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
            Descriptor.closeQuietly(fd);
            fd = -1;
        }
    }

    /**
     * The first record of a boot, before any host resource is made, so that a boot killed
     * midway leaves a record of what to remove; written as {@code planned} says, from where
     * LOG ends now, and handed on in {@code booting}. Undo: the record goes.
     */
    record RecordBooting(SubhostState planned, Slot<SubhostState> booting) implements BootStep.OnHost<SubhostState> {
        @Override
        public String describe() {
            return "record the boot in /run/subhost/" + planned.name() + "/state";
        }

        @Override
        public Optional<Slot<SubhostState>> produces() {
            return Optional.of(booting);
        }

        @Override
        public SubhostState apply(StepInputs in) throws Exception {
            long offset = java.nio.file.Files.exists(planned.log()) ? java.nio.file.Files.size(planned.log()) : 0;
            SubhostState state = planned.toBuilder().logOffset(offset).started(java.time.Instant.now()).build();
            in.store().write(state);
            return state;
        }

        @Override
        public void undo(SubhostState state, StepInputs in) throws Exception {
            in.store().remove(planned.name());
        }
    }

    /**
     * The record of the running subhost: the record of {@code booting} with pid 1 of {@code
     * pid1} and its start time, and the host ends that ifup configured ({@code hostEnds}),
     * handed on in {@code running}. Messages name LOG, the file {@code log}.
     */
    record RecordRunning(Path log, Slot<SubhostState> booting, Slot<NamespaceSpawner.Pid1> pid1,
            List<Slot<NetnsCable.HostEnd>> hostEnds, Slot<SubhostState> running) implements BootStep.OnHost<SubhostState> {
        RecordRunning {
            hostEnds = List.copyOf(hostEnds);
        }

        @Override
        public String describe() {
            return "record pid 1, its start time, its program and its confinement";
        }

        @Override
        public List<Slot<?>> consumes() {
            List<Slot<?>> slots = new ArrayList<>(List.of(booting, pid1));
            slots.addAll(hostEnds);
            return slots;
        }

        @Override
        public Optional<Slot<SubhostState>> produces() {
            return Optional.of(running);
        }

        @Override
        public SubhostState apply(StepInputs in) throws Exception {
            NamespaceSpawner.Pid1 started = in.get(pid1);
            int pid = started.pid();
            ProcessIdentity identity = ProcessIdentity.of(pid).orElseThrow(() -> new IOException(
                    "pid 1 (" + pid + ") ended at once; see " + log));
            List<String> ifupped = new ArrayList<>();
            for (Slot<NetnsCable.HostEnd> end : hostEnds) {
                if (in.get(end).byIfup()) {
                    ifupped.add(in.get(end).name());
                }
            }
            // The confinement pid 1 was told to apply (an init system's raised to the admin
            // level), which every process that enters later gets too.
            SubhostState state = in.get(booting).running(identity, ifupped, started.program(), started.confinement());
            in.store().write(state);
            return state;
        }
    }
}
