package org.subhost.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The few facts about the host that a boot plan depends on, read once per boot.
 *
 * @param cgroup2 where a cgroup v2 hierarchy is mounted, if anywhere ({@code /sys/fs/cgroup}
 *     on a unified host, {@code /sys/fs/cgroup/unified} on a hybrid one)
 * @param adjtime whether the host has {@code /etc/adjtime}
 * @param ifup the {@code ifup} program, when ifupdown is installed
 */
record HostFacts(Optional<Path> cgroup2, boolean adjtime, Optional<Path> ifup) {

    /** Reads the facts from this host. */
    static HostFacts probe() {
        Optional<Path> cgroup2;
        try {
            cgroup2 = MountTable.ofThisThread().firstOfType("cgroup2");
        } catch (IOException e) {
            cgroup2 = Optional.empty();
        }
        Optional<Path> ifup = Optional.empty();
        for (String dir : new String[] {"/usr/sbin", "/sbin", "/usr/bin", "/bin"}) {
            Path p = Path.of(dir, "ifup");
            if (Files.isExecutable(p)) {
                ifup = Optional.of(p);
                break;
            }
        }
        return new HostFacts(cgroup2, Files.exists(Path.of("/etc/adjtime")), ifup);
    }
}
