package org.subhost.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The assignments of one systemd unit file, in order, each with the file and line it came
 * from: the syntax of systemd.syntax(7), without the meaning of any directive.
 *
 * <p>Example: the line {@code ExecStart=/usr/sbin/rsyslogd -n -iNONE} in section {@code
 * [Service]} of {@code /lib/systemd/system/rsyslog.service}, line 11, is the entry
 * {@code Service / ExecStart / "/usr/sbin/rsyslogd -n -iNONE"} at that file and line.
 *
 * <p>Accepted: {@code [Section]} headers; {@code Key=Value} with blanks around both trimmed;
 * comment lines starting with {@code #} or {@code ;}; a line ending in a backslash, which goes
 * on in the next line (the backslash becomes a blank; comment lines inside are skipped), as
 * systemd joins them. What systemd ignores with a message (a line without {@code =}, an
 * assignment before any section) is a {@link Problem} here, so that the caller can warn.
 * Values are left as written: quoting and escapes belong to the directive ({@link
 * ExecCommand} for {@code Exec*=}).
 */
final class UnitFile {
    /** The longest unit file read; larger ones are refused (systemd's own bound is 64 MiB). */
    static final int MAX_BYTES = 256 * 1024;

    private UnitFile() {}

    /**
     * One assignment.
     *
     * @param section the section it is in, without brackets ({@code Service})
     * @param key the directive's name ({@code ExecStart})
     * @param value the value, blanks trimmed; empty for a reset ({@code ExecStart=})
     * @param file the file it is in, as named in messages
     * @param line its first line (1-based)
     */
    record Entry(String section, String key, String value, String file, int line) {
        Entry {
            Objects.requireNonNull(section, "section");
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            Objects.requireNonNull(file, "file");
        }

        /** {@return {@code file:line}, for messages} */
        String where() {
            return file + ":" + line;
        }
    }

    /**
     * A line that systemd would ignore with a message.
     *
     * @param file the file
     * @param line the line (1-based)
     * @param what what is wrong, for people
     */
    record Problem(String file, int line, String what) {
        @Override
        public String toString() {
            return file + ":" + line + ": " + what;
        }
    }

    /**
     * What {@link #parse} found.
     *
     * @param entries the assignments in file order
     * @param problems the lines that were skipped, in file order
     */
    record Parsed(List<Entry> entries, List<Problem> problems) {
        Parsed {
            entries = List.copyOf(entries);
            problems = List.copyOf(problems);
        }
    }

    /**
     * Parses the text of a unit file.
     *
     * @param file the file's name for messages
     * @param text its text
     * @return the assignments and the skipped lines
     */
    static Parsed parse(String file, String text) {
        List<Entry> entries = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        String section = null;
        for (int i = 0; i < lines.length; i++) {
            int first = i + 1;
            String line = stripTrailingCr(lines[i]);
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.startsWith("#") || trimmed.startsWith(";")) {
                continue;
            }
            // Continuation: "\" at the end joins the next line (comment lines inside skipped).
            StringBuilder joined = new StringBuilder(trimmed);
            while (endsInContinuation(joined) && i + 1 < lines.length) {
                joined.setLength(joined.length() - 1);
                joined.append(' ');
                i++;
                String next = stripTrailingCr(lines[i]).strip();
                while ((next.startsWith("#") || next.startsWith(";")) && i + 1 < lines.length) {
                    i++;
                    next = stripTrailingCr(lines[i]).strip();
                }
                if (next.startsWith("#") || next.startsWith(";")) {
                    next = "";
                }
                joined.append(next);
            }
            if (endsInContinuation(joined)) {
                joined.setLength(joined.length() - 1);
            }
            String logical = joined.toString().strip();
            if (logical.startsWith("[")) {
                if (!logical.endsWith("]") || logical.length() < 3) {
                    problems.add(new Problem(file, first, "not a section header: " + shown(logical)));
                    section = "";
                    continue;
                }
                section = logical.substring(1, logical.length() - 1);
                continue;
            }
            int equals = logical.indexOf('=');
            if (equals <= 0) {
                problems.add(new Problem(file, first, "no assignment (Key=Value): " + shown(logical)));
                continue;
            }
            if (section == null) {
                problems.add(new Problem(file, first, "assignment outside of a section: " + shown(logical)));
                continue;
            }
            if (section.isEmpty()) {
                continue; // under a broken header: already said
            }
            String key = logical.substring(0, equals).strip();
            String value = logical.substring(equals + 1).strip();
            entries.add(new Entry(section, key, value, file, first));
        }
        return new Parsed(entries, problems);
    }

    /**
     * A text that the subhost wrote, for a message on the admin's terminal: in quotes, with
     * control characters as {@code \xNN}, so that a unit file cannot move the cursor or
     * forge a line of ours.
     */
    static String shown(String text) {
        StringBuilder b = new StringBuilder("\"");
        text.codePoints().forEach(c -> {
            if (c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0)) {
                b.append(String.format("\\x%02x", c));
            } else {
                b.appendCodePoint(c);
            }
        });
        return b.append('"').toString();
    }

    private static String stripTrailingCr(String line) {
        return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
    }

    /** A trailing backslash that is not itself escaped continues the line. */
    private static boolean endsInContinuation(CharSequence s) {
        int backslashes = 0;
        for (int i = s.length() - 1; i >= 0 && s.charAt(i) == '\\'; i--) {
            backslashes++;
        }
        return backslashes % 2 == 1;
    }
}
