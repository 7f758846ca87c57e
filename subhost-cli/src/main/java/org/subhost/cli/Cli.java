package org.subhost.cli;

import java.io.PrintStream;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The entry point of the overlay-boot command family: {@code Cli COMMAND ARGS...}, where
 * COMMAND is the name the launcher in {@code bin/} was called by (so {@code bin/overlay-boot
 * --dry-run CONF} runs {@code Cli overlay-boot --dry-run CONF}).
 *
 * <p>Each command is one subclass of {@link Command}, which gives them all one shape
 * (help, usage errors, exit statuses, internal errors); adding a command means adding its
 * class to {@link #COMMANDS}. Arguments are parsed by {@link CliArgs}, by hand, so that
 * start-up stays short.
 */
public final class Cli {
    static {
        // First of all, before the commands below are made: the JDK's linking of system
        // calls, on the other core while the command reads its arguments and configuration.
        // The first system call waits for it, so it is what a cold command's path waits on
        // after the JVM's own start; the earlier it starts, the sooner it is done.
        org.subhost.linux.Bindings.prelinkInBackground();
    }

    private static final Map<String, Command> COMMANDS = commands(new OverlayBootCommand(), new OverlayStopCommand(),
            new OverlayGoCommand(), new OverlayShareCommand(), new OverlayListCommand(), new SubhostsCommand(),
            new OverlayDiskfileCommand(), new OverlayServiceCommand(), new OverlayLimitCommand());

    private Cli() {}

    /**
     * Runs the command named by {@code args[0]} and exits with its status.
     *
     * @param args the command's name ({@code overlay-boot}, ...) followed by its arguments
     */
    public static void main(String[] args) {
        int status = run(List.of(args), System.out, System.err);
        // halt, not exit: the commands register no shutdown hook and leave nothing to
        // finalise, and exit's shutdown sequence (hooks, logging of Runtime.exit) was a
        // measurable part of a short command's time. With JVM options given through the
        // launchers (SUBHOST_JAVA_OPTS, such as a JFR recording), the JVM's own hooks may
        // have work to do at exit: then exit.
        System.out.flush();
        System.err.flush();
        if (System.getenv("SUBHOST_JAVA_OPTS") != null && !System.getenv("SUBHOST_JAVA_OPTS").isBlank()) {
            System.exit(status);
        }
        Runtime.getRuntime().halt(status);
    }

    /** Runs the command named by {@code args.get(0)}; returns the exit status. */
    static int run(List<String> args, PrintStream out, PrintStream err) {
        if (args.isEmpty()) {
            err.println("Usage: Cli COMMAND [ARGS...], COMMAND one of " + String.join(", ", COMMANDS.keySet()));
            return Command.EXIT_USAGE;
        }
        Command command = COMMANDS.get(args.getFirst());
        if (command == null) {
            err.println("subhost: unknown command (" + args.getFirst() + "); known are "
                    + String.join(", ", COMMANDS.keySet()));
            return Command.EXIT_USAGE;
        }
        return command.run(args.subList(1, args.size()), out, err);
    }

    private static Map<String, Command> commands(Command... commands) {
        Map<String, Command> byName = new LinkedHashMap<>();
        for (Command command : commands) {
            byName.put(command.name(), command);
        }
        // Not Map.copyOf: its iteration order changes from run to run, and the order is
        // what the usage and unknown-command messages print.
        return Collections.unmodifiableMap(byName);
    }
}
