package org.subhost.core;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.subhost.SubhostException;
import org.subhost.core.disk.DiskImages;
import org.subhost.linux.Fds;
import org.subhost.linux.Pidfd;
import org.subhost.linux.netlink.NamedNetns;

/**
 * Takes a subhost down (docs/spec.md §6) from its state record: its services in reverse
 * order (pid 1's own work at its SIGTERM, for the built-in init), pid 1, the host's cable ends, the network namespace, the control group, the disk
 * images mounted for it ({@link DiskImages}) and the record. Used by stop, and to clear what an interrupted boot or a dead pid 1 left.
 *
 * <p>Every part is attempted even when an earlier one fails; the failures are reported
 * together at the end. Nothing is signalled unless it is provably the recorded pid 1: its
 * pidfd is opened first and its start time checked after, so a pid reused in between
 * cannot be hit.
 */
final class Teardown {
    /** The most bytes of a service's stop that go to LOG; the rest is dropped. */
    static final long STOP_OUTPUT_LIMIT = 1 << 20;

    private Teardown() {}

    /**
     * Stops what {@code state} records and removes the record.
     *
     * @return whether pid 1 was still running
     * @throws SubhostException listing what could not be removed
     */
    static boolean run(StateStore store, SubhostState state, Duration grace, BootLog log) throws SubhostException {
        List<String> problems = new ArrayList<>();
        boolean wasRunning = false;
        int logFd = openLog(state.log());
        int devNull = -1;
        try {
            devNull = Fds.open("/dev/null", Fds.O_RDWR | Fds.O_CLOEXEC);
            Optional<Pidfd> pid1 = openPid1(state);
            if (pid1.isPresent()) {
                wasRunning = true;
                try (Pidfd pidfd = pid1.get()) {
                    int pid = state.pid1().get().pid();
                    Optional<String> initSystem = InitSystem.running(state);
                    // An init system as pid 1 stops its own services at its shutdown; START
                    // names the built-in init's, which it never started.
                    if (initSystem.isEmpty()) {
                        stopServices(state, store.root().resolve(state.name()), pidfd, grace,
                                logFd >= 0 ? logFd : devNull, log);
                    }
                    int signal = initSystem.map(InitSystem::stopSignal).orElse(org.subhost.linux.Signals.SIGTERM);
                    log.line("stopping pid 1 (" + pid + initSystem.map(p -> ", the init system " + p).orElse("") + "): "
                            + InitSystem.signalName(signal) + ", SIGKILL after " + grace.toSeconds() + " s");
                    InitSupervisor.terminate(pidfd, signal, grace);
                } catch (Exception e) {
                    problems.add("pid 1: " + PlanExecutor.reason(e));
                }
            }
            for (String name : state.ifupped()) {
                try {
                    NetnsCable.ifdown(name, devNull, logFd).ifPresent(log::line);
                } catch (Exception e) {
                    problems.add("ifdown " + name + ": " + PlanExecutor.reason(e));
                }
            }
            removeLinks(state.hostLinks(), problems);
            try {
                if (NamedNetns.exists(state.netns())) {
                    NamedNetns.delete(state.netns());
                }
            } catch (Exception e) {
                problems.add("network namespace " + state.netns() + ": " + PlanExecutor.reason(e));
            }
            // After pid 1: the log relay ends once the subhost's last process closed its pipes.
            try {
                if (!LogRelay.awaitEnd(store.root().resolve(state.name()), Duration.ofSeconds(5))) {
                    problems.add("the log relay (subhost-init --log-relay) still runs 5 s after pid 1 ended");
                }
            } catch (Exception e) {
                problems.add("log relay: " + PlanExecutor.reason(e));
            }
            try {
                Cgroups.remove(state.cgroups());
            } catch (Exception e) {
                problems.add(PlanExecutor.reason(e));
            }
            if (state.limits().diskMax().isPresent() && state.upper().isPresent()) {
                try {
                    DiskQuota.set(state.upper().get(), Optional.empty(), java.util.OptionalLong.empty(), log::line);
                } catch (Exception e) {
                    problems.add("DISK_MAX of UPPER " + state.upper().get() + ": " + PlanExecutor.reason(e));
                }
            }
            // After pid 1: its mount namespace held copies of these mounts until it ended;
            // so does the mount seed of this JVM's boots, which goes first.
            if (!state.disks().isEmpty()) {
                MountSeed.drop();
            }
            problems.addAll(DiskImages.releaseAll(state.disks(), log::line));
        } catch (Exception e) {
            problems.add(PlanExecutor.reason(e));
        } finally {
            Descriptor.closeQuietly(logFd);
            Descriptor.closeQuietly(devNull);
        }
        if (problems.isEmpty()) {
            try {
                store.remove(state.name());
            } catch (Exception e) {
                problems.add("state record: " + PlanExecutor.reason(e));
            }
            List<String> index = new ArrayList<>();
            markStopped(new TreeIndex(store.root(), Optional.empty()), state.name(), index);
            index.forEach(log::warning);
        }
        if (!problems.isEmpty()) {
            String message = "stop " + state.name() + ": could not remove everything: " + String.join("; ", problems);
            log.error(message);
            throw new SubhostException(message);
        }
        log.line("stopped; nothing of it is left");
        return wasRunning;
    }

    /**
     * Stops the recorded subhost with its stop written to its LOG; the caller holds the
     * NAME's lock.
     *
     * @throws org.subhost.NotRunningException if pid 1 was no longer running (what it left is
     *     removed all the same)
     */
    static void stopRecorded(StateStore store, SubhostState state, Duration grace) throws SubhostException {
        stopRecorded(store, state, grace, org.subhost.ProgressListener.NONE);
    }

    /** Stops as {@link #stopRecorded(StateStore, SubhostState, Duration)}, its lines also to {@code listener}. */
    static void stopRecorded(StateStore store, SubhostState state, Duration grace, org.subhost.ProgressListener listener)
            throws SubhostException {
        try (BootLog log = BootLog.open("overlay-stop", state.name(), state.log(), listener)) {
            if (!run(store, state, grace, log)) {
                throw new org.subhost.NotRunningException(state.name());
            }
        }
    }

    /**
     * Marks {@code name} stopped in the index of subhost trees (its trees stay known as a
     * subhost's, no longer hidden by themselves); a failure is added to {@code problems}, for a line in LOG: it leaves an
     * entry whose pid 1 is gone, which nothing takes for a running subhost.
     */
    static void markStopped(TreeIndex trees, String name, List<String> problems) {
        try {
            trees.stopped(name);
        } catch (Exception e) {
            problems.add("the index of subhost trees: " + PlanExecutor.reason(e));
        }
    }

    /**
     * Removes host links, VLANs before their carriers; each is gone from the kernel's lists on
     * return ({@link LinkRemoval}).
     */
    static void removeLinks(List<String> hostLinks, List<String> problems) {
        for (int i = hostLinks.size() - 1; i >= 0; i--) {
            try {
                LinkRemoval.deleteIfPresent(hostLinks.get(i));
            } catch (Exception e) {
                problems.add("interface " + hostLinks.get(i) + ": " + PlanExecutor.reason(e));
            }
        }
    }

    /**
     * A pidfd of the recorded pid 1 if that very process still runs. The pidfd is opened
     * before the start time is compared: once open it cannot come to mean another process.
     */
    static Optional<Pidfd> openPid1(SubhostState state) {
        if (state.pid1().isEmpty() || !state.pid1().get().isAlive()) {
            return Optional.empty();
        }
        Pidfd pidfd;
        try {
            pidfd = Pidfd.open(state.pid1().get().pid());
        } catch (Exception e) {
            return Optional.empty();
        }
        if (!state.pid1().get().isAlive()) {
            Descriptor.closeQuietly(pidfd.fd());
            return Optional.empty();
        }
        return Optional.of(pidfd);
    }

    /**
     * Stops START's services in reverse order. The built-in init with its control channel
     * ({@link ServiceControl}) stops every one of them itself, whatever its kind, when it gets
     * its SIGTERM, before every other process is signalled: nothing to do here. Another pid 1
     * (an INIT script's, or one of a version without the channel) gets SIGUSR2, which tells
     * the built-in init to restart nothing while each init.d script is stopped from here; its
     * units it stops at its SIGTERM.
     */
    private static void stopServices(SubhostState state, Path stateDir, Pidfd pid1, Duration limit, int logFd,
            BootLog log) throws Exception {
        List<String> services = state.services();
        if (services.isEmpty()) {
            return;
        }
        Optional<ServiceControl> control = ServiceControl.open(pid1);
        if (control.isPresent()) {
            control.get().close();
            log.line("pid 1 stops the START services in reverse order at its SIGTERM: "
                    + String.join(" ", services.reversed()));
            return;
        }
        pid1.sendSignal(org.subhost.linux.Signals.SIGUSR2);
        java.util.Set<String> units = LogRelay.unitServices(stateDir);
        for (int i = services.size() - 1; i >= 0; i--) {
            if (units.contains(services.get(i))) {
                log.line("service " + services.get(i) + " is a systemd unit: pid 1 stops it after the init.d services");
                continue;
            }
            List<String> command = InitSupervisor.stopCommand(services.get(i));
            log.line("stopping service " + services.get(i) + ": " + String.join(" ", command));
            // Its output reaches LOG through a pipe that we copy: LOG itself stays out of the
            // subhost's reach.
            try (OutputPipe output = OutputPipe.copyTo("stop of service " + services.get(i), logFd, STOP_OUTPUT_LIMIT)) {
                int pid = Entering.spawn(state.name(), pid1, state.cgroups().directories(), state.confinement(), command, NamespaceSpawner.BASE_ENV,
                        Entering.Input.SUBHOST_NULL, -1, output.writeEnd(), output.writeEnd(), true);
                output.start();
                Commands.Outcome outcome = Commands.await(pid, limit);
                output.finish();
                if (outcome.status() != 0) {
                    log.line(Commands.failure("stop of service " + services.get(i), String.join(" ", command),
                            outcome, limit));
                }
            } catch (Exception e) {
                log.line("stop of service " + services.get(i) + " failed: " + PlanExecutor.reason(e));
            }
        }
    }

    private static int openLog(Path log) {
        try {
            return LogFile.openForAppend(log);
        } catch (Exception e) {
            return -1;
        }
    }
}
