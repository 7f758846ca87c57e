package org.subhost.cli;

import java.io.PrintStream;
import java.util.List;

/**
 * One command of the CLI, such as {@code overlay-boot}: parses its own arguments, writes
 * results to {@code out} and messages to {@code err}, and returns the exit status.
 * Commands print no stack traces: a user gets one line saying what is wrong.
 */
interface Command {
    /** Success. */
    int EXIT_OK = 0;
    /** The command was understood but failed (a boot that did not work). */
    int EXIT_FAILURE = 1;
    /** Bad usage or a bad configuration: nothing was done. */
    int EXIT_USAGE = 2;

    /** The name the user types, such as {@code overlay-boot}. */
    String name();

    /** Runs the command with the arguments after its name; returns the exit status. */
    int run(List<String> args, PrintStream out, PrintStream err);
}
