package org.subhost.cli;

import java.io.PrintStream;
import java.util.Objects;

/**
 * How a command ends other than by returning its status: thrown by a command's body (or by
 * {@link CliArgs} and {@link CliSupport} on its behalf) and printed by {@link Command#run},
 * the one place that knows the command's name and usage line. Each form is one of the
 * family's shapes on standard error:
 * <ul>
 * <li>{@link #usage}: {@code COMMAND: MESSAGE}, the usage line and {@code Try 'COMMAND
 *     --help' for more.}; status 2. The arguments cannot be understood.
 * <li>{@link #mistake}: {@code COMMAND: MESSAGE}; status 2. The arguments were understood
 *     but name something unusable (CONF that does not exist); nothing was done.
 * <li>{@link #failure}: {@code COMMAND: MESSAGE}; status 1. The command tried and failed.
 * <li>{@link #line}: a line printed as it is, with a status: messages that name their
 *     subject first ({@code NAME is not running}) or carry a journal priority.
 * <li>{@link #printed}: only a status; what there was to say has been printed (a
 *     configuration error, which names {@code file:line} itself, with what releasing its
 *     disk images had to say after it).
 * </ul>
 * No form prints a stack trace: these are ends a user meets, not bugs.
 */
final class CommandExit extends Exception {
    private static final long serialVersionUID = 1L;

    /** How the message is printed. */
    private enum Form {
        USAGE, NAMED, AS_IS, PRINTED
    }

    private final int status;
    private final Form form;
    private final String text;

    private CommandExit(int status, Form form, String text) {
        // No stack trace: the exception carries an end, not a fault to find.
        super(text, null, false, false);
        this.status = status;
        this.form = form;
        this.text = text;
    }

    /** Arguments that cannot be understood: message, usage line and a pointer to --help; status 2. */
    static CommandExit usage(String message) {
        return new CommandExit(Command.EXIT_USAGE, Form.USAGE, Objects.requireNonNull(message));
    }

    /** A user's mistake that the arguments name, such as a CONF that does not exist; status 2. */
    static CommandExit mistake(String message) {
        return new CommandExit(Command.EXIT_USAGE, Form.NAMED, Objects.requireNonNull(message));
    }

    /** A failure of what the command tried; status 1. */
    static CommandExit failure(String message) {
        return new CommandExit(Command.EXIT_FAILURE, Form.NAMED, Objects.requireNonNull(message));
    }

    /** {@code line} printed as it is (without the command's name), and {@code status}. */
    static CommandExit line(int status, String line) {
        return new CommandExit(status, Form.AS_IS, Objects.requireNonNull(line));
    }

    /** Only {@code status}: the message has been printed already. */
    static CommandExit printed(int status) {
        return new CommandExit(status, Form.PRINTED, null);
    }

    /** The exit status. */
    int status() {
        return status;
    }

    /** Prints this end on {@code err} for command {@code command} with usage line {@code usageLine}. */
    void report(String command, String usageLine, PrintStream err) {
        switch (form) {
            case USAGE -> {
                err.println(command + ": " + text);
                err.println(usageLine);
                err.println("Try '" + command + " --help' for more.");
            }
            case NAMED -> err.println(command + ": " + text);
            case AS_IS -> err.println(text);
            case PRINTED -> {
                // said already
            }
        }
    }
}
