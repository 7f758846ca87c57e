package org.subhost.cli;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.subhost.NotRunningException;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.SubhostStatus;
import org.subhost.Subhosts;
import org.subhost.config.Limits;

/**
 * {@code overlay-limit NAME [VAR=VALUE...]}: changes the limits of a running subhost, or
 * prints its limits and what it uses (docs/configuration.md, "Limits").
 */
final class OverlayLimitCommand extends Command {
    static final String NAME = "overlay-limit";
    static final String USAGE_LINE = "Usage: overlay-limit [-q] NAME [VAR=VALUE...]";

    static final String DESCRIPTION = """
            Changes the limits of the running subhost NAME: each VAR=VALUE, with VAR one of
            MEMORY_MAX, MEMORY_HIGH, PIDS_MAX, CPU_WEIGHT, CPU_MAX, IO_WEIGHT and DISK_MAX
            and VALUE as its .conf line takes it (512M, none, 150%), is written into the
            subhost's control groups at once (DISK_MAX into UPPER's quota) and recorded for
            overlay-list, and it prints the limits it set ("NAME: MEMORY_MAX=2G"). The .conf
            file is not changed: the next boot has its limits again.
            Without an assignment, prints each limit as VAR=VALUE, then what the subhost
            uses now: memory_bytes, memory_peak_bytes, processes, cpu_usec and oom_kills
            (- when the host's control groups do not say). Needs root.

            Options:
              -q, --quiet  print nothing when the limits are set
              -h, --help   print this help and exit

            Exit status: 0 done, 1 NAME is not running or a limit cannot be applied (the
            limits stay as they were), 2 bad usage or a bad value.
            """;

    private static final CliArgs.Syntax SYNTAX = CliArgs.Syntax.operands(Limits.VARIABLES.size() * 4 + 1).flag("-q")
            .flag("--quiet");

    OverlayLimitCommand() {
        super(USAGE_LINE, DESCRIPTION, SYNTAX);
    }

    @Override
    int execute(CliArgs args, PrintStream out, PrintStream err) throws CommandExit, SubhostException {
        List<String> operands = args.operands();
        if (operands.isEmpty()) {
            throw CommandExit.usage("missing NAME");
        }
        String name = operands.get(0);
        Map<String, String> assignments = new LinkedHashMap<>();
        for (String assignment : operands.subList(1, operands.size())) {
            int eq = assignment.indexOf('=');
            if (eq <= 0) {
                throw CommandExit.usage("an assignment (" + assignment + ") must be VAR=VALUE");
            }
            assignments.put(assignment.substring(0, eq), assignment.substring(eq + 1));
        }
        // Each value is checked before anything is asked of the subhost.
        Limits check = Limits.DEFAULT;
        for (Map.Entry<String, String> a : assignments.entrySet()) {
            try {
                check = check.with(a.getKey(), a.getValue());
            } catch (IllegalArgumentException e) {
                throw CommandExit.mistake(e.getMessage());
            }
        }
        CliSupport.requireRoot(NAME);
        Optional<Subhost> subhost = Subhosts.linux().find(name);
        if (subhost.isEmpty()) {
            throw new NotRunningException(name);
        }
        SubhostStatus status = subhost.get().status();
        if (assignments.isEmpty()) {
            status.limits().assignments().forEach(out::println);
            SubhostStatus.Usage usage = status.usage();
            out.println("memory_bytes=" + text(usage.memoryBytes()));
            out.println("memory_peak_bytes=" + text(usage.memoryPeakBytes()));
            out.println("processes=" + text(usage.processes()));
            out.println("cpu_usec=" + text(usage.cpuMicros()));
            out.println("oom_kills=" + text(usage.oomKills()));
            return EXIT_OK;
        }
        Limits next = status.limits();
        for (Map.Entry<String, String> a : assignments.entrySet()) {
            next = next.with(a.getKey(), a.getValue());
        }
        subhost.get().limit(next);
        if (!args.has("-q") && !args.has("--quiet")) {
            StringBuilder line = new StringBuilder(name).append(':');
            for (String variable : Limits.VARIABLES) {
                if (assignments.containsKey(variable)) {
                    line.append(' ').append(variable).append('=').append(next.text(variable));
                }
            }
            out.println(line);
        }
        return EXIT_OK;
    }

    private static String text(OptionalLong value) {
        return value.isPresent() ? Long.toString(value.getAsLong()) : "-";
    }
}
