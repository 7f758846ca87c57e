package org.subhost.core;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.subhost.config.Limits;

/**
 * The control groups of one subhost: its group in the cgroup v2 hierarchy, with the v2
 * controllers enabled for it, and its group in each cgroup v1 hierarchy that it needs
 * (docs/architecture.md, "Control groups"). Every process of the subhost is in all of them.
 *
 * <p>Where they are: the v2 group is {@code NAME} at the top of the v2 hierarchy, or in the
 * systemd unit's group that runs the boot ({@link HostFacts#subhostGroup}); a v1 group is
 * {@code NAME} inside the group that the booting process is in in that hierarchy (the
 * unit's, under systemd; the root, usually, otherwise). v2 needs its parent to have no
 * processes once controllers are enabled below it, so the v2 group never nests under a
 * caller's group that is not a delegated unit's; v1 has no such rule.
 *
 * <p>Which controllers: memory, pids and cpu whenever the host offers them (usage, OOM kills,
 * the default PIDS_MAX, and a fair share of CPU time as one group: CPU_WEIGHT 100 unless
 * set); io (v1 blkio) when IO_WEIGHT asks (a live change that needs one later makes it then); each in v2 when the v2 parent offers it, else in its v1
 * hierarchy; and, on a host without cgroup v2, the v1 devices hierarchy for the device
 * policy (with v2, a BPF program on the v2 group keeps it).
 * A limit whose controller the host has nowhere is an error that names it and the host's
 * layout ({@link #plan}).
 *
 * @param v2 the v2 group, when the host has cgroup v2
 * @param v2Controllers the controllers enabled for the v2 group (in its parent's {@code
 *     cgroup.subtree_control}), as v2 names them
 * @param v1 the v1 groups by controller, as v1 names them ({@code blkio}, {@code
 *     cpuacct}); controllers of one hierarchy share a directory
 */
record SubhostGroups(Optional<Path> v2, Set<String> v2Controllers, Map<String, Path> v1) {
    /** The controllers that a limit variable needs, as v2 names them. */
    static final Map<String, String> CONTROLLER = Map.of("MEMORY_MAX", "memory", "MEMORY_HIGH", "memory",
            "PIDS_MAX", "pids", "CPU_WEIGHT", "cpu", "CPU_MAX", "cpu", "IO_WEIGHT", "io");

    /** Copies the collections, keeping their order. */
    SubhostGroups {
        v2Controllers = Set.copyOf(v2Controllers);
        v1 = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(v1));
    }

    /** No group at all: a host without control groups, with every limit at none. */
    static final SubhostGroups NONE = new SubhostGroups(Optional.empty(), Set.of(), Map.of());

    /**
     * Where the groups of subhost {@code name} go on a host of {@code layout}, for {@code
     * limits}.
     *
     * @param name the subhost's NAME
     * @param layout the host's layout
     * @param limits the limits to apply; those not at the kernel's default need their
     *     controller
     * @return the groups, not yet made
     * @throws IOException naming each limit whose controller the host does not offer, the
     *     host's layout, and what to do
     */
    static SubhostGroups plan(String name, CgroupLayout layout, Limits limits) throws IOException {
        Set<String> controllers = new LinkedHashSet<>();
        List<String> missing = new ArrayList<>();
        for (String variable : Limits.VARIABLES) {
            String controller = CONTROLLER.get(variable);
            if (controller == null || limits.isKernelDefault(variable)) {
                continue;
            }
            if (!layout.offers(controller)) {
                missing.add(variable + " (" + limits.text(variable) + ") needs the " + controller + " controller");
            } else if (variable.equals("MEMORY_HIGH") && !layout.onV2("memory")) {
                missing.add("MEMORY_HIGH (" + limits.text(variable) + ") needs the memory controller of cgroup v2, and"
                        + " this host's is on cgroup v1 (use MEMORY_MAX)");
            } else {
                controllers.add(controller);
            }
        }
        if (!missing.isEmpty()) {
            throw new IOException(String.join("; ", missing) + ", which this host cannot give (" + layout.describe()
                    + "); set " + missingVariables(missing) + " in the configuration to boot without "
                    + (missing.size() == 1 ? "that limit" : "those limits"));
        }
        // memory and pids for the usage in the status and the default PIDS_MAX; cpu so that a
        // subhost competes for CPU time as one, with its CPU_WEIGHT (100 unless set), against
        // the host's other groups: its fair share, however many processes it runs.
        for (String always : List.of("memory", "pids", "cpu")) {
            if (layout.offers(always)) {
                controllers.add(always);
            }
        }
        Optional<Path> v2 = layout.v2Root().map(root -> layout.unitGroup().map(root::resolve).orElse(root)
                .resolve(name));
        Set<String> onV2 = new TreeSet<>();
        Map<String, Path> v1 = new LinkedHashMap<>();
        for (String controller : List.of("memory", "pids", "cpu", "io")) {
            if (!controllers.contains(controller)) {
                continue;
            }
            if (layout.onV2(controller)) {
                onV2.add(controller);
            } else {
                CgroupLayout.Hierarchy h = layout.v1Hierarchy(controller).orElseThrow();
                h.controllers().forEach(c -> v1.put(c, h.groupOf(name)));
            }
        }
        // The device policy: a BPF program on the v2 group wherever there is one (it needs no
        // controller, and one attach of a loaded program costs next to nothing); the v1
        // devices controller only on a host without cgroup v2.
        if (v2.isEmpty()) {
            layout.v1Hierarchy("devices").ifPresent(h -> h.controllers().forEach(c -> v1.put(c, h.groupOf(name))));
        }
        return new SubhostGroups(v2, onV2, v1);
    }

    private static String missingVariables(List<String> missing) {
        List<String> set = new ArrayList<>();
        for (String m : missing) {
            String variable = m.substring(0, m.indexOf(' '));
            set.add(variable + "=" + (variable.endsWith("_WEIGHT") ? "100" : "none"));
        }
        return String.join(" ", set);
    }

    /**
     * These groups with the v1 group {@code dir} for every controller of {@code hierarchy}
     * too (one made for a running subhost).
     *
     * @param hierarchy the v1 hierarchy
     * @param dir the subhost's group in it
     * @return the groups
     */
    SubhostGroups withV1(CgroupLayout.Hierarchy hierarchy, Path dir) {
        Map<String, Path> more = new LinkedHashMap<>(v1);
        hierarchy.controllers().forEach(c -> more.put(c, dir));
        return new SubhostGroups(v2, v2Controllers, more);
    }

    /**
     * The groups that the log relay joins: the v2 group and the memory group, so that its
     * memory counts as the subhost's; it is a process of the host's, which neither a
     * subhost's PIDS_MAX nor its device policy is for.
     *
     * @return the directories, a part of {@link #directories()}
     */
    List<Path> relayDirectories() {
        Set<Path> dirs = new LinkedHashSet<>();
        v2.ifPresent(dirs::add);
        Path memory = v1.get("memory");
        if (memory != null) {
            dirs.add(memory);
        }
        return List.copyOf(dirs);
    }

    /**
     * Every directory of these groups: the v2 group first, then each v1 group once, in the
     * order of {@link #v1}. What pid 1, the log relay and every entering process join, and
     * what a stop removes.
     *
     * @return the directories
     */
    List<Path> directories() {
        Set<Path> all = new LinkedHashSet<>();
        v2.ifPresent(all::add);
        all.addAll(v1.values());
        return List.copyOf(all);
    }

    /**
     * Where controller {@code v2Name} acts for this subhost: its v2 group when the
     * controller is enabled there, else its v1 group.
     *
     * @param v2Name memory, pids, cpu or io
     * @return the group and whether it is v2; empty when the subhost has no group of that controller
     */
    Optional<Placement> placement(String v2Name) {
        if (v2.isPresent() && v2Controllers.contains(v2Name)) {
            return Optional.of(new Placement(v2.get(), true));
        }
        Path dir = v1.get(v2Name.equals("io") ? "blkio" : v2Name);
        return dir == null ? Optional.empty() : Optional.of(new Placement(dir, false));
    }

    /**
     * Where a controller's files are.
     *
     * @param group the group's directory
     * @param v2 whether it is a v2 group (the files are named as v2 names them)
     */
    record Placement(Path group, boolean v2) {}

    /**
     * The group whose {@code cgroup.procs} lists every process of the subhost: the v2 group,
     * else the first v1 group.
     *
     * @return the group, empty when the subhost has none
     */
    Optional<Path> membership() {
        return directories().stream().findFirst();
    }

    /**
     * The groups as the state record keeps them, one {@code KEY=VALUE} pair each: {@code
     * cgroup} (the v2 group, as before), {@code cgroup.controllers} (the v2 controllers) and
     * {@code cgroup.v1.CONTROLLER} per v1 controller.
     *
     * @return the pairs, in order
     */
    Map<String, String> record() {
        Map<String, String> m = new LinkedHashMap<>();
        v2.ifPresent(p -> m.put("cgroup", p.toString()));
        if (!v2Controllers.isEmpty()) {
            m.put("cgroup.controllers", String.join(" ", new TreeSet<>(v2Controllers)));
        }
        v1.forEach((c, p) -> m.put("cgroup.v1." + c, p.toString()));
        return m;
    }

    /**
     * Reads the pairs of {@link #record()} back; a record without them (an older one) has its
     * v2 group alone, or none.
     *
     * @param m the state record's pairs
     * @return the groups
     */
    static SubhostGroups fromRecord(Map<String, String> m) {
        Optional<Path> v2 = Optional.ofNullable(m.get("cgroup")).map(Path::of);
        String controllers = m.getOrDefault("cgroup.controllers", "").strip();
        Set<String> onV2 = controllers.isEmpty() ? Set.of() : Set.of(controllers.split(" +"));
        Map<String, Path> v1 = new LinkedHashMap<>();
        m.forEach((k, v) -> {
            if (k.startsWith("cgroup.v1.")) {
                v1.put(k.substring("cgroup.v1.".length()), Path.of(v));
            }
        });
        return new SubhostGroups(v2, onV2, v1);
    }
}
