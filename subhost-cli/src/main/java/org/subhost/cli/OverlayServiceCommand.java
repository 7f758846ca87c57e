package org.subhost.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.subhost.NotRunningException;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.SubhostStatus;
import org.subhost.Subhosts;

/**
 * {@code overlay-service [--timeout SECONDS] NAME SERVICE start|stop|restart|status}: acts on
 * one START service of the running subhost NAME through its pid 1 (docs/spec.md §5), or
 * tells its state.
 */
final class OverlayServiceCommand extends Command {
    static final String NAME = "overlay-service";

    static final String USAGE_LINE = "Usage: overlay-service [--timeout SECONDS] NAME SERVICE start|stop|restart|status";

    static final String DESCRIPTION = """
            Starts, stops or restarts one START service of the running subhost NAME, or
            tells its state, and prints "SERVICE: STATE", the state it is in now, such
            as "rsyslog: running (pid 57, restarts 0)". SERVICE is written as in START.

            The subhost's pid 1 does the work, as at the boot and the stop: an init.d
            script by its start or stop (service SERVICE start, or PATH start), a
            systemd unit by ExecStart= and its Type=, or by ExecStop=, KillSignal= and
            TimeoutStopSec=. start leaves a unit that runs as it is, and runs an init.d
            script's start again in any case; stop keeps a unit from being restarted
            until it is started again; restart is stop, then start. The command returns
            when the service has started or failed, or has stopped. status reads what
            pid 1 last said of the service; what an init.d script's daemon does now,
            its own status tells: overlay-go NAME service SERVICE status. Needs root.

            Options:
              --timeout SECONDS
                          how long to wait for the outcome (default 120); pid 1 goes
                          on after it, and status shows how far it is
              -h, --help  print this help and exit

            Exit status: 0 the service is as asked (running, started or exited after
            start, restart or for status; stopped after stop), 1 NAME is not running,
            SERVICE is none of START, or pid 1 refused or did not answer (the reason on
            standard error), 2 bad usage, 3 it is not (failed, stopped, ...: the state
            says).
            """;

    /** The service is not in the state asked for. */
    static final int EXIT_NOT_AS_ASKED = 3;
    /** The default of --timeout: a stop's TimeoutStopSec (90 s by default) and a start. */
    static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(120);
    private static final Set<String> ACTIONS = Set.of("start", "stop", "restart", "status");
    /** The first words of the states of a service that runs (or a oneshot that has run). */
    private static final Set<String> UP = Set.of("running", "started", "exited");

    private static final CliArgs.Syntax SYNTAX = CliArgs.Syntax.operands(3).value("--timeout", "a number of seconds");

    OverlayServiceCommand() {
        super(USAGE_LINE, DESCRIPTION, SYNTAX);
    }

    @Override
    int execute(CliArgs args, PrintStream out, PrintStream err) throws CommandExit, SubhostException {
        List<String> operands = args.operands();
        if (operands.size() < 3) {
            throw CommandExit.usage("missing " + List.of("NAME", "SERVICE", "start|stop|restart|status")
                    .subList(operands.size(), 3).getFirst());
        }
        Duration timeout = args.seconds("--timeout", 1, DEFAULT_TIMEOUT);
        String name = operands.get(0);
        String service = operands.get(1);
        String action = operands.get(2);
        if (!ACTIONS.contains(action)) {
            throw CommandExit.usage("unknown action (" + action + "); give start, stop, restart or status");
        }
        CliSupport.requireRoot(NAME);
        Optional<Subhost> subhost = Subhosts.linux().find(name);
        if (subhost.isEmpty()) {
            throw new NotRunningException(name);
        }
        SubhostStatus.ServiceStatus now = switch (action) {
            case "start" -> subhost.get().startService(service, timeout);
            case "stop" -> subhost.get().stopService(service, timeout);
            case "restart" -> subhost.get().restartService(service, timeout);
            default -> status(subhost.get(), name, service);
        };
        out.println(service + ": " + now.state());
        boolean asked = action.equals("stop") ? now.phase().equals("stopped") : UP.contains(now.phase());
        return asked ? EXIT_OK : EXIT_NOT_AS_ASKED;
    }

    private static SubhostStatus.ServiceStatus status(Subhost subhost, String name, String service)
            throws SubhostException {
        List<SubhostStatus.ServiceStatus> services = subhost.services();
        for (SubhostStatus.ServiceStatus s : services) {
            if (s.name().equals(service)) {
                return s;
            }
        }
        throw new SubhostException("status of service " + service + " of " + name + ": no such service in START ("
                + (services.isEmpty() ? "none" : String.join(" ", services.stream().map(s -> s.name()).toList())) + ")");
    }
}
