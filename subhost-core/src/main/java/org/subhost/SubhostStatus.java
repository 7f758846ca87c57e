package org.subhost;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.subhost.config.Confinement;
import org.subhost.config.Limits;
import org.subhost.config.RootKind;
import org.subhost.config.Share;

/**
 * What a running subhost looks like from the host, read from its state record and checked
 * against the kernel ({@code /proc}, {@code /run/netns}, {@code /sys/class/net}).
 *
 * @param name the subhost's NAME
 * @param pid the host pid of its pid 1
 * @param started when pid 1 started
 * @param config the configuration file it was booted from, if any
 * @param rootKind how its root filesystem is made
 * @param live where its root is mounted (LIVE), as seen from the host's configuration
 * @param log its LOG file
 * @param cables its cables: host end, subhost end, MAC address and bridge
 * @param services its START services and their last known state
 * @param cgroup its control group, if the host has a cgroup v2 hierarchy
 * @param confinement what its processes are kept from doing to the host (docs/security.md)
 * @param initSystem the init system that is its pid 1 (such as {@code
 *     /usr/lib/systemd/systemd}), when its init script made one pid 1; empty when pid 1 is
 *     the SDK's own
 * @param shares the host paths bound into it, the boot's SHAREs and those shared live since
 *     ({@link Subhost#share}), in the order made; those removed are gone
 * @param limits the limits it was booted with or last given ({@code overlay-limit}); a subhost
 *     booted before limits existed shows none
 * @param usage what it uses now, from its control groups
 */
public record SubhostStatus(
        String name,
        int pid,
        Instant started,
        Optional<Path> config,
        RootKind rootKind,
        Path live,
        Path log,
        List<CableStatus> cables,
        List<ServiceStatus> services,
        Optional<Path> cgroup,
        Confinement confinement,
        Optional<String> initSystem,
        List<Share> shares,
        Limits limits,
        Usage usage) {

    /**
     * A status whose pid 1 is the SDK's own.
     *
     * @param name the subhost's NAME
     * @param pid the host pid of its pid 1
     * @param started when pid 1 started
     * @param config the configuration file it was booted from, if any
     * @param rootKind how its root filesystem is made
     * @param live where its root is mounted (LIVE)
     * @param log its LOG file
     * @param cables its cables
     * @param services its START services and their last known state
     * @param cgroup its control group, if the host has a cgroup v2 hierarchy
     * @param confinement what its processes are kept from doing to the host
     */
    public SubhostStatus(String name, int pid, Instant started, Optional<Path> config, RootKind rootKind, Path live,
            Path log, List<CableStatus> cables, List<ServiceStatus> services, Optional<Path> cgroup,
            Confinement confinement) {
        this(name, pid, started, config, rootKind, live, log, cables, services, cgroup, confinement, Optional.empty());
    }

    /**
     * A status without shares, limits or usage.
     *
     * @param name the subhost's NAME
     * @param pid the host pid of its pid 1
     * @param started when pid 1 started
     * @param config the configuration file it was booted from, if any
     * @param rootKind how its root filesystem is made
     * @param live where its root is mounted (LIVE)
     * @param log its LOG file
     * @param cables its cables
     * @param services its START services and their last known state
     * @param cgroup its control group, if the host has a cgroup v2 hierarchy
     * @param confinement what its processes are kept from doing to the host
     * @param initSystem the init system that is its pid 1, if one is
     */
    public SubhostStatus(String name, int pid, Instant started, Optional<Path> config, RootKind rootKind, Path live,
            Path log, List<CableStatus> cables, List<ServiceStatus> services, Optional<Path> cgroup,
            Confinement confinement, Optional<String> initSystem) {
        this(name, pid, started, config, rootKind, live, log, cables, services, cgroup, confinement, initSystem,
                List.of());
    }

    /**
     * A status without limits or usage, as a record from before them gives.
     *
     * @param name the subhost's NAME
     * @param pid the host pid of its pid 1
     * @param started when pid 1 started
     * @param config the configuration file it was booted from, if any
     * @param rootKind how its root filesystem is made
     * @param live where its root is mounted (LIVE)
     * @param log its LOG file
     * @param cables its cables
     * @param services its START services and their last known state
     * @param cgroup its control group, if the host has a cgroup v2 hierarchy
     * @param confinement what its processes are kept from doing to the host
     * @param initSystem the init system that is its pid 1, if one is
     * @param shares the host paths bound into it
     */
    public SubhostStatus(String name, int pid, Instant started, Optional<Path> config, RootKind rootKind, Path live,
            Path log, List<CableStatus> cables, List<ServiceStatus> services, Optional<Path> cgroup,
            Confinement confinement, Optional<String> initSystem, List<Share> shares) {
        this(name, pid, started, config, rootKind, live, log, cables, services, cgroup, confinement, initSystem,
                shares, Limits.DEFAULT.withPidsMax(OptionalLong.empty()), Usage.UNKNOWN);
    }

    /** Checks that every part is present, and copies the lists. */
    public SubhostStatus {
        requireNonNull(name, "name");
        requireNonNull(started, "started");
        requireNonNull(config, "config");
        requireNonNull(rootKind, "rootKind");
        requireNonNull(live, "live");
        requireNonNull(log, "log");
        cables = List.copyOf(cables);
        services = List.copyOf(services);
        requireNonNull(cgroup, "cgroup");
        requireNonNull(confinement, "confinement");
        requireNonNull(initSystem, "initSystem");
        shares = List.copyOf(shares);
        requireNonNull(limits, "limits");
        requireNonNull(usage, "usage");
    }

    /** {@return how long pid 1 has been running, up to now} */
    public Duration uptime() {
        return Duration.between(started, Instant.now());
    }

    /**
     * One virtual cable as the kernel reports it.
     *
     * @param hostName the host end, such as {@code ex10} or {@code ex10.302}
     * @param subhostName the subhost end, such as {@code eth0} or {@code eth0.302}
     * @param mac the MAC address of the subhost end as {@code aa:bb:cc:dd:ee:ff}, empty if unknown
     * @param bridge the bridge the host end is a port of, if any
     * @param up whether the host end is up
     */
    public record CableStatus(String hostName, String subhostName, Optional<String> mac,
            Optional<String> bridge, boolean up) {
        /** Checks that every part is present. */
        public CableStatus {
            requireNonNull(hostName, "hostName");
            requireNonNull(subhostName, "subhostName");
            requireNonNull(mac, "mac");
            requireNonNull(bridge, "bridge");
        }
    }

    /**
     * What a subhost uses of its host now, read from its control groups; a figure that the
     * host's groups do not give is empty.
     *
     * @param memoryBytes the memory its processes use now (page cache and kernel memory
     *     charged to it included), in bytes
     * @param memoryPeakBytes the most they have used at once since the boot (on cgroup v2
     *     since Linux 5.19), in bytes
     * @param processes its tasks now: processes and their threads, as PIDS_MAX counts them
     * @param cpuMicros the CPU time its processes have used since the boot, in microseconds
     * @param oomKills how many of its processes the kernel has killed for going past
     *     MEMORY_MAX
     */
    public record Usage(OptionalLong memoryBytes, OptionalLong memoryPeakBytes, OptionalLong processes,
            OptionalLong cpuMicros, OptionalLong oomKills) {
        /** Nothing known: a subhost without control groups. */
        public static final Usage UNKNOWN = new Usage(OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(),
                OptionalLong.empty(), OptionalLong.empty());

        /** Checks that every part is present. */
        public Usage {
            requireNonNull(memoryBytes, "memoryBytes");
            requireNonNull(memoryPeakBytes, "memoryPeakBytes");
            requireNonNull(processes, "processes");
            requireNonNull(cpuMicros, "cpuMicros");
            requireNonNull(oomKills, "oomKills");
        }
    }

    /**
     * One START service and what the init last said of it.
     *
     * <p>An init.d script's state is {@code started}, {@code failed (status N)} or {@code timed
     * out (killed after N s)}; a unit's starts with one of {@code starting}, {@code running},
     * {@code started}, {@code exited}, {@code restarting}, {@code failed}, {@code skipped},
     * {@code stopping}, {@code stopped}, with the details in parentheses ({@code running (pid
     * 412, restarts 1)}); {@code unknown} before the init has reached it.
     *
     * @param name the service as written in START
     * @param state what the init last said of it
     * @param mainPid a unit's main process, as its pid inside the subhost, while it runs
     * @param restarts how often the init has restarted a unit's service
     */
    public record ServiceStatus(String name, String state, OptionalInt mainPid, int restarts) {
        /** Checks that the parts are present and the count is not negative. */
        public ServiceStatus {
            requireNonNull(name, "name");
            requireNonNull(state, "state");
            requireNonNull(mainPid, "mainPid");
            if (restarts < 0) {
                throw new IllegalArgumentException("restarts (" + restarts + ") must not be negative");
            }
        }

        /**
         * A service whose state tells no main process and no restarts (an init.d script's).
         *
         * @param name the service as written in START
         * @param state what the init last said of it
         */
        public ServiceStatus(String name, String state) {
            this(name, state, OptionalInt.empty(), 0);
        }

        /**
         * {@return the first word of the state: {@code running}, {@code failed}, {@code
         * started}, {@code unknown}, ...}
         */
        public String phase() {
            int blank = state.indexOf(' ');
            return blank < 0 ? state : state.substring(0, blank);
        }
    }
}
