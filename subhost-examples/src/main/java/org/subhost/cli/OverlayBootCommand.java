package org.subhost.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.subhost.config.ConfigException;
import org.subhost.config.SubhostConfig;

/**
 * {@code overlay-boot [--dry-run] CONF}: boots the subhost that CONF describes (SPEC
 * section 3), or with {@code --dry-run} prints its resolved configuration.
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
                          ACTION=overlay-boot) and print the resolved configuration, one
                          VAR=value line each; boot nothing
              -h, --help  print this help and exit

            Exit status: 0 done, 1 the boot failed, 2 bad usage or a bad configuration.
            """;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int run(List<String> args, PrintStream out, PrintStream err) {
        int endOfOptions = args.indexOf("--") < 0 ? args.size() : args.indexOf("--");
        List<String> options = args.subList(0, endOfOptions);
        if (options.contains("--help") || options.contains("-h")) {
            out.print(HELP);
            return EXIT_OK;
        }
        boolean dryRun = false;
        String conf = null;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (i < endOfOptions && arg.equals("--dry-run")) {
                dryRun = true;
            } else if (i == endOfOptions) {
                continue; // the "--" itself
            } else if (i < endOfOptions && arg.startsWith("-") && arg.length() > 1) {
                return usageError(err, "unknown option (" + arg + ")");
            } else if (conf != null) {
                return usageError(err, "too many arguments (" + arg + ")");
            } else {
                conf = arg;
            }
        }
        if (conf == null) {
            return usageError(err, "missing CONF");
        }
        Path path = canonical(conf, err);
        if (path == null) {
            return EXIT_USAGE;
        }
        return dryRun ? dryRun(path, out, err) : boot(err);
    }

    /** The path of CONF when it is given canonically; null after a message otherwise. */
    private static Path canonical(String conf, PrintStream err) {
        Path real;
        try {
            real = Path.of(conf).toAbsolutePath().toRealPath();
        } catch (InvalidPathException e) {
            err.println(NAME + ": CONF (" + conf + ") is not a path: " + e.getReason());
            return null;
        } catch (NoSuchFileException e) {
            err.println(NAME + ": CONF (" + conf + ") does not exist");
            return null;
        } catch (IOException e) {
            err.println(NAME + ": CONF (" + conf + ") cannot be resolved: " + e.getMessage());
            return null;
        }
        if (!conf.equals(real.toString())) {
            err.println(NAME + ": CONF (" + conf + ") must be the canonical absolute path (" + real + ")");
            return null;
        }
        return real;
    }

    private static int dryRun(Path conf, PrintStream out, PrintStream err) {
        SubhostConfig config;
        try {
            config = SubhostConfig.read(conf, NAME);
        } catch (ConfigException e) {
            err.println(e.getMessage()); // it names the file and line already
            return EXIT_USAGE;
        }
        config.describe().forEach(out::println);
        return EXIT_OK;
    }

    private static int boot(PrintStream err) {
        err.println(NAME + ": booting is not available yet");
        return EXIT_FAILURE;
    }

    private static int usageError(PrintStream err, String message) {
        err.println(NAME + ": " + message);
        err.println(USAGE_LINE);
        err.println("Try 'overlay-boot --help' for more.");
        return EXIT_USAGE;
    }
}
