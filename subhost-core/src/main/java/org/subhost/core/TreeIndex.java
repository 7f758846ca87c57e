package org.subhost.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.subhost.config.ConfigException;
import org.subhost.config.SubhostConfig;
import org.subhost.linux.AtFiles;
import org.subhost.linux.Errno;
import org.subhost.linux.Fds;
import org.subhost.linux.FileStatus;
import org.subhost.linux.Flock;
import org.subhost.linux.SyscallException;

/**
 * The index of subhost trees: one file, {@code /run/subhost/.trees}, with a line for each
 * subhost booted on this host ({@link SubhostTrees}), so that a boot learns in one read
 * what every other subhost is made of: which directories they write (a SHARE source must
 * not lie in one) and which are private to them (hidden from every other subhost).
 *
 * <p>Why one file and not the state records: a boot reads all of it, and with thousands of
 * subhosts running, opening a record per subhost would cost more than the boot itself;
 * the index is read with one open and one read. It is rewritten whole (a new file renamed
 * over the old one) under an exclusive {@code flock} of {@code .trees.lock}, so that
 * readers, which take no lock, always see a whole index; writers wait for each other.
 *
 * <p>A stopped subhost keeps its line, marked stopped: its BASE is still a subhost's, and
 * a directory that holds it and other subhosts' trees is still one that only subhosts' trees
 * are in. A line goes when its BASE no longer exists, looked at only when the stopped
 * lines have doubled since the last look, so that what looking costs (a stat per line)
 * stays a small part of each write.
 *
 * <p>Also the subhosts that {@code /etc/subhosts.conf} lists ({@link #listed()}), which may
 * not have booted yet: their files are read for their paths, without running their
 * {@code !} commands.
 *
 * <p>Trust: the index lives in the state directory (root's alone, mode 0700), and is
 * believed only when it is a regular file of ours that no one else may write, as the
 * records are ({@link StateStore}).
 */
final class TreeIndex {
    /** The index's file name in the state directory. */
    static final String FILE = ".trees";
    private static final String LOCK = ".trees.lock";
    private static final String HEADER = "# subhost trees (docs/architecture.md), next=";
    private static final String KEPT = " kept=";
    /** The most an index may be: 64 MiB, some 200000 subhosts. */
    private static final long LIMIT = 64L << 20;
    /** How many stopped lines are kept without looking whether their BASE still exists. */
    private static final int STOPPED_UNCHECKED = 64;

    private final Path root;
    private final Optional<Path> list;

    /**
     * The index in the state directory {@code root}; {@code list} is the file that lists
     * the subhosts that start with the host, when it is to be read.
     */
    TreeIndex(Path root, Optional<Path> list) {
        this.root = root;
        this.list = list;
    }

    /** {@return the state directory, which holds the index and every record} */
    Path root() {
        return root;
    }

    /**
     * The index as it is now.
     *
     * @param next the number the next registration gets
     * @param entries every subhost in it, in the order registered
     * @param kept how many stopped lines the last pruning kept
     */
    record Snapshot(long next, List<SubhostTrees> entries, long kept) {
        /** Copies the list. */
        Snapshot {
            entries = List.copyOf(entries);
        }

        /** An index that has never been pruned. */
        Snapshot(long next, List<SubhostTrees> entries) {
            this(next, entries, 0);
        }

        /** {@return the entry of {@code name}, if any} */
        Optional<SubhostTrees> get(String name) {
            return entries.stream().filter(e -> e.name().equals(name)).findFirst();
        }

        /** {@return every entry but that of {@code name}} */
        List<SubhostTrees> others(String name) {
            return entries.stream().filter(e -> !e.name().equals(name)).toList();
        }
    }

    /**
     * Reads the index, without a lock: it is only ever replaced whole.
     *
     * @return the index; empty when there is none yet
     * @throws IOException when it cannot be read or cannot be trusted
     */
    Snapshot read() throws IOException {
        Path file = root.resolve(FILE);
        int fd;
        try {
            fd = Fds.open(file.toString(), Fds.O_RDONLY | Fds.O_NOFOLLOW | Fds.O_NONBLOCK | Fds.O_CLOEXEC);
        } catch (SyscallException e) {
            if (e.is(Errno.ENOENT)) {
                return new Snapshot(1, List.of());
            }
            throw new IOException(file + ": " + e.errnoText(), e);
        }
        try {
            FileStatus status = AtFiles.fstat(fd);
            if (!status.isRegularFile() || status.uid() != 0 && status.uid() != ourUid()
                    || (status.permissions() & 0022) != 0) {
                throw new IOException(file + ": not a regular file of ours that only we may write; refused: remove it"
                        + " (it is made again at the next boot)");
            }
            if (status.size() > LIMIT) {
                throw new IOException(file + ": larger than the index can be (" + LIMIT + " bytes)");
            }
            byte[] bytes = Fds.read(fd, (int) status.size() + 1);
            return parse(file, new String(bytes, StandardCharsets.UTF_8));
        } finally {
            Descriptor.closeQuietly(fd);
        }
    }

    private static Snapshot parse(Path file, String text) throws IOException {
        long next = 1;
        long kept = 0;
        List<SubhostTrees> entries = new ArrayList<>();
        int number = 0;
        int start = 0;
        while (start < text.length()) {
            int end = text.indexOf('\n', start);
            if (end < 0) {
                end = text.length();
            }
            number++;
            String line = text.substring(start, end);
            start = end + 1;
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith(HEADER)) {
                String rest = line.substring(HEADER.length()).strip();
                int k = rest.indexOf(KEPT.strip());
                next = Long.parseLong((k < 0 ? rest : rest.substring(0, k)).strip());
                kept = k < 0 ? 0 : Long.parseLong(rest.substring(k + KEPT.strip().length()).strip());
                continue;
            }
            try {
                entries.add(Lines.parse(line));
            } catch (RuntimeException e) {
                throw new IOException(file + ":" + number + ": not a line of the index (" + e.getMessage()
                        + "); remove the file (it is made again at the next boot)", e);
            }
        }
        return new Snapshot(next, entries, kept);
    }

    /**
     * The lines of the index read before, with the entries they are, and the other way
     * round: every boot reads and writes the whole index, whose lines are mostly those it
     * had the last time, and parsing or formatting thousands of them anew would cost more
     * than the rest of the boot. Bounded: emptied when it holds many more than an index has.
     */
    private static final class Lines {
        private static final int MOST = 1 << 15;
        private static final java.util.Map<String, SubhostTrees> PARSED = new java.util.HashMap<>();
        // By identity: an entry read from a line is that line's object until the line changes.
        private static final java.util.Map<SubhostTrees, String> FORMATTED = new java.util.IdentityHashMap<>();

        static synchronized SubhostTrees parse(String line) {
            SubhostTrees entry = PARSED.get(line);
            if (entry == null) {
                entry = SubhostTrees.parse(line);
                remember(line, entry);
            }
            return entry;
        }

        static synchronized String format(SubhostTrees entry) {
            String line = FORMATTED.get(entry);
            if (line == null) {
                line = entry.format();
                remember(line, entry);
            }
            return line;
        }

        private static void remember(String line, SubhostTrees entry) {
            if (PARSED.size() >= MOST) {
                PARSED.clear();
                FORMATTED.clear();
            }
            PARSED.put(line, entry);
            FORMATTED.put(entry, line);
        }
    }

    /**
     * Adds {@code entry} (active), replacing any line of its NAME, with the next number, as
     * {@code finish} completes it from the index with it in (the directories it hides
     * whole, which later boots read): the one rewrite of the index that a boot makes.
     *
     * @return the index with it, as it was written
     */
    Snapshot register(SubhostTrees entry, java.util.function.BiFunction<SubhostTrees, Snapshot, SubhostTrees> finish)
            throws IOException {
        return change(snapshot -> {
            List<SubhostTrees> out = new ArrayList<>(snapshot.others(entry.name()));
            SubhostTrees numbered = entry.with(snapshot.next(), SubhostTrees.Phase.ACTIVE);
            List<SubhostTrees> with = new ArrayList<>(out);
            with.add(numbered);
            out.add(finish.apply(numbered, new Snapshot(snapshot.next() + 1, with, snapshot.kept())));
            return new Snapshot(snapshot.next() + 1, out, snapshot.kept());
        });
    }

    /**
     * Replaces the line of {@code name} with what {@code change} makes of it; nothing when
     * there is none.
     *
     * @return the index as it was written
     */
    Snapshot update(String name, UnaryOperator<SubhostTrees> change) throws IOException {
        return change(snapshot -> {
            List<SubhostTrees> out = new ArrayList<>();
            for (SubhostTrees e : snapshot.entries()) {
                out.add(e.name().equals(name) ? change.apply(e) : e);
            }
            return new Snapshot(snapshot.next(), out, snapshot.kept());
        });
    }

    /** Marks {@code name} stopped: its trees stay, as a subhost's (no longer hidden by themselves). */
    void stopped(String name) throws IOException {
        update(name, e -> e.with(e.seq(), SubhostTrees.Phase.STOPPED));
    }

    /** Reads, changes and writes the index under its lock. */
    private Snapshot change(UnaryOperator<Snapshot> change) throws IOException {
        int lock;
        try {
            lock = Fds.open(root.resolve(LOCK).toString(), Fds.O_RDWR | Fds.O_CREAT | Fds.O_NOFOLLOW | Fds.O_CLOEXEC,
                    StateStore.FILE_MODE);
        } catch (SyscallException e) {
            throw new IOException(root.resolve(LOCK) + ": " + e.errnoText(), e);
        }
        try {
            Flock.flock(lock, Flock.LOCK_EX);
            Snapshot changed = prune(change.apply(read()));
            write(changed);
            return changed;
        } finally {
            Descriptor.closeQuietly(lock);
        }
    }

    /**
     * Drops stopped lines whose BASE is gone, when the stopped lines are more than a few and
     * twice as many as the last pruning kept: looking costs a stat per line, so it is done
     * the more rarely the more lines stay.
     */
    private static Snapshot prune(Snapshot snapshot) {
        long stopped = snapshot.entries().stream().filter(e -> !e.active()).count();
        if (stopped <= Math.max(STOPPED_UNCHECKED, 2 * snapshot.kept())) {
            return snapshot;
        }
        List<SubhostTrees> kept = snapshot.entries().stream()
                .filter(e -> e.active() || e.path(SubhostTrees.Role.BASE).map(Files::isDirectory).orElse(false))
                .toList();
        return new Snapshot(snapshot.next(), kept, kept.stream().filter(e -> !e.active()).count());
    }

    private void write(Snapshot snapshot) throws IOException {
        StringBuilder text = new StringBuilder(HEADER).append(snapshot.next()).append(KEPT).append(snapshot.kept())
                .append('\n');
        for (SubhostTrees e : snapshot.entries()) {
            text.append(Lines.format(e)).append('\n');
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        Path tmp = root.resolve(FILE + ".tmp");
        Files.deleteIfExists(tmp);
        int fd;
        try {
            fd = Fds.open(tmp.toString(), Fds.O_WRONLY | Fds.O_CREAT | Fds.O_EXCL | Fds.O_NOFOLLOW | Fds.O_CLOEXEC,
                    StateStore.FILE_MODE);
        } catch (SyscallException e) {
            throw new IOException(tmp + ": " + e.errnoText(), e);
        }
        try {
            AtFiles.fchmod(fd, StateStore.FILE_MODE);
            int done = 0;
            while (done < bytes.length) {
                done += Fds.write(fd, done == 0 ? bytes : java.util.Arrays.copyOfRange(bytes, done, bytes.length));
            }
        } finally {
            Descriptor.closeQuietly(fd);
        }
        try {
            AtFiles.renameat(org.subhost.linux.Mounts.AT_FDCWD, tmp.toString(), org.subhost.linux.Mounts.AT_FDCWD,
                    root.resolve(FILE).toString());
        } catch (SyscallException e) {
            throw new IOException("rename " + tmp + ": " + e.errnoText(), e);
        }
    }

    /**
     * The subhosts that the list file names (one {@code .conf} a line, as {@code subhosts}
     * reads it, docs/spec.md §10), each read for its paths without running its {@code !}
     * commands. A file that cannot be read so (missing, broken, or computing a value with a
     * command) is passed over: that subhost is known once it boots.
     */
    List<SubhostTrees> listed() {
        if (list.isEmpty()) {
            return List.of();
        }
        String text;
        try {
            text = Files.readString(list.get(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return List.of();
        }
        Path dir = list.get().toAbsolutePath().getParent();
        List<SubhostTrees> out = new ArrayList<>();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                SubhostConfig config = SubhostConfig.readWithoutCommands(dir.resolve(line).normalize());
                out.add(SubhostTrees.of(config).with(0, SubhostTrees.Phase.LISTED));
            } catch (ConfigException | RuntimeException e) {
                // Not readable for its paths now; known once it boots.
            }
        }
        return out;
    }

    /** The list of subhosts that start with the host: SUBHOSTS_CONF when set, else {@code /etc/subhosts.conf}. */
    static Path defaultList() {
        String env = System.getenv("SUBHOSTS_CONF");
        return env == null || env.isEmpty() ? Path.of("/etc/subhosts.conf") : Path.of(env).toAbsolutePath().normalize();
    }

    /**
     * The boot step that registers the subhost's trees in the index and plans what it hides
     * of the others ({@link Hiding#plan}) from the index with it in and the listed
     * subhosts, recording in its line the directories it hides whole; its SHAREs are
     * checked against what every subhost writes here, before anything is made ({@link
     * ShareSource#checkWritten}; the share steps check again when they open them). Undo:
     * the entry is marked stopped.
     *
     * @param planned the entry from the configuration, LOWER's device not read yet
     * @param hide the host paths that HIDE names
     * @param known where what is known goes
     */
    record Register(SubhostTrees planned, List<Path> hide, Slot<Hiding.Known> known)
            implements BootStep.OnHost<Hiding.Known> {
        /** Copies the list. */
        Register {
            hide = List.copyOf(hide);
        }

        @Override
        public String describe() {
            return "register the trees of " + planned.name() + " in /run/subhost/" + FILE
                    + (planned.shares().isEmpty() ? "" : "; check each SHARE against what subhosts write");
        }

        @Override
        public Optional<Slot<Hiding.Known>> produces() {
            return Optional.of(known);
        }

        @Override
        public Hiding.Known apply(StepInputs in) throws Exception {
            TreeIndex index = in.trees();
            List<SubhostTrees> listed = index.listed();
            Hiding.Plan[] plan = new Hiding.Plan[1];
            Snapshot snapshot = index.register(planned.withLowerDevice(), (self, with) -> {
                plan[0] = Hiding.plan(self, Hiding.Known.others(self.name(), with, listed), index.root(), hide,
                        Hiding.Lister.HOST);
                return self.hidingWhole(plan[0].whole());
            });
            SubhostTrees self = snapshot.get(planned.name()).orElseThrow();
            Hiding.Known k = new Hiding.Known(self, snapshot, listed, plan[0]);
            if (!planned.shares().isEmpty()) {
                List<SubhostTrees.Written> written = k.written();
                for (org.subhost.config.Share share : planned.shares()) {
                    ShareSource.checkWritten(share.hostPath(), written);
                }
            }
            return k;
        }

        @Override
        public void undo(Hiding.Known done, StepInputs in) throws Exception {
            in.trees().stopped(planned.name());
        }
    }

    private static int ourUid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }
}
