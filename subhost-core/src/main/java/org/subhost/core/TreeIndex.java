package org.subhost.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
 * The index of subhost trees: one file, {@code /run/subhost/.trees.journal}, with a line for each
 * subhost booted on this host ({@link SubhostTrees}), so that a boot learns in one read
 * what every other subhost is made of: which directories they write (a SHARE source must
 * not lie in one) and which are private to them (hidden from every other subhost).
 *
 * <p>Why one file and not the state records: a boot needs all of it, and with thousands of
 * subhosts running, opening a record per subhost would cost more than the boot itself.
 *
 * <p>A journal: a registration appends the subhost's whole line, a stop appends a line
 * that marks it stopped, a live share appends the changed line, a boot's carry a line that
 * says how far it read ({@link #carry}); each is one {@code write}
 * of whole lines to the file opened with {@code O_APPEND}, under an exclusive {@code flock}
 * of {@code .trees.lock}, so that what each write costs is that of its own lines, not of
 * the index. What the index says is the journal replayed: the last line of a NAME says
 * what it is (a line with only a NAME, a number and a phase changes the phase of NAME's
 * entry; with phase {@code active}, which nothing else writes, it says up to which number
 * NAME's carry read, {@link SubhostTrees#carryLine}, and which directories it hid whole
 * beyond those of NAME's line).
 * Readers take no lock and use only whole lines: a last line without its line end
 * is a write under way (or one that failed) and is left for the next read. A JVM keeps
 * what it replayed ({@link Replay}) with the file's identity and how far it read, and reads
 * only what was appended since; a new file (another inode, or other bytes before where it
 * stopped, should a new file get the same inode number) is read whole.
 *
 * <p>A stopped subhost keeps its entry, marked stopped: its BASE is still a subhost's, and
 * a directory that holds it and other subhosts' trees is still one that only subhosts' trees
 * are in. An entry goes when its BASE no longer exists: each registration looks at a few
 * stopped entries' BASEs (more while it finds ones gone) and appends a line that forgets
 * each gone one. When the lines that no longer say anything outnumber the entries, the
 * registration compacts the journal: a new file of one line per entry, renamed over the
 * old one, after a look at every stopped entry's BASE. Both costs are paid for by the lines
 * written since the last compaction, so that each write costs the same on average however
 * many subhosts the index knows.
 *
 * <p>Also the subhosts that {@code /etc/subhosts.conf} lists ({@link #listed()}), which may
 * not have booted yet: their files are read for their paths, without running their
 * {@code !} commands.
 *
 * <p>Trust: the index lives in the state directory (root's alone, mode 0700), and is
 * believed (read or appended to) only when it is a regular file of ours that no one else
 * may write, as the records are ({@link StateStore}).
 */
final class TreeIndex {
    /** The index's file name in the state directory. */
    static final String FILE = ".trees.journal";
    /**
     * The index as versions before the journal kept it, one line per subhost rewritten
     * whole: read while there is no journal, and taken into it by the first write. A new
     * name, so that an older version that still runs beside this one (it would take a
     * stop's line for a subhost of its own, and keep the subhost active) never reads the
     * journal.
     */
    static final String LEGACY = ".trees";
    private static final String LOCK = ".trees.lock";
    private static final String HEADER = "# subhost trees (docs/architecture.md), next=";
    private static final String KEPT = " kept=";
    /** The most an index may be: 64 MiB, some 200000 subhosts. */
    private static final long LIMIT = 64L << 20;
    /** Lines beyond one per entry that the journal may hold before it is compacted. */
    private static final int SLACK = 64;
    /** How many stopped entries' BASEs a registration looks at, and again while it finds gone ones. */
    private static final int PRUNE_BATCH = 4;
    /** The most BASEs one registration looks at. */
    private static final int PRUNE_MOST = 64;
    /** What each JVM replayed of each index it read, by the index's path. */
    private static final java.util.Map<Path, Replay> REPLAYS = new java.util.HashMap<>();
    /** How many bytes before where a JVM stopped reading it compares, to know the file again. */
    private static final int SEEN = 64;

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
     * @param kept how many stopped entries the last compaction kept
     */
    record Snapshot(long next, List<SubhostTrees> entries, long kept) {
        /** Copies the list. */
        Snapshot {
            entries = List.copyOf(entries);
        }

        /** An index that has never been compacted. */
        Snapshot(long next, List<SubhostTrees> entries) {
            this(next, entries, 0);
        }

        /** {@return the entry of {@code name}, if any} */
        Optional<SubhostTrees> get(String name) {
            int at = indexOf(name);
            return at < 0 ? Optional.empty() : Optional.of(entries.get(at));
        }

        /**
         * {@return the entry of {@code name}, if any} looked for from the last entry back: a
         * registration's, which goes last, is found at once. Of an index's snapshot, whose
         * NAMEs are each once in it, the same as {@link #get}.
         */
        Optional<SubhostTrees> registered(String name) {
            int hash = name.hashCode();
            for (int i = entries.size() - 1; i >= 0; i--) {
                String other = entries.get(i).name();
                if (other.hashCode() == hash && other.equals(name)) {
                    return Optional.of(entries.get(i));
                }
            }
            return Optional.empty();
        }

        /** {@return every entry but that of {@code name}} */
        List<SubhostTrees> others(String name) {
            // A plain loop and a copy: every boot asks this of thousands of entries.
            int at = indexOf(name);
            if (at < 0) {
                return entries;
            }
            List<SubhostTrees> out = new ArrayList<>(entries.size() - 1);
            out.addAll(entries.subList(0, at));
            int hash = name.hashCode();
            for (int i = at + 1; i < entries.size(); i++) {
                String other = entries.get(i).name();
                if (other.hashCode() != hash || !other.equals(name)) {
                    out.add(entries.get(i));
                }
            }
            return out;
        }

        /** The position of the first entry of {@code name}, -1 when none. */
        private int indexOf(String name) {
            // By the hash first, which each String keeps once worked out: most names differ in it.
            int hash = name.hashCode();
            for (int i = 0; i < entries.size(); i++) {
                String other = entries.get(i).name();
                if (other.hashCode() == hash && other.equals(name)) {
                    return i;
                }
            }
            return -1;
        }
    }

    /**
     * The journal replayed up to {@code offset}, the end of its last whole line read, of the
     * file with {@code device} and {@code inode}: what a JVM keeps between reads. Changed
     * only under {@link #REPLAYS}' monitor, or by a writer that holds the lock.
     */
    private static final class Replay {
        final long device;
        final long inode;
        /** Whether it is the legacy index's ({@link #LEGACY}), read as a journal of one line per entry. */
        boolean legacy;
        String header;
        long offset;
        /** The last bytes before {@link #offset} (at most {@link #SEEN}). */
        byte[] seen = new byte[0];
        long next = 1;
        long kept;
        /** The lines replayed, the first one aside: one per entry after a compaction, and its carry's. */
        long lines;
        /** Of those, the carries' lines ({@link SubhostTrees#carryLine}): one per boot, never due a compaction. */
        long carries;
        final java.util.LinkedHashMap<String, SubhostTrees> entries = new java.util.LinkedHashMap<>();
        /** What a plan reads of {@link #entries}, changed with it ({@link #put}, {@link #remove}). */
        final Hiding.Groups groups = new Hiding.Groups();
        /** What a carry and a registration read of {@link #entries}, changed with it. */
        final Marks marks = new Marks();
        private Snapshot snapshot;

        Replay(long device, long inode) {
            this.device = device;
            this.inode = inode;
        }

        /** Keeps the last bytes before the offset, of the {@code end} bytes of {@code bytes} just read up to it. */
        void remember(byte[] bytes, int end) {
            if (end >= SEEN) {
                seen = java.util.Arrays.copyOfRange(bytes, end - SEEN, end);
            } else if (end > 0) {
                byte[] more = java.util.Arrays.copyOf(seen, Math.min(SEEN, seen.length + end));
                int keep = more.length - end;
                System.arraycopy(seen, seen.length - keep, more, 0, keep);
                System.arraycopy(bytes, 0, more, keep, end);
                seen = more;
            }
        }

        /** Applies one line (see the class comment for what each says). */
        void apply(String line) {
            if (line.startsWith(HEADER)) {
                String rest = line.substring(HEADER.length()).strip();
                int k = rest.indexOf(KEPT.strip());
                next = Math.max(next, Long.parseLong((k < 0 ? rest : rest.substring(0, k)).strip()));
                kept = k < 0 ? 0 : Long.parseLong(rest.substring(k + KEPT.strip().length()).strip());
                return;
            }
            SubhostTrees e = SubhostTrees.parse(line);
            lines++;
            snapshot = null;
            SubhostTrees now = entries.get(e.name());
            if (e.trees().isEmpty() && e.phase() == SubhostTrees.Phase.ACTIVE) {
                // How far NAME's carry read: never below its own number (a line of an
                // earlier boot of the NAME, should one come after its next registration,
                // says nothing of that one).
                carries++;
                if (now != null && now.active() && e.seq() >= now.seq()) {
                    SubhostTrees carried = now.carried(e.seq());
                    if (!e.hiddenWhole().isEmpty()) {
                        // The directories its carry hid whole, with those its registration did.
                        // A loop, not a lambda: the start-up cache may not hold one made for it.
                        List<Path> whole = new ArrayList<>(now.hiddenWhole());
                        for (Path p : e.hiddenWhole()) {
                            if (!whole.contains(p)) {
                                whole.add(p);
                            }
                        }
                        carried = carried.hidingWhole(whole);
                    }
                    put(carried);
                }
                return;
            }
            if (e.trees().isEmpty()) {
                // A change of phase: stopped, or forgotten (listed, if anything, once more).
                if (now != null && (e.seq() == 0 || e.seq() == now.seq())) {
                    if (e.phase() == SubhostTrees.Phase.LISTED) {
                        remove(e.name());
                    } else {
                        put(now.with(now.seq(), e.phase()));
                    }
                }
                return;
            }
            if (now != null && now.seq() != e.seq()) {
                remove(e.name()); // registered again: it goes last, as registered
            }
            put(e);
            next = Math.max(next, e.seq() + 1);
        }

        /** Puts {@code e} in place of its NAME's entry (or last), and in {@link #groups} and {@link #marks} instead. */
        void put(SubhostTrees e) {
            SubhostTrees before = entries.put(e.name(), e);
            // What the groups count is a function of the trees and the phase alone: a carry's
            // line (the same trees, as the same list) changes nothing there.
            if (before == null || before.trees() != e.trees() || before.phase() != e.phase()) {
                if (before != null) {
                    groups.remove(before);
                }
                groups.add(e);
            }
            marks.put(before, e);
        }

        /** Takes the entry of {@code name} out, of {@link #groups} and {@link #marks} too. */
        void remove(String name) {
            SubhostTrees before = entries.remove(name);
            if (before != null) {
                groups.remove(before);
                marks.remove(before);
            }
        }

        Snapshot snapshot() {
            if (snapshot == null) {
                snapshot = new Snapshot(next, List.copyOf(entries.values()), kept);
            }
            return snapshot;
        }
    }

    /**
     * The entries of a replay ({@link Replay#entries}) as a carry and a registration look
     * them up, kept as each line is replayed, so that what a boot's look costs grows with
     * what it finds, not with every subhost the index holds: each entry's place in the
     * entries' order (the order of a {@link Snapshot}), the entries by how far their boot
     * reaches ({@link #late}), the active ones by the directories they hide whole ({@link
     * #uncovered}), and the stopped ones ({@link #stopped}). Guarded as its replay is.
     *
     * <p>Here and in what reads it, plain loops stand in for streams and lambdas: each boot
     * runs them, and a boot's code runs in the interpreter until the JIT has seen it often.
     */
    static final class Marks {
        /** Each NAME's place: taken when its entry is put first, kept while it is replaced in place. */
        private final java.util.HashMap<String, Long> places = new java.util.HashMap<>();
        private long nextPlace;
        /** The entries by {@link #reach}, each such set by place. */
        private final java.util.TreeMap<Long, java.util.TreeMap<Long, SubhostTrees>> byReach =
                new java.util.TreeMap<>();
        /** The active entries by {@link SubhostTrees#hiddenWhole()}, each such set by place. */
        private final java.util.HashMap<List<Path>, java.util.TreeMap<Long, SubhostTrees>> activeByWhole =
                new java.util.HashMap<>();
        /** The stopped entries by place, and their places, in the same order: a registration reads them by position. */
        private final List<SubhostTrees> stopped = new ArrayList<>();
        private final List<Long> stoppedPlaces = new ArrayList<>();

        /** Marks {@code e} in place of {@code before}, the entry of its NAME until now (null: none). */
        void put(SubhostTrees before, SubhostTrees e) {
            Long place;
            if (before == null) {
                place = nextPlace++;
                places.put(e.name(), place);
            } else {
                place = places.get(e.name());
                unmark(before, place);
            }
            mark(e, place);
        }

        /** Takes {@code before}, the entry of its NAME, out. */
        void remove(SubhostTrees before) {
            unmark(before, places.remove(before.name()));
        }

        /**
         * How far the boot of {@code e} reaches: its number less one, or the number up to
         * which its carry read if that is more. So a carry of an entry numbered {@code s}
         * hides in its subhost those whose reach is at least {@code s} ({@link
         * Hiding.Carry#hiddenByItsOwnBoot}: numbered above {@code s}, or carried to {@code s}).
         */
        private static long reach(SubhostTrees e) {
            return Math.max(e.seq() - 1, e.carried());
        }

        private void mark(SubhostTrees e, Long place) {
            mark(byReach, reach(e), place, e);
            if (e.active()) {
                mark(activeByWhole, e.hiddenWhole(), place, e);
            } else if (e.phase() == SubhostTrees.Phase.STOPPED) {
                int at = java.util.Collections.binarySearch(stoppedPlaces, place);
                stopped.add(-at - 1, e);
                stoppedPlaces.add(-at - 1, place);
            }
        }

        private void unmark(SubhostTrees e, Long place) {
            unmark(byReach, reach(e), place);
            if (e.active()) {
                unmark(activeByWhole, e.hiddenWhole(), place);
            } else if (e.phase() == SubhostTrees.Phase.STOPPED) {
                int at = java.util.Collections.binarySearch(stoppedPlaces, place);
                stopped.remove(at);
                stoppedPlaces.remove(at);
            }
        }

        private static <K> void mark(Map<K, java.util.TreeMap<Long, SubhostTrees>> sets, K key, Long place,
                SubhostTrees e) {
            // Not computeIfAbsent with a lambda: the first boots of a JVM would pay for making its class.
            java.util.TreeMap<Long, SubhostTrees> set = sets.get(key);
            if (set == null) {
                set = new java.util.TreeMap<>();
                sets.put(key, set);
            }
            set.put(place, e);
        }

        private static <K> void unmark(Map<K, java.util.TreeMap<Long, SubhostTrees>> sets, K key,
                Long place) {
            java.util.TreeMap<Long, SubhostTrees> set = sets.get(key);
            set.remove(place);
            if (set.isEmpty()) {
                sets.remove(key);
            }
        }

        /**
         * The entries other than {@code self}'s NAME that a carry of {@code self} hides in
         * its subhost ({@link Hiding.Carry.Work#late}): numbered above it, or carried to at
         * least its number; in the entries' order.
         */
        List<SubhostTrees> late(SubhostTrees self) {
            java.util.TreeMap<Long, SubhostTrees> found = new java.util.TreeMap<>();
            for (java.util.TreeMap<Long, SubhostTrees> same : byReach.tailMap(self.seq(), true).values()) {
                addOthers(same, self.name(), found);
            }
            return new ArrayList<>(found.values());
        }

        /**
         * The active entries other than {@code self}'s NAME that do not hide every path of
         * {@link SubhostTrees#hidden() self's} whole (in a directory they hide whole): those a
         * carry of {@code self} may owe its trees; in the entries' order. It looks at each set
         * of directories hidden whole once, and then only at the entries of the sets that do not.
         */
        List<SubhostTrees> uncovered(SubhostTrees self) {
            List<Path> mine = self.hidden();
            java.util.TreeMap<Long, SubhostTrees> found = new java.util.TreeMap<>();
            for (Map.Entry<List<Path>, java.util.TreeMap<Long, SubhostTrees>> set : activeByWhole.entrySet()) {
                if (!covers(set.getKey(), mine)) {
                    addOthers(set.getValue(), self.name(), found);
                }
            }
            return new ArrayList<>(found.values());
        }

        /** Whether each of {@code mine} lies in one of {@code whole}. */
        static boolean covers(List<Path> whole, List<Path> mine) {
            for (Path p : mine) {
                boolean in = false;
                for (Path dir : whole) {
                    if (p.startsWith(dir)) {
                        in = true;
                        break;
                    }
                }
                if (!in) {
                    return false;
                }
            }
            return true;
        }

        private static void addOthers(java.util.TreeMap<Long, SubhostTrees> from, String name,
                java.util.TreeMap<Long, SubhostTrees> to) {
            for (Map.Entry<Long, SubhostTrees> e : from.entrySet()) {
                if (!e.getValue().name().equals(name)) {
                    to.put(e.getKey(), e.getValue());
                }
            }
        }

        /** {@return the stopped entries, in the entries' order: a view, read while they do not change} */
        List<SubhostTrees> stopped() {
            return java.util.Collections.unmodifiableList(stopped);
        }
    }

    /**
     * Reads the index, without a lock: only whole lines are used, and what this JVM read
     * of the same file before is not read again.
     *
     * @return the index; empty when there is none yet
     * @throws IOException when it cannot be read or cannot be trusted
     */
    Snapshot read() throws IOException {
        synchronized (REPLAYS) {
            return replay().snapshot();
        }
    }

    /**
     * The names that the trees of the index's entries (any phase, LOWER aside) have in each
     * of {@code dirs}: what {@link Hiding.Carry#wholeNow} counts as known there, from what
     * this JVM keeps grouped by directory ({@link Hiding.Groups}), without a lock.
     *
     * @return a map of its own: each of {@code dirs} to a set of its own
     */
    Map<Path, Set<String>> namesIn(List<Path> dirs) throws IOException {
        Map<Path, Set<String>> out = new java.util.HashMap<>();
        synchronized (REPLAYS) {
            Replay replay = replay();
            for (Path dir : dirs) {
                out.put(dir, replay.groups.namesIn(dir));
            }
        }
        return out;
    }

    /** The stopped entries as a registration looks at them for a BASE gone ({@link Marks#stopped}); for tests. */
    List<SubhostTrees> stoppedEntries() throws IOException {
        synchronized (REPLAYS) {
            return List.copyOf(replay().marks.stopped());
        }
    }

    /** Forgets what this JVM replayed of every index: the next read is a new JVM's. */
    static void forgetReplays() {
        synchronized (REPLAYS) {
            REPLAYS.clear();
        }
    }

    /**
     * The journal replayed to its last whole line. What it returns changes as later reads
     * of this JVM replay more: a caller that holds the index's lock (no line can come) or
     * {@link #REPLAYS}' monitor uses it as it is.
     */
    private Replay replay() throws IOException {
        return replay(root.resolve(FILE), true);
    }

    /** The journal replayed, as {@link #replay()}; without one, the legacy index (else none). */
    private Replay replay(Path file, boolean journal) throws IOException {
        int fd;
        try {
            fd = Fds.open(file.toString(), Fds.O_RDONLY | Fds.O_NOFOLLOW | Fds.O_NONBLOCK | Fds.O_CLOEXEC);
        } catch (SyscallException e) {
            if (e.is(Errno.ENOENT)) {
                synchronized (REPLAYS) {
                    REPLAYS.remove(file);
                }
                return journal ? replay(root.resolve(LEGACY), false) : new Replay(0, 0);
            }
            throw new IOException(file + ": " + e.errnoText(), e);
        }
        try {
            FileStatus status = AtFiles.fstat(fd);
            trust(file, status);
            synchronized (REPLAYS) {
                Replay replay = REPLAYS.get(file);
                long device = ((long) status.deviceMajor() << 32) | status.deviceMinor();
                byte[] read = null;
                if (replay != null && replay.device == device && replay.inode == status.inode()
                        && status.size() >= replay.offset) {
                    // The bytes before where it stopped, to tell a file that took the same
                    // inode number: the same file holds them still, as it only grows.
                    long from = replay.offset - replay.seen.length;
                    read = Fds.pread(fd, (int) (status.size() - from), from);
                    if (!java.util.Arrays.equals(read, 0, replay.seen.length, replay.seen, 0, replay.seen.length)) {
                        read = null;
                    } else {
                        read = java.util.Arrays.copyOfRange(read, replay.seen.length, read.length);
                    }
                }
                if (read == null) {
                    replay = new Replay(device, status.inode());
                    replay.legacy = !journal;
                    REPLAYS.put(file, replay);
                    read = Fds.pread(fd, (int) status.size(), 0);
                }
                if (read.length > 0) {
                    try {
                        apply(file, read, replay);
                    } catch (IOException | RuntimeException e) {
                        REPLAYS.remove(file);
                        throw e;
                    }
                }
                return replay;
            }
        } finally {
            Descriptor.closeQuietly(fd);
        }
    }

    private static void trust(Path file, FileStatus status) throws IOException {
        if (!status.isRegularFile() || status.uid() != 0 && status.uid() != ourUid()
                || (status.permissions() & 0022) != 0) {
            throw new IOException(file + ": not a regular file of ours that only we may write; refused: remove it"
                    + " (it is made again at the next boot)");
        }
        if (status.size() > LIMIT) {
            throw new IOException(file + ": larger than the index can be (" + LIMIT + " bytes)");
        }
    }

    /** Applies every whole line of {@code bytes}, read from {@code replay.offset}. */
    private static void apply(Path file, byte[] bytes, Replay replay) throws IOException {
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] != '\n') {
            end--; // a line being written, or one whose write failed: not read
        }
        String text = new String(bytes, 0, end, StandardCharsets.UTF_8);
        int start = 0;
        while (start < text.length()) {
            int stop = text.indexOf('\n', start);
            String line = text.substring(start, stop);
            start = stop + 1;
            if (replay.header == null) {
                replay.header = line;
                if (!line.startsWith(HEADER)) {
                    throw new IOException(file + ":1: not the first line of the index; remove the file (it is"
                            + " made again at the next boot)");
                }
            }
            if (line.isEmpty()) {
                continue;
            }
            try {
                replay.apply(line);
            } catch (RuntimeException e) {
                throw new IOException(file + ":" + (replay.lines + 2) + ": not a line of the index (" + e.getMessage()
                        + "); remove the file (it is made again at the next boot)", e);
            }
        }
        replay.offset += end;
        replay.remember(bytes, end);
    }

    /**
     * Adds {@code entry} (active), replacing any entry of its NAME, with the next number, as
     * {@code finish} completes it from the index with it in (the directories it hides
     * whole, which later boots read): the one line of the index that a boot writes, with
     * lines that forget stopped subhosts whose BASE is gone, and now and then a compaction.
     *
     * @return the index with it, as it was written
     */
    Snapshot register(SubhostTrees entry, java.util.function.BiFunction<SubhostTrees, Snapshot, SubhostTrees> finish)
            throws IOException {
        return register(entry, (self, with, before, replaced) -> finish.apply(self, with.get()));
    }

    /**
     * What completes an entry as it is registered, from the index with it in ({@code with});
     * also given the index before, grouped as a plan reads it ({@code before}, to be read
     * only while the call lasts), and the entry that the new one replaces ({@code replaced}).
     */
    interface Finish {
        /** {@return {@code self} completed} ({@code with} made only when asked for) */
        SubhostTrees apply(SubhostTrees self, java.util.function.Supplier<Snapshot> with, Hiding.Groups before,
                Optional<SubhostTrees> replaced);
    }

    /** As {@link #register(SubhostTrees, java.util.function.BiFunction)}, with what {@link Finish} is given. */
    Snapshot register(SubhostTrees entry, Finish finish) throws IOException {
        return locked(() -> {
            Replay replay = journal();
            long next = replay.next;
            SubhostTrees numbered = entry.with(next, SubhostTrees.Phase.ACTIVE);
            // The replay stays as it is while the lock is held: every line is appended under
            // it, and only a holder compacts (a new replay, this one left as it was).
            SubhostTrees done = finish.apply(numbered, new With(replay, numbered), replay.groups,
                    Optional.ofNullable(replay.entries.get(entry.name())));
            StringBuilder lines = new StringBuilder();
            for (SubhostTrees gone : goneSome(replay.marks.stopped(), next)) {
                lines.append(new SubhostTrees(gone.name(), gone.seq(), SubhostTrees.Phase.LISTED, List.of(), List.of(),
                        List.of()).format()).append('\n');
            }
            lines.append(done.format()).append('\n');
            return appendAndCompact(lines.toString(), next);
        });
    }

    /**
     * The index with {@code numbered} in it, in place of any entry of its NAME, made when a
     * registration's {@link Finish} asks for it (the Register step does not): a class, not a
     * lambda, as {@link CarryLine} is.
     */
    private static final class With implements java.util.function.Supplier<Snapshot> {
        private final Replay replay;
        private final SubhostTrees numbered;

        With(Replay replay, SubhostTrees numbered) {
            this.replay = replay;
            this.numbered = numbered;
        }

        @Override
        public Snapshot get() {
            Snapshot snapshot = replay.snapshot();
            List<SubhostTrees> all = new ArrayList<>(snapshot.others(numbered.name()));
            all.add(numbered);
            return new Snapshot(numbered.seq() + 1, all, snapshot.kept());
        }
    }

    /**
     * Replaces the entry of {@code name} with what {@code change} makes of it; nothing when
     * there is none.
     *
     * @return the index as it was written
     */
    Snapshot update(String name, UnaryOperator<SubhostTrees> change) throws IOException {
        return locked(() -> {
            Snapshot snapshot = journal().snapshot();
            Optional<SubhostTrees> now = snapshot.get(name);
            if (now.isEmpty()) {
                return snapshot;
            }
            return appendAndCompact(change.apply(now.get()).format() + "\n", snapshot.next());
        });
    }

    /**
     * What the carry of a boot ({@link Hiding.Carry}) hides in its subhost, {@code name}
     * numbered {@code seq}, and how far that reaches, in one step under the index's lock:
     * reads the index, and appends a line that says the number of the last registration it
     * read ({@link SubhostTrees#carryLine}), so that a later boot knows whether this
     * subhost's carry hides its trees or it must. Nothing is appended when the index has no
     * active entry of that number (stopped meanwhile).
     *
     * @return the index as read, before the line
     */
    Snapshot carry(String name, long seq) throws IOException {
        return carry(name, seq, List.of());
    }

    /**
     * As {@link #carry(String, long)}, with the line saying too that the carry hides the
     * directories {@code whole} whole ({@link SubhostTrees#carryLine(long, List)}): from
     * then on the entry of {@code name} hides them whole, as if its registration had.
     */
    Snapshot carry(String name, long seq, List<Path> whole) throws IOException {
        return locked(new CarryLine(name, seq, whole, null)).snapshot();
    }

    /**
     * As {@link #carry(String, long, List)} for the entry {@code self} as registered, and
     * what its carry hides of the index as read ({@link Reach}), looked up in what this JVM
     * keeps of the index ({@link Marks}) rather than in every entry.
     */
    Reach carry(SubhostTrees self, List<Path> whole) throws IOException {
        return locked(new CarryLine(self.name(), self.seq(), whole, self)).reach();
    }

    /**
     * What a carry of {@code self} finds in the index under its lock, before its line: what
     * {@link Hiding.Carry#work} decides from.
     *
     * @param late the entries (of any phase) other than {@code self}'s NAME numbered above
     *     it or carried to at least its number, in the index's order
     * @param uncovered the active entries other than {@code self}'s NAME that do not hide
     *     every path of {@code self}'s {@link SubhostTrees#hidden()} whole, in the index's order
     */
    record Reach(List<SubhostTrees> late, List<SubhostTrees> uncovered) {
        /** Copies the lists. */
        Reach {
            late = List.copyOf(late);
            uncovered = List.copyOf(uncovered);
        }
    }

    /** What a {@link CarryLine} read: the index, or a carry's {@link Reach} in it. */
    private record CarryRead(Snapshot snapshot, Reach reach) {}

    /**
     * {@link #carry}'s work under the lock: a class of its own, not a lambda, so that the
     * start-up cache holds it whatever the training's boot did (a lambda's class is made at
     * run time where the cache has none).
     */
    private final class CarryLine implements Work<CarryRead> {
        private final String name;
        private final long seq;
        private final List<Path> whole;
        /** The entry whose {@link Reach} is read; null: the index is. */
        private final SubhostTrees self;

        CarryLine(String name, long seq, List<Path> whole, SubhostTrees self) {
            this.name = name;
            this.seq = seq;
            this.whole = List.copyOf(whole);
            this.self = self;
        }

        @Override
        public CarryRead run() throws IOException {
            Replay replay = journal();
            CarryRead read = self == null ? new CarryRead(replay.snapshot(), null)
                    : new CarryRead(null, new Reach(replay.marks.late(self), replay.marks.uncovered(self)));
            SubhostTrees now = replay.entries.get(name);
            if (now != null && now.seq() == seq && now.active()) {
                // No compaction here, as after a stop: its line never makes one due, and
                // one due from others' lines is the next registration's to make.
                String line = now.carryLine(replay.next - 1, whole) + "\n";
                if (!append(line, false, 0)) {
                    compact(replay()); // its last line is not whole (a write that failed)
                    append(line, false, 0);
                }
            }
            return read;
        }
    }

    /**
     * Marks {@code name} stopped: its trees stay, as a subhost's (no longer hidden by
     * themselves). One line appended, nothing read: a stop costs the same whatever the
     * index holds.
     */
    void stopped(String name) throws IOException {
        String line = new SubhostTrees(name, 0, SubhostTrees.Phase.STOPPED, List.of(), List.of(), List.of()).format()
                + "\n";
        locked(() -> {
            if (replay().legacy) {
                journal();
            }
            if (!append(line, false, 0)) {
                // Its last line is not whole (a write that failed): a new file without it first.
                compact(replay());
                append(line, false, 0);
            }
            return null;
        });
    }

    /** Appends {@code lines} (and makes the file, numbering from {@code next}); compacts when it is due. */
    private Snapshot appendAndCompact(String lines, long next) throws IOException {
        if (!append(lines, true, next)) {
            compact(replay());
            append(lines, true, next);
        }
        Replay replay = replay();
        if (replay.lines - replay.carries - replay.entries.size() > replay.entries.size() + SLACK) {
            return compact(replay).snapshot();
        }
        return replay.snapshot();
    }

    /**
     * The journal replayed, made from the legacy index first when there is only that; the
     * caller holds the lock.
     */
    private Replay journal() throws IOException {
        Replay replay = replay();
        return replay.legacy ? compact(replay) : replay;
    }

    /**
     * Runs {@code work} under the index's lock: in this JVM, one thread at a time holds the
     * {@code flock} of {@code .trees.lock} ({@link GroupCommit}), and runs with its own work
     * the work of every thread of this JVM that came while the one before held it, each
     * piece as it would have run alone, one after the other. Another process still waits
     * for the {@code flock}, as before.
     */
    private <T> T locked(Work<T> work) throws IOException {
        return GroupCommit.of(root).run(work, this);
    }

    /**
     * Runs each of {@code batch} in turn under one {@code flock} of the lock file, each
     * one's result or failure its own; a lock that cannot be taken fails them all.
     */
    private void underFlock(List<Request<?>> batch) {
        int lock;
        try {
            lock = Fds.open(root.resolve(LOCK).toString(), Fds.O_RDWR | Fds.O_CREAT | Fds.O_NOFOLLOW | Fds.O_CLOEXEC,
                    StateStore.FILE_MODE);
        } catch (SyscallException e) {
            IOException failure = new IOException(root.resolve(LOCK) + ": " + e.errnoText(), e);
            for (Request<?> r : batch) {
                r.ran = true;
                r.failure = failure;
            }
            return;
        }
        try {
            try {
                Flock.flock(lock, Flock.LOCK_EX);
            } catch (SyscallException | RuntimeException | Error e) {
                for (Request<?> r : batch) {
                    r.ran = true;
                    r.failure = e;
                }
                return;
            }
            for (Request<?> r : batch) {
                r.runHere();
            }
            // Released before the close: a process forked meanwhile (a spawn from another
            // thread, until its exec) holds a copy of the descriptor, and with it the lock.
            unlockQuietly(lock);
        } finally {
            Descriptor.closeQuietly(lock);
        }
    }

    private static void unlockQuietly(int lock) {
        try {
            Flock.flock(lock, Flock.LOCK_UN);
        } catch (SyscallException e) {
            // The close releases it, once no copy of the descriptor is left.
        }
    }

    /**
     * One thread's work for the index's lock, and what came of it: set by the thread that
     * ran it, read by the caller once {@link #done} (both under {@link GroupCommit}'s mutex).
     */
    private static final class Request<T> {
        final Work<T> work;
        /** Signalled when it is done, or when its caller is to run the next batch. */
        final java.util.concurrent.locks.Condition ready;
        boolean done;
        /** Whether it ran, or failed before it could. */
        boolean ran;
        T result;
        Throwable failure;

        Request(Work<T> work, java.util.concurrent.locks.Condition ready) {
            this.work = work;
            this.ready = ready;
        }

        /** Runs the work on this thread; what it threw is kept for its caller alone. */
        void runHere() {
            ran = true;
            try {
                result = work.run();
            } catch (IOException | RuntimeException | Error e) {
                failure = e;
            }
        }

        /** {@return the work's result} or throws what it threw, on the caller's thread */
        T outcome() throws IOException {
            // Tests of the type, not a switch on it: a pattern switch makes a class at run
            // time, which the start-up cache cannot hold.
            if (failure == null) {
                return result;
            } else if (failure instanceof IOException e) {
                throw e;
            } else if (failure instanceof RuntimeException e) {
                throw e;
            } else if (failure instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(failure);
        }
    }

    /**
     * The index's lock within one JVM, per state directory: a group commit. A thread queues
     * its work; when no thread of this JVM runs a batch, it takes every queued piece (its own
     * among them) and runs them in the order queued under one {@code flock}
     * ({@link #underFlock}); the others park meanwhile (a virtual thread frees its carrier),
     * and the first one still queued after a batch runs the next. So with thousands of boots
     * at once, one thread of this JVM waits in {@code flock(2)} rather than each, and a
     * hold serves many: the lines each writes, their order, and what each reads, are those
     * of the same works run one after the other, each under a lock of its own.
     */
    private static final class GroupCommit {
        private static final java.util.concurrent.ConcurrentHashMap<Path, GroupCommit> BY_ROOT =
                new java.util.concurrent.ConcurrentHashMap<>();

        private final java.util.concurrent.locks.ReentrantLock mutex =
                new java.util.concurrent.locks.ReentrantLock();
        private final java.util.ArrayDeque<Request<?>> queued = new java.util.ArrayDeque<>();
        /** Whether a thread runs a batch now. */
        private boolean running;

        /** {@return the group commit of the index in {@code root}} */
        static GroupCommit of(Path root) {
            GroupCommit known = BY_ROOT.get(root);
            if (known != null) {
                return known;
            }
            GroupCommit made = new GroupCommit();
            known = BY_ROOT.putIfAbsent(root, made);
            return known == null ? made : known;
        }

        /** Runs {@code work} in a batch of {@code index}'s, on this thread or another; {@return its result} */
        <T> T run(Work<T> work, TreeIndex index) throws IOException {
            Request<T> mine = new Request<>(work, mutex.newCondition());
            List<Request<?>> batch;
            mutex.lock();
            try {
                queued.add(mine);
                while (running && !mine.done) {
                    mine.ready.awaitUninterruptibly();
                }
                if (mine.done) {
                    return mine.outcome();
                }
                running = true;
                batch = new ArrayList<>(queued);
                queued.clear();
            } finally {
                mutex.unlock();
            }
            try {
                index.underFlock(batch);
            } catch (RuntimeException | Error e) {
                for (Request<?> r : batch) {
                    if (!r.ran) {
                        r.failure = e; // not run: none of them is left without an answer
                    }
                }
            } finally {
                mutex.lock();
                try {
                    running = false;
                    for (Request<?> r : batch) {
                        if (r != mine) {
                            r.done = true;
                            r.ready.signal();
                        }
                    }
                    Request<?> next = queued.peekFirst();
                    if (next != null) {
                        next.ready.signal(); // it runs the next batch
                    }
                } finally {
                    mutex.unlock();
                }
            }
            return mine.outcome();
        }
    }

    /** What runs under the index's lock. */
    private interface Work<T> {
        T run() throws IOException;
    }

    /**
     * The stopped entries whose BASE is gone, of a few of {@code stopped} (the index's, in
     * its order; {@code next}, its next number) looked at: {@link #PRUNE_BATCH} from
     * a place that moves with each registration's number, and as many again while the last
     * few had gone ones, at most {@link #PRUNE_MOST}. A look that finds one gone pays for
     * itself (the entry is no longer read), so that what looking costs stays a few stats
     * per registration.
     */
    private static List<SubhostTrees> goneSome(List<SubhostTrees> stopped, long next) {
        List<SubhostTrees> gone = new ArrayList<>();
        int most = Math.min(stopped.size(), PRUNE_MOST);
        // Each registration starts where the one before began plus a batch: in turn, they look at all.
        int start = stopped.isEmpty() ? 0 : (int) (next * PRUNE_BATCH % stopped.size());
        int looked = 0;
        boolean more = true;
        while (more && looked < most) {
            int found = 0;
            for (int i = 0; i < PRUNE_BATCH && looked < most; i++, looked++) {
                SubhostTrees e = stopped.get((start + looked) % stopped.size());
                if (!baseExists(e)) {
                    gone.add(e);
                    found++;
                }
            }
            more = found > 0;
        }
        return gone;
    }

    private static boolean baseExists(SubhostTrees e) {
        Optional<Path> base = e.path(SubhostTrees.Role.BASE);
        return base.isPresent() && Files.isDirectory(base.get());
    }

    /**
     * Appends {@code lines} in one write, when the file ends with a whole line; makes the
     * file (its first line numbering from {@code next}) when {@code create} and there is
     * none.
     *
     * @return false when the file's last line is not whole: the caller compacts first
     */
    private boolean append(String lines, boolean create, long next) throws IOException {
        Path file = root.resolve(FILE);
        int fd;
        try {
            fd = Fds.open(file.toString(), Fds.O_RDWR | Fds.O_APPEND | Fds.O_NOFOLLOW | Fds.O_NONBLOCK | Fds.O_CLOEXEC
                    | (create ? Fds.O_CREAT : 0), StateStore.FILE_MODE);
        } catch (SyscallException e) {
            if (e.is(Errno.ENOENT) && !create) {
                return true; // no index: nothing to mark
            }
            throw new IOException(file + ": " + e.errnoText(), e);
        }
        try {
            FileStatus status = AtFiles.fstat(fd);
            if (status.size() == 0 && status.isRegularFile() && status.uid() == ourUid()) {
                AtFiles.fchmod(fd, StateStore.FILE_MODE);
                status = AtFiles.fstat(fd);
            }
            trust(file, status);
            if (status.size() > 0 && Fds.pread(fd, 1, status.size() - 1)[0] != '\n') {
                return false;
            }
            String text = status.size() == 0 ? header(next, 0) + lines : lines;
            writeAll(fd, text.getBytes(StandardCharsets.UTF_8));
            return true;
        } finally {
            Descriptor.closeQuietly(fd);
        }
    }

    private static String header(long next, long kept) {
        return HEADER + next + KEPT + kept + "\n";
    }

    private static void writeAll(int fd, byte[] bytes) throws IOException {
        int done = 0;
        while (done < bytes.length) {
            done += Fds.write(fd, done == 0 ? bytes : java.util.Arrays.copyOfRange(bytes, done, bytes.length));
        }
    }

    /**
     * Writes the index anew, one line per entry, without the stopped ones whose BASE is gone
     * (a stat each), to a new file renamed over the old one; the caller holds the lock.
     *
     * @return the new file replayed (what this JVM keeps of it)
     */
    private Replay compact(Replay from) throws IOException {
        List<SubhostTrees> kept = new ArrayList<>();
        long stopped = 0;
        for (SubhostTrees e : from.entries.values()) {
            if (e.active() || baseExists(e)) {
                // As a reader of the new file has it: a stopped entry's carry is not written.
                kept.add(e.active() ? e : e.carried(SubhostTrees.NOT_KNOWN));
                stopped += e.active() ? 0 : 1;
            }
        }
        String head = header(from.next, stopped);
        StringBuilder text = new StringBuilder(head);
        long carries = 0;
        for (SubhostTrees e : kept) {
            text.append(e.format()).append('\n');
            if (e.active() && e.carried() != SubhostTrees.NOT_KNOWN) {
                text.append(e.carryLine(e.carried())).append('\n');
                carries++;
            }
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        Path file = root.resolve(FILE);
        Path tmp = root.resolve(FILE + ".tmp");
        Files.deleteIfExists(tmp);
        int fd;
        try {
            fd = Fds.open(tmp.toString(), Fds.O_WRONLY | Fds.O_CREAT | Fds.O_EXCL | Fds.O_NOFOLLOW | Fds.O_CLOEXEC,
                    StateStore.FILE_MODE);
        } catch (SyscallException e) {
            throw new IOException(tmp + ": " + e.errnoText(), e);
        }
        Replay replay;
        try {
            AtFiles.fchmod(fd, StateStore.FILE_MODE);
            writeAll(fd, bytes);
            FileStatus status = AtFiles.fstat(fd);
            replay = new Replay(((long) status.deviceMajor() << 32) | status.deviceMinor(), status.inode());
        } finally {
            Descriptor.closeQuietly(fd);
        }
        try {
            AtFiles.renameat(org.subhost.linux.Mounts.AT_FDCWD, tmp.toString(), org.subhost.linux.Mounts.AT_FDCWD,
                    file.toString());
        } catch (SyscallException e) {
            throw new IOException("rename " + tmp + ": " + e.errnoText(), e);
        }
        // What was written, as this JVM knows it already: not parsed again.
        replay.header = head.substring(0, head.length() - 1);
        replay.offset = bytes.length;
        replay.remember(bytes, bytes.length);
        replay.next = from.next;
        replay.kept = stopped;
        replay.lines = kept.size() + carries;
        replay.carries = carries;
        for (SubhostTrees e : kept) {
            replay.put(e); // a loop, not a method reference: the start-up cache may not hold a compaction's
        }
        synchronized (REPLAYS) {
            REPLAYS.put(file, replay);
        }
        return replay;
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
        if (!Files.exists(list.get())) {
            return List.of(); // the usual case, without the exception of a read that fails
        }
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
            // What of it is there before its line is: what every later plan and carry finds.
            List<Path> missing = Hiding.Known.missing(planned.hidden());
            Snapshot snapshot = index.register(planned.withLowerDevice(), (self, with, before, replaced) -> {
                // The plan of Hiding.plan(self, Known.others(...), ...), from the index as
                // grouped already: what it costs does not grow with the subhosts registered.
                // The directories listed once and then followed by inotify (WatchedDirectories).
                plan[0] = Hiding.plan(self, before, replaced, listed, index.root(), hide, WatchedDirectories.HOST);
                return self.hidingWhole(plan[0].whole());
            });
            SubhostTrees self = snapshot.registered(planned.name()).orElseThrow();
            Hiding.Known k = new Hiding.Known(self, snapshot, listed, plan[0], missing);
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
        int known = uid;
        if (known < 0) {
            known = org.subhost.linux.Credentials.effectiveUid();
            uid = known;
        }
        return known;
    }

    /** Our uid once read (-1 before). */
    private static volatile int uid = -1;
}
