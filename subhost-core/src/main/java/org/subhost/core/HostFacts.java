package org.subhost.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.subhost.linux.Mounts;
import org.subhost.linux.SyscallException;

/**
 * The few facts about the host that a boot plan depends on, read once per boot.
 *
 * @param cgroup2 where a cgroup v2 hierarchy is mounted, if anywhere ({@code /sys/fs/cgroup}
 *     on a unified host, {@code /sys/fs/cgroup/unified} on a hybrid one)
 * @param adjtime whether the host has {@code /etc/adjtime}
 * @param ifup the {@code ifup} program, when ifupdown is installed
 */
record HostFacts(Optional<Path> cgroup2, boolean adjtime, Optional<Path> ifup) {
    /** Where hosts mount their cgroup v2 hierarchy: unified, then hybrid. */
    private static final List<Path> CGROUP2_PLACES = List.of(Path.of("/sys/fs/cgroup"), Path.of("/sys/fs/cgroup/unified"));

    /** Reads the facts from this host. */
    static HostFacts probe() {
        return new HostFacts(findCgroup2(), Files.exists(Path.of("/etc/adjtime")), findIfup());
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
