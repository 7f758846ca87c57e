package org.subhost.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.subhost.ExecResult;
import org.subhost.NotRunningException;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.SubhostStatus;
import org.subhost.linux.Fds;
import org.subhost.linux.Pidfd;
import org.subhost.linux.netlink.Link;
import org.subhost.linux.netlink.RtNetlink;

/**
 * A handle on a running subhost, by NAME; every call reads the record again and checks
 * pid 1 before it acts.
 */
final class LinuxSubhost implements Subhost {
    /** How long an interactive command may run: as long as its user likes. */
    private static final Duration FOREVER = Duration.ofDays(365 * 100);

    private final StateStore store;
    private final String name;

    LinuxSubhost(StateStore store, String name) {
        this.store = store;
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int pid() {
        try {
            return running().pid1().orElseThrow().pid();
        } catch (SubhostException e) {
            return -1;
        }
    }

    @Override
    public ExecResult exec(List<String> command, Duration timeout) throws SubhostException {
        checkCommand(command);
        SubhostState state = running();
        Path out = null;
        Path err = null;
        int outFd = -1;
        int errFd = -1;
        int devNull = -1;
        try (Pidfd pid1 = pidfd(state)) {
            out = Files.createTempFile("subhost-exec-", ".out");
            err = Files.createTempFile("subhost-exec-", ".err");
            outFd = Fds.open(out.toString(), Fds.O_WRONLY | Fds.O_CLOEXEC);
            errFd = Fds.open(err.toString(), Fds.O_WRONLY | Fds.O_CLOEXEC);
            devNull = Fds.open("/dev/null", Fds.O_RDWR | Fds.O_CLOEXEC);
            int pid = NamespaceSpawner.spawnInside(name, pid1, command, NamespaceSpawner.BASE_ENV, devNull, outFd,
                    errFd, true);
            Commands.Outcome outcome = Commands.await(pid, timeout);
            if (outcome.timedOut()) {
                throw new SubhostException(Commands.failure("command in " + name, String.join(" ", command),
                        outcome, timeout));
            }
            return new ExecResult(outcome.status(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } catch (SubhostException e) {
            throw e;
        } catch (Exception e) {
            throw new SubhostException("exec in " + name + " (" + String.join(" ", command) + "): "
                    + PlanExecutor.reason(e), e);
        } finally {
            BootContext.closeQuietly(outFd);
            BootContext.closeQuietly(errFd);
            BootContext.closeQuietly(devNull);
            deleteQuietly(out);
            deleteQuietly(err);
        }
    }

    @Override
    public int execInteractive(List<String> command) throws SubhostException {
        checkCommand(command);
        SubhostState state = running();
        try (Pidfd pid1 = pidfd(state)) {
            Map<String, String> env = new HashMap<>(NamespaceSpawner.BASE_ENV);
            String term = System.getenv("TERM");
            env.put("TERM", term != null ? term : "linux");
            int pid = NamespaceSpawner.spawnInside(name, pid1, command, env, 0, 1, 2, false);
            return Commands.await(pid, FOREVER).status();
        } catch (SubhostException e) {
            throw e;
        } catch (Exception e) {
            throw new SubhostException("exec in " + name + " (" + String.join(" ", command) + "): "
                    + PlanExecutor.reason(e), e);
        }
    }

    @Override
    public void share(Path hostPath) throws SubhostException {
        share(hostPath, hostPath);
    }

    @Override
    public void share(Path hostPath, Path subhostPath) throws SubhostException {
        if (!hostPath.isAbsolute() || !subhostPath.isAbsolute()) {
            throw new IllegalArgumentException("share paths (" + hostPath + ", " + subhostPath + ") must be absolute");
        }
        SubhostState state = running();
        if (!Files.exists(hostPath)) {
            throw new SubhostException("share " + hostPath + " into " + name + ": no such file or directory on the host");
        }
        try (Pidfd pid1 = pidfd(state)) {
            NamespaceSpawner.share(name, pid1, hostPath, subhostPath.normalize());
        } catch (SubhostException e) {
            throw e;
        } catch (Exception e) {
            throw new SubhostException("share " + hostPath + " into " + name + " at " + subhostPath + ": "
                    + PlanExecutor.reason(e), e);
        }
    }

    @Override
    public SubhostStatus status() throws SubhostException {
        SubhostState state = running();
        List<SubhostStatus.CableStatus> cables = new ArrayList<>();
        try (RtNetlink host = RtNetlink.open();
                RtNetlink inside = RtNetlink.openIn(Path.of("/run/netns", state.netns()))) {
            for (int i = 0; i < state.hostLinks().size(); i++) {
                String hostName = state.hostLinks().get(i);
                String end = i < state.cableEnds().size() ? state.cableEnds().get(i) : "";
                Optional<Link> hostLink = host.link(hostName);
                Optional<String> bridge = hostLink.flatMap(l -> l.masterIndex().isPresent()
                        ? linkName(host, l.masterIndex().getAsInt()) : Optional.empty());
                Optional<String> mac = inside.link(end).map(l -> l.mac().toString());
                cables.add(new SubhostStatus.CableStatus(hostName, end, mac, bridge,
                        hostLink.map(Link::up).orElse(false)));
            }
        } catch (Exception e) {
            throw new SubhostException("status of " + name + ": " + PlanExecutor.reason(e), e);
        }
        Instant started = state.started();
        return new SubhostStatus(name, state.pid1().orElseThrow().pid(), started, state.config(), state.rootKind(),
                state.live(), state.log(), cables,
                InitSupervisor.serviceStates(name, state.services(), state.log(), state.logOffset()), state.cgroup());
    }

    @Override
    public void stop(Duration grace) throws SubhostException {
        try (StateStore.NameLock lock = store.lock(name)) {
            Optional<SubhostState> state = store.read(name);
            if (state.isEmpty()) {
                throw new NotRunningException(name);
            }
            Teardown.stopRecorded(store, state.get(), grace);
        } catch (SubhostException e) {
            throw e;
        } catch (IOException e) {
            throw new SubhostException("stop " + name + ": " + PlanExecutor.reason(e), e);
        }
    }

    /** The record, if pid 1 runs; else NotRunningException. */
    private SubhostState running() throws SubhostException {
        try {
            Optional<SubhostState> state = store.read(name);
            if (state.isPresent() && state.get().pid1().isPresent() && state.get().pid1().get().isAlive()) {
                return state.get();
            }
        } catch (IOException e) {
            throw new SubhostException(PlanExecutor.reason(e), e);
        }
        throw new NotRunningException(name);
    }

    private Pidfd pidfd(SubhostState state) throws NotRunningException {
        return Teardown.openPid1(state).orElseThrow(() -> new NotRunningException(name));
    }

    private static Optional<String> linkName(RtNetlink links, int index) {
        try {
            return links.link(index).map(Link::name);
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    private static void checkCommand(List<String> command) {
        if (command.isEmpty()) {
            throw new IllegalArgumentException("command must name a program");
        }
    }

    private static void deleteQuietly(Path p) {
        if (p != null) {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                // A temporary file under /tmp; the host cleans /tmp.
            }
        }
    }

    @Override
    public String toString() {
        return "Subhost[" + name + "]";
    }
}
