package org.subhost.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The few facts about the host that a boot plan depends on, read once per boot.
 *
 * @param cgroup2 where a cgroup v2 hierarchy is mounted, if anywhere ({@code /sys/fs/cgroup}
 *     on a unified host, {@code /sys/fs/cgroup/unified} on a hybrid one)
 * @param adjtime whether the host has {@code /etc/adjtime}
 * @param ifup the {@code ifup} program, when ifupdown is installed
 * @param mounts the caller's mount table as read for this boot, which the layout check
 *     reuses: the table grows with every running subhost ({@code /run/netns/NAME}), so a
 *     boot reads it once, not twice
 */
record HostFacts(Optional<Path> cgroup2, boolean adjtime, Optional<Path> ifup, MountTable mounts) {

    /** Facts for planning only, with an empty mount table. */
    HostFacts(Optional<Path> cgroup2, boolean adjtime, Optional<Path> ifup) {
        this(cgroup2, adjtime, ifup, new MountTable(List.of()));
    }

    /** Reads the facts from this host. */
    static HostFacts probe() {
        MountTable mounts;
        try {
            mounts = MountTable.ofThisThread();
        } catch (IOException e) {
            mounts = new MountTable(List.of());
        }
        Optional<Path> cgroup2 = mounts.firstOfType("cgroup2");
        Optional<Path> ifup = findIfup();
        return new HostFacts(cgroup2, Files.exists(Path.of("/etc/adjtime")), ifup, mounts);
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
