package org.subhost.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * One command of a unit's {@code Exec*=} line, split as systemd.service(5) "Command lines"
 * says: the program, its argv, and what its prefixes ask.
 *
 * <p>Example: {@code ExecStartPre=-/usr/sbin/sshd -t} is the program {@code /usr/sbin/sshd}
 * with argv {@code [/usr/sbin/sshd, -t]}, whose failure is ignored.
 *
 * <p>Accepted: the prefixes {@code -} (failure ignored), {@code @} (the second word is
 * argv[0]), {@code :} (no {@code $} expansion), {@code +}, {@code !} and {@code !!} (run
 * without the unit's {@code User=} and {@code Group=}); words split at blanks, with double
 * and single quotes and the C escapes {@code \a \b \f \n \r \t \v \\ \" \' \s \xNN \NNN
 * \\uNNNN}; {@code ${NAME}} replaced by the variable's value inside a word, {@code $NAME} as
 * a word of its own by the value's words; specifiers ({@code %n}, {@code %t}, ...) through
 * the caller's function; a lone {@code ;} between commands. Not checked here: whether the
 * program exists (pid 1 finds out when it execs).
 *
 * @param program the path or name of the program to run
 * @param argv its arguments, argv[0] first
 * @param ignoreFailure {@code -}: a status other than 0 counts as success
 * @param privileged {@code +}, {@code !} or {@code !!}: runs as root with the unit's other settings
 */
record ExecCommand(String program, List<String> argv, boolean ignoreFailure, boolean privileged) {
    ExecCommand {
        Objects.requireNonNull(program, "program");
        argv = List.copyOf(argv);
        if (program.isEmpty() || argv.isEmpty()) {
            throw new IllegalArgumentException("a command needs a program and argv[0]");
        }
    }

    /** A value of an {@code Exec*=} line that cannot be run, with the reason for people. */
    static final class BadCommand extends Exception {
        private static final long serialVersionUID = 1L;

        BadCommand(String message) {
            super(message);
        }
    }

    /**
     * Splits an {@code Exec*=} value into its commands.
     *
     * @param value the value as written in the unit
     * @param env the variables that {@code $NAME} and {@code ${NAME}} stand for (unset: empty)
     * @param specifier the text of a specifier letter ({@code n} for {@code %n}), empty for one not supported
     * @return the commands, in order; empty for an empty value
     * @throws BadCommand when a quote is not closed, an escape or specifier is not known, or
     *     a command has no program
     */
    static List<ExecCommand> parse(String value, Map<String, String> env,
            Function<Character, Optional<String>> specifier) throws BadCommand {
        List<ExecCommand> commands = new ArrayList<>();
        Lexer lexer = new Lexer(value, env, specifier);
        while (true) {
            lexer.skipBlanks();
            if (lexer.atEnd()) {
                return commands;
            }
            commands.add(command(lexer));
        }
    }

    private static ExecCommand command(Lexer lexer) throws BadCommand {
        boolean ignore = false, privileged = false, argv0 = false, noExpansion = false;
        while (!lexer.atEnd()) {
            char c = lexer.peek();
            if (c == '-') {
                ignore = true;
            } else if (c == '@') {
                argv0 = true;
            } else if (c == ':') {
                noExpansion = true;
            } else if (c == '+' || c == '!') {
                privileged = true;
            } else {
                break;
            }
            lexer.next();
        }
        lexer.expand = !noExpansion;
        List<String> words = new ArrayList<>();
        while (true) {
            lexer.skipBlanks();
            if (lexer.atEnd()) {
                break;
            }
            List<String> word = lexer.word();
            if (word == null) {
                break; // ";": the next command follows
            }
            words.addAll(word);
        }
        if (words.isEmpty() || words.getFirst().isEmpty()) {
            throw new BadCommand("no program to run");
        }
        String program = words.getFirst();
        List<String> argv = argv0 ? words.subList(1, words.size()) : words;
        if (argv.isEmpty()) {
            throw new BadCommand("@ needs argv[0] after the program (" + program + ")");
        }
        return new ExecCommand(program, argv, ignore, privileged);
    }

    /** The words of one value, with their quotes, escapes, variables and specifiers resolved. */
    private static final class Lexer {
        private final String text;
        private final Map<String, String> env;
        private final Function<Character, Optional<String>> specifier;
        private int pos;
        boolean expand = true;

        Lexer(String text, Map<String, String> env, Function<Character, Optional<String>> specifier) {
            this.text = text;
            this.env = env;
            this.specifier = specifier;
        }

        boolean atEnd() {
            return pos >= text.length();
        }

        char peek() {
            return text.charAt(pos);
        }

        char next() {
            return text.charAt(pos++);
        }

        void skipBlanks() {
            while (!atEnd() && Character.isWhitespace(peek())) {
                pos++;
            }
        }

        /** The next word (several for a lone {@code $NAME}); null for a lone {@code ;}. */
        List<String> word() throws BadCommand {
            int start = pos;
            if (peek() == ';' && (pos + 1 == text.length() || Character.isWhitespace(text.charAt(pos + 1)))) {
                pos++;
                return null;
            }
            if (expand && peek() == '$' && pos + 1 < text.length() && isNameStart(text.charAt(pos + 1))) {
                int end = pos + 1;
                while (end < text.length() && isNamePart(text.charAt(end))) {
                    end++;
                }
                if (end == text.length() || Character.isWhitespace(text.charAt(end))) {
                    String name = text.substring(pos + 1, end);
                    pos = end;
                    String v = env.getOrDefault(name, "").strip();
                    return v.isEmpty() ? List.of() : List.of(v.split("\\s+"));
                }
            }
            StringBuilder b = new StringBuilder();
            char quote = 0;
            while (!atEnd()) {
                char c = peek();
                if (quote == 0 && Character.isWhitespace(c)) {
                    break;
                }
                pos++;
                if (c == quote) {
                    quote = 0;
                } else if (quote == 0 && (c == '"' || c == '\'')) {
                    quote = c;
                } else if (c == '\\') {
                    escape(b);
                } else if (c == '%') {
                    specifier(b);
                } else if (c == '$' && expand && !atEnd() && peek() == '{') {
                    int close = text.indexOf('}', pos);
                    if (close < 0) {
                        throw new BadCommand("${ without } at column " + (pos) + ": " + UnitFile.shown(text));
                    }
                    b.append(env.getOrDefault(text.substring(pos + 1, close), ""));
                    pos = close + 1;
                } else {
                    b.append(c);
                }
            }
            if (quote != 0) {
                throw new BadCommand("quote " + quote + " from column " + (start + 1) + " not closed: "
                        + UnitFile.shown(text));
            }
            return List.of(b.toString());
        }

        private void specifier(StringBuilder b) throws BadCommand {
            if (atEnd()) {
                throw new BadCommand("% at the end: " + UnitFile.shown(text));
            }
            char letter = next();
            if (letter == '%') {
                b.append('%');
                return;
            }
            b.append(specifier.apply(letter).orElseThrow(
                    () -> new BadCommand("specifier %" + letter + " is not supported")));
        }

        private void escape(StringBuilder b) throws BadCommand {
            if (atEnd()) {
                throw new BadCommand("\\ at the end: " + UnitFile.shown(text));
            }
            char c = next();
            switch (c) {
                case 'a' -> b.append('\u0007');
                case 'b' -> b.append('\b');
                case 'f' -> b.append('\f');
                case 'n' -> b.append('\n');
                case 'r' -> b.append('\r');
                case 't' -> b.append('\t');
                case 'v' -> b.append('\u000b');
                case 's' -> b.append(' ');
                case '\\', '"', '\'', ';', '$', '%' -> b.append(c);
                case 'x' -> b.append((char) digits(2, 16));
                case 'u' -> b.appendCodePoint(digits(4, 16));
                case 'U' -> b.appendCodePoint(digits(8, 16));
                case '0', '1', '2', '3', '4', '5', '6', '7' -> {
                    pos--;
                    b.append((char) digits(3, 8));
                }
                default -> throw new BadCommand("escape \\" + c + " is not known: " + UnitFile.shown(text));
            }
        }

        private int digits(int count, int radix) throws BadCommand {
            if (pos + count > text.length()) {
                throw new BadCommand("escape needs " + count + " digits: " + UnitFile.shown(text));
            }
            try {
                int v = Integer.parseInt(text.substring(pos, pos + count), radix);
                pos += count;
                if (v == 0 || v > Character.MAX_CODE_POINT) {
                    throw new BadCommand("escape gives no character (" + v + "): " + UnitFile.shown(text));
                }
                return v;
            } catch (NumberFormatException e) {
                throw new BadCommand("escape needs " + count + " digits: " + UnitFile.shown(text));
            }
        }

        private static boolean isNameStart(char c) {
            return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        }

        private static boolean isNamePart(char c) {
            return isNameStart(c) || (c >= '0' && c <= '9');
        }
    }
}
