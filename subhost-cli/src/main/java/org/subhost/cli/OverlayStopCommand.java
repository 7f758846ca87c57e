package org.subhost.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.Map;
import org.subhost.NotRunningException;
import org.subhost.ProgressListener;
import org.subhost.SubhostException;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;

/**
 * {@code overlay-stop CONF}: stops the subhost that CONF describes (docs/spec.md §6) and
 * returns when nothing of it is left.
 */
final class OverlayStopCommand implements Command {
    static final String NAME = "overlay-stop";
    static final String USAGE_LINE = "Usage: overlay-stop [--grace SECONDS] CONF";
    static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);

    static final String HELP = USAGE_LINE + """


            Stops the subhost that the configuration file CONF describes: each START
            service's stop (service NAME stop, or PATH stop) in reverse order inside the
            subhost, each given at most the grace period; then pid 1 gets SIGTERM, which it
            passes on to every process of the subhost, and SIGKILL after the grace period;
            then its host cable ends, network namespace, control group and state go.
            Returns when nothing of the subhost is left. Needs root.

            When the subhost is not running, removes what it may have left (its network
            namespace, host ends of its cables), prints "NAME is not running" and exits 1.

            CONF must be the canonical absolute path of the file (as realpath prints it).

            Options:
              --grace SECONDS  how long each service's stop and pid 1's shutdown may take
                               (default 10)
              -h, --help       print this help and exit

            Exit status: 0 stopped, 1 not running or not everything could be removed,
            2 bad usage or a bad configuration.
            """;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        if (CliSupport.wantsHelp(args)) {
            out.print(HELP);
            return EXIT_OK;
        }
        SystemdService systemd = null;
        try {
            CliArgs parsed = CliArgs.parse(NAME, USAGE_LINE, args, Set.of(), Map.of("--grace", "a number of seconds"),
                    1, err);
            Duration grace = parsed.seconds("--grace", 0, DEFAULT_GRACE);
            String conf = parsed.firstOperand().orElse(null);
            if (conf == null) {
                throw CliSupport.usage(NAME, USAGE_LINE, err, "missing CONF");
            }
            Path path = CliSupport.canonicalConf(NAME, conf, err);
            SubhostConfig config = CliSupport.readConfig(NAME, path, err);
            CliSupport.requireRoot(NAME, err);
            systemd = SystemdService.of(System.getenv(), NAME, config.name(), err);
            // ExecStop: its lines go to the journal; systemd takes no notification from it.
            Subhosts.linux().stop(config, grace, systemd.journal() ? systemd : ProgressListener.NONE);
            return EXIT_OK;
        } catch (CliSupport.Exit e) {
            return e.status;
        } catch (NotRunningException e) {
            if (systemd != null && System.getenv("SERVICE_RESULT") != null) {
                // A unit's ExecStopPost (systemd sets SERVICE_RESULT there): after a clean stop
                // nothing is left, after pid 1 died what it left is gone now; either is fine.
                err.println(systemd.infoLine(e.getMessage() + "; nothing of it is left"));
                return EXIT_OK;
            }
            err.println(systemd == null ? e.getMessage() : systemd.errorLine(e.getMessage()));
            return EXIT_FAILURE;
        } catch (SubhostException e) {
            String line = NAME + ": " + e.getMessage();
            err.println(systemd == null ? line : systemd.errorLine(line));
            return EXIT_FAILURE;
        }
    }
}
