package org.subhost.cli;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.subhost.SubhostException;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;

/**
 * {@code overlay-boot [--dry-run] CONF}: boots the subhost that CONF describes (SPEC
 * section 3), or with {@code --dry-run} prints its resolved configuration and boot plan.
 *
 * <p>CONF must be the canonical absolute path of the file, as the old tool insists, so
 * that a subhost is not started by accident from another directory or through a link.
 */
final class OverlayBootCommand implements Command {
    static final String NAME = "overlay-boot";

    static final String USAGE_LINE = "Usage: overlay-boot [--dry-run] CONF";

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
        try {
            boolean dryRun = false;
            String conf = null;
            boolean options = true;
            for (String arg : args) {
                if (options && arg.equals("--")) {
                    options = false;
                } else if (options && arg.equals("--dry-run")) {
                    dryRun = true;
                } else if (options && arg.startsWith("-") && arg.length() > 1) {
                    throw CliSupport.usage(NAME, USAGE_LINE, err, "unknown option (" + arg + ")");
                } else if (conf != null) {
                    throw CliSupport.usage(NAME, USAGE_LINE, err, "too many arguments (" + arg + ")");
                } else {
                    conf = arg;
                }
            }
            if (conf == null) {
                throw CliSupport.usage(NAME, USAGE_LINE, err, "missing CONF");
            }
            Path path = CliSupport.canonicalConf(NAME, conf, err);
            SubhostConfig config = CliSupport.readConfig(NAME, path, err);
            if (dryRun) {
                config.describe().forEach(out::println);
                out.println();
                Subhosts.linux().plan(config).forEach(out::println);
                return EXIT_OK;
            }
            CliSupport.requireRoot(NAME, err);
            Subhosts.linux().boot(config);
            return EXIT_OK;
        } catch (CliSupport.Exit e) {
            return e.status;
        } catch (SubhostException e) {
            err.println(NAME + ": " + e.getMessage());
            return EXIT_FAILURE;
        }
    }
}
