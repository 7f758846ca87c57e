package org.subhost.cli;

import java.io.IOException;
import java.io.PrintStream;
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
import org.subhost.linux.Credentials;

/**
 * What several commands share: the canonical-path rule for CONF, reading the configuration
 * with the command's ACTION (and releasing what its {@code !} commands mounted when nothing
 * boots), and the root check. Their messages and exit statuses are the family's ({@link
 * CommandExit}, printed by {@link Command#run}).
 */
final class CliSupport {
    private CliSupport() {}

    /**
     * The path of CONF when it is given as its canonical absolute path, as the old tool
     * insists, so that a subhost is not started or stopped by accident.
     */
    static Path canonicalConf(String conf) throws CommandExit {
        Path real;
        try {
            real = Path.of(conf).toAbsolutePath().toRealPath();
        } catch (InvalidPathException e) {
            throw CommandExit.mistake("CONF (" + conf + ") is not a path: " + e.getReason());
        } catch (NoSuchFileException e) {
            throw CommandExit.mistake("CONF (" + conf + ") does not exist");
        } catch (IOException e) {
            throw CommandExit.mistake("CONF (" + conf + ") cannot be resolved: " + e.getMessage());
        }
        if (!conf.equals(real.toString())) {
            throw CommandExit.mistake("CONF (" + conf + ") must be the canonical absolute path (" + real + ")");
        }
        return real;
    }

    /**
     * Reads CONF with ACTION {@code command}, printing the reading's warnings (lines it
     * ignored although they look meant, such as {@code STRAT=none}) on {@code err}; a bad
     * configuration ends the command with status 2, after releasing the disk images that
     * its {@code !} commands mounted before it failed.
     */
    static SubhostConfig readConfig(String command, Path conf, PrintStream err) throws CommandExit {
        return readConfig(command, conf, SubhostConfig.DEFAULT_COMMAND_TIMEOUT, false, err);
    }

    /**
     * Reads CONF as {@link #readConfig(String, Path, PrintStream)}, with {@code !} commands
     * limited to {@code limit}; when {@code strict}, a line that would be a warning ends the
     * command as a bad configuration ({@code --strict}).
     */
    static SubhostConfig readConfig(String command, Path conf, Duration limit, boolean strict, PrintStream err)
            throws CommandExit {
        try {
            SubhostConfig config = strict ? SubhostConfig.readStrict(conf, command, limit)
                    : SubhostConfig.read(conf, command, limit);
            for (var warning : config.warnings()) {
                err.println(warning);
            }
            return config;
        } catch (ConfigException e) {
            err.println(e.getMessage()); // it names the file and line already
            release(command, e.attachments(), err);
            throw CommandExit.printed(Command.EXIT_USAGE);
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
    static void requireRoot(String command) throws CommandExit {
        if (!Credentials.isRoot()) {
            throw CommandExit.failure(
                    "must be run as root (it makes namespaces, mounts and network links); try: sudo " + command);
        }
    }
}
