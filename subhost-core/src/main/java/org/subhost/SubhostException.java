package org.subhost;

import java.util.Optional;

/**
 * An operation on a subhost failed: a boot step, a stop, a command run inside it.
 *
 * <p>The message is for people: it says what failed, on which path or interface, and the
 * kernel's reason, for example {@code boot ex1: step "mount overlay on /ex1/live" failed:
 * mount(overlay on /ex1/live, type overlay): EINVAL (Invalid argument)}. {@link #step()}
 * names the boot step where there is one. It is one line: control characters in it (names
 * that a subhost chose, such as a path or a control group, may hold any) are escaped as
 * {@code \xNN}, so that printing it cannot forge a line of a log or act on a terminal.
 */
public class SubhostException extends Exception {
    private static final long serialVersionUID = 1L;

    /** The boot step that failed, or null. */
    private final String step;

    /**
     * A failure that belongs to no particular step.
     *
     * @param message what failed and why
     */
    public SubhostException(String message) {
        this(message, null, null);
    }

    /**
     * A failure with its cause, belonging to no particular step.
     *
     * @param message what failed and why
     * @param cause the exception that caused it
     */
    public SubhostException(String message, Throwable cause) {
        this(message, null, cause);
    }

    /**
     * A failure of the boot step {@code step} (may be null), with its cause (may be null).
     *
     * @param message what failed and why
     * @param step the boot step's description, or null
     * @param cause the exception that caused it, or null
     */
    public SubhostException(String message, String step, Throwable cause) {
        super(message == null ? null : org.subhost.core.Printable.of(message), cause);
        this.step = step;
    }

    /** {@return the boot step that failed, if the failure happened in one} */
    public Optional<String> step() {
        return Optional.ofNullable(step);
    }
}
