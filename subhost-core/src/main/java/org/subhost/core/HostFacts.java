package org.subhost.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.subhost.linux.MountTable;
import org.subhost.linux.Mounts;
import org.subhost.linux.SyscallException;

/**
 * The few facts about the host that a boot plan depends on, read once per boot.
 *
 * @param cgroup2 where a cgroup v2 hierarchy is mounted, if anywhere ({@code /sys/fs/cgroup}
 *     on a unified host, {@code /sys/fs/cgroup/unified} on a hybrid one)
 * @param adjtime whether the host has {@code /etc/adjtime}
 * @param ifup the {@code ifup} program, when ifupdown is installed
 * @param unitGroup the control group of the systemd unit that runs this process, relative
 *     to the cgroup v2 root, when it runs as a unit's command ({@link #unitGroup(Map,
 *     String)}): the subhost's group is made inside it
 * @param cgroups the control groups' layout: which controllers are where ({@link CgroupLayout})
 */
record HostFacts(Optional<Path> cgroup2, boolean adjtime, Optional<Path> ifup, Optional<Path> unitGroup,
        CgroupLayout cgroups) {
    /** The controllers that a unified host without a unit offers at the top, for facts made in tests. */
    static final java.util.Set<String> USUAL_V2_CONTROLLERS = java.util.Set.of("cpu", "io", "memory", "pids");

    /** Facts of a process that no systemd unit runs, on a unified host with the usual controllers or none. */
    HostFacts(Optional<Path> cgroup2, boolean adjtime, Optional<Path> ifup) {
        this(cgroup2, adjtime, ifup, Optional.empty());
    }

    /** Facts on a unified host with the usual controllers (a unit's group among them), or without cgroups. */
    HostFacts(Optional<Path> cgroup2, boolean adjtime, Optional<Path> ifup, Optional<Path> unitGroup) {
        this(cgroup2, adjtime, ifup, unitGroup, cgroup2.map(root -> new CgroupLayout(Optional.of(root), unitGroup,
                USUAL_V2_CONTROLLERS, java.util.List.of())).orElse(CgroupLayout.NONE));
    }

    /**
     * Where a subhost of {@code name} has its control group: inside the unit's group when a
     * unit runs this process, else at the top of the cgroup v2 hierarchy; none without one.
     */
    Optional<Path> subhostGroup(String name) {
        return cgroup2.map(root -> unitGroup.map(root::resolve).orElse(root).resolve(name));
    }

    /**
     * The group of the systemd unit that runs this process, from {@code /proc/self/cgroup}'s
     * cgroup v2 line ({@code 0::/system.slice/subhosts@opt-mta-mta.conf.service}), when
     * {@code env} shows that systemd started it (INVOCATION_ID, which systemd sets for every
     * process of a unit) and the group is a service's or a scope's. systemd leaves the
     * inside of a unit's group to the unit's processes only with Delegate=yes, as the unit
     * subhosts@.service has; see systemd's "Control Group APIs and Delegation".
     *
     * @param env this process's environment
     * @param procSelfCgroup the text of {@code /proc/self/cgroup}
     */
    static Optional<Path> unitGroup(Map<String, String> env, String procSelfCgroup) {
        String invocation = env.get("INVOCATION_ID");
        if (invocation == null || invocation.isBlank()) {
            return Optional.empty();
        }
        for (String line : procSelfCgroup.split("\n")) {
            if (line.startsWith("0::/")) {
                String path = line.substring("0::/".length()).strip();
                if (!path.isEmpty() && !path.contains("..") && (path.endsWith(".service") || path.endsWith(".scope"))) {
                    return Optional.of(Path.of(path));
                }
            }
        }
        return Optional.empty();
    }


    /** Where hosts mount their cgroup v2 hierarchy: unified, then hybrid. */
    private static final List<Path> CGROUP2_PLACES = List.of(Path.of("/sys/fs/cgroup"), Path.of("/sys/fs/cgroup/unified"));

    /** Reads the facts from this host. */
    static HostFacts probe() {
        Optional<Path> cgroup2 = findCgroup2();
        // One reading of /proc/self/cgroup for the unit's group and the layout (unreadable: empty).
        String procSelfCgroup = CgroupLayout.procSelfCgroup();
        Optional<Path> unit = unitGroup(System.getenv(), procSelfCgroup);
        return new HostFacts(cgroup2, Files.exists(Path.of("/etc/adjtime")), findIfup(), unit,
                CgroupLayout.probe(cgroup2, unit, procSelfCgroup));
    }

    /**
     * The cgroup v2 hierarchy: one statfs(2) per usual place, so that a boot does not read
     * the whole mount table, which grows with every running subhost ({@code
     * /run/netns/NAME}); the mount table only when neither place has it.
     */
    static Optional<Path> findCgroup2() {
        for (Path place : CGROUP2_PLACES) {
            try {
                if (Mounts.filesystemType(place.toString()) == Mounts.CGROUP2_SUPER_MAGIC) {
                    return Optional.of(place);
                }
            } catch (SyscallException e) {
                // ENOENT: not this place.
            }
        }
        try {
            return MountTable.ofThisThread().firstOfType("cgroup2");
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The {@code ifup} program of ifupdown, when it is installed. */
    static Optional<Path> findIfup() {
        for (String dir : new String[] {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
            Path p = Path.of(dir, "ifup");
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }
}
