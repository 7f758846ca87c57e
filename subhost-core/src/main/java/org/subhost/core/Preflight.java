package org.subhost.core;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.subhost.BootProblem;
import org.subhost.BootProblem.Severity;
import org.subhost.config.Cable;
import org.subhost.config.RootKind;
import org.subhost.config.Share;
import org.subhost.config.SubhostConfig;
import org.subhost.config.VethCable;
import org.subhost.core.PreflightFacts.Kind;
import org.subhost.core.PreflightFacts.PathState;

/**
 * The preflight of a boot: every problem that a boot of a configuration would meet on a
 * host, found at once from the configuration and the host's facts ({@link PreflightFacts}),
 * each with its fix; a pure function, so that each rule is tested without root.
 *
 * <p>Example: a BASE holding only the {@code .conf} gives three errors, {@code LIVE
 * (/ex1/live) does not exist} with the fix {@code mkdir -p /ex1/live}, and the same for
 * UPPER and WORK; the boot would name only the first of them and stop.
 *
 * <p>Errors (the boot would fail): a subhost of the NAME runs; LIVE, UPPER, WORK or LOWER
 * (those the root kind uses) missing or no directory; UPPER or WORK on an overlay (the
 * kernel refuses it as an upper layer); WORK on another filesystem than UPPER; a limit whose
 * controller the host lacks (MEMORY_HIGH on cgroup v1, PIDS_MAX without any); LIVE with a
 * mount on it; a SHARE source missing; a cable's bridge missing; a host end's name taken.
 * Warnings (the boot would work, the subhost not as meant): a host end without bridge that
 * ifup cannot configure (no stanza, or no ifupdown); a file {@code
 * UPPER/etc/network/interfaces} that names no {@code ethi} of a cable (written before the
 * cable was added: the boot never rewrites it); a hostname that is the host's own; a START
 * service that the subhost's root does not have; a START unit with directives outside the
 * built-in init's subset, or one that cannot run (the unit reader's warnings, which the
 * boot gives again as it reads LIVE).
 *
 * <p>Left to the boot's steps, which check again in any case: whatever changes between
 * the preflight and the boot, what only the kernel can say (a mount refused), and what the
 * user's own PREMOUNT, POSTMOUNT and INIT do.
 */
final class Preflight {
    private Preflight() {}

    /**
     * The problems of booting {@code config} on a host with {@code facts}: errors first as
     * the boot meets them, then warnings, in the configuration's order.
     */
    static List<BootProblem> check(SubhostConfig config, PreflightFacts facts) {
        List<BootProblem> out = new ArrayList<>();
        boolean running = facts.runningPid().isPresent();
        if (running) {
            out.add(error(config.name() + " is already running (pid " + facts.runningPid().getAsInt() + ")",
                    "overlay-stop " + conf(config) + " first, or give this subhost another NAME="));
        }
        root(config, facts, running, out);
        facts.limitsRefusal().ifPresent(reason -> {
            int fix = reason.lastIndexOf("; set ");
            out.add(fix < 0 ? error(reason, "boot it on a host with that controller")
                    : error(reason.substring(0, fix), reason.substring(fix + 2)));
        });
        for (Share share : config.shares()) {
            PathState state = facts.paths().get(share.hostPath());
            if (state != null && state.kind() == Kind.MISSING) {
                out.add(error("SHARE source (" + share.hostPath() + ") does not exist on the host",
                        "mkdir -p " + share.hostPath() + ", or remove the SHARE= line that names it"));
            }
        }
        cables(config, facts, running, out);
        List<BootProblem> warnings = new ArrayList<>();
        hostEnds(config, facts, warnings);
        interfacesFile(config, facts, warnings);
        hostname(config, facts, warnings);
        services(config, facts, warnings);
        out.addAll(warnings);
        return List.copyOf(out);
    }

    /** The root's directories, for the root kind of {@code config} (docs/spec.md §3.5). */
    private static void root(SubhostConfig config, PreflightFacts facts, boolean running, List<BootProblem> out) {
        RootKind kind = config.rootKind();
        boolean liveIsDirectory = directory("LIVE", config.live(), facts, out);
        if (kind == RootKind.PLAIN) {
            return;
        }
        boolean upperIsDirectory = directory("UPPER", config.upper(), facts, out);
        if (kind == RootKind.OVERLAY) {
            boolean workIsDirectory = directory("WORK", config.work(), facts, out);
            PathState lower = facts.paths().get(config.lower());
            if (lower != null && lower.kind() != Kind.DIRECTORY) {
                out.add(error("LOWER (" + config.lower() + ") " + (lower.kind() == Kind.MISSING ? "does not exist"
                        : "is not a directory"), "set LOWER= to the root directory of an OS tree (such as one"
                        + " debootstrap makes), or leave it unset for the host's own /"));
            }
            PathState upper = facts.paths().get(config.upper());
            PathState work = facts.paths().get(config.work());
            String elsewhere = "set UPPER= and WORK= to two directories side by side on a filesystem that is no"
                    + " overlay (ext4, xfs, btrfs, tmpfs)";
            if (upperIsDirectory && upper.onOverlay()) {
                out.add(error("UPPER (" + config.upper() + ") is on an overlay filesystem, which the kernel refuses"
                        + " as an overlay's upper layer", elsewhere));
            }
            if (workIsDirectory && work.onOverlay()) {
                out.add(error("WORK (" + config.work() + ") is on an overlay filesystem, which the kernel refuses"
                        + " as an overlay's work directory", elsewhere));
            }
            if (upperIsDirectory && workIsDirectory && upper.device() != work.device()) {
                out.add(error("WORK (" + config.work() + ") is not on the same filesystem as UPPER (" + config.upper()
                        + ")", "set WORK= to a directory beside UPPER, on its filesystem (such as "
                        + sibling(config.upper(), "work") + ")"));
            }
        }
        if (!running && liveIsDirectory && facts.paths().get(config.live()).mountRoot()) {
            out.add(error("LIVE (" + config.live() + ") already has a mount", "umount " + config.live()
                    + " (a mount of the host's, which the boot would hide)"));
        }
    }

    /**
     * Adds an error unless {@code path} is a directory; returns whether it is one (false
     * also when unknown).
     */
    private static boolean directory(String variable, Path path, PreflightFacts facts, List<BootProblem> out) {
        PathState state = facts.paths().get(path);
        if (state == null) {
            return false;
        }
        switch (state.kind()) {
            case DIRECTORY -> {
                return true;
            }
            case MISSING -> out.add(error(variable + " (" + path + ") does not exist", "mkdir -p " + path));
            case NOT_DIRECTORY -> out.add(error(variable + " (" + path + ") is not a directory", "move " + path
                    + " away and mkdir -p " + path + ", or set " + variable + "= to a directory"));
        }
        return false;
    }

    /** Bridges that must exist, host ends that must not (docs/spec.md §4). */
    private static void cables(SubhostConfig config, PreflightFacts facts, boolean running, List<BootProblem> out) {
        List<String> bridgesSeen = new ArrayList<>();
        for (Cable cable : config.cables()) {
            Optional<String> bridge = cable.bridge();
            if (bridge.isPresent() && facts.hostLinks().isPresent() && !facts.hostLinks().get().contains(bridge.get())
                    && !bridgesSeen.contains(bridge.get())) {
                bridgesSeen.add(bridge.get());
                out.add(error("bridge " + bridge.get() + " (for " + cable.hostName() + ") does not exist on the host",
                        "ip link add " + bridge.get() + " type bridge && ip link set " + bridge.get()
                                + " up (or a stanza for it in /etc/network/interfaces), or name another bridge in"
                                + " CABLES"));
            }
        }
        if (running || facts.hostLinks().isEmpty()) {
            return; // its own host ends are there, as they should be; or nothing is known
        }
        for (Cable cable : config.cables()) {
            if (facts.hostLinks().get().contains(cable.hostName())) {
                out.add(error("interface " + cable.hostName() + " exists on the host already",
                        "overlay-stop " + conf(config) + " (it removes what an earlier boot of " + config.name()
                                + " left), or ip link delete " + cable.hostName()));
            }
        }
    }

    /** Host ends without a bridge: {@code ifup NAMEi}, else only brought up. */
    private static void hostEnds(SubhostConfig config, PreflightFacts facts, List<BootProblem> out) {
        for (Cable cable : config.cables()) {
            if (cable.bridge().isPresent()) {
                continue;
            }
            String end = cable.hostName();
            String fix = "add a stanza for it to /etc/network/interfaces, such as 'iface " + end + " inet manual'"
                    + " or one with its address (docs/configuration.md, \"A worked cable\"), or give the cable a"
                    + " bridge in CABLES";
            if (facts.ifup().isEmpty()) {
                out.add(warning("host end " + end + " has no bridge and ifupdown is not installed, so the boot only"
                        + " brings it up, without an address", "give the cable a bridge in CABLES, or install ifupdown"
                        + " and add a stanza for " + end + " to /etc/network/interfaces"));
            } else if (facts.ifupdownStanzas().isPresent() && !facts.ifupdownStanzas().get().contains(end)) {
                out.add(warning("host end " + end + " has no stanza in /etc/network/interfaces, so 'ifup " + end
                        + "' fails and the boot only brings it up, without an address", fix));
            }
        }
    }

    /**
     * A subhost's {@code etc/network/interfaces} that a boot wrote before a cable was added:
     * the built-in PREMOUNT writes it only when it is missing, so it goes stale silently.
     */
    private static void interfacesFile(SubhostConfig config, PreflightFacts facts, List<BootProblem> out) {
        if (facts.upperInterfaces().isEmpty() || facts.upperInterfaces().get().sourcesOthers()) {
            return; // none, or it includes files that may name the rest
        }
        PreflightFacts.InterfacesFile file = facts.upperInterfaces().get();
        for (VethCable cable : config.veths()) {
            String eth = cable.subhostName();
            if (!file.names().contains(eth)) {
                out.add(warning(file.file() + " names no " + eth + ", which CABLES makes (the file is older than the"
                        + " cable?), so the subhost leaves " + eth + " unconfigured", "add 'auto " + eth + "' and 'iface "
                        + eth + " inet manual' (or its address) to " + file.file() + ", or move the file away so that"
                        + " the next boot writes one for every cable"));
            }
        }
    }

    /** A hostname that is the host's own, so that a prompt inside reads like one on the host. */
    private static void hostname(SubhostConfig config, PreflightFacts facts, List<BootProblem> out) {
        if (facts.subhostHostname().isEmpty() || facts.hostname().isEmpty()
                || !facts.subhostHostname().get().name().equals(facts.hostname().get())) {
            return;
        }
        PreflightFacts.HostnameFile file = facts.subhostHostname().get();
        String problem = "the subhost's hostname will be " + file.name() + ", the host's own (from " + file.file()
                + (file.fromLower() ? ", LOWER's" : "") + "), so a prompt inside reads like one on the host";
        Path own = config.upper().resolve("etc/hostname");
        String fix;
        if (config.rootKind() == RootKind.OVERLAY) {
            fix = "echo " + config.name() + " > " + own + " (or another name of its own)";
        } else if (config.upper().equals(Path.of("/"))) {
            fix = "give the subhost a root of its own, an overlay (UPPER other than LOWER, as by default), and write"
                    + " its name to UPPER/etc/hostname";
        } else {
            fix = "echo " + config.name() + " > " + own + " (or another name of its own)";
        }
        out.add(warning(problem, fix));
    }

    /**
     * START services that the subhost's root lacks (each start fails, seen only in LOG), and
     * what the unit reader says of the others.
     */
    private static void services(SubhostConfig config, PreflightFacts facts, List<BootProblem> out) {
        if (config.init().isPresent()) {
            return; // a user's INIT starts what it likes
        }
        for (PreflightFacts.UnitWarning w : facts.unitWarnings()) {
            String unit = w.service().endsWith(".service") ? w.service() : w.service() + ".service";
            out.add(warning(w.text(), w.fails()
                    ? "correct the unit (a drop-in /etc/systemd/system/" + unit + ".d/NAME.conf in UPPER overrides"
                            + " what LOWER has), or leave " + w.service() + " out of START"
                    : "none, if " + w.service() + " runs without them (docs/spec.md §5.1 lists what the built-in"
                            + " init runs); else start it from a script of your own in START, or make an init"
                            + " system the subhost's init (INIT)"));
        }
        if (facts.missingServices().isEmpty()) {
            return;
        }
        List<String> kept = new ArrayList<>(config.start());
        kept.removeAll(facts.missingServices());
        String start = kept.isEmpty() ? "none" : String.join(" ", kept);
        for (String service : facts.missingServices()) {
            String lacks = service.startsWith("/") ? "no " + service
                    : service.endsWith(".service") ? "no unit " + service
                    : "neither /etc/init.d/" + service + " nor a unit " + service + ".service";
            out.add(warning("START service " + service + ": the subhost's root has " + lacks
                    + ", so its start will fail", "install it in the subhost, or leave it out: START=" + start));
        }
    }

    /** {@code BASE/name} beside {@code path}: the usual place of its sibling. */
    private static Path sibling(Path path, String name) {
        Path parent = path.getParent();
        return parent == null ? Path.of("/", name) : parent.resolve(name);
    }

    /** How the fix names the configuration file: its path, or CONF for one made in code. */
    private static String conf(SubhostConfig config) {
        return config.file().map(Path::toString).orElse("CONF");
    }

    private static BootProblem error(String problem, String fix) {
        return new BootProblem(Severity.ERROR, problem, fix);
    }

    private static BootProblem warning(String problem, String fix) {
        return new BootProblem(Severity.WARNING, problem, fix);
    }
}
