package org.subhost.config;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A configuration file that cannot be used: unreadable, or a value that breaks a rule of
 * the {@code .conf} format.
 *
 * <p>The message starts with the file and, where one applies, the line, as compilers do:
 * {@code /ex1/ex1.conf:3: NAME (webmail-frontend) must be at most 12 characters}, or
 * {@code /ex1/ex1.conf: Missing BASE=...} when no line is to blame (a required variable
 * is absent, a default is bad). {@link #reason()} is the message without that prefix.
 * A strict reading ({@link SubhostConfig#readStrict}) refuses every line it would warn
 * about at once: then the message has one such line for each, in file order.
 * A command-line tool prints {@link #getMessage()} as it is; the stack trace is of no use
 * to a user.
 */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    // Strings and an int rather than Path and Optional: those are not serializable.
    /** The configuration file's path, as text. */
    private final String file;
    /** The line (from 1) to blame, or 0 when no line is. */
    private final int line;
    /** The variable the problem is about, or null. */
    private final String variable;
    /** The message without its {@code FILE:LINE: } prefix. */
    private final String reason;
    // Not serialized (Path is not serializable); a deserialized exception reports none.
    private transient List<DiskAttachment> attachments = List.of();

    /**
     * A problem with {@code variable} (or null) on {@code line} (or 0 for none) of
     * {@code file}, described by {@code reason}.
     */
    ConfigException(Path file, int line, String variable, String reason) {
        super(file + (line > 0 ? ":" + line : "") + ": " + reason);
        this.file = file.toString();
        this.line = line;
        this.variable = variable;
        this.reason = reason;
    }

    /**
     * The lines of {@code file} that a strict reading refuses, each a {@link ConfigWarning}
     * turned error: one message line {@code FILE:LINE: REASON} for each; the first one's line
     * and variable.
     */
    ConfigException(Path file, List<ConfigWarning> refused) {
        super(String.join("\n", refused.stream().map(w -> file + ":" + w.line() + ": " + w.reason()).toList()));
        this.file = file.toString();
        this.line = refused.getFirst().line();
        this.variable = refused.getFirst().variable();
        this.reason = String.join("\n", refused.stream().map(ConfigWarning::reason).toList());
    }

    /** {@return the configuration file, as it was given to the reader} */
    public Path file() {
        return Path.of(file);
    }

    /** {@return the line (counting from 1) that holds the bad value, if one line is to blame} */
    public OptionalInt line() {
        return line > 0 ? OptionalInt.of(line) : OptionalInt.empty();
    }

    /** {@return the variable ({@code NAME}, {@code CABLES}, ...) the problem is about, if any} */
    public Optional<String> variable() {
        return Optional.ofNullable(variable);
    }

    /**
     * {@return the message without its {@code FILE:LINE: } prefix; for several lines refused
     * at once, each line's reason, one a line}
     */
    public String reason() {
        return reason;
    }

    /**
     * The disk images that {@code !} commands mounted before the reading failed (see {@link
     * DiskAttachment}): nobody will boot with them, so the caller releases them, for example
     * with {@code Subhosts.release}. Empty in most cases.
     *
     * @return the mounts made, in the order they were made
     */
    public List<DiskAttachment> attachments() {
        return attachments == null ? List.of() : attachments;
    }

    /** This exception, now carrying {@code attachments}. */
    ConfigException withAttachments(List<DiskAttachment> attachments) {
        this.attachments = List.copyOf(attachments);
        return this;
    }
}
