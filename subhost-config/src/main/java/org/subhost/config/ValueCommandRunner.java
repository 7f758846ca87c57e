package org.subhost.config;

import java.nio.file.Path;

/**
 * Runs the command of a {@code VAR=!command} value and gives the first line of its output.
 * The reader takes one so that tests can read arbitrary files without running arbitrary
 * commands; {@link ShellCommandRunner} is the real one.
 */
interface ValueCommandRunner {
    /**
     * Runs {@code command} in {@code workingDirectory} with {@code CONFIG=config} and
     * {@code ACTION=action} added to the environment, and returns the first line of its
     * standard output, without its line end.
     *
     * @throws ValueCommandException when it cannot be run, fails, prints nothing or runs
     *     too long; the message completes "command (...) "
     */
    String firstLine(String command, Path workingDirectory, Path config, String action)
            throws ValueCommandException;
}
