package org.subhost.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.subhost.BootProblem;
import org.subhost.NotRunningException;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.Subhosts;
import org.subhost.config.ConfigException;
import org.subhost.config.ConfigWarning;
import org.subhost.config.SubhostConfig;

/**
 * {@code subhosts [--grace SECONDS] {start|stop|status}}: the subhosts that start and stop
 * with the host (docs/spec.md §10), listed in {@code /etc/subhosts.conf} or in the file that
 * SUBHOSTS_CONF names (format: {@link SubhostsList}). The init script {@code init/subhosts}
 * calls it; the systemd unit {@code init/subhosts.service} calls it with {@code --units}, to
 * start each subhost as its own instance of {@code init/subhosts@.service}.
 *
 * <p>One JVM boots or stops them all, one after the other: start in the order of the list
 * (a later subhost may need an earlier one), stop in the reverse. One subhost that fails
 * keeps no other from starting or stopping; each failure is named by the list's FILE:LINE.
 * The exit statuses of {@code status} follow the LSB convention for init scripts.
 */
final class SubhostsCommand extends Command {
    static final String NAME = "subhosts";
    static final String USAGE_LINE = "Usage: subhosts [--grace SECONDS] [--units] {start|stop|status}";

    /** {@code status}: a listed subhost is not running (LSB: program is not running). */
    static final int EXIT_NOT_RUNNING = 3;
    /** {@code status}: a listed configuration cannot be read (LSB: status is unknown). */
    static final int EXIT_UNKNOWN = 4;

    /** ACTION for the configurations' {@code !} commands during {@code status}. */
    static final String STATUS_ACTION = "subhosts";

    static final String DESCRIPTION = """
            Starts, stops or shows the subhosts that run with the host: those whose
            configuration files are listed in /etc/subhosts.conf, or in the file that the
            environment variable SUBHOSTS_CONF names. Needs root.

            The list holds one configuration file a line. Blank lines and lines whose first
            character is # are skipped; a relative path is relative to the directory of the
            list file.

            Actions:
              start   boot each listed subhost in the order of the list, as overlay-boot does
                      (its !commands run with ACTION=overlay-boot), printing "NAME: started";
                      one already running is left alone ("NAME: already running"); after a
                      failure, named by the list's FILE:LINE, the next one boots all the same
              stop    stop each listed subhost in the reverse order, as overlay-stop does
                      (ACTION=overlay-stop), printing "NAME: stopped" or "NAME: not running"
              status  one line per listed subhost under a header: NAME, running or stopped,
                      the host pid of its pid 1 (- when stopped) and its configuration file
                      (ACTION=subhosts)

            Options:
              --grace SECONDS  for stop: how long each service's stop and each pid 1's
                               shutdown may take (default 10)
              --units          for start and stop on a systemd host: start (stop) each
                               subhost as its own unit, subhosts@CONF.service with CONF
                               escaped as systemd-escape --path does, through systemctl,
                               printing "UNIT: started" ("UNIT: stopped"); the unit
                               subhosts.service runs this
              -h, --help       print this help and exit

            Exit status: 0 done (start: every listed subhost runs; stop: none runs; status:
            every one runs), 1 a subhost failed to start or stop, 2 bad usage or the list
            cannot be read, 3 (status) a listed subhost is not running, 4 (status) a listed
            configuration cannot be read.
            """;

    private static final CliArgs.Syntax SYNTAX = CliArgs.Syntax.operands(1).flag("--units")
            .value("--grace", "a number of seconds");

    private final Function<String, String> getenv;

    /** The command, reading SUBHOSTS_CONF from this process's environment. */
    SubhostsCommand() {
        this(System::getenv);
    }

    /** The command, reading SUBHOSTS_CONF through {@code getenv} (for tests). */
    SubhostsCommand(Function<String, String> getenv) {
        super(USAGE_LINE, DESCRIPTION, SYNTAX);
        this.getenv = getenv;
    }

    @Override
    int execute(CliArgs args, PrintStream out, PrintStream err) throws CommandExit {
        Duration grace = args.seconds("--grace", 0, null);
        String action = args.firstOperand().orElse(null);
        if (action != null && !List.of("start", "stop", "status").contains(action)) {
            throw CommandExit.usage("unknown action (" + action + ")");
        }
        if (action == null) {
            throw CommandExit.usage("missing action");
        }
        if (grace != null && !action.equals("stop")) {
            throw CommandExit.usage("--grace is for stop only");
        }
        if (args.has("--units") && grace != null) {
            throw CommandExit.usage("--grace is not for --units (the unit's stop has its own)");
        }
        SubhostsList list = readList();
        CliSupport.requireRoot(NAME);
        if (args.has("--units") && !action.equals("status")) {
            return units(action, list, out, err);
        }
        Subhosts subhosts = Subhosts.linux();
        return switch (action) {
            case "start" -> start(subhosts, list, out, err);
            case "stop" -> stop(subhosts, list, grace == null ? OverlayStopCommand.DEFAULT_GRACE : grace, out, err);
            default -> status(subhosts, list, out, err);
        };
    }

    /** Boots the listed subhosts that do not run, in order; 1 when any failed. */
    private static int start(Subhosts subhosts, SubhostsList list, PrintStream out, PrintStream err) {
        int failed = 0;
        for (SubhostsList.Entry entry : list.entries()) {
            try {
                SubhostConfig config = SubhostConfig.read(canonical(entry), OverlayBootCommand.NAME);
                for (ConfigWarning warning : config.warnings()) {
                    err.println(warning);
                }
                if (subhosts.find(config.name()).isPresent()) {
                    out.println(config.name() + ": already running");
                    continue;
                }
                // As overlay-boot: every mistake at once, before anything is made.
                List<BootProblem> errors = subhosts.preflight(config).stream().filter(BootProblem::isError).toList();
                if (!errors.isEmpty()) {
                    failed++;
                    for (BootProblem error : errors) {
                        err.println(NAME + ": " + list.where(entry) + ": " + error);
                    }
                    CliSupport.release(NAME, config.attachments(), err);
                    continue;
                }
                subhosts.boot(config);
                out.println(config.name() + ": started");
            } catch (ConfigException | SubhostException | EntryException | RuntimeException e) {
                // A RuntimeException too: one subhost's bug must not keep the others from starting.
                failed++;
                reportFailure(list, entry, e, err);
            }
        }
        if (failed > 0) {
            err.println(NAME + ": " + failed + " of " + list.entries().size() + " listed subhosts did not start");
            return EXIT_FAILURE;
        }
        return EXIT_OK;
    }

    /**
     * {@code --units}: starts the unit of each listed subhost in the order of the list, or
     * stops them in the reverse order, with systemctl; 1 when any failed.
     */
    private static int units(String action, SubhostsList list, PrintStream out, PrintStream err) {
        int failed = 0;
        List<SubhostsList.Entry> entries = action.equals("start") ? list.entries() : list.entries().reversed();
        for (SubhostsList.Entry entry : entries) {
            try {
                String unit = SystemdUnits.unitOf(canonical(entry));
                String failure = SystemdUnits.systemctl(action, unit);
                if (failure.isEmpty()) {
                    out.println(unit + ": " + (action.equals("start") ? "started" : "stopped"));
                } else {
                    failed++;
                    err.println(NAME + ": " + list.where(entry) + ": " + failure);
                }
            } catch (EntryException | java.io.IOException e) {
                failed++;
                reportFailure(list, entry, e, err);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                err.println(NAME + ": interrupted");
                return EXIT_FAILURE;
            }
        }
        if (failed > 0) {
            err.println(NAME + ": " + failed + " of " + list.entries().size() + " listed subhosts did not "
                    + (action.equals("start") ? "start" : "stop"));
            return EXIT_FAILURE;
        }
        return EXIT_OK;
    }

    /** Stops the listed subhosts that run, in reverse order; 1 when any could not be stopped. */
    private static int stop(Subhosts subhosts, SubhostsList list, Duration grace, PrintStream out, PrintStream err) {
        int failed = 0;
        for (SubhostsList.Entry entry : list.entries().reversed()) {
            String name = null;
            try {
                SubhostConfig config = SubhostConfig.read(canonical(entry), OverlayStopCommand.NAME);
                name = config.name();
                subhosts.stop(config, grace);
                out.println(name + ": stopped");
            } catch (NotRunningException e) {
                out.println(name + ": not running");
            } catch (ConfigException | SubhostException | EntryException | RuntimeException e) {
                failed++;
                reportFailure(list, entry, e, err);
            }
        }
        if (failed > 0) {
            err.println(NAME + ": " + failed + " of " + list.entries().size() + " listed subhosts did not stop");
            return EXIT_FAILURE;
        }
        return EXIT_OK;
    }

    /** One line per listed subhost; 0 when all run, 3 when one does not, 4 when one is unknown. */
    private static int status(Subhosts subhosts, SubhostsList list, PrintStream out, PrintStream err) {
        boolean stopped = false;
        boolean unknown = false;
        out.printf("%-12s %-7s %8s %s%n", "NAME", "STATE", "PID", "CONFIG");
        for (SubhostsList.Entry entry : list.entries()) {
            try {
                Path conf = canonical(entry);
                SubhostConfig config = SubhostConfig.read(conf, STATUS_ACTION);
                Optional<Subhost> running = subhosts.find(config.name());
                stopped |= running.isEmpty();
                out.printf("%-12s %-7s %8s %s%n", config.name(), running.isPresent() ? "running" : "stopped",
                        running.map(s -> Integer.toString(s.pid())).orElse("-"), conf);
            } catch (ConfigException | EntryException | RuntimeException e) {
                unknown = true;
                reportFailure(list, entry, e, err);
            }
        }
        return unknown ? EXIT_UNKNOWN : stopped ? EXIT_NOT_RUNNING : EXIT_OK;
    }

    private static void reportFailure(SubhostsList list, SubhostsList.Entry entry, Exception e, PrintStream err) {
        String message = e instanceof RuntimeException ? "internal error: " + e : e.getMessage();
        err.println(NAME + ": " + list.where(entry) + ": " + message);
    }

    /**
     * The canonical path of the entry's configuration file, as overlay-boot insists on it:
     * the state record and overlay-list then name the same file whichever way the list
     * spelled it.
     */
    private static Path canonical(SubhostsList.Entry entry) throws EntryException {
        try {
            return entry.config().toRealPath();
        } catch (NoSuchFileException e) {
            throw new EntryException("configuration file (" + entry.config() + ") does not exist");
        } catch (IOException e) {
            throw new EntryException("configuration file (" + entry.config() + ") cannot be resolved: " + e.getMessage());
        }
    }

    private SubhostsList readList() throws CommandExit {
        try {
            return SubhostsList.read(SubhostsList.locate(getenv.apply(SubhostsList.ENV)));
        } catch (SubhostsList.ListException e) {
            throw CommandExit.mistake(e.getMessage());
        }
    }

    /** One entry of the list cannot be used; the message says why. */
    private static final class EntryException extends Exception {
        private static final long serialVersionUID = 1L;

        EntryException(String message) {
            super(message, null, false, false);
        }
    }
}
