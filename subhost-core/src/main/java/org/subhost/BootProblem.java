package org.subhost;

import static java.util.Objects.requireNonNull;

import java.util.Locale;

/**
 * One thing that a boot of a configuration would meet on this host, found before the boot
 * ({@link Subhosts#preflight}): an {@link Severity#ERROR error} that would make the boot
 * fail, or a {@link Severity#WARNING warning} of something that would go wrong without
 * failing it; each with the fix.
 *
 * <p>Example: {@code error: LIVE (/ex1/live) does not exist; fix: mkdir -p /ex1/live}.
 *
 * @param severity whether the boot would fail
 * @param problem what is wrong, naming the variable, path or interface, such as {@code LIVE
 *     (/ex1/live) does not exist}
 * @param fix what to do about it, a command where one does it, such as {@code mkdir -p
 *     /ex1/live}
 */
public record BootProblem(Severity severity, String problem, String fix) {
    /** How much a problem matters. */
    public enum Severity {
        /** The boot would fail (at the first step that meets it). */
        ERROR,
        /** The boot would succeed, but something of the subhost would not be as meant. */
        WARNING
    }

    /** Checks that every part is present. */
    public BootProblem {
        requireNonNull(severity, "severity");
        requireNonNull(problem, "problem");
        requireNonNull(fix, "fix");
    }

    /** {@return whether the boot would fail} */
    public boolean isError() {
        return severity == Severity.ERROR;
    }

    /** {@return the problem in one line: {@code error: PROBLEM; fix: FIX}, or {@code warning: ...}} */
    @Override
    public String toString() {
        return severity.name().toLowerCase(Locale.ROOT) + ": " + problem + "; fix: " + fix;
    }
}
