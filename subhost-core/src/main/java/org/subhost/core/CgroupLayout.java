package org.subhost.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import org.subhost.linux.Mounts;
import org.subhost.linux.SyscallException;

/**
 * How this host's control groups are laid out, as far as a subhost's groups depend on it:
 * where the cgroup v2 hierarchy is and which controllers it offers where the subhost's
 * group will be, and which controllers are bound to cgroup v1 hierarchies, where those are
 * mounted and which group of each this process is in (docs/architecture.md, "Control
 * groups").
 *
 * <p>A controller is in one hierarchy at a time: on a unified host every one is in v2; on a
 * hybrid one (v2 at {@code /sys/fs/cgroup/unified}) memory, pids, cpu, blkio, devices and
 * the like are v1 hierarchies and v2 offers few or none; on a legacy host there is no v2.
 * v2 controllers are named as v2 names them ({@code io}, not {@code blkio}); the subhost's
 * v2 group can use those that its parent's {@code cgroup.controllers} lists.
 *
 * @param v2Root where cgroup v2 is mounted, if it is
 * @param unitGroup the systemd unit's group that this process runs in, relative to {@code
 *     v2Root}, when a unit runs it (the subhost's v2 group is made inside it)
 * @param v2Controllers the controllers that the v2 parent of the subhost's group offers
 *     (its {@code cgroup.controllers})
 * @param v1 the v1 hierarchies with a controller that a subhost's groups use ({@link
 *     #USED_V1}), in {@code /proc/self/cgroup}'s order
 */
record CgroupLayout(Optional<Path> v2Root, Optional<Path> unitGroup, Set<String> v2Controllers,
        List<Hierarchy> v1) {
    /** statfs(2) f_type of a cgroup v1 hierarchy (linux/magic.h CGROUP_SUPER_MAGIC). */
    static final long CGROUP1_SUPER_MAGIC = 0x27e0ebL;
    /** The v1 controllers whose hierarchies a subhost's groups can be in. */
    static final Set<String> USED_V1 = Set.of("memory", "pids", "cpu", "cpuacct", "blkio", "devices");
    /** Where hosts mount their cgroup hierarchies. */
    static final Path CGROUP_TOP = Path.of("/sys/fs/cgroup");

    /** Copies the collections. */
    CgroupLayout {
        v2Controllers = Set.copyOf(v2Controllers);
        v1 = List.copyOf(v1);
    }

    /**
     * One cgroup v1 hierarchy.
     *
     * @param mount where it is mounted, such as {@code /sys/fs/cgroup/memory}
     * @param controllers the controllers bound to it, such as {@code cpu} and {@code cpuacct}
     * @param ownGroup the group this process is in there, relative to {@code mount} ({@code
     *     /} for the root): the subhost's group goes inside it
     */
    record Hierarchy(Path mount, Set<String> controllers, Path ownGroup) {
        /** Copies the controllers. */
        Hierarchy {
            controllers = Set.copyOf(controllers);
        }

        /** {@return where a group named {@code name} of a subhost goes in this hierarchy} */
        Path groupOf(String name) {
            return mount.resolve(Path.of("/").relativize(ownGroup)).resolve(name);
        }
    }

    /** A host without any control group hierarchy (inside a subhost without cgroup2 mounted, say). */
    static final CgroupLayout NONE = new CgroupLayout(Optional.empty(), Optional.empty(), Set.of(), List.of());

    /** {@return a unified host's layout: v2 at {@code root}, offering {@code controllers}} */
    static CgroupLayout unified(Path root, Set<String> controllers) {
        return new CgroupLayout(Optional.of(root), Optional.empty(), controllers, List.of());
    }

    /**
     * Where controller {@code v2Name} is: {@code v2} when the v2 parent offers it, else the v1
     * hierarchy that has it ({@code io} is v1's {@code blkio}), else empty.
     *
     * @param v2Name the controller as cgroup v2 names it: memory, pids, cpu, io
     * @return the v1 hierarchy, or empty for v2 or nowhere (see {@link #onV2})
     */
    Optional<Hierarchy> v1Hierarchy(String v2Name) {
        String v1Name = v2Name.equals("io") ? "blkio" : v2Name;
        return v1.stream().filter(h -> h.controllers().contains(v1Name)).findFirst();
    }

    /** {@return whether the subhost's v2 group can have controller {@code v2Name}} */
    boolean onV2(String v2Name) {
        return v2Root.isPresent() && v2Controllers.contains(v2Name);
    }

    /** {@return whether controller {@code v2Name} is anywhere: in the v2 parent or in a v1 hierarchy} */
    boolean offers(String v2Name) {
        return onV2(v2Name) || v1Hierarchy(v2Name).isPresent();
    }

    /**
     * The layout in words, for error messages: its kind, where v2 is and what it offers,
     * and the v1 controllers: {@code hybrid: cgroup v2 at /sys/fs/cgroup/unified without
     * controllers; cgroup v1 controllers blkio, cpu, ... under /sys/fs/cgroup}.
     *
     * @return the description
     */
    String describe() {
        String kind = v2Root.isEmpty() ? (v1.isEmpty() ? "none" : "legacy") : (v1.isEmpty() ? "unified" : "hybrid");
        List<String> parts = new ArrayList<>();
        v2Root.ifPresent(root -> {
            String where = unitGroup.map(u -> " (in the unit's group /" + u + ")").orElse("");
            parts.add("cgroup v2 at " + root + where + (v2Controllers.isEmpty() ? " without controllers"
                    : " with controllers " + String.join(" ", new TreeSet<>(v2Controllers))));
        });
        if (!v1.isEmpty()) {
            Set<String> controllers = new TreeSet<>();
            Set<Path> mounts = new LinkedHashSet<>();
            for (Hierarchy h : v1) {
                controllers.addAll(h.controllers());
                mounts.add(h.mount().getParent());
            }
            parts.add("cgroup v1 controllers " + String.join(" ", controllers) + " under "
                    + (mounts.size() == 1 ? mounts.iterator().next().toString() : mounts.toString()));
        }
        if (parts.isEmpty()) {
            parts.add("no control group hierarchy is mounted");
        }
        return kind + ": " + String.join("; ", parts);
    }

    /**
     * Reads this host's layout: the v2 root from {@code facts}, the v1 hierarchies from
     * {@code /proc/self/cgroup}, each found at its usual place under {@code /sys/fs/cgroup}
     * (one statfs each) or else in the mount table.
     *
     * @param v2Root where cgroup v2 is mounted ({@link HostFacts#findCgroup2})
     * @param unitGroup the group of the unit that runs this process ({@link HostFacts#unitGroup})
     * @return the layout
     */
    static CgroupLayout probe(Optional<Path> v2Root, Optional<Path> unitGroup) {
        return probe(v2Root, unitGroup, procSelfCgroup());
    }

    /** The text of {@code /proc/self/cgroup}; empty when it cannot be read. */
    static String procSelfCgroup() {
        try {
            return Files.readString(Path.of("/proc/self/cgroup"));
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * As {@link #probe(Optional, Optional)}, with the text of {@code /proc/self/cgroup} read
     * already ({@code procSelfCgroup}).
     */
    static CgroupLayout probe(Optional<Path> v2Root, Optional<Path> unitGroup, String procSelfCgroup) {
        String controllers = v2Root.isEmpty() ? "" : controllersText(unitGroup.map(v2Root.get()::resolve)
                .orElse(v2Root.get()));
        return LAST.layout(v2Root, unitGroup, procSelfCgroup, controllers, CgroupLayout::knownV1Mount);
    }

    /** The layout of the last probe of this JVM, given again while what it was read from is the same. */
    private static final Known LAST = new Known();

    /**
     * The last layout read, with the texts it was read from. A boot reads {@code
     * /proc/self/cgroup} and the v2 parent's {@code cgroup.controllers} every time (a
     * process can be moved to another group, a controller enabled); when both say what they
     * said last time, the layout read from them is the same (where the hierarchies are
     * mounted is looked up once per JVM, {@link #V1_MOUNTS}), and is given again instead of
     * being parsed again. A layout in which a hierarchy was not found is not kept: its
     * lookup is made again next time, as before.
     */
    static final class Known {
        private record Entry(Optional<Path> v2Root, Optional<Path> unitGroup, String procSelfCgroup,
                String controllers, CgroupLayout layout) {}

        private volatile Entry last;

        /**
         * The layout read from these facts and texts ({@link #read}), with {@code mountOf}
         * where the v1 hierarchies are: the last one when they are the same as last time.
         */
        CgroupLayout layout(Optional<Path> v2Root, Optional<Path> unitGroup, String procSelfCgroup,
                String controllers, Function<Set<String>, Optional<Path>> mountOf) {
            Entry known = last;
            if (known != null && known.procSelfCgroup().equals(procSelfCgroup)
                    && known.controllers().equals(controllers) && known.v2Root().equals(v2Root)
                    && known.unitGroup().equals(unitGroup)) {
                return known.layout();
            }
            MountLookup lookup = new MountLookup(mountOf);
            Set<String> words = controllerWords(controllers);
            CgroupLayout layout = read(v2Root, unitGroup, procSelfCgroup, lookup, new Constant(words));
            if (!lookup.missed) {
                last = new Entry(v2Root, unitGroup, procSelfCgroup, controllers, layout);
            }
            return layout;
        }
    }

    /** A lookup of where hierarchies are mounted that notes whether one was not found. */
    private static final class MountLookup implements Function<Set<String>, Optional<Path>> {
        private final Function<Set<String>, Optional<Path>> mountOf;
        boolean missed;

        MountLookup(Function<Set<String>, Optional<Path>> mountOf) {
            this.mountOf = mountOf;
        }

        @Override
        public Optional<Path> apply(Set<String> controllers) {
            Optional<Path> found = mountOf.apply(controllers);
            missed |= found.isEmpty();
            return found;
        }
    }

    /** The controllers read already, for any group asked. */
    private record Constant(Set<String> words) implements Function<Path, Set<String>> {
        @Override
        public Set<String> apply(Path group) {
            return words;
        }
    }

    /**
     * Where the hierarchies of this JVM's earlier lookups are mounted: a host does not move
     * its cgroup mounts while it runs, and each lookup is a statfs(2) or two, which a JVM
     * that boots many subhosts need not repeat. A hierarchy not found is looked up again.
     */
    private static final java.util.concurrent.ConcurrentHashMap<Set<String>, Path> V1_MOUNTS =
            new java.util.concurrent.ConcurrentHashMap<>();

    private static Optional<Path> knownV1Mount(Set<String> controllers) {
        Path known = V1_MOUNTS.get(controllers);
        if (known != null) {
            return Optional.of(known);
        }
        Optional<Path> found = v1Mount(controllers);
        found.ifPresent(mount -> V1_MOUNTS.put(Set.copyOf(controllers), mount));
        return found;
    }

    /**
     * The layout from what the kernel says, with the effects passed in (for tests).
     *
     * @param v2Root where v2 is mounted
     * @param unitGroup the unit's group, relative to the v2 root
     * @param procSelfCgroup the text of {@code /proc/self/cgroup}: {@code ID:CONTROLLERS:PATH} lines
     * @param mountOf where the v1 hierarchy of these controllers is mounted, if anywhere
     * @param controllersOf the words of a {@code cgroup.controllers} file; empty when unreadable
     */
    static CgroupLayout read(Optional<Path> v2Root, Optional<Path> unitGroup, String procSelfCgroup,
            Function<Set<String>, Optional<Path>> mountOf, Function<Path, Set<String>> controllersOf) {
        List<Hierarchy> v1 = new ArrayList<>();
        for (String line : procSelfCgroup.split("\n")) {
            String[] f = line.split(":", 3);
            if (f.length < 3 || f[0].equals("0") || f[1].isEmpty() || f[1].startsWith("name=")) {
                continue;
            }
            Set<String> controllers = new LinkedHashSet<>(List.of(f[1].split(",")));
            if (controllers.stream().noneMatch(USED_V1::contains)) {
                continue; // freezer, cpuset, net_cls, ...: a subhost's groups never go there
            }
            String own = f[2].strip();
            if (!own.startsWith("/") || own.contains("/..") || own.contains("\n")) {
                continue;
            }
            Optional<Path> mount = mountOf.apply(controllers);
            mount.ifPresent(m -> v1.add(new Hierarchy(m, controllers, Path.of(own))));
        }
        Set<String> v2Controllers = v2Root.map(root -> controllersOf.apply(unitGroup.map(root::resolve).orElse(root)))
                .orElse(Set.of());
        return new CgroupLayout(v2Root, unitGroup, v2Controllers, v1);
    }

    /** The words of {@code group/cgroup.controllers}; none when it cannot be read. */
    static Set<String> readControllers(Path group) {
        return controllerWords(controllersText(group));
    }

    /** The text of {@code group/cgroup.controllers}; empty when it cannot be read. */
    static String controllersText(Path group) {
        try {
            return Files.readString(group.resolve("cgroup.controllers"));
        } catch (IOException e) {
            return "";
        }
    }

    /** The words of a {@code cgroup.controllers} text. */
    static Set<String> controllerWords(String text) {
        String words = text.strip();
        return words.isEmpty() ? Set.of() : Set.of(words.split("\\s+"));
    }

    /**
     * Where the v1 hierarchy of {@code controllers} is mounted: {@code
     * /sys/fs/cgroup/cpu,cpuacct} or {@code /sys/fs/cgroup/cpu} (statfs says whether a cgroup
     * v1 hierarchy is there), else the mount table's cgroup mount whose options name them.
     */
    private static Optional<Path> v1Mount(Set<String> controllers) {
        List<Path> places = new ArrayList<>();
        places.add(CGROUP_TOP.resolve(String.join(",", controllers)));
        controllers.forEach(c -> places.add(CGROUP_TOP.resolve(c)));
        for (Path place : places) {
            try {
                if (Mounts.filesystemType(place.toString()) == CGROUP1_SUPER_MAGIC) {
                    return Optional.of(place);
                }
            } catch (SyscallException e) {
                // ENOENT: not there.
            }
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String[] f = line.split(" ");
                int dash = List.of(f).indexOf("-");
                if (dash > 0 && dash + 3 < f.length && f[dash + 1].equals("cgroup")
                        && Set.of(f[dash + 3].split(",")).containsAll(controllers)) {
                    return Optional.of(org.subhost.linux.MountTable.parse(List.of(line)).mounts().get(0).mountPoint());
                }
            }
        } catch (IOException | RuntimeException e) {
            // No mount table: no hierarchy found.
        }
        return Optional.empty();
    }

    /** {@return the layout as a map of controller to where it is, for tests and the dry run} */
    Map<String, String> placement() {
        java.util.TreeMap<String, String> m = new java.util.TreeMap<>();
        v2Controllers.forEach(c -> m.put(c, "v2"));
        for (Hierarchy h : v1) {
            for (String c : h.controllers()) {
                m.put(c.equals("blkio") ? "io" : c, "v1 " + h.mount());
            }
        }
        return m;
    }
}
