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
import org.subhost.config.Share;

/**
 * {@code overlay-share [--remove] [-q] DIR NAME}: binds the host's directory DIR into the
 * running subhost NAME at the same path, live (docs/spec.md §8), or removes such a share.
 */
final class OverlayShareCommand extends Command {
    static final String NAME = "overlay-share";
    static final String USAGE_LINE = "Usage: overlay-share [--remove] [-q] DIR NAME";

    static final String DESCRIPTION = """
            Binds the host's directory (or file) DIR into the running subhost NAME at the
            same path, live and without a restart: the subhost sees the host's own DIR
            there, with everything mounted below it, not the overlay's view of it. The
            mount point is made inside when the subhost lacks it. A relative DIR is taken
            from the current directory. Prints "shared DIR into NAME"; the same share
            again is left as it is ("DIR is shared into NAME already"), and a path that
            is shared from another host directory is refused. Each share is written to
            LOG, and overlay-list --json lists them. Needs root.

            Options:
              --remove     remove the share at DIR instead (one of the boot's SHARE
                           lines too): what the subhost has open there stays usable
                           until closed, and the overlay's own DIR shows again
              -q, --quiet  print nothing when it succeeds
              -h, --help   print this help and exit

            Exit status: 0 shared (or removed), 1 NAME is not running or the share
            failed, 2 bad usage.
            """;

    private static final CliArgs.Syntax SYNTAX = CliArgs.Syntax.operands(2).flag("--remove").flag("-q").flag("--quiet");

    OverlayShareCommand() {
        super(USAGE_LINE, DESCRIPTION, SYNTAX);
    }

    @Override
    int execute(CliArgs args, PrintStream out, PrintStream err) throws CommandExit, SubhostException {
        List<String> operands = args.operands();
        if (operands.size() < 2) {
            throw CommandExit.usage("missing DIR or NAME");
        }
        boolean remove = args.has("--remove");
        boolean quiet = args.has("-q") || args.has("--quiet");
        String given = operands.get(0);
        Path dir;
        try {
            dir = Path.of(given).toAbsolutePath();
        } catch (InvalidPathException e) {
            throw CommandExit.usage("DIR (" + given + ") is not a path: " + e.getReason());
        }
        try {
            dir = dir.toRealPath();
        } catch (IOException e) {
            if (!remove) {
                throw CommandExit.failure("DIR (" + given + ") does not exist on the host");
            }
            // The share is named by its path inside, which the host may no longer have.
            dir = dir.normalize();
        }
        CliSupport.requireRoot(NAME);
        String name = operands.get(1);
        Optional<Subhost> subhost = Subhosts.linux().find(name);
        if (subhost.isEmpty()) {
            throw new NotRunningException(name);
        }
        try {
            if (remove) {
                Share removed = subhost.get().unshare(dir);
                say(quiet, out, "removed the share of " + removed.hostPath() + " on " + dir + " from " + name);
            } else if (subhost.get().share(dir)) {
                say(quiet, out, "shared " + dir + " into " + name);
            } else {
                say(quiet, out, dir + " is shared into " + name + " already");
            }
        } catch (IllegalArgumentException e) {
            throw CommandExit.failure(e.getMessage()); // a path the record cannot hold
        }
        return EXIT_OK;
    }

    private static void say(boolean quiet, PrintStream out, String line) {
        if (!quiet) {
            out.println(line);
        }
    }
}
