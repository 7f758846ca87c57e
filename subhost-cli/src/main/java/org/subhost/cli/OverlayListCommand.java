package org.subhost.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.subhost.SubhostException;
import org.subhost.SubhostStatus;
import org.subhost.Subhosts;
import org.subhost.config.Limits;
import org.subhost.config.Share;

/**
 * {@code overlay-list [--json]}: the running subhosts, as a table or as JSON for machines.
 */
final class OverlayListCommand extends Command {
    static final String NAME = "overlay-list";
    static final String USAGE_LINE = "Usage: overlay-list [--json]";

    static final String DESCRIPTION = """
            Prints the running subhosts: NAME, the host pid of its pid 1, its uptime in
            seconds and its configuration file, one a line under a header. Records whose
            pid 1 is gone (or whose pid now belongs to another process) are not listed.
            Needs root.

            Options:
              --json      print a JSON array instead, one object per subhost with name, pid,
                          config, started (ISO-8601), uptime_s, root, live, log, cgroup,
                          init_system, cables (host, subhost, mac, bridge, up), services
                          (name, state, phase, main_pid, restarts), confinement (capabilities as CAPABILITIES
                          writes them, the list of capabilities kept, seccomp, files),
                          shares (host, subhost: the boot's SHAREs and those
                          of overlay-share since), limits (memory_max, memory_high,
                          pids_max, cpu_weight, cpu_max in percent of one CPU,
                          io_weight, disk_max; null for none) and usage
                          (memory_bytes, memory_peak_bytes, processes, cpu_usec,
                          oom_kills; null when unknown)
              -h, --help  print this help and exit

            Exit status: 0, or 2 for bad usage.
            """;

    private static final CliArgs.Syntax SYNTAX = CliArgs.Syntax.operands(0).flag("--json");

    OverlayListCommand() {
        super(USAGE_LINE, DESCRIPTION, SYNTAX);
    }

    @Override
    int execute(CliArgs args, PrintStream out, PrintStream err) throws CommandExit, SubhostException {
        CliSupport.requireRoot(NAME);
        List<SubhostStatus> running = Subhosts.linux().list();
        if (args.has("--json")) {
            out.println(Json.write(running.stream().map(OverlayListCommand::toJson).toList()));
        } else {
            out.printf("%-12s %8s %10s %s%n", "NAME", "PID", "UPTIME_S", "CONFIG");
            for (SubhostStatus s : running) {
                out.printf("%-12s %8d %10d %s%n", s.name(), s.pid(), s.uptime().toSeconds(),
                        s.config().map(Path::toString).orElse("-"));
            }
        }
        return EXIT_OK;
    }

    /** A number, or null in JSON. */
    private static Optional<Long> optional(java.util.OptionalLong value) {
        return value.isPresent() ? Optional.of(value.getAsLong()) : Optional.empty();
    }

    /** One subhost as a JSON object. */
    static Map<String, Object> toJson(SubhostStatus s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", s.name());
        m.put("pid", s.pid());
        m.put("config", s.config().map(Path::toString));
        m.put("started", s.started().toString());
        m.put("uptime_s", s.uptime().toSeconds());
        m.put("root", s.rootKind().name().toLowerCase(Locale.ROOT));
        m.put("live", s.live().toString());
        m.put("log", s.log().toString());
        m.put("cgroup", s.cgroup().map(Path::toString));
        m.put("init_system", s.initSystem());
        List<Object> cables = new ArrayList<>();
        for (SubhostStatus.CableStatus c : s.cables()) {
            Map<String, Object> cable = new LinkedHashMap<>();
            cable.put("host", c.hostName());
            cable.put("subhost", c.subhostName());
            cable.put("mac", c.mac());
            cable.put("bridge", c.bridge());
            cable.put("up", c.up());
            cables.add(cable);
        }
        m.put("cables", cables);
        List<Object> services = new ArrayList<>();
        for (SubhostStatus.ServiceStatus service : s.services()) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("name", service.name());
            one.put("state", service.state());
            one.put("phase", service.phase());
            one.put("main_pid", service.mainPid().isPresent() ? service.mainPid().getAsInt() : null);
            one.put("restarts", service.restarts());
            services.add(one);
        }
        m.put("services", services);
        Map<String, Object> confinement = new LinkedHashMap<>();
        confinement.put("capabilities", s.confinement().capabilitiesText());
        confinement.put("kept", s.confinement().capabilities().stream().map(Object::toString).toList());
        confinement.put("seccomp", s.confinement().seccomp());
        confinement.put("files", s.confinement().files());
        m.put("confinement", confinement);
        List<Object> shares = new ArrayList<>();
        for (Share share : s.shares()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("host", share.hostPath().toString());
            entry.put("subhost", share.subhostPath().toString());
            shares.add(entry);
        }
        m.put("shares", shares);
        Limits l = s.limits();
        Map<String, Object> limits = new LinkedHashMap<>();
        limits.put("memory_max", optional(l.memoryMax()));
        limits.put("memory_high", optional(l.memoryHigh()));
        limits.put("pids_max", optional(l.pidsMax()));
        limits.put("cpu_weight", l.cpuWeight());
        limits.put("cpu_max", l.cpuMaxPercent().isPresent() ? Optional.of(l.cpuMaxPercent().getAsInt()) : Optional.empty());
        limits.put("io_weight", l.ioWeight());
        limits.put("disk_max", optional(l.diskMax()));
        m.put("limits", limits);
        SubhostStatus.Usage u = s.usage();
        Map<String, Object> usage = new LinkedHashMap<>();
        usage.put("memory_bytes", optional(u.memoryBytes()));
        usage.put("memory_peak_bytes", optional(u.memoryPeakBytes()));
        usage.put("processes", optional(u.processes()));
        usage.put("cpu_usec", optional(u.cpuMicros()));
        usage.put("oom_kills", optional(u.oomKills()));
        m.put("usage", usage);
        return m;
    }
}
