package org.subhost.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.subhost.NotRunningException;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.Subhosts;

/**
 * {@code overlay-share DIR NAME}: binds the host's directory DIR into the running subhost
 * NAME at the same path, live (docs/spec.md §8).
 */
final class OverlayShareCommand implements Command {
    static final String NAME = "overlay-share";
    static final String USAGE_LINE = "Usage: overlay-share DIR NAME";

    static final String HELP = USAGE_LINE + """


            Binds the host's directory (or file) DIR into the running subhost NAME at the
            same path, live and without a restart: the subhost sees the host's own DIR
            there, with everything mounted below it, not the overlay's view of it. The
            mount point is made inside when the subhost lacks it. A relative DIR is taken
            from the current directory. Needs root.

            Options:
              -h, --help  print this help and exit

            Exit status: 0 shared, 1 NAME is not running or the share failed, 2 bad usage.
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
            for (String arg : args) {
                if (arg.startsWith("-") && arg.length() > 1) {
                    throw CliSupport.usage(NAME, USAGE_LINE, err, "unknown option (" + arg + ")");
                }
            }
            if (args.size() != 2) {
                throw CliSupport.usage(NAME, USAGE_LINE, err, args.size() < 2 ? "missing DIR or NAME"
                        : "too many arguments (" + args.get(2) + ")");
            }
            Path dir;
            try {
                dir = Path.of(args.get(0)).toAbsolutePath().toRealPath();
            } catch (IOException | java.nio.file.InvalidPathException e) {
                throw CliSupport.fail(err, EXIT_FAILURE, NAME + ": DIR (" + args.get(0) + ") does not exist on the host");
            }
            CliSupport.requireRoot(NAME, err);
            String name = args.get(1);
            Optional<Subhost> subhost = Subhosts.linux().find(name);
            if (subhost.isEmpty()) {
                throw new NotRunningException(name);
            }
            subhost.get().share(dir);
            return EXIT_OK;
        } catch (CliSupport.Exit e) {
            return e.status;
        } catch (NotRunningException e) {
            err.println(e.getMessage());
            return EXIT_FAILURE;
        } catch (SubhostException e) {
            err.println(NAME + ": " + e.getMessage());
            return EXIT_FAILURE;
        }
    }
}
