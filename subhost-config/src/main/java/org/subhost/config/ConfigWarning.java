package org.subhost.config;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * A line of a {@code .conf} file that the reader ignores although it looks meant: an
 * unknown variable ({@code STRAT=none}), a known one written so that it is no assignment
 * ({@code START = none}, an indented line), or a second assignment of a variable whose
 * first one counts. The old tool ignores such lines without a word, and so does the
 * reading, for compatibility; it only warns ({@link SubhostConfig#warnings()}), unless it
 * reads strictly ({@link SubhostConfig#readStrict}).
 *
 * <p>Example: {@code /ex1/ex1.conf:2: warning: STRAT: unknown variable; did you mean START?}
 *
 * @param file the configuration file, as it was given to the reader
 * @param line the line, counting from 1
 * @param variable the name the line assigns, as written ({@code STRAT}, {@code name})
 * @param reason what is wrong and, where a known variable is near, which one was meant
 */
public record ConfigWarning(Path file, int line, String variable, String reason) {
    /** Checks that every part is present and the line is one. */
    public ConfigWarning {
        requireNonNull(file, "file");
        requireNonNull(variable, "variable");
        requireNonNull(reason, "reason");
        if (line < 1) {
            throw new IllegalArgumentException("line (" + line + ") must be at least 1");
        }
    }

    /** {@return the warning as compilers print one: {@code FILE:LINE: warning: REASON}} */
    @Override
    public String toString() {
        return file + ":" + line + ": warning: " + reason;
    }
}
