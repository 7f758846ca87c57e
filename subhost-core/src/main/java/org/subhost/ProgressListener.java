package org.subhost;

/**
 * Receives the lines that a boot or a stop writes to the subhost's LOG, as they are
 * written, each with its severity: for a caller that reports progress elsewhere too (the
 * CLI tells systemd, and its journal, how a boot goes). Called on the booting thread or
 * another thread of the SDK, one line at a time; it must return quickly and not throw.
 */
@FunctionalInterface
public interface ProgressListener {
    /** How much a line matters. */
    enum Severity {
        /** A step, or a state reached. */
        INFO,
        /** Something went wrong, but the boot or stop goes on (an undo that failed). */
        WARNING,
        /** The boot or stop failed, or left something behind. */
        ERROR
    }

    /**
     * Ignores every line. An anonymous class rather than a lambda: a lambda's class is made
     * at run time, which a cold command pays for unless its start-up cache holds it.
     */
    ProgressListener NONE = new ProgressListener() {
        @Override
        public void line(Severity severity, String text) {
            // ignored
        }
    };

    /**
     * One line of the LOG, without its time stamp and {@code command[NAME]:} prefix.
     *
     * @param severity how much it matters
     * @param text the line
     */
    void line(Severity severity, String text);
}
