package org.subhost.cli;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A command line split into options and operands, the way every command of the family reads
 * it: options first or between operands, {@code --} ends them, an option that takes a value
 * takes the next argument. Mistakes end the command with its usage (status 2) and one of the
 * family's messages: {@code unknown option (-x)}, {@code --grace needs a number of seconds},
 * {@code too many arguments (x)}.
 */
final class CliArgs {
    private final String command;
    private final String usageLine;
    private final PrintStream err;
    private final Set<String> flags;
    private final Map<String, String> values;
    private final List<String> operands;

    private CliArgs(String command, String usageLine, PrintStream err, Set<String> flags, Map<String, String> values,
            List<String> operands) {
        this.command = command;
        this.usageLine = usageLine;
        this.err = err;
        this.flags = flags;
        this.values = values;
        this.operands = operands;
    }

    /**
     * Splits {@code args}.
     *
     * @param command the command's name, for messages
     * @param usageLine its usage line, printed with a mistake
     * @param args the arguments after the command's name
     * @param flags the options without a value, such as {@code --dry-run}
     * @param valueOptions the options that take a value, each with what the value is, for
     *     the message when it is missing ({@code "a number of seconds"})
     * @param maxOperands how many operands the command takes at most
     * @param err where a mistake is reported
     * @return the options and operands
     * @throws CliSupport.Exit with status 2 after reporting a mistake
     */
    static CliArgs parse(String command, String usageLine, List<String> args, Set<String> flags,
            Map<String, String> valueOptions, int maxOperands, PrintStream err) throws CliSupport.Exit {
        Set<String> given = new java.util.HashSet<>();
        Map<String, String> values = new LinkedHashMap<>();
        List<String> operands = new ArrayList<>();
        boolean options = true;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (options && arg.equals("--")) {
                options = false;
            } else if (options && flags.contains(arg)) {
                given.add(arg);
            } else if (options && valueOptions.containsKey(arg)) {
                if (i + 1 == args.size()) {
                    throw CliSupport.usage(command, usageLine, err, arg + " needs " + valueOptions.get(arg));
                }
                values.put(arg, args.get(++i));
            } else if (options && arg.startsWith("-") && arg.length() > 1) {
                throw CliSupport.usage(command, usageLine, err, "unknown option (" + arg + ")");
            } else if (operands.size() == maxOperands) {
                throw CliSupport.usage(command, usageLine, err, "too many arguments (" + arg + ")");
            } else {
                operands.add(arg);
            }
        }
        return new CliArgs(command, usageLine, err, Set.copyOf(given), values, List.copyOf(operands));
    }

    /** Whether flag {@code name} was given. */
    boolean has(String name) {
        return flags.contains(name);
    }

    /** The value of option {@code name}, the last one when it was given more than once. */
    Optional<String> value(String name) {
        return Optional.ofNullable(values.get(name));
    }

    /**
     * The value of option {@code name} as a whole number of seconds from {@code min} to
     * 86400, or {@code otherwise} when it was not given; anything else ends the command
     * with its usage.
     */
    java.time.Duration seconds(String name, long min, java.time.Duration otherwise) throws CliSupport.Exit {
        String text = values.get(name);
        return text == null ? otherwise : CliSupport.seconds(command, usageLine, name, text, min, err);
    }

    /** The first operand, if there is one. */
    Optional<String> firstOperand() {
        return operands.isEmpty() ? Optional.empty() : Optional.of(operands.getFirst());
    }

    /** The operands in order. */
    List<String> operands() {
        return operands;
    }
}
