package org.subhost;

/**
 * The subhost named is not running: no state record, or one whose pid 1 is gone.
 * The message is {@code NAME is not running}, as the command-line tools print it.
 */
public final class NotRunningException extends SubhostException {
    private static final long serialVersionUID = 1L;

    private final String name;

    /** For the subhost {@code name}. */
    public NotRunningException(String name) {
        super(name + " is not running");
        this.name = name;
    }

    /** The name of the subhost that is not running. */
    public String name() {
        return name;
    }
}
