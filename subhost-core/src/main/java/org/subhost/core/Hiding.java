package org.subhost.core;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.subhost.config.Share;
import org.subhost.linux.AtFiles;
import org.subhost.linux.Errno;
import org.subhost.linux.Fds;
import org.subhost.linux.FileStatus;
import org.subhost.linux.Mounts;
import org.subhost.linux.NamespaceRequest;
import org.subhost.linux.NamespaceThread;
import org.subhost.linux.Namespaces;
import org.subhost.linux.Pidfd;
import org.subhost.linux.SyscallException;

/**
 * What a subhost must not see of the host: the BASE, LOG and state of every other subhost
 * (booting, running, or listed in {@code /etc/subhosts.conf}), the state directory, and the
 * paths its {@code HIDE=} names (docs/security.md, "What stays visible").
 *
 * <p>Example: with LOWER {@code /}, subhost {@code ex1} would read {@code /opt/mta/root},
 * the UPPER of subhost {@code mta}, through its lower layer. Its boot mounts an empty
 * read-only tmpfs (mode 000) on {@code /opt/mta} inside {@code ex1}, and binds the null
 * device, read-only and nodev, on a file such as {@code /tmp/oly-mta.log}; so the names
 * stay, their contents are gone.
 *
 * <p>A path is hidden where the subhost's root shows it: below LOWER on LOWER's own file
 * system (an overlay's layer never shows the mounts on it), and below the source of each
 * SHARE, at the share's target. A directory that holds nothing but subhosts' trees (BASEs
 * and LOGs) is hidden whole: one mount, and a subhost booted there later is hidden in it
 * already. Otherwise each path is hidden by itself, and a subhost that boots later
 * carries its own paths into each running subhost that shows them ({@link Carry}), the
 * way {@code overlay-share} reaches into a running subhost: that costs a mount namespace
 * entered per such subhost whose own boot had read the index before this one registered.
 *
 * <p>Hides are mounts in the subhost's own mount namespace: at the default confinement
 * its root cannot unmount them (no CAP_SYS_ADMIN); at {@code CAPABILITIES=admin} it can.
 */
final class Hiding {
    /** tmpfs's magic number in statfs(2)'s f_type. */
    private static final long TMPFS_MAGIC = 0x01021994L;
    /** The hide of a directory: an empty tmpfs, mode 000, read-only, as small as tmpfs goes. */
    private static final List<String> EMPTY_TMPFS = List.of("mode=000", "size=4k", "nr_inodes=2");
    private static final long HIDE_ATTRIBUTES = Mounts.MOUNT_ATTR_RDONLY | Mounts.MOUNT_ATTR_NODEV
            | Mounts.MOUNT_ATTR_NOSUID | Mounts.MOUNT_ATTR_NOEXEC;

    private Hiding() {}

    /**
     * What a boot knows of the other subhosts after it registered its own trees ({@link
     * TreeIndex.Register}), and what it hides of them.
     *
     * @param self this subhost's entry, as registered (with its number)
     * @param index the index with this subhost in it
     * @param listed the subhosts that the list file names, read for their paths
     * @param plan what this subhost hides; null for a live share, which plans its own
     * @param missing the paths of {@code self}'s {@link SubhostTrees#hidden()} that were not
     *     there when it registered (its LOG, say, which the boot makes): others' plans and
     *     carries that read the index before they were made may have found nothing to hide
     */
    record Known(SubhostTrees self, TreeIndex.Snapshot index, List<SubhostTrees> listed, Plan plan,
            List<Path> missing) {
        /** Copies the lists. */
        Known {
            listed = List.copyOf(listed);
            missing = List.copyOf(missing);
        }

        /** What a live share knows: no boot, so no paths it made. */
        Known(SubhostTrees self, TreeIndex.Snapshot index, List<SubhostTrees> listed, Plan plan) {
            this(self, index, listed, plan, List.of());
        }

        /** The paths of {@code hidden} that are not there now (a symbolic link counts as there). */
        static List<Path> missing(List<Path> hidden) {
            List<Path> out = new ArrayList<>(0);
            for (Path p : hidden) {
                if (!java.nio.file.Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                    out.add(p);
                }
            }
            return List.copyOf(out);
        }

        /** Every other subhost: those of the index (any phase), then the listed ones. */
        List<SubhostTrees> others() {
            return others(self.name(), index, listed);
        }

        /** Every subhost but {@code name}: those of {@code index} (any phase), then those {@code listed}. */
        static List<SubhostTrees> others(String name, TreeIndex.Snapshot index, List<SubhostTrees> listed) {
            List<SubhostTrees> out = new ArrayList<>(index.others(name));
            listed.stream().filter(l -> !l.name().equals(name)).forEach(out::add);
            return out;
        }

        /**
         * What subhosts write, for the check of SHARE sources: this one's trees and shares,
         * and those of every other one that boots or runs, or is listed.
         */
        List<SubhostTrees.Written> written() {
            List<SubhostTrees.Written> out = new ArrayList<>(self.written());
            for (SubhostTrees other : index.others(self.name())) {
                if (other.active()) {
                    out.addAll(other.written());
                }
            }
            listed.stream().filter(l -> !l.name().equals(self.name())).forEach(l -> out.addAll(l.written()));
            return out;
        }
    }

    /**
     * What of the host a subhost's root shows: the host directory that its {@code /} shows
     * (LOWER of an overlay, UPPER of a bind, LIVE itself), without the mounts on it, and
     * the sources of its shares, with theirs, at their targets.
     *
     * @param root the directory {@code /} shows, with the device it is on (0: not known)
     * @param shares the shares
     */
    record View(Optional<SubhostTrees.Tree> root, List<Share> shares) {
        /** Copies the list. */
        View {
            shares = List.copyOf(shares);
        }

        /** The view of the subhost of {@code entry}. */
        static View of(SubhostTrees entry) {
            Optional<SubhostTrees.Tree> root = entry.lower();
            if (root.isEmpty()) {
                root = entry.path(SubhostTrees.Role.UPPER).or(() -> entry.path(SubhostTrees.Role.LIVE))
                        .map(p -> new SubhostTrees.Tree(SubhostTrees.Role.UPPER, p, 0));
            }
            return new View(root, entry.shares());
        }

        /** The same view through the shares only (a live share's new target, say). */
        View sharesOnly(List<Share> only) {
            return new View(Optional.empty(), only);
        }

        /**
         * The paths inside the subhost where {@code host} shows, {@code /} left out. With a
         * {@code devices} lookup, the root's path only when {@code host} lies on the root's
         * device (an overlay's layer stops at mounts), or when either is not known; without
         * one (null), wherever it lies below the root.
         */
        List<Path> images(Path host, Devices devices) {
            List<Path> out = new ArrayList<>(2);
            if (root.isPresent() && host.startsWith(root.get().path())) {
                long device = root.get().device();
                long hostDevice = devices == null || device == 0 ? 0 : devices.of(host);
                if (hostDevice == 0 || hostDevice == device) {
                    out.add(Path.of("/").resolve(root.get().path().relativize(host)));
                }
            }
            for (Share share : shares) {
                if (host.startsWith(share.hostPath())) {
                    out.add(share.subhostPath().resolve(share.hostPath().relativize(host)));
                }
            }
            out.removeIf(p -> p.getNameCount() == 0);
            return out;
        }
    }

    /**
     * The devices that host paths are on, each looked at once (stat's st_dev; 0 when it
     * cannot be read): a plan asks for the same few paths for every subhost it looks at.
     */
    static final class Devices {
        private final java.util.Map<Path, Long> known = new java.util.HashMap<>();

        long of(Path path) {
            return known.computeIfAbsent(path, SubhostTrees::device);
        }
    }

    /** The entries of a host directory, for the test of a directory that holds only subhosts' trees. */
    interface Lister {
        /**
         * The names of {@code dir}'s entries (a lister may stop after {@code most + 1}:
         * more than {@code most} known ones means some are not); empty when it cannot be read.
         */
        Optional<List<String>> names(Path dir, int most);

        /** Whether {@code path} is a directory that holds {@code root}, {@code work} and {@code live}. */
        default boolean looksLikeBase(Path path) {
            return false;
        }

        /** The host's directories (read with java.io.File, which makes no Path of each entry). */
        Lister HOST = new Lister() {
            @Override
            public Optional<List<String>> names(Path dir, int most) {
                String[] names = dir.toFile().list();
                return names == null ? Optional.empty() : Optional.of(java.util.Arrays.asList(names));
            }

            @Override
            public boolean looksLikeBase(Path path) {
                for (String layer : new String[] {"root", "work", "live"}) {
                    if (!java.nio.file.Files.isDirectory(path.resolve(layer), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                        return false;
                    }
                }
                return true;
            }
        };
    }

    /**
     * The host paths that {@code self} must not see, a pure function of the trees known (and
     * the directories that {@code lister} reads).
     *
     * @param whole paths hidden whole: directories that hold nothing but subhosts' trees,
     *     the state directory, HIDE
     * @param paths the other paths, each a tree of another subhost
     */
    record Plan(List<Path> whole, List<Path> paths) {
        /** Copies the lists. */
        Plan {
            whole = List.copyOf(whole);
            paths = List.copyOf(paths);
        }

        /** {@return every path, whole ones first} */
        List<Path> all() {
            List<Path> out = new ArrayList<>(whole);
            out.addAll(paths);
            return out;
        }
    }

    /**
     * Plans what {@code self} hides: each other subhost's {@link SubhostTrees#hidden()}
     * paths, grouped into their directory where that directory holds nothing but trees of
     * known subhosts ({@code self}'s own count), the state directory {@code stateRoot}, and
     * {@code hide}. A path that lies in another of the plan is left out.
     */
    static Plan plan(SubhostTrees self, List<SubhostTrees> others, Path stateRoot, List<Path> hide, Lister lister) {
        Map<Path, List<Path>> byParent = new LinkedHashMap<>();
        for (SubhostTrees s : others) {
            if (s.name().equals(self.name())) {
                continue;
            }
            for (Path p : Facts.of(s).hidden()) {
                Path parent = p.getParent();
                byParent.computeIfAbsent(parent == null ? p : parent, k -> new ArrayList<>()).add(p);
            }
        }
        // The directory of this subhost's own BASE too: when it holds nothing but subhosts'
        // trees, this subhost hides it whole, and a subhost booted there later is hidden in
        // it already, with no mount namespace to enter (its own BASE it does not need to see).
        for (Path p : self.hidden()) {
            Path parent = p.getParent();
            if (parent != null) {
                byParent.computeIfAbsent(parent, k -> new ArrayList<>());
            }
        }
        // The names that known trees have in each of those directories.
        Map<Path, Set<String>> known = new java.util.HashMap<>();
        for (Path dir : byParent.keySet()) {
            known.put(dir, new HashSet<>());
        }
        for (SubhostTrees s : others) {
            addKnown(Facts.of(s), known);
        }
        addKnown(Facts.of(self), known);
        List<Path> whole = new ArrayList<>();
        List<Path> paths = new ArrayList<>();
        for (Map.Entry<Path, List<Path>> group : byParent.entrySet()) {
            Path dir = group.getKey();
            if (dir.getParent() != null && holdsOnlyTrees(dir, known.get(dir), lister)) {
                whole.add(dir);
            } else {
                paths.addAll(group.getValue());
            }
        }
        whole.add(stateRoot);
        whole.addAll(hide);
        List<Path> keptWhole = outermost(whole, List.of());
        return new Plan(keptWhole, outermost(paths, keptWhole));
    }

    private static void addKnown(Facts facts, Map<Path, Set<String>> known) {
        for (int i = 0; i < facts.parents().size(); i++) {
            Set<String> names = known.get(facts.parents().get(i));
            if (names != null) {
                names.add(facts.names().get(i));
            }
        }
    }

    /**
     * The same plan as {@link #plan(SubhostTrees, List, Path, List, Lister)} with {@code
     * others} the entries of the index but {@code self}'s NAME, then the {@code listed} ones
     * but {@code self}'s NAME ({@link Known#others}), worked out from {@code index}, the
     * index's entries already grouped by directory ({@link Groups}, kept by the JVM as the
     * index changes), so that a boot costs what the directories it looks at hold, not a
     * pass over every subhost ever registered.
     *
     * @param indexed the index's entry of {@code self}'s NAME, if any (left out)
     */
    static Plan plan(SubhostTrees self, Groups index, Optional<SubhostTrees> indexed, List<SubhostTrees> listed,
            Path stateRoot, List<Path> hide, Lister lister) {
        // What differs from the index: the listed ones in, the index's own entry of this NAME out.
        Groups delta = new Groups();
        for (SubhostTrees l : listed) {
            if (!l.name().equals(self.name())) {
                delta.change(l, 1);
            }
        }
        indexed.ifPresent(e -> delta.change(e, -1));
        Set<Path> dirs = new java.util.LinkedHashSet<>();
        for (Path dir : index.hidden.keySet()) {
            if (!delta.totals.containsKey(dir)) {
                dirs.add(dir);
            }
        }
        for (Path dir : delta.totals.keySet()) {
            if (index.total(dir) + delta.total(dir) > 0) {
                dirs.add(dir);
            }
        }
        Facts mine = Facts.compute(self);
        for (Path p : self.hidden()) {
            Path parent = p.getParent();
            if (parent != null) {
                dirs.add(parent);
            }
        }
        List<Path> whole = new ArrayList<>();
        List<Path> paths = new ArrayList<>();
        for (Path dir : dirs) {
            if (dir.getParent() != null && holdsOnlyTrees(dir, index, delta, mine, lister)) {
                whole.add(dir);
                continue;
            }
            Map<Path, Integer> counted = index.hidden.getOrDefault(dir, Map.of());
            Map<Path, Integer> changed = delta.hidden.getOrDefault(dir, Map.of());
            for (Map.Entry<Path, Integer> p : counted.entrySet()) {
                if (p.getValue() + changed.getOrDefault(p.getKey(), 0) > 0) {
                    paths.add(p.getKey());
                }
            }
            for (Map.Entry<Path, Integer> p : changed.entrySet()) {
                if (!counted.containsKey(p.getKey()) && p.getValue() > 0) {
                    paths.add(p.getKey());
                }
            }
        }
        whole.add(stateRoot);
        whole.addAll(hide);
        List<Path> keptWhole = outermost(whole, List.of());
        return new Plan(keptWhole, outermost(paths, keptWhole));
    }

    /** {@link #holdsOnlyTrees(Path, Set, Lister)} with the names known in {@code dir} of the index, a delta and self. */
    private static boolean holdsOnlyTrees(Path dir, Groups index, Groups delta, Facts self, Lister lister) {
        Set<String> mine = new HashSet<>();
        for (int i = 0; i < self.parents().size(); i++) {
            if (self.parents().get(i).equals(dir)) {
                mine.add(self.names().get(i));
            }
        }
        Map<String, Integer> indexNames = index.names.getOrDefault(dir, Map.of());
        Map<String, Integer> deltaNames = delta.names.getOrDefault(dir, Map.of());
        java.util.function.Predicate<String> known = name -> mine.contains(name)
                || indexNames.getOrDefault(name, 0) + deltaNames.getOrDefault(name, 0) > 0;
        // How many names are known there, as the set of the plain plan would count them.
        int size = indexNames.size();
        Set<String> changed = new HashSet<>(deltaNames.keySet());
        changed.addAll(mine);
        for (String name : changed) {
            boolean before = indexNames.containsKey(name);
            boolean after = known.test(name);
            size += before == after ? 0 : after ? 1 : -1;
        }
        return holdsOnlyTrees(dir, known, size, lister);
    }

    /**
     * The {@link SubhostTrees#hidden()} paths and the names of the trees (LOWER aside) of a
     * set of index entries, counted by directory: what {@link #plan(SubhostTrees, Groups,
     * Optional, List, Path, List, Lister)} reads instead of every entry. The index's JVM
     * keeps one up to date as it replays lines ({@link TreeIndex}), each line changing the
     * counts of one entry. Not thread-safe: its owner guards it.
     */
    static final class Groups {
        /** By directory: each hidden path in it, with how many entries hide it. */
        private final Map<Path, Map<Path, Integer>> hidden = new java.util.HashMap<>();
        /** By directory: each name of a tree in it, with how many entries have a tree so named there. */
        private final Map<Path, Map<String, Integer>> names = new java.util.HashMap<>();
        /** By directory: how many hidden paths it holds, each as often as it is counted. */
        private final Map<Path, Integer> totals = new java.util.HashMap<>();

        /** Counts {@code entry} in. */
        void add(SubhostTrees entry) {
            change(entry, 1);
        }

        /** Counts {@code entry} out; it must have been counted in. */
        void remove(SubhostTrees entry) {
            change(entry, -1);
        }

        private void change(SubhostTrees entry, int by) {
            Facts facts = Facts.compute(entry);
            for (Path p : facts.hidden()) {
                Path parent = p.getParent();
                Path dir = parent == null ? p : parent;
                bump(hidden, dir, p, by);
                totals.merge(dir, by, Integer::sum);
                if (totals.get(dir) == 0) {
                    totals.remove(dir);
                }
            }
            for (int i = 0; i < facts.parents().size(); i++) {
                bump(names, facts.parents().get(i), facts.names().get(i), by);
            }
        }

        /** Adds {@code by} to the count of {@code key} in {@code dir}; a count of 0 goes, and an empty directory. */
        private static <K> void bump(Map<Path, Map<K, Integer>> counts, Path dir, K key, int by) {
            Map<K, Integer> in = counts.computeIfAbsent(dir, d -> new java.util.HashMap<>());
            int now = in.getOrDefault(key, 0) + by;
            if (now == 0) {
                in.remove(key);
                if (in.isEmpty()) {
                    counts.remove(dir);
                }
            } else {
                in.put(key, now);
            }
        }

        private int total(Path dir) {
            return totals.getOrDefault(dir, 0);
        }

        /** {@return the names of the trees counted in {@code dir}, a copy} */
        Set<String> namesIn(Path dir) {
            return new HashSet<>(names.getOrDefault(dir, Map.of()).keySet());
        }
    }

    /**
     * Whether each entry of {@code dir} is one of the {@code known} names, or looks like the
     * BASE of a subhost not in the index yet (one booting at the same time): a directory
     * with {@code root}, {@code work} and {@code live} in it, the default layout.
     */
    private static boolean holdsOnlyTrees(Path dir, Set<String> known, Lister lister) {
        return holdsOnlyTrees(dir, known::contains, known.size(), lister);
    }

    /** As {@link #holdsOnlyTrees(Path, Set, Lister)}, with the known names as a test and their number. */
    private static boolean holdsOnlyTrees(Path dir, java.util.function.Predicate<String> known, int size,
            Lister lister) {
        Optional<List<String>> names = lister.names(dir, size);
        if (names.isEmpty() || names.get().isEmpty()) {
            return false;
        }
        for (String name : names.get()) {
            if (!known.test(name) && !lister.looksLikeBase(dir.resolve(name))) {
                return false;
            }
        }
        return true;
    }

    /**
     * What a plan needs of one subhost, worked out once for each entry of the index (whose
     * entries are the same objects from boot to boot while their lines do not change): its
     * {@link SubhostTrees#hidden()} paths, and each of its trees (LOWER aside) as its
     * directory and name there.
     *
     * @param hidden what the others hide of it
     * @param parents the directory of each tree
     * @param names the name of each tree in its directory
     */
    record Facts(List<Path> hidden, List<Path> parents, List<String> names) {
        private static final int MOST = 1 << 15;
        private static final Map<SubhostTrees, Facts> CACHE = new java.util.IdentityHashMap<>();

        /** The facts of {@code entry}. */
        static Facts of(SubhostTrees entry) {
            synchronized (CACHE) {
                Facts facts = CACHE.get(entry);
                if (facts == null) {
                    if (CACHE.size() >= MOST) {
                        CACHE.clear();
                    }
                    facts = compute(entry);
                    CACHE.put(entry, facts);
                }
                return facts;
            }
        }

        private static Facts compute(SubhostTrees entry) {
            List<Path> parents = new ArrayList<>();
            List<String> names = new ArrayList<>();
            for (SubhostTrees.Tree tree : entry.trees()) {
                Path parent = tree.path().getParent();
                if (tree.role() != SubhostTrees.Role.LOWER && parent != null) {
                    parents.add(parent);
                    names.add(tree.path().getFileName().toString());
                }
            }
            return new Facts(List.copyOf(entry.hidden()), List.copyOf(parents), List.copyOf(names));
        }
    }

    /** {@code paths} without duplicates and without those that lie in another one or in {@code covered}. */
    static List<Path> outermost(List<Path> paths, List<Path> covered) {
        TreeSet<Path> sorted = new TreeSet<>(paths);
        Set<Path> around = new HashSet<>(covered);
        Set<Path> kept = new HashSet<>();
        List<Path> out = new ArrayList<>();
        // A path lies in another (startsWith: name by name) exactly when that one is the path
        // itself or one of its parents; so a look-up per parent, not a comparison with each
        // path kept: with thousands of subhosts' paths, this is the difference between
        // microseconds and a second. Sorted, a path comes after every path it lies in.
        for (Path p : sorted) {
            if (!liesIn(p, around) && !liesIn(p, kept)) {
                out.add(p);
                kept.add(p);
            }
        }
        return out;
    }

    /** Whether {@code p} or one of its parents is in {@code set}. */
    private static boolean liesIn(Path p, Set<Path> set) {
        if (set.isEmpty()) {
            return false;
        }
        for (Path q = p; q != null; q = q.getParent()) {
            if (set.contains(q)) {
                return true;
            }
        }
        return false;
    }

    /**
     * The mounts of the hides in a mount namespace, on descriptors. A directory gets an
     * empty tmpfs: the first one a new tmpfs (fsopen and fsmount, attached by its
     * descriptor, so that no path of another pid namespace's {@code /proc} is needed), each
     * further one a clone of it (open_tree, from the mount namespace it is in now). A file
     * gets the null device, read-only and nodev: nothing can open it.
     */
    static final class Mounter implements AutoCloseable {
        /** Where the null device's clones come from. */
        interface NullDevices {
            /** {@return a detached clone of the null device, made read-only and nodev; the caller closes it} */
            int next() throws IOException;

            /**
             * Clones made on the spot, in the calling thread's mount namespace: before the
             * switch of root, where {@code /dev/null} is the host's (or an outer subhost's).
             */
            NullDevices HERE = Hiding::nullDevice;
        }

        private final SubhostTree root;
        private final NullDevices nulls;
        private int dirSource = -1;
        private final List<Path> hidden = new ArrayList<>();

        /** Hides below {@code root}, the subhost's root (LIVE, or {@code /} once entered). */
        Mounter(SubhostTree root, NullDevices nulls) {
            this.root = root;
            this.nulls = nulls;
        }

        /**
         * Hides {@code image}, a path inside the subhost, when it is there with no symbolic
         * link on the way (a link of the subhost's own leads elsewhere: what the host path
         * would show is not there) and not hidden already.
         *
         * @return whether it mounted a hide
         */
        boolean hide(Path image) throws IOException {
            String relative = image.toString().substring(1);
            int target = root.tryOpenWithoutLinks(relative, Fds.O_PATH);
            if (target < 0) {
                int errno = -target;
                if (errno == Errno.ENOENT || errno == Errno.ENOTDIR || errno == Errno.ELOOP || errno == Errno.EXDEV) {
                    return false;
                }
                SyscallException e = root.openWithoutLinksRefusal(relative, Fds.O_PATH, errno);
                throw new IOException(Printable.of(root.pathOf(relative).toString()) + ": " + e.errnoText(), e);
            }
            try {
                FileStatus status = AtFiles.fstat(target);
                if (hiddenAlready(target, status)) {
                    return false;
                }
                if (status.isDirectory()) {
                    hideDirectory(target, relative);
                } else {
                    int nul = nulls.next();
                    try {
                        Mounts.moveMount(nul, "", target, "", Mounts.MOVE_MOUNT_F_EMPTY_PATH
                                | Mounts.MOVE_MOUNT_T_EMPTY_PATH);
                    } finally {
                        Descriptor.closeQuietly(nul);
                    }
                }
                hidden.add(image);
                return true;
            } finally {
                Descriptor.closeQuietly(target);
            }
        }

        private void hideDirectory(int target, String relative) throws IOException {
            if (dirSource >= 0) {
                int clone = Mounts.openTree(dirSource, "", Mounts.OPEN_TREE_CLONE | Mounts.OPEN_TREE_CLOEXEC
                        | Mounts.AT_EMPTY_PATH);
                try {
                    Mounts.moveMount(clone, "", target, "", Mounts.MOVE_MOUNT_F_EMPTY_PATH
                            | Mounts.MOVE_MOUNT_T_EMPTY_PATH);
                } finally {
                    Descriptor.closeQuietly(clone);
                }
                return;
            }
            int fresh = Mounts.detachedMount("tmpfs", EMPTY_TMPFS, HIDE_ATTRIBUTES);
            try {
                Mounts.moveMount(fresh, "", target, "", Mounts.MOVE_MOUNT_F_EMPTY_PATH | Mounts.MOVE_MOUNT_T_EMPTY_PATH);
            } finally {
                Descriptor.closeQuietly(fresh);
            }
            // The tmpfs as now attached in this namespace, which open_tree clones on every kernel.
            int top = root.openWithoutLinks(relative, Fds.O_PATH | Fds.O_DIRECTORY);
            if (Mounts.filesystemType(top) != TMPFS_MAGIC) {
                Descriptor.closeQuietly(top);
                throw new IOException(Printable.of(root.pathOf(relative).toString())
                        + ": changed while it was hidden");
            }
            dirSource = top;
        }

        /** {@return the images hidden so far} */
        List<Path> hidden() {
            return List.copyOf(hidden);
        }

        @Override
        public void close() {
            Descriptor.closeQuietly(dirSource);
            dirSource = -1;
        }
    }

    /**
     * Whether {@code fd} is a hide already: the root of a mount that is an empty tmpfs of
     * mode 000 (a directory), or a character device (the null device). A subhost at the
     * default confinement mounts nothing, so it cannot make one.
     */
    static boolean hiddenAlready(int fd, FileStatus status) throws SyscallException {
        if (!Mounts.isMountRoot(fd).orElse(false)) {
            return false;
        }
        if (status.isDirectory()) {
            return status.permissions() == 0 && Mounts.filesystemType(fd) == TMPFS_MAGIC;
        }
        return (status.mode() & FileStatus.S_IFMT) == Mounts.S_IFCHR;
    }

    /** A detached clone of {@code /dev/null} of the calling thread's mount namespace, read-only and nodev. */
    static int nullDevice() throws IOException {
        int clone = Mounts.openTree("/dev/null", Mounts.OPEN_TREE_CLONE | Mounts.OPEN_TREE_CLOEXEC);
        try {
            Mounts.setAttributes(clone, "", Mounts.AT_EMPTY_PATH, HIDE_ATTRIBUTES, 0);
            return clone;
        } catch (SyscallException e) {
            Descriptor.closeQuietly(clone);
            throw e;
        }
    }

    /**
     * Hides {@code images} inside the running subhost whose pid 1 is {@code pid1}: on a
     * thread that enters its mount namespace by the pidfd, as a live share does. The null
     * devices for files are cloned first, here, in the host's mount namespace (the
     * subhost's {@code /dev/null} is its own to replace).
     *
     * @return the images hidden (those missing or hidden already are not)
     */
    static List<Path> hideIn(String name, Pidfd pid1, List<Path> images) throws IOException {
        List<Integer> nulls = new ArrayList<>();
        try {
            for (int i = 0; i < images.size(); i++) {
                nulls.add(nullDevice());
            }
            NamespaceRequest request = NamespaceRequest.builder().enterPidfd(pid1, Namespaces.CLONE_NEWNS).build();
            return NamespaceThread.run("hide in " + name, request, () -> {
                // setns into a mount namespace makes its root the thread's: "/" is the subhost's.
                try (SubhostTree root = SubhostTree.open(Path.of("/"));
                        Mounter mounter = new Mounter(root, () -> take(nulls))) {
                    for (Path image : outermost(images, List.of())) {
                        mounter.hide(image);
                    }
                    return mounter.hidden();
                }
            });
        } finally {
            nulls.forEach(Descriptor::closeQuietly);
        }
    }

    /** The next of the null devices cloned beforehand. */
    static int take(List<Integer> nulls) throws IOException {
        if (nulls.isEmpty()) {
            throw new IOException("no null device left to hide a file with");
        }
        return nulls.remove(nulls.size() - 1);
    }

    /**
     * The boot step that hides what {@link #plan} said (when the trees were registered) in
     * the subhost's tree, after the shares (a path shown through a share is hidden at the
     * share's target) and before the switch of root. A share whose target lies in a hidden
     * path is covered by it: a line in LOG says so.
     *
     * @param name NAME
     * @param live LIVE, the subhost's root
     * @param hide the paths of the host that HIDE names
     * @param known what the boot knows of the other subhosts, and the plan
     */
    record HideTrees(String name, Path live, List<Path> hide, Slot<Known> known) implements BootStep.InNamespace<Void> {
        /** Copies the list. */
        HideTrees {
            hide = List.copyOf(hide);
        }

        @Override
        public String describe() {
            return "hide the BASE, LOG and state of every other subhost" + (hide.isEmpty() ? ""
                    : ", and HIDE (" + String.join(" ", hide.stream().map(Path::toString).toList()) + ")")
                    + ", where " + live + " shows them";
        }

        @Override
        public List<Slot<?>> consumes() {
            return List.of(known);
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            Known k = in.get(known);
            View view = View.of(k.self());
            Devices devices = new Devices();
            List<Path> images = new ArrayList<>();
            for (Path p : k.plan().all()) {
                images.addAll(view.images(p, devices));
            }
            images = outermost(images, List.of());
            try (SubhostTree root = SubhostTree.open(live);
                    Mounter mounter = new Mounter(root, Mounter.NullDevices.HERE)) {
                for (Path image : images) {
                    mounter.hide(image);
                }
                for (Share share : k.self().shares()) {
                    for (Path image : mounter.hidden()) {
                        if (share.subhostPath().startsWith(image)) {
                            in.log().warning("SHARE " + share + " is covered: its target lies in " + image
                                    + ", which shows what another subhost keeps (or HIDE names)");
                        }
                    }
                }
                if (!mounter.hidden().isEmpty()) {
                    in.log().line("hid " + mounter.hidden().size() + " path(s) of the host from " + name);
                }
            }
            return null;
        }
    }

    /**
     * The boot step that makes the hiding mutual with the subhosts that boot at the same
     * time or later, once pid 1 runs and before its init does: hides in the subhost the
     * trees of subhosts registered after it (their boots may have read the index before
     * this one's pid 1 existed), and hides its own trees in each running subhost that
     * shows them, has not hidden them whole, and does not hide them by its own boot
     * ({@link #hiddenByItsOwnBoot}), entering its mount namespace by the pid 1 of its
     * state record. The index is read under its lock, with a line that says how far ({@link
     * TreeIndex#carry}), before anything is hidden: so for each two subhosts, the later
     * one's trees are hidden in the earlier one by the earlier one's carry when it read
     * the later one's line, else by the later one's carry, one mount namespace entry per
     * boot in the common case rather than one per running subhost. A subhost it cannot
     * reach (booting still, or stopped meanwhile) is passed over; a failure to hide in
     * another subhost is a line in LOG and leaves the boot standing: its trees were visible
     * before it booted as well.
     *
     * @param name NAME
     * @param known what the boot knew of the other subhosts
     * @param pid1 pid 1
     */
    record Carry(String name, Slot<Known> known, Slot<NamespaceSpawner.Pid1> pid1) implements BootStep.OnHost<Void> {
        @Override
        public String describe() {
            return "hide the trees of subhosts booted meanwhile in " + name + ", and " + name
                    + "'s in the running subhosts that show them";
        }

        @Override
        public List<Slot<?>> consumes() {
            return List.of(known, pid1);
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            Known k = in.get(known);
            SubhostTrees self = k.self();
            List<Path> whole = List.of();
            if (!wholeCandidates(self).isEmpty()) {
                // Its registration found something else beside its trees (a BASE still
                // being made, say): what is there now, read without the lock, since what
                // it decides is only whether this subhost sees more than others' trees.
                whole = wholeNow(self, in.trees(), k.listed(), WatchedDirectories.HOST);
            }
            TreeIndex.Reach reach = in.trees().carry(self, whole);
            boolean madeSince = Known.missing(k.missing()).size() < k.missing().size();
            Work work = work(self, reach, madeSince);
            List<Path> late = new ArrayList<>();
            View view = View.of(self);
            Devices devices = new Devices();
            for (Path dir : whole) {
                late.addAll(view.images(dir, devices));
            }
            List<Path> covered = new ArrayList<>(self.hiddenWhole());
            covered.addAll(whole);
            for (SubhostTrees other : work.late()) {
                for (Path p : outermost(other.hidden(), covered)) {
                    late.addAll(view.images(p, devices));
                }
            }
            if (!late.isEmpty()) {
                // The directories hidden whole now in the same entry as the trees of
                // subhosts booted meanwhile; a failure fails the boot, so that no later
                // boot counts on a hide that its line says and that is not there.
                List<Path> done = hideIn(name, in.get(pid1).pidfd(), late);
                for (Path dir : whole) {
                    in.log().line("hid " + dir + " whole from " + name + ": it holds only subhosts' trees now");
                }
                if (!done.isEmpty()) {
                    in.log().line("hid " + done.size() + " path(s) of subhosts booted meanwhile from " + name);
                }
            }
            List<Path> mine = self.hidden();
            for (SubhostTrees other : work.owed()) {
                carryInto(other, self, mine, devices, in);
            }
            return null;
        }

        /**
         * The directories of {@code self}'s trees (those {@link SubhostTrees#hidden()} lies
         * in) that its registration did not hide whole: those its carry looks at again
         * ({@link #wholeNow}).
         */
        static List<Path> wholeCandidates(SubhostTrees self) {
            List<Path> out = new ArrayList<>();
            Set<Path> whole = new HashSet<>(self.hiddenWhole());
            for (Path p : self.hidden()) {
                Path dir = p.getParent();
                if (dir != null && dir.getParent() != null && !out.contains(dir) && !liesIn(dir, whole)) {
                    out.add(dir);
                }
            }
            return out;
        }

        /**
         * Of {@link #wholeCandidates}, those that hold only subhosts' trees now, as {@link
         * #plan} tells it (the names of the trees of {@code index}'s entries, of any phase,
         * and of the {@code listed} ones, or a directory that looks like a BASE): what the
         * carry hides whole in {@code self}'s subhost and says so in its line ({@link
         * TreeIndex#carry(String, long, List)}), so that a subhost booted there later skips
         * it. Its registration may have found a BASE still being made beside its own (the
         * usual case when many subhosts are made and booted at once), which {@link
         * Lister#looksLikeBase} cannot tell from a directory of someone else's; by the carry,
         * that one is made, or registered.
         */
        static List<Path> wholeNow(SubhostTrees self, TreeIndex index, List<SubhostTrees> listed, Lister lister)
                throws IOException {
            List<Path> dirs = wholeCandidates(self);
            if (dirs.isEmpty()) {
                return List.of();
            }
            // The names of the index's entries' trees there, as its JVM keeps them grouped:
            // not a look at every entry.
            Map<Path, Set<String>> known = index.namesIn(dirs);
            for (SubhostTrees e : listed) {
                addKnown(Facts.of(e), known);
            }
            addKnown(Facts.of(self), known);
            List<Path> out = new ArrayList<>();
            for (Path dir : dirs) {
                if (holdsOnlyTrees(dir, known.get(dir), lister)) {
                    out.add(dir);
                }
            }
            return outermost(out, List.of());
        }

        /**
         * What a carry hides, from the index as it read it.
         *
         * @param late the subhosts whose trees it hides in its own subhost, in one entry of
         *     its mount namespace however many they are: those registered after its plan was
         *     made, and those whose carry came after that (a path they made after their
         *     registration, a LOG, may have been missing when its hide step ran)
         * @param owed the active subhosts that it hides its own trees in (when they run and
         *     show them): neither hidden whole there nor hidden by their own boots
         */
        record Work(List<SubhostTrees> late, List<SubhostTrees> owed) {
            /** Copies the lists. */
            Work {
                late = List.copyOf(late);
                owed = List.copyOf(owed);
            }
        }

        /**
         * What the carry of {@code self} hides, from {@code reach}, what it found in the index
         * under its lock ({@link TreeIndex#carry(SubhostTrees, List)}); {@code madeSince}: a
         * path of {@code self} was made after its registration. Of the index's entries other
         * than {@code self}'s NAME: late, those registered after it or carried since its
         * registration; owed, the active ones that neither hide its trees whole (the usual
         * case) nor hide them by their own boot. The index keeps its entries so that a carry
         * looks only at those ({@link TreeIndex.Marks}), not at every subhost it holds.
         */
        static Work work(SubhostTrees self, TreeIndex.Reach reach, boolean madeSince) {
            List<SubhostTrees> owed = new ArrayList<>();
            for (SubhostTrees other : reach.uncovered()) {
                if (!hiddenByItsOwnBoot(other, self, madeSince)) {
                    owed.add(other);
                }
            }
            return new Work(reach.late(), owed);
        }

        /**
         * Whether the boot of {@code other} hides the trees of {@code self} in it, read from
         * the index at {@code self}'s carry (under the lock that its registration and its
         * carry's line took too):
         * <ul>
         *   <li>registered later: its plan held {@code self}, and its hide step hid every
         *       path of {@code self} that was there at {@code self}'s registration;
         *   <li>registered earlier, its carry read {@code self}'s registration ({@link
         *       SubhostTrees#carried()} at least {@code self}'s number): it hid what was
         *       there at {@code self}'s registration.
         * </ul>
         * Neither while {@code madeSince} (a path of {@code self} made after its
         * registration, which they may have found missing). A subhost whose carry is not
         * known ({@link SubhostTrees#NOT_KNOWN}: not carried yet, or an earlier version's)
         * is passed to {@link #carryInto}: entered when its record has pid 1, passed over
         * while it has none, since its carry, which comes after its record of pid 1, has not
         * read yet and will read {@code self}'s line, with every path of {@code self} there
         * by now. (The other way round, {@code other}'s trees in {@code self}: {@code
         * self}'s plan held those registered earlier, and its carry hides again those whose
         * carry came after its registration; {@code other}'s carry, if later, enters {@code
         * self} for a path made after its registration, as this rule says from its side.)
         */
        static boolean hiddenByItsOwnBoot(SubhostTrees other, SubhostTrees self, boolean madeSince) {
            if (madeSince) {
                return false;
            }
            return other.seq() > self.seq() || other.carried() >= self.seq();
        }

        /** Hides {@code self}'s trees ({@code mine}) in {@code other} when it runs and shows them. */
        private static void carryInto(SubhostTrees other, SubhostTrees self, List<Path> mine, Devices devices,
                StepInputs in) {
            View view = View.of(other);
            List<Path> images = new ArrayList<>();
            for (Path p : outermost(mine, other.hiddenWhole())) {
                images.addAll(view.images(p, devices));
            }
            if (images.isEmpty()) {
                return;
            }
            try {
                // pid 1 from the record, which names no running subhost when its pid 1 is gone.
                Optional<ProcessIdentity> identity = in.store().read(other.name()).flatMap(SubhostState::pid1);
                Optional<Pidfd> pidfd = identity.flatMap(Hiding::open);
                if (pidfd.isEmpty()) {
                    return; // booting still (its own carry hides this one), or stopped meanwhile
                }
                try (Pidfd fd = pidfd.get()) {
                    hideIn(other.name(), fd, images);
                }
            } catch (Exception e) {
                in.log().warning("could not hide " + self.name() + "'s trees in subhost " + other.name() + ": "
                        + PlanExecutor.reason(e));
            }
        }
    }

    /** A pidfd of {@code identity} while it is that very process, checked after the open. */
    static Optional<Pidfd> open(ProcessIdentity identity) {
        if (!identity.isAlive()) {
            return Optional.empty();
        }
        Pidfd pidfd;
        try {
            pidfd = Pidfd.open(identity.pid());
        } catch (Exception e) {
            return Optional.empty();
        }
        if (!identity.isAlive()) {
            Descriptor.closeQuietly(pidfd.fd());
            return Optional.empty();
        }
        return Optional.of(pidfd);
    }
}
