package org.subhost.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.InvalidPathException;
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
final class OverlayShareCommand extends Command {
    static final String NAME = "overlay-share";
    static final String USAGE_LINE = "Usage: overlay-share DIR NAME";

    static final String DESCRIPTION = """
            Binds the host's directory (or file) DIR into the running subhost NAME at the
            same path, live and without a restart: the subhost sees the host's own DIR
            there, with everything mounted below it, not the overlay's view of it. The
            mount point is made inside when the subhost lacks it. A relative DIR is taken
            from the current directory. Needs root.

            Options:
              -h, --help  print this help and exit

            Exit status: 0 shared, 1 NAME is not running or the share failed, 2 bad usage.
            """;

    private static final CliArgs.Syntax SYNTAX = CliArgs.Syntax.operands(2);

    @Override
    String name() {
        return NAME;
    }

    @Override
    String usageLine() {
        return USAGE_LINE;
    }

    @Override
    String description() {
        return DESCRIPTION;
    }

    @Override
    CliArgs.Syntax syntax() {
        return SYNTAX;
    }

    @Override
    int execute(CliArgs args, PrintStream out, PrintStream err) throws CommandExit, SubhostException {
        List<String> operands = args.operands();
        if (operands.size() < 2) {
            throw CommandExit.usage("missing DIR or NAME");
        }
        Path dir;
        try {
            dir = Path.of(operands.get(0)).toAbsolutePath().toRealPath();
        } catch (IOException | InvalidPathException e) {
            throw CommandExit.failure("DIR (" + operands.get(0) + ") does not exist on the host");
        }
        CliSupport.requireRoot(NAME);
        String name = operands.get(1);
        Optional<Subhost> subhost = Subhosts.linux().find(name);
        if (subhost.isEmpty()) {
            throw new NotRunningException(name);
        }
        subhost.get().share(dir);
        return EXIT_OK;
    }
}
