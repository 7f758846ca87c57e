package org.subhost;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.subhost.config.Limits;
import org.subhost.config.Share;

/**
 * A running subhost, as seen from the host: a handle that names it and reaches it through
 * its pid 1, found again by any later process from its state under
 * {@code /run/subhost/NAME/}.
 *
 * <p>Example:
 * <pre>{@code
 * Subhost mta = Subhosts.linux().boot(SubhostConfig.read(conf, "overlay-boot"));
 * ExecResult r = mta.exec(List.of("postconf", "-n"), Duration.ofSeconds(10));
 * mta.share(Path.of("/srv/spool"));
 * mta.stop(Duration.ofSeconds(10));
 * }</pre>
 *
 * <p>Every method re-checks that the subhost still runs (pid 1 alive with the start time
 * recorded at boot) and throws {@link NotRunningException} when it does not. A handle is
 * cheap; it holds no file descriptor between calls.
 */
public interface Subhost {

    /** {@return the subhost's NAME} */
    String name();

    /** {@return the host pid of the subhost's pid 1} */
    int pid();

    /**
     * Runs a command inside the subhost, in all of its namespaces, with its root and
     * working directory {@code /}, and waits for it; the command is not a child of the
     * subhost's pid 1. It runs in the subhost's control group, with the subhost's own
     * {@code /dev/null} as its standard input; its output is captured through pipes, at most
     * {@link ExecResult#OUTPUT_LIMIT} bytes of each stream.
     *
     * @param command the program and its arguments; a program without a slash is looked
     *     up in the subhost's {@code PATH}
     * @param timeout how long to wait; after it the command is killed and the call fails
     * @return the exit status and the captured output
     * @throws NotRunningException if the subhost is not running
     * @throws SubhostException if the command cannot be started, runs too long or writes
     *     more than the limit
     */
    ExecResult exec(List<String> command, Duration timeout) throws SubhostException;

    /**
     * Runs a command inside the subhost as {@link #exec} does, but with this process's own
     * standard input, output and error, and returns its exit status when it ends. When this
     * process's input and output are a terminal, the command gets a terminal of the
     * subhost's own instead ({@code /dev/pts/N} inside, in a session of its own), which is
     * relayed to ours with its window size: no process of the subhost ever holds our
     * terminal.
     *
     * @param command the program and its arguments; a program without a slash is looked up in
     *     the subhost's {@code PATH}
     * @return the command's exit status, 128 + the signal's number when a signal ended it
     * @throws NotRunningException if the subhost is not running
     * @throws SubhostException if the command cannot be started
     */
    int execInteractive(List<String> command) throws SubhostException;

    /**
     * Binds the host's directory (or file) {@code hostPath} into the running subhost at the
     * same path, live: the subhost sees the host's own tree there, not the overlay's view
     * of it, nodev. Like {@code overlay-share DIR NAME}. The mount point is made when
     * missing. The path is checked as a SHARE of the configuration is (docs/security.md,
     * "SHARE sources"): refused with a symbolic link on it, inside what a subhost writes
     * (any subhost's UPPER, WORK, LIVE, or below another share's source), or where another
     * user could swap it; what it shows of other subhosts' trees is hidden below it.
     *
     * <p>A share is recorded (its status lists it, {@link SubhostStatus#shares()}) and
     * written to LOG. The same share again is no second mount: it is left as it is, and the
     * call returns false. A path inside that is shared from another host path already is
     * refused; {@link #unshare} it first.
     *
     * @param hostPath an existing directory or file of the host; also the path inside
     * @return true when it was shared now, false when it was shared so already
     * @throws NotRunningException if the subhost is not running
     * @throws SubhostException if the host path does not exist or is refused (the message
     *     says why), the path inside is shared from another host path, or the kernel refuses
     */
    boolean share(Path hostPath) throws SubhostException;

    /**
     * Like {@link #share(Path)}, onto another path {@code subhostPath} inside the subhost.
     *
     * @param hostPath an existing directory or file of the host
     * @param subhostPath the absolute path inside the subhost where it appears
     * @return true when it was shared now, false when it was shared so already
     * @throws SubhostException as for {@link #share(Path)}
     */
    boolean share(Path hostPath, Path subhostPath) throws SubhostException;

    /**
     * Undoes a share: unmounts what is bound at {@code subhostPath} inside the subhost (a
     * lazy unmount: what the subhost has open there stays usable until closed), so that
     * the overlay's own view of that path shows again. Like {@code overlay-share --remove
     * DIR NAME}. Works for a share of the boot's SHARE lines as for one made live; the
     * record and LOG say so.
     *
     * @param subhostPath the absolute path inside the subhost where a share is
     * @return the share that was removed
     * @throws NotRunningException if the subhost is not running
     * @throws SubhostException if no share is recorded at that path, or the kernel refuses
     */
    Share unshare(Path subhostPath) throws SubhostException;

    /**
     * What the subhost looks like now: pid 1, uptime, root, cables with their MAC
     * addresses, services and their last known state.
     *
     * @return the status, checked against the kernel
     * @throws NotRunningException if the subhost is not running
     */
    SubhostStatus status() throws SubhostException;

    /**
     * START's services and what the init last said of each (its state, main pid and
     * restarts), as {@link #status()} has them, without the rest of the status: what a
     * caller looks at right after the boot, which returns once each has started or failed.
     *
     * @return the services, in START order
     * @throws NotRunningException if the subhost is not running
     * @throws SubhostException if its record cannot be read
     */
    default List<SubhostStatus.ServiceStatus> services() throws SubhostException {
        return status().services();
    }

    /**
     * Changes the subhost's limits while it runs, like {@code overlay-limit NAME VAR=VALUE...}:
     * each limit that differs from the current ones ({@link SubhostStatus#limits()}) is
     * written into its control groups at once (DISK_MAX into UPPER's quota), and the new
     * limits are recorded. A limit lowered below what the subhost uses now takes effect as
     * the kernel does it: memory is reclaimed (or a process killed), no new process is let
     * past PIDS_MAX while more run.
     *
     * <pre>{@code
     * Subhost mta = Subhosts.linux().find("mta").orElseThrow();
     * mta.limit(mta.status().limits().with("MEMORY_MAX", "2G"));
     * }</pre>
     *
     * @param limits the limits the subhost is to have from now on
     * @throws NotRunningException if the subhost is not running
     * @throws SubhostException if a limit cannot be applied on this host (its controller is
     *     missing, or MEMORY_HIGH on cgroup v1); the message names the limit, and the limits
     *     are left as they were
     */
    void limit(Limits limits) throws SubhostException;

    /**
     * Starts one START service of the built-in init, as {@code overlay-service NAME SERVICE
     * start} does, and returns once its start has led to a state: {@code running}, {@code
     * started} or {@code exited} when it worked, {@code failed} or {@code restarting} when it
     * did not. A unit's service (or an init.d script's with SUPERVISE=) that runs already is
     * left as it is; an init.d script's start ({@code service NAME start}) runs again in any
     * case, since its daemon may have died unseen. The restarts before do not count against
     * the unit's start limit. pid 1 does the work ({@code docs/spec.md} §5): the call asks it
     * on a channel that only the host's root can use.
     *
     * <p>Example: {@code subhost.startService("rsyslog", Duration.ofSeconds(60)).phase()} is
     * {@code running}.
     *
     * @param service a name of START, as written there
     * @param timeout how long to wait for the outcome; pid 1 goes on after it
     * @return the service's state now
     * @throws NotRunningException if the subhost is not running
     * @throws SubhostException if the service is none of START, pid 1 is not the built-in init
     *     (an INIT script's or an init system), it refuses (the subhost is stopping, the
     *     service has not had its turn in START yet), or it does not answer within {@code
     *     timeout}
     */
    SubhostStatus.ServiceStatus startService(String service, Duration timeout) throws SubhostException;

    /**
     * Stops one START service, as {@code overlay-service NAME SERVICE stop} does, and returns
     * once it has stopped: an init.d script's by {@code service NAME stop} (or {@code PATH
     * stop}), a unit's by its ExecStop=, KillSignal= to its processes and SIGKILL after its
     * TimeoutStopSec=. It is not restarted until it is started again (a restart, or the next
     * boot).
     *
     * @param service a name of START
     * @param timeout how long to wait for the outcome; pid 1 goes on after it
     * @return the service's state now: {@code stopped (...)}, or what it was when there was
     *     nothing to stop
     * @throws SubhostException as for {@link #startService}
     */
    SubhostStatus.ServiceStatus stopService(String service, Duration timeout) throws SubhostException;

    /**
     * Stops one START service as {@link #stopService} does, then starts it as {@link
     * #startService} does, and returns once the start has led to a state.
     *
     * @param service a name of START
     * @param timeout how long to wait for both; pid 1 goes on after it
     * @return the service's state now
     * @throws SubhostException as for {@link #startService}
     */
    SubhostStatus.ServiceStatus restartService(String service, Duration timeout) throws SubhostException;

    /**
     * Stops the subhost and returns when nothing of it is left. In order: each START service
     * in reverse START order, whatever its kind (an init.d script by {@code service NAME stop}
     * or {@code PATH stop}, a unit by its ExecStop=, KillSignal= and TimeoutStopSec=), which
     * the built-in init does when it gets SIGTERM with {@code grace}; then every other process
     * of the subhost gets SIGTERM, and SIGKILL once {@code grace} is over; then the host's
     * cable ends, the network namespace, the control group and the state record are removed.
     * (With an INIT script of the user's as the init, each START service's script is stopped
     * from the host first, each given at most {@code grace}.)
     *
     * @param grace how long the services' stops and pid 1's end may take in all
     * @throws NotRunningException if the subhost was not running
     * @throws SubhostException if something of the subhost could not be removed; the
     *     message names it
     */
    void stop(Duration grace) throws SubhostException;
}
