package org.subhost.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import org.subhost.ConfigMismatchException;
import org.subhost.NotRunningException;
import org.subhost.ProgressListener;
import org.subhost.SubhostException;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;

/**
 * {@code overlay-stop CONF}: stops the subhost that CONF describes (docs/spec.md §6) and
 * returns when nothing of it is left.
 */
final class OverlayStopCommand extends Command {
    static final String NAME = "overlay-stop";
    static final String USAGE_LINE = "Usage: overlay-stop [--grace SECONDS] [--force] [-q] CONF";
    static final Duration DEFAULT_GRACE = Duration.ofSeconds(10);

    static final String DESCRIPTION = """
            Stops the subhost that the configuration file CONF describes: each START
            service's stop (service NAME stop, or PATH stop) in reverse order inside the
            subhost, each given at most the grace period; then pid 1 gets SIGTERM, which it
            passes on to every process of the subhost, and SIGKILL after the grace period;
            then its host cable ends, network namespace, control group and state go.
            Returns when nothing of the subhost is left, printing "NAME stopped". Needs
            root.

            When the subhost is not running, removes what it may have left (its network
            namespace, host ends of its cables), prints "NAME is not running" and exits 1.

            CONF must be the canonical absolute path of the file (as realpath prints it),
            and the one the subhost was booted from: a subhost of CONF's NAME that was
            booted from another file is left running, and the message names that file.

            Options:
              --grace SECONDS  how long each service's stop and pid 1's shutdown may take
                               (default 10)
              --force          stop the subhost of CONF's NAME even when it was booted
                               from another file
              -q, --quiet      print nothing when the stop succeeds
              -h, --help       print this help and exit

            Exit status: 0 stopped, 1 not running, booted from another file, or not
            everything could be removed, 2 bad usage or a bad configuration.
            """;

    private static final CliArgs.Syntax SYNTAX = CliArgs.Syntax.operands(1).value("--grace", "a number of seconds")
            .flag("--force").flag("-q").flag("--quiet");

    OverlayStopCommand() {
        super(USAGE_LINE, DESCRIPTION, SYNTAX);
    }

    @Override
    int execute(CliArgs args, PrintStream out, PrintStream err) throws CommandExit, SubhostException {
        Duration grace = args.seconds("--grace", 0, DEFAULT_GRACE);
        String conf = args.firstOperand().orElseThrow(() -> CommandExit.usage("missing CONF"));
        Path path = CliSupport.canonicalConf(conf);
        SubhostConfig config = CliSupport.readConfig(NAME, path, err);
        CliSupport.requireRoot(NAME);
        SystemdService systemd = SystemdService.of(System.getenv(), NAME, config.name(), err);
        ProgressListener listener = systemd.journal() ? systemd : ProgressListener.NONE;
        try {
            // ExecStop: its lines go to the journal; systemd takes no notification from it.
            if (args.has("--force")) {
                Subhosts.linux().forceStop(config, grace, listener);
            } else {
                Subhosts.linux().stop(config, grace, listener);
            }
            if (!args.has("-q") && !args.has("--quiet")) {
                out.println(config.name() + " stopped");
            }
            return EXIT_OK;
        } catch (ConfigMismatchException e) {
            throw CommandExit.line(EXIT_FAILURE, systemd.errorLine(NAME + ": " + e.getMessage()
                    + "; nothing was stopped: give that CONF, or --force to stop it all the same"));
        } catch (NotRunningException e) {
            if (System.getenv("SERVICE_RESULT") != null) {
                // A unit's ExecStopPost (systemd sets SERVICE_RESULT there): after a clean stop
                // nothing is left, after pid 1 died what it left is gone now; either is fine.
                err.println(systemd.infoLine(e.getMessage() + "; nothing of it is left"));
                return EXIT_OK;
            }
            throw CommandExit.line(EXIT_FAILURE, systemd.errorLine(e.getMessage()));
        } catch (SubhostException e) {
            throw CommandExit.line(EXIT_FAILURE, systemd.errorLine(NAME + ": " + e.getMessage()));
        }
    }
}
