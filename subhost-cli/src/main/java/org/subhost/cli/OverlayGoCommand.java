package org.subhost.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Optional;
import org.subhost.NotRunningException;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.SubhostStatus;
import org.subhost.Subhosts;

/**
 * {@code overlay-go [NAME [CMD ARGS...]]}: a shell, or CMD, inside a running subhost (docs/spec.md
 * §7); without NAME, the names of the running subhosts.
 */
final class OverlayGoCommand extends Command {
    static final String NAME = "overlay-go";
    static final String USAGE_LINE = "Usage: overlay-go [NAME [CMD [ARGS...]]]";
    /** bash where the subhost has it, else sh; as a login shell would find them. */
    static final List<String> SHELL = List.of("/bin/sh", "-c",
            "if command -v bash >/dev/null 2>&1; then exec bash; else exec sh; fi");

    static final String DESCRIPTION = """
            Without NAME: prints the names of the running subhosts, one a line.

            With NAME: runs an interactive shell (bash, or sh where the subhost has no
            bash) inside all of the subhost's namespaces (mount, network, pid, ipc, uts,
            cgroup) and its control group, with its root and working directory /. On a
            terminal it gets a terminal of the subhost's own (/dev/pts/N inside), relayed
            to this one. The shell is not a child of the subhost's pid 1. With CMD: runs
            CMD ARGS instead and exits with its status, for scripts. Needs root.

            Options:
              -h, --help  print this help and exit (only before NAME)

            Exit status: the shell's or CMD's status (125: entering failed); 1 when NAME
            is not running ("overlay-go: NAME is not running; ..."); 2 bad usage.
            """;

    /** Options before NAME only: what follows NAME is CMD's, --help included. */
    private static final CliArgs.Syntax SYNTAX = CliArgs.Syntax.operands(Integer.MAX_VALUE).optionsBeforeOperandsOnly();

    OverlayGoCommand() {
        super(USAGE_LINE, DESCRIPTION, SYNTAX);
    }

    @Override
    int execute(CliArgs args, PrintStream out, PrintStream err) throws CommandExit, SubhostException {
        CliSupport.requireRoot(NAME);
        Subhosts subhosts = Subhosts.linux();
        List<String> operands = args.operands();
        if (operands.isEmpty()) {
            subhosts.list().stream().map(SubhostStatus::name).forEach(out::println);
            return EXIT_OK;
        }
        String name = operands.getFirst();
        Optional<Subhost> subhost = subhosts.find(name);
        if (subhost.isEmpty()) {
            throw notRunning(name);
        }
        List<String> command = operands.size() > 1 ? operands.subList(1, operands.size()) : SHELL;
        out.flush();
        try {
            return subhost.get().execInteractive(command);
        } catch (NotRunningException e) {
            throw notRunning(name); // it stopped since it was found
        }
    }

    /** {@code overlay-go: NAME is not running; ...}, with the way to see what runs; status 1. */
    static CommandExit notRunning(String name) {
        return CommandExit.failure(name + " is not running; overlay-go without NAME lists the running subhosts");
    }
}
