package org.subhost.cli;

import java.io.PrintStream;
import java.util.List;
import org.subhost.NotRunningException;
import org.subhost.SubhostException;

/**
 * One command of the CLI, such as {@code overlay-boot}, in the shape every command of the
 * family shares. A command gives its usage line (which names it), description and {@link
 * CliArgs.Syntax syntax} to the constructor, and its body ({@link #execute}); {@link #run}
 * does the rest, the same way for each:
 * <ul>
 * <li>{@code -h} or {@code --help} among the options: the usage line, a blank line and the
 *     description on standard output; status 0. It wins over any mistake in the other
 *     arguments.
 * <li>Arguments that {@link CliArgs} or the body cannot understand: {@code COMMAND:
 *     MESSAGE}, the usage line and a pointer to {@code --help} on standard error; status 2.
 * <li>The other ends the body throws as {@link CommandExit}: a user's mistake or a bad
 *     configuration (status 2), a failure (status 1), each one line.
 * <li>{@link NotRunningException}: its message ({@code NAME is not running}); status 1.
 *     Any other {@link SubhostException}: {@code COMMAND: MESSAGE}; status 1.
 * <li>Any other exception is a bug of ours: {@code COMMAND: internal error: EXCEPTION};
 *     status 1. Its stack trace follows only when the environment variable {@value
 *     #DEBUG_VARIABLE} is set.
 * </ul>
 * Results go to standard output, messages to standard error; a user never gets a stack
 * trace for a mistake of theirs.
 */
abstract class Command {
    /** Success. */
    static final int EXIT_OK = 0;
    /** The command was understood but failed (a boot that did not work). */
    static final int EXIT_FAILURE = 1;
    /** Bad usage or a bad configuration: nothing was done. */
    static final int EXIT_USAGE = 2;
    /** The environment variable that asks for the stack trace of an internal error. */
    static final String DEBUG_VARIABLE = "SUBHOST_DEBUG";
    private static final String USAGE_PREFIX = "Usage: ";

    private final String name;
    private final String usageLine;
    private final String description;
    private final CliArgs.Syntax syntax;

    /**
     * A command that {@code usageLine} names.
     *
     * @param usageLine {@code Usage: COMMAND ...}: the first line of {@code --help}, of every
     *     usage error, and the SYNOPSIS of the command's manual page; COMMAND is its name
     * @param description what {@code --help} prints after the usage line and a blank line,
     *     ending with a line break
     * @param syntax the options and operands the command takes
     */
    Command(String usageLine, String description, CliArgs.Syntax syntax) {
        if (!usageLine.startsWith(USAGE_PREFIX) || !description.endsWith("\n")) {
            throw new IllegalArgumentException("usage line (" + usageLine + ") must start with \"" + USAGE_PREFIX
                    + "\" and the description end with a line break");
        }
        this.name = usageLine.substring(USAGE_PREFIX.length()).split(" ", 2)[0];
        this.usageLine = usageLine;
        this.description = description;
        this.syntax = syntax;
    }

    /** The name the user types, such as {@code overlay-boot}: the usage line's first word after "Usage:". */
    final String name() {
        return name;
    }

    /** The usage line, {@code Usage: COMMAND ...}. */
    final String usageLine() {
        return usageLine;
    }

    /** What {@code --help} prints after the usage line and a blank line, ending with a line break. */
    final String description() {
        return description;
    }

    /** The options and operands the command takes. */
    final CliArgs.Syntax syntax() {
        return syntax;
    }

    /**
     * The command's work, with its arguments parsed.
     *
     * @param args the options and operands, as {@link #syntax()} declares them
     * @param out standard output, for results
     * @param err standard error, for messages
     * @return the exit status
     * @throws CommandExit to end with one of the family's messages
     * @throws SubhostException when the subhost API fails
     */
    abstract int execute(CliArgs args, PrintStream out, PrintStream err) throws CommandExit, SubhostException;

    /** The text of {@code --help}: the usage line, a blank line, the description. */
    final String help() {
        return usageLine() + "\n\n" + description();
    }

    /**
     * Runs the command with the arguments after its name, as the class comment says.
     *
     * @return the exit status
     */
    final int run(List<String> args, PrintStream out, PrintStream err) {
        CliArgs.Syntax syntax = syntax();
        if (syntax.wantsHelp(args)) {
            out.print(help());
            return EXIT_OK;
        }
        try {
            return execute(CliArgs.parse(syntax, args), out, err);
        } catch (CommandExit e) {
            e.report(name(), usageLine(), err);
            return e.status();
        } catch (NotRunningException e) {
            err.println(e.getMessage()); // "NAME is not running" names its subject already
            return EXIT_FAILURE;
        } catch (SubhostException e) {
            err.println(name() + ": " + e.getMessage());
            return EXIT_FAILURE;
        } catch (RuntimeException e) {
            // A bug of ours: one line for the user, the trace only when asked for.
            err.println(name() + ": internal error: " + e);
            if (System.getenv(DEBUG_VARIABLE) != null) {
                e.printStackTrace(err);
            }
            return EXIT_FAILURE;
        }
    }
}
