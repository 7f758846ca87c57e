package org.subhost.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.Map;
import org.subhost.Subhost;
import org.subhost.SubhostException;
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
final class OverlayBootCommand implements Command {
    static final String NAME = "overlay-boot";

    static final String USAGE_LINE = "Usage: overlay-boot [--dry-run] [--hook-timeout S] [--service-timeout S]"
            + " [--command-timeout S] CONF";

    private static final String SECONDS = "a number of seconds";

    static final String HELP = USAGE_LINE + """


            Boots the subhost that the configuration file CONF describes: its network
            namespace and cables, its root filesystem on LIVE, and its services. Returns
            once the subhost's init runs; the subhost keeps running. Needs root.

            CONF must be the canonical absolute path of the file (as realpath CONF prints
            it), so that a subhost is not started by accident from another directory or
            through a symbolic link.

            Options:
              --dry-run   read and check CONF (running its !commands with
                          ACTION=overlay-boot), print the resolved configuration, one
                          VAR=value line each, then a blank line and the boot plan,
                          one step a line; boot nothing
              --hook-timeout SECONDS
                          how long PREMOUNT, POSTMOUNT and INIT may each run before
                          they are killed and the boot fails (default 60)
              --service-timeout SECONDS
                          how long each START service's start may run before the
                          init kills it and goes on with the next (default 30)
              --command-timeout SECONDS
                          how long each VAR=!command of CONF may run (default 30)
              -h, --help  print this help and exit

            Exit status: 0 done, 1 the boot failed, 2 bad usage or a bad configuration.
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
        // When systemd runs this as a unit's ExecStart: its notifications and journal.
        SystemdService systemd = null;
        try {
            CliArgs parsed = CliArgs.parse(NAME, USAGE_LINE, args, Set.of("--dry-run"),
                    Map.of("--hook-timeout", SECONDS, "--service-timeout", SECONDS, "--command-timeout", SECONDS), 1, err);
            boolean dryRun = parsed.has("--dry-run");
            Duration hookTimeout = parsed.seconds("--hook-timeout", 1, SubhostConfig.DEFAULT_HOOK_TIMEOUT);
            Duration serviceTimeout = parsed.seconds("--service-timeout", 1, SubhostConfig.DEFAULT_SERVICE_TIMEOUT);
            Duration commandTimeout = parsed.seconds("--command-timeout", 1, SubhostConfig.DEFAULT_COMMAND_TIMEOUT);
            String conf = parsed.firstOperand().orElse(null);
            if (conf == null) {
                throw CliSupport.usage(NAME, USAGE_LINE, err, "missing CONF");
            }
            Path path = CliSupport.canonicalConf(NAME, conf, err);
            SubhostConfig config = CliSupport.readConfig(NAME, path, commandTimeout, err).toBuilder()
                    .hookTimeout(hookTimeout).serviceTimeout(serviceTimeout).build();
            if (dryRun) {
                config.describe().forEach(out::println);
                out.println();
                Subhosts.linux().plan(config).forEach(out::println);
                // Nothing boots: what the reading mounted (overlay-diskfile) goes again.
                CliSupport.release(NAME, config.attachments(), err);
                return EXIT_OK;
            }
            CliSupport.requireRoot(NAME, err);
            systemd = SystemdService.of(System.getenv(), NAME, config.name(), err).connect();
            Subhost subhost = Subhosts.linux().boot(config, systemd);
            int pid1 = subhost.pid();
            systemd.ready(pid1, "running; pid 1 is " + pid1);
            return EXIT_OK;
        } catch (CliSupport.Exit e) {
            return e.status;
        } catch (SubhostException e) {
            String line = NAME + ": " + e.getMessage();
            err.println(systemd == null ? line : systemd.errorLine(line));
            return EXIT_FAILURE;
        }
    }
}
