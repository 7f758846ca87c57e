package org.subhost;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.subhost.config.DiskAttachment;
import org.subhost.config.SubhostConfig;
import org.subhost.core.LinuxSubhosts;

/**
 * The subhosts of this Linux host: boots new ones and finds running ones, whichever
 * process booted them.
 *
 * <p>Example:
 * <pre>{@code
 * Subhosts subhosts = Subhosts.linux();
 * Subhost ex1 = subhosts.boot(SubhostConfig.read(Path.of("/ex1/ex1.conf"), "overlay-boot"));
 * subhosts.list();                       // [ex1, ...]
 * subhosts.find("ex1").orElseThrow().stop(Duration.ofSeconds(10));
 * }</pre>
 *
 * <p>Needs root (CAP_SYS_ADMIN and CAP_NET_ADMIN in the host's namespaces). Every method
 * may be called from any thread; namespace work is done on threads of its own.
 */
public interface Subhosts {

    /** {@return the subhosts of this host, with state under {@code /run/subhost}} */
    static Subhosts linux() {
        return LinuxSubhosts.create(Path.of("/run/subhost"));
    }

    /**
     * Boots a subhost (docs/spec.md §3) and returns once its pid 1 runs the init. Booting is
     * a plan of steps ({@link #plan}) applied in order; when a step fails, the steps done
     * so far are undone in reverse and the exception names the step. A warning (such as
     * UPPER being reachable by users other than root, docs/security.md) goes to LOG and to
     * standard error; it does not stop the boot. The configuration's own warnings ({@link
     * SubhostConfig#warnings()}, lines of its file that were ignored) and the warnings of
     * {@link #preflight} go to LOG. The boot does not refuse the preflight's errors at once:
     * its steps meet them one by one; call {@link #preflight} first to have them all, as
     * {@code overlay-boot} does.
     *
     * @param config the subhost's configuration
     * @return the running subhost
     * @throws SubhostException if the NAME is already running (which is left untouched) or
     *     a step fails
     */
    Subhost boot(SubhostConfig config) throws SubhostException;

    /**
     * Boots as {@link #boot(SubhostConfig)} does, telling {@code listener} each line the
     * boot writes to LOG as it writes it, the warnings with {@link
     * ProgressListener.Severity#WARNING}. This default ignores the listener.
     *
     * @param config the subhost's configuration
     * @param listener gets the boot's lines
     * @return the running subhost
     * @throws SubhostException as {@link #boot(SubhostConfig)}
     */
    default Subhost boot(SubhostConfig config, ProgressListener listener) throws SubhostException {
        return boot(config);
    }

    /**
     * The steps that {@link #boot} would apply for {@code config} on this host, one line
     * each, without doing any of them. The warnings that the boot would give (such as UPPER
     * being reachable by users other than root, docs/security.md) go to standard error.
     *
     * @param config the subhost's configuration
     * @return the steps' descriptions, in order, numbered from 1
     */
    List<String> plan(SubhostConfig config);

    /**
     * Everything this host can tell before a boot of {@code config} that would make the boot
     * fail (errors) or leave the subhost not as meant (warnings), all at once, each with
     * its fix; boots nothing, changes nothing. Like {@code overlay-boot --dry-run}: a BASE
     * without {@code live}, {@code root} and {@code work} gives three errors, where a boot
     * would stop at the first. A boot checks again, step by step; with an error the boot
     * would fail at the first step that meets it.
     *
     * <p>Errors: a subhost of the NAME runs; LIVE, UPPER, WORK or LOWER missing or no
     * directory; UPPER or WORK on an overlay, or WORK on another filesystem than UPPER;
     * LIVE with a mount; a SHARE source missing; a cable's bridge missing, or a host end's
     * name taken. Warnings: a host end without bridge that ifup cannot configure; a
     * subhost's {@code /etc/network/interfaces} (in UPPER) that names no {@code ethi} of a
     * cable; a hostname that is the host's own; a START service the subhost's root lacks.
     * A fact this process may not read (without root, the subhost's files) is left out.
     *
     * @param config the subhost's configuration
     * @return the problems, errors first, in the order the boot would meet them; empty
     *     when none is found
     */
    List<BootProblem> preflight(SubhostConfig config);

    /**
     * Stops the subhost of {@code config} as {@link Subhost#stop} does. When it is not
     * running, removes what it may have left (a network namespace NAME, host links of its
     * cables, a stale record) and throws {@link NotRunningException}, as {@code overlay-stop}
     * does.
     *
     * <p>When {@code config} was read from a file ({@link SubhostConfig#file()}), the running
     * subhost must have been booted from that same file: two files may give the same NAME,
     * and the stop of one must not stop the other's subhost. Otherwise nothing is done and
     * {@link ConfigMismatchException} names the file it was booted from; {@link #forceStop}
     * stops it all the same.
     *
     * @param config the subhost's configuration
     * @param grace how long each service's stop, and pid 1 after SIGTERM, may take
     * @throws NotRunningException if the subhost was not running
     * @throws ConfigMismatchException if the subhost of that NAME was booted from another
     *     {@code .conf} file, or from a configuration made in code
     * @throws SubhostException if something of the subhost could not be removed
     */
    void stop(SubhostConfig config, Duration grace) throws SubhostException;

    /**
     * Stops as {@link #stop(SubhostConfig, Duration)} does, telling {@code listener} each
     * line the stop writes to LOG. This default ignores the listener.
     *
     * @param config the subhost's configuration
     * @param grace how long each service's stop, and pid 1 after SIGTERM, may take
     * @param listener gets the stop's lines
     * @throws NotRunningException if the subhost was not running
     * @throws ConfigMismatchException if the subhost of that NAME was booted from another
     *     {@code .conf} file (see {@link #stop(SubhostConfig, Duration)})
     * @throws SubhostException if something of the subhost could not be removed
     */
    default void stop(SubhostConfig config, Duration grace, ProgressListener listener) throws SubhostException {
        stop(config, grace);
    }

    /**
     * Stops the subhost of {@code config}'s NAME as {@link #stop(SubhostConfig, Duration,
     * ProgressListener)} does, whichever {@code .conf} file it was booted from: like
     * {@code overlay-stop --force}, for an admin who means the subhost of that NAME.
     *
     * @param config a configuration with the subhost's NAME (and, for what a subhost that
     *     is not running left, its cables)
     * @param grace how long each service's stop, and pid 1 after SIGTERM, may take
     * @param listener gets the stop's lines
     * @throws NotRunningException if the subhost was not running
     * @throws SubhostException if something of the subhost could not be removed
     */
    void forceStop(SubhostConfig config, Duration grace, ProgressListener listener) throws SubhostException;

    /**
     * Releases disk images that {@code !} commands mounted while a configuration was read
     * (overlay-diskfile; {@link SubhostConfig#attachments()}, or {@link
     * org.subhost.config.ConfigException#attachments()} of a failed reading) when no boot
     * will take them over: after a dry run, or a reading that failed. Unmounts each (only
     * while it is still of the recorded loop device) and detaches its loop device; call it
     * in the mount namespace where the configuration was read. {@link #boot} needs no such
     * call: the subhost's stop releases them, and a failed boot does so itself.
     *
     * @param attachments the mounts to release
     * @throws SubhostException listing what could not be released
     */
    void release(List<DiskAttachment> attachments) throws SubhostException;

    /**
     * The running subhost named {@code name}, if there is one.
     *
     * @param name the NAME
     * @return the subhost, or empty when none of that NAME runs
     */
    Optional<Subhost> find(String name);

    /**
     * The running subhosts, by name. Stale records (pid 1 gone, or its pid reused by
     * another process) are not listed.
     *
     * @return the status of each running subhost, sorted by NAME
     */
    List<SubhostStatus> list();
}
