package org.subhost.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * A process known by its pid and its start time, so that a pid reused by an unrelated
 * process is never mistaken for it (docs/architecture.md, "State records and locks").
 *
 * <p>The start time is field 22 of {@code /proc/PID/stat}, in clock ticks since the host
 * booted; it never changes for a process and two processes with the same pid cannot have
 * the same start time.
 *
 * @param pid the pid in the host's pid namespace
 * @param startTime its start time from {@code /proc/PID/stat}
 */
record ProcessIdentity(int pid, long startTime) {

    /** The identity of the running process {@code pid}, if it exists. */
    static java.util.Optional<ProcessIdentity> of(int pid) {
        OptionalLong start = startTime(pid);
        return start.isPresent() ? java.util.Optional.of(new ProcessIdentity(pid, start.getAsLong()))
                : java.util.Optional.empty();
    }

    /** Whether this very process still exists (not a zombie, not a reused pid). */
    boolean isAlive() {
        OptionalLong now = startTime(pid);
        return now.isPresent() && now.getAsLong() == startTime;
    }

    /** Field 22 of {@code /proc/PID/stat}, or empty when the process is gone or a zombie. */
    static OptionalLong startTime(int pid) {
        byte[] stat;
        try {
            stat = Files.readAllBytes(Path.of("/proc/" + pid + "/stat"));
        } catch (IOException e) {
            return OptionalLong.empty(); // NoSuchFileException: gone
        }
        // Bytes as chars one to one: the command name (field 2) is any bytes its process
        // chose (the name of the file it runs), and a name not in UTF-8 must not make a
        // running process look gone.
        return startTimeOf(new String(stat, StandardCharsets.ISO_8859_1));
    }

    /**
     * Field 22 of the text of a {@code /proc/PID/stat}, or empty when that process is a
     * zombie or the text is not as proc(5) says. Read on every boot and stop, so by hand
     * rather than by splitting the text into its fifty-odd fields.
     */
    static OptionalLong startTimeOf(String stat) {
        // The command name (field 2) is in parentheses and may itself contain spaces and
        // parentheses: the fields after it start after the last ')' and a space.
        int close = stat.lastIndexOf(')');
        if (close < 0 || close + 2 > stat.length()) {
            return OptionalLong.empty();
        }
        String rest = stat.substring(close + 2).trim();
        // Field 3 (the state) is the first after it, field 22 the twentieth; one space each.
        int from = 0;
        for (int field = 3; field < 22; field++) {
            int space = rest.indexOf(' ', from);
            if (space < 0) {
                return OptionalLong.empty();
            }
            if (field == 3) {
                String state = rest.substring(0, space);
                if (state.equals("Z") || state.equals("X")) {
                    return OptionalLong.empty();
                }
            }
            from = space + 1;
        }
        int end = rest.indexOf(' ', from);
        try {
            return OptionalLong.of(Long.parseLong(rest.substring(from, end < 0 ? rest.length() : end)));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }
}
