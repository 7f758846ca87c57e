package org.subhost.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.subhost.SubhostException;
import org.subhost.Subhosts;
import org.subhost.config.ConfigException;
import org.subhost.config.DiskAttachment;
import org.subhost.config.SubhostConfig;

/**
 * What the commands share: the canonical-path rule for CONF, reading the configuration
 * with the command's ACTION, the root check, and usage errors in one shape.
 */
final class CliSupport {
    private CliSupport() {}

    /** Thrown to end a command with a status after its message has been printed. */
    static final class Exit extends Exception {
        private static final long serialVersionUID = 1L;
        final int status;

        Exit(int status) {
            super(null, null, false, false);
            this.status = status;
        }
    }

    /** Whether {@code args} (before a {@code --}) ask for help. */
    static boolean wantsHelp(List<String> args) {
        for (String arg : args) {
            if (arg.equals("--")) {
                return false;
            }
            if (arg.equals("--help") || arg.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    /**
     * The path of CONF when it is given as its canonical absolute path, as the old tool
     * insists, so that a subhost is not started or stopped by accident.
     */
    static Path canonicalConf(String command, String conf, PrintStream err) throws Exit {
        Path real;
        try {
            real = Path.of(conf).toAbsolutePath().toRealPath();
        } catch (InvalidPathException e) {
            throw fail(err, Command.EXIT_USAGE, command + ": CONF (" + conf + ") is not a path: " + e.getReason());
        } catch (NoSuchFileException e) {
            throw fail(err, Command.EXIT_USAGE, command + ": CONF (" + conf + ") does not exist");
        } catch (IOException e) {
            throw fail(err, Command.EXIT_USAGE, command + ": CONF (" + conf + ") cannot be resolved: " + e.getMessage());
        }
        if (!conf.equals(real.toString())) {
            throw fail(err, Command.EXIT_USAGE,
                    command + ": CONF (" + conf + ") must be the canonical absolute path (" + real + ")");
        }
        return real;
    }

    /**
     * Reads CONF with ACTION {@code command}; a bad configuration ends the command with status
     * 2, after releasing the disk images that its {@code !} commands mounted before it failed.
     */
    static SubhostConfig readConfig(String command, Path conf, PrintStream err) throws Exit {
        return readConfig(command, conf, SubhostConfig.DEFAULT_COMMAND_TIMEOUT, err);
    }

    /** Reads CONF as {@link #readConfig(String, Path, PrintStream)}, with {@code !} commands limited to {@code limit}. */
    static SubhostConfig readConfig(String command, Path conf, Duration limit, PrintStream err) throws Exit {
        try {
            return SubhostConfig.read(conf, command, limit);
        } catch (ConfigException e) {
            err.println(e.getMessage()); // it names the file and line already
            release(command, e.attachments(), err);
            throw new Exit(Command.EXIT_USAGE);
        }
    }

    /**
     * Releases disk images that a reading mounted and no boot will adopt (overlay-diskfile's
     * mounts); a failure to do so is printed, naming what is left.
     */
    static void release(String command, List<DiskAttachment> attachments, PrintStream err) {
        if (attachments.isEmpty()) {
            return;
        }
        try {
            Subhosts.linux().release(attachments);
        } catch (SubhostException e) {
            err.println(command + ": " + e.getMessage());
        }
    }

    /** Ends the command unless it runs as root (uid 0), saying so. */
    static void requireRoot(String command, PrintStream err) throws Exit {
        if (!isRoot()) {
            throw fail(err, Command.EXIT_FAILURE, command
                    + ": must be run as root (it makes namespaces, mounts and network links); try: sudo " + command);
        }
    }

    /** Whether this process's effective user id is 0, from {@code /proc/self/status}. */
    static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0");
                }
            }
        } catch (IOException e) {
            // No /proc: assume not root; the kernel would refuse anyway.
        }
        return false;
    }

    /**
     * The value of an option such as {@code --grace SECONDS}: a whole number of seconds from
     * {@code min} to 86400; anything else is a usage error naming the option.
     */
    static Duration seconds(String command, String usageLine, String option, String text, long min, PrintStream err)
            throws Exit {
        try {
            long s = Long.parseLong(text);
            if (s >= min && s <= 86_400) {
                return Duration.ofSeconds(s);
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw usage(command, usageLine, err, option + " (" + text + ") must be " + min + " to 86400 seconds");
    }

    /** Prints {@code message} and returns the exit to throw. */
    static Exit fail(PrintStream err, int status, String message) {
        err.println(message);
        return new Exit(status);
    }

    /** A usage error: the message, the usage line and a pointer to --help; status 2. */
    static Exit usage(String command, String usageLine, PrintStream err, String message) {
        err.println(command + ": " + message);
        err.println(usageLine);
        err.println("Try '" + command + " --help' for more.");
        return new Exit(Command.EXIT_USAGE);
    }
}
