package org.subhost;

import static java.util.Objects.requireNonNull;

/**
 * What a command run inside a subhost returned: its exit status and what it printed.
 *
 * <p>Example: {@code mta.exec("postconf", "-n")} gives {@code ExecResult[status=0,
 * stdout="...", stderr=""]}. The status follows the shell's rule: the command's exit code,
 * or 128 + the signal number when a signal ended it.
 *
 * @param status the exit status, 0 to 255
 * @param stdout everything the command wrote to its standard output, decoded as UTF-8
 * @param stderr everything the command wrote to its standard error, decoded as UTF-8
 */
public record ExecResult(int status, String stdout, String stderr) {
    /**
     * The most bytes kept of each of a command's standard output and standard error: 16
     * MiB. A command that writes more is killed, and {@code exec} fails with a message that
     * says so.
     */
    public static final int OUTPUT_LIMIT = 16 << 20;

    /** Checks the status range and that the outputs are present. */
    public ExecResult {
        if (status < 0 || status > 255) {
            throw new IllegalArgumentException("status (" + status + ") must be 0 to 255");
        }
        requireNonNull(stdout, "stdout");
        requireNonNull(stderr, "stderr");
    }

    /** {@return whether the command exited with status 0} */
    public boolean succeeded() {
        return status == 0;
    }
}
