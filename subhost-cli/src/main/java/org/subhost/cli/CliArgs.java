package org.subhost.cli;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A command line split into options and operands, the way every command of the family reads
 * it: options first or between operands, {@code --} ends them, an option that takes a value
 * takes the next argument. Mistakes end the command with its usage (status 2, {@link
 * CommandExit#usage}) and one of the family's messages: {@code unknown option (-x)}, {@code
 * --grace needs a number of seconds}, {@code too many arguments (x)}.
 */
final class CliArgs {
    /** The options that every command takes: they print its help ({@link Command#run}). */
    static final Set<String> HELP = Set.of("-h", "--help");

    /**
     * What a command takes on its command line; made by {@link #operands(int)} and the
     * methods that add to it, such as {@code Syntax.operands(1).flag("--dry-run")}.
     *
     * @param flags the options without a value, such as {@code --dry-run}
     * @param valueOptions the options that take a value, each with what the value is, for
     *     the message when it is missing ({@code "a number of seconds"})
     * @param maxOperands how many operands the command takes at most
     * @param firstOperandEndsOptions whether the first operand ends the options, so that
     *     what follows it is passed on as it is ({@code overlay-go NAME CMD ARGS...})
     */
    record Syntax(Set<String> flags, Map<String, String> valueOptions, int maxOperands,
            boolean firstOperandEndsOptions) {
        Syntax {
            flags = Set.copyOf(flags);
            valueOptions = Map.copyOf(valueOptions);
            if (maxOperands < 0) {
                throw new IllegalArgumentException("maxOperands (" + maxOperands + ") must not be negative");
            }
        }

        /** A command without options that takes at most {@code max} operands. */
        static Syntax operands(int max) {
            return new Syntax(Set.of(), Map.of(), max, false);
        }

        /** This syntax with the flag {@code name} too. */
        Syntax flag(String name) {
            Set<String> more = new HashSet<>(flags);
            more.add(name);
            return new Syntax(more, valueOptions, maxOperands, firstOperandEndsOptions);
        }

        /** This syntax with the option {@code name}, whose value is {@code what} ("a number of seconds"). */
        Syntax value(String name, String what) {
            Map<String, String> more = new LinkedHashMap<>(valueOptions);
            more.put(name, what);
            return new Syntax(flags, more, maxOperands, firstOperandEndsOptions);
        }

        /** This syntax with options only before the first operand. */
        Syntax optionsBeforeOperandsOnly() {
            return new Syntax(flags, valueOptions, maxOperands, true);
        }

        /**
         * Whether {@code args} ask for help: {@code -h} or {@code --help} where an option may
         * stand (before {@code --}, and before the first operand when options stand only
         * there). Whatever else the arguments hold, help wins.
         */
        boolean wantsHelp(List<String> args) {
            for (String arg : args) {
                if (arg.equals("--")) {
                    return false;
                }
                if (HELP.contains(arg)) {
                    return true;
                }
                if (firstOperandEndsOptions && !isOption(arg)) {
                    return false;
                }
            }
            return false;
        }
    }

    private final Set<String> flags;
    private final Map<String, String> values;
    private final List<String> operands;

    private CliArgs(Set<String> flags, Map<String, String> values, List<String> operands) {
        this.flags = flags;
        this.values = values;
        this.operands = operands;
    }

    /**
     * Splits {@code args} as {@code syntax} says.
     *
     * @param syntax the options and operands the command takes
     * @param args the arguments after the command's name
     * @return the options and operands
     * @throws CommandExit a usage error naming the mistake
     */
    static CliArgs parse(Syntax syntax, List<String> args) throws CommandExit {
        Set<String> given = new HashSet<>();
        Map<String, String> values = new LinkedHashMap<>();
        List<String> operands = new ArrayList<>();
        boolean options = true;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (options && arg.equals("--")) {
                options = false;
            } else if (options && syntax.flags().contains(arg)) {
                given.add(arg);
            } else if (options && syntax.valueOptions().containsKey(arg)) {
                if (i + 1 == args.size()) {
                    throw CommandExit.usage(arg + " needs " + syntax.valueOptions().get(arg));
                }
                values.put(arg, args.get(++i));
            } else if (options && isOption(arg)) {
                throw CommandExit.usage("unknown option (" + arg + ")");
            } else if (operands.size() == syntax.maxOperands()) {
                throw CommandExit.usage("too many arguments (" + arg + ")");
            } else {
                operands.add(arg);
                options &= !syntax.firstOperandEndsOptions();
            }
        }
        return new CliArgs(Set.copyOf(given), values, List.copyOf(operands));
    }

    /** Whether {@code arg}, where an option may stand, is one: a lone dash is an operand. */
    private static boolean isOption(String arg) {
        return arg.startsWith("-") && arg.length() > 1;
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
     * 86400, or {@code otherwise} when it was not given.
     *
     * @throws CommandExit a usage error naming the option, for anything else
     */
    Duration seconds(String name, long min, Duration otherwise) throws CommandExit {
        String text = values.get(name);
        if (text == null) {
            return otherwise;
        }
        try {
            long s = Long.parseLong(text);
            if (s >= min && s <= 86_400) {
                return Duration.ofSeconds(s);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw CommandExit.usage(name + " (" + text + ") must be " + min + " to 86400 seconds");
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
