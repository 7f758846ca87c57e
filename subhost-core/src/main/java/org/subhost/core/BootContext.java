package org.subhost.core;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import org.subhost.config.SubhostConfig;
import org.subhost.linux.Pidfd;
import org.subhost.linux.SyscallException;
import org.subhost.linux.netlink.RtNetlink;

/**
 * What one boot has made so far and what later steps need: open descriptors, the
 * host's netlink socket, pid 1. Filled in by the steps of a {@link BootPlan}; closed
 * (descriptors only, never the subhost) when the boot ends, whether it succeeded or not.
 *
 * <p>Not thread-safe; the executor hands it from the caller's thread to the namespace
 * thread and back, with a join in between.
 */
public final class BootContext implements AutoCloseable {
    final SubhostConfig config;
    final StateStore store;
    final BootLog log;
    final HostFacts facts;

    /** A netlink socket opened in the host's network namespace, before any setns. */
    RtNetlink hostLinks;
    /** The subhost's network namespace, from {@code /run/netns/NAME}. */
    int netnsFd = -1;
    /**
     * Counted down once {@link #netnsFd} is set, or once the host steps that would set it
     * have stopped (then it stays -1): what the namespace thread waits for before it enters
     * the network namespace that the caller's thread makes alongside.
     */
    final CountDownLatch netnsReady = new CountDownLatch(1);
    /** LOG opened for appending, for the hooks' output and the log relay ({@link LogRelay}). */
    int logFd = -1;
    /** The host's {@code /dev/null}, for the hooks' standard input (host commands). */
    int devNullFd = -1;
    /** The write end of the pipe to the log relay: pid 1's standard output and error. */
    int outputFd = -1;
    /** The write end of the status channel to the log relay: pid 1's service states. */
    int statusFd = -1;
    /** The log relay's pid (host), or -1 before it runs. */
    int relayPid = -1;
    /** The write end of the pipe pid 1 waits on before it runs the init. */
    int syncFd = -1;
    /** The read end of the pipe on which pid 1 says that the init runs. */
    int readyFd = -1;
    /** The init script pid 1 runs (INIT's output), decided before the root is switched; null for the built-in init. */
    String initScript;
    /** The services that the built-in init starts, in order (START). */
    List<String> services = List.of();
    /** The time limit of each service's start in the built-in init. */
    java.time.Duration serviceLimit = java.time.Duration.ofSeconds(30);
    /** The init system that the init script execs as its last command ({@link InitSystem#of}). */
    Optional<String> initSystem = Optional.empty();
    /** The host's machine id, read before the root switch when an init system is pid 1. */
    String hostMachineId = "";
    /** Host ends brought up by ifup, to be taken down by ifdown. */
    final List<String> ifupped = new ArrayList<>();
    int pid1 = -1;
    Pidfd pid1fd;
    long pid1StartTime;
    Optional<Path> cgroup = Optional.empty();
    long logOffset;
    /** The state record as last written. */
    SubhostState state;
    /** Whether the built-in PREMOUNT wrote UPPER/etc/network/interfaces (and undo removes it). */
    boolean wroteInterfaces;

    BootContext(SubhostConfig config, StateStore store, BootLog log, HostFacts facts) {
        this.config = config;
        this.store = store;
        this.log = log;
        this.facts = facts;
    }

    /**
     * Called when the steps of either of a boot's two threads have ended, done or failed:
     * releases a step of the other thread that waits for the network namespace ({@link
     * #netnsReady}), which a failed or stopped thread will not make.
     */
    void laneEnded() {
        netnsReady.countDown();
    }

    /** The subhost's NAME. */
    String name() {
        return config.name();
    }

    /** Closes the descriptors and the socket; the subhost itself is not touched. */
    @Override
    public void close() {
        Descriptor.closeQuietly(netnsFd);
        Descriptor.closeQuietly(logFd);
        Descriptor.closeQuietly(devNullFd);
        Descriptor.closeQuietly(syncFd);
        Descriptor.closeQuietly(readyFd);
        Descriptor.closeQuietly(outputFd);
        Descriptor.closeQuietly(statusFd);
        netnsFd = logFd = devNullFd = syncFd = readyFd = outputFd = statusFd = -1;
        if (pid1fd != null) {
            try {
                pid1fd.close();
            } catch (SyscallException e) {
                // EBADF only: nothing to undo.
            }
            pid1fd = null;
        }
        if (hostLinks != null) {
            try {
                hostLinks.close();
            } catch (java.io.IOException e) {
                // Closing a socket fails only for EBADF, a bug elsewhere; nothing to undo.
            }
            hostLinks = null;
        }
        log.close();
    }
}
