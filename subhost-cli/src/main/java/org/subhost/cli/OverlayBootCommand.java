package org.subhost.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.subhost.BootProblem;
import org.subhost.ProgressListener;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.SubhostStatus;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;

/**
 * {@code overlay-boot [--dry-run] CONF}: boots the subhost that CONF describes (docs/spec.md
 * §3), or with {@code --dry-run} prints its resolved configuration and boot plan.
 *
 * <p>Run by systemd (the unit {@code subhosts@.service}), it says how the boot goes and
 * when the subhost is ready, and gives its lines priorities in the journal ({@link
 * SystemdService}).
 *
 * <p>CONF must be the canonical absolute path of the file, as the old tool insists, so
 * that a subhost is not started by accident from another directory or through a link.
 */
final class OverlayBootCommand extends Command {
    static final String NAME = "overlay-boot";

    static final String USAGE_LINE = "Usage: overlay-boot [--dry-run] [--strict] [-q] [--hook-timeout SECONDS]"
            + " [--service-timeout SECONDS] [--command-timeout SECONDS] CONF";

    private static final String SECONDS = "a number of seconds";

    static final String DESCRIPTION = """
            Boots the subhost that the configuration file CONF describes: its network
            namespace and cables, its root filesystem on LIVE, and its services. Returns
            once the subhost's init runs and, with the built-in init, every START
            service has started or failed; the subhost keeps running. Ends with one line:
            NAME, pid 1, LOG, the START services' states and how many warnings there
            were. Needs root.

            Before anything is made, a preflight looks for every problem that would make
            the boot fail (a missing LIVE, UPPER, WORK or SHARE source, UPPER on an
            overlay, a missing bridge, ...) and names them all at once, each with its fix;
            then nothing boots. Lines of CONF that are ignored although they look meant
            (STRAT=none, an indented or repeated variable) are warnings on standard error
            and in LOG.

            CONF must be the canonical absolute path of the file (as realpath CONF prints
            it), so that a subhost is not started by accident from another directory or
            through a symbolic link.

            Options:
              --dry-run   read and check CONF (running its !commands with
                          ACTION=overlay-boot), print the resolved configuration, one
                          VAR=value line each, then a blank line and the boot plan,
                          one step a line; then the preflight: every problem
                          the boot would meet on this host, with its fix, on
                          standard error (exit status 1 when the boot would
                          fail); boot nothing
              --strict    make the warnings about CONF's lines errors
              -q, --quiet print no line when the boot succeeds
              --hook-timeout SECONDS
                          how long PREMOUNT, POSTMOUNT and INIT may each run before
                          they are killed and the boot fails (default 60)
              --service-timeout SECONDS
                          how long each START service's start may run before the
                          init kills it and goes on with the next (default 30)
              --command-timeout SECONDS
                          how long each VAR=!command of CONF may run (default 30)
              -h, --help  print this help and exit

            Exit status: 0 done, 1 the boot failed (or would fail, with --dry-run), 2 bad
            usage or a bad configuration, 3 the subhost runs but a START service failed
            (named on standard error).
            """;

    /** The subhost runs, but a START service failed. */
    static final int EXIT_SERVICE_FAILED = 3;
    /** The first words of the states of a START service that failed to start. */
    private static final java.util.Set<String> FAILED_PHASES = java.util.Set.of("failed", "timed");

    private static final CliArgs.Syntax SYNTAX = CliArgs.Syntax.operands(1).flag("--dry-run").flag("--strict")
            .flag("-q").flag("--quiet").value("--hook-timeout", SECONDS).value("--service-timeout", SECONDS).value("--command-timeout", SECONDS);

    OverlayBootCommand() {
        super(USAGE_LINE, DESCRIPTION, SYNTAX);
    }

    @Override
    int execute(CliArgs args, PrintStream out, PrintStream err) throws CommandExit, SubhostException {
        boolean dryRun = args.has("--dry-run");
        Duration hookTimeout = args.seconds("--hook-timeout", 1, SubhostConfig.DEFAULT_HOOK_TIMEOUT);
        Duration serviceTimeout = args.seconds("--service-timeout", 1, SubhostConfig.DEFAULT_SERVICE_TIMEOUT);
        Duration commandTimeout = args.seconds("--command-timeout", 1, SubhostConfig.DEFAULT_COMMAND_TIMEOUT);
        String conf = args.firstOperand().orElseThrow(() -> CommandExit.usage("missing CONF"));
        Path path = CliSupport.canonicalConf(conf);
        SubhostConfig config = CliSupport.readConfig(NAME, path, commandTimeout, args.has("--strict"), err).toBuilder()
                .hookTimeout(hookTimeout).serviceTimeout(serviceTimeout).build();
        Subhosts subhosts = Subhosts.linux();
        if (dryRun) {
            config.describe().forEach(out::println);
            out.println();
            subhosts.plan(config).forEach(out::println);
            // While what the reading mounted (overlay-diskfile) is there: LOWER, UPPER or
            // WORK may be on it.
            List<BootProblem> problems = subhosts.preflight(config);
            // Nothing boots: what the reading mounted goes again.
            CliSupport.release(NAME, config.attachments(), err);
            for (BootProblem problem : problems) {
                err.println(NAME + ": " + problem);
            }
            long errors = problems.stream().filter(BootProblem::isError).count();
            if (errors > 0) {
                throw CommandExit.failure(config.name() + " would not boot: " + count(errors, "error"));
            }
            return EXIT_OK;
        }
        CliSupport.requireRoot(NAME);
        // When systemd runs this as a unit's ExecStart: its notifications, and its journal,
        // where a failure's line carries the error priority.
        SystemdService systemd = SystemdService.of(System.getenv(), NAME, config.name(), err).connect();
        // Every mistake at once, before anything is made; the boot writes the warnings to LOG.
        List<BootProblem> problems = subhosts.preflight(config);
        if (problems.stream().noneMatch(BootProblem::isError)) {
            for (BootProblem problem : problems) {
                // The unit reader's warnings come again from the boot, as it reads LIVE.
                if (!UNIT_WARNING.matcher(problem.problem()).find()) {
                    err.println(systemd.warningLine(NAME + ": " + problem));
                }
            }
        } else {
            for (BootProblem problem : problems) {
                err.println(problem.isError() ? systemd.errorLine(NAME + ": " + problem)
                        : systemd.warningLine(NAME + ": " + problem));
            }
            CliSupport.release(NAME, config.attachments(), err);
            long errors = problems.stream().filter(BootProblem::isError).count();
            throw CommandExit.line(EXIT_FAILURE, systemd.errorLine(NAME + ": " + config.name() + " was not booted: "
                    + count(errors, "error") + "; nothing was done"));
        }
        BootSummary summary = new BootSummary(unitWarningsOn(err, systemd));
        try {
            // The same instance as the preflight's: its boot takes the preflight's answer for LOG.
            Subhost subhost = subhosts.boot(config, summary);
            int pid1 = subhost.pid();
            // The built-in init has started or failed every START service by now.
            List<SubhostStatus.ServiceStatus> services = services(subhost, config);
            List<String> failed = new ArrayList<>();
            for (SubhostStatus.ServiceStatus s : services) {
                if (FAILED_PHASES.contains(s.phase())) {
                    failed.add(s.name());
                    err.println(systemd.errorLine(NAME + ": " + config.name() + ": service " + s.name() + " "
                            + s.state() + "; see LOG " + config.log()));
                }
            }
            systemd.ready(pid1, "running; pid 1 is " + pid1
                    + (failed.isEmpty() ? "" : "; failed: " + String.join(" ", failed)));
            if (!args.has("-q") && !args.has("--quiet")) {
                out.println(BootSummary.line(config.name(), pid1, config.log(), services, summary.warnings()));
            }
            return failed.isEmpty() ? EXIT_OK : EXIT_SERVICE_FAILED;
        } catch (SubhostException e) {
            throw CommandExit.line(EXIT_FAILURE, systemd.errorLine(NAME + ": " + e.getMessage()));
        }
    }

    /**
     * The START units' warnings that the boot finds as it reads them from the subhost's root
     * ({@code /lib/systemd/system/rsyslog.service:11: rsyslog.service starts without ...},
     * {@code START: x has no /etc/init.d/x and no x.service ...}), on the admin's terminal as
     * they come (the journal gets every line from {@code systemd} anyway); every line goes on
     * to {@code systemd}. The preflight's other warnings are printed before the boot (and
     * with {@code --dry-run}, the reader's too, as the preflight reads UPPER over LOWER).
     */
    private static ProgressListener unitWarningsOn(PrintStream err, SystemdService systemd) {
        return new ProgressListener() {
            @Override
            public void line(Severity severity, String text) {
                if (severity == Severity.WARNING && !systemd.journal() && UNIT_WARNING.matcher(text).find()) {
                    err.println(NAME + ": " + text);
                }
                systemd.line(severity, text);
            }
        };
    }

    /** A warning of the unit reader: it names a unit file or drop-in with its line, or START. */
    private static final java.util.regex.Pattern UNIT_WARNING = java.util.regex.Pattern
            .compile("^(START: |/\\S+\\.service(\\.d/\\S+\\.conf)?:[0-9]+: )");

    /** {@code 1 error}, {@code 3 errors}. */
    private static String count(long n, String noun) {
        return n + " " + noun + (n == 1 ? "" : "s");
    }

    /**
     * The START services with their states now; each "not known" when the status cannot be
     * read (pid 1 ended at once), which LOG then explains.
     */
    private static List<SubhostStatus.ServiceStatus> services(Subhost subhost, SubhostConfig config) {
        try {
            return subhost.services(); // the record and the services file: no more of the status
        } catch (SubhostException e) {
            List<SubhostStatus.ServiceStatus> unknown = new ArrayList<>();
            for (String service : config.start()) {
                unknown.add(new SubhostStatus.ServiceStatus(service, "not known"));
            }
            return unknown;
        }
    }
}
