package org.subhost;

/**
 * The subhost named is not running: no state record, or one whose pid 1 is gone.
 * The message is {@code NAME is not running}, as the command-line tools print it.
 */
public final class NotRunningException extends SubhostException {
    private static final long serialVersionUID = 1L;

    /** The NAME that is not running. */
    private final String name;

    /**
     * For the subhost {@code name}.
     *
     * @param name the subhost's NAME
     */
    public NotRunningException(String name) {
        super(name + " is not running");
        this.name = name;
    }

    /** {@return the name of the subhost that is not running} */
    public String name() {
        return name;
    }
}
