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
import java.util.OptionalInt;
import org.subhost.ExecResult;
import org.subhost.NotRunningException;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.SubhostStatus;
import org.subhost.config.Limits;
import org.subhost.config.Share;
import org.subhost.linux.Fds;
import org.subhost.linux.MountTable;
import org.subhost.linux.Pidfd;
import org.subhost.linux.Signals;
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
    private final TreeIndex trees;
    private final String name;

    LinuxSubhost(StateStore store, TreeIndex trees, String name) {
        this.store = store;
        this.trees = trees;
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
        String what = "exec in " + name + " (" + String.join(" ", command) + ")";
        try (Pidfd pid1 = pidfd(state);
                OutputPipe out = OutputPipe.capture("standard output of " + what, ExecResult.OUTPUT_LIMIT);
                OutputPipe err = OutputPipe.capture("standard error of " + what, ExecResult.OUTPUT_LIMIT)) {
            int pid = Entering.spawn(name, pid1, state.cgroups().directories(), state.confinement(), command, NamespaceSpawner.BASE_ENV,
                    Entering.Input.SUBHOST_NULL, -1, out.writeEnd(), err.writeEnd(), true);
            out.start();
            err.start();
            Commands.Outcome outcome = awaitBounded(pid, timeout, out, err);
            out.finish();
            err.finish();
            if (outcome.timedOut()) {
                throw new SubhostException(Commands.failure("command in " + name, String.join(" ", command),
                        outcome, timeout));
            }
            if (out.overflowed() || err.overflowed()) {
                throw new SubhostException(what + ": its " + (out.overflowed() ? "standard output" : "standard error")
                        + " passed the limit of " + (ExecResult.OUTPUT_LIMIT >> 20) + " MiB, and the command was"
                        + " killed; let it write large output to a file inside the subhost instead");
            }
            if (outcome.status() == Entering.EXIT_ENTER_FAILED && !err.text().isEmpty()
                    && err.text().startsWith("subhost-init[")) {
                throw new SubhostException(what + ": could not enter the subhost: " + err.text().strip());
            }
            return new ExecResult(outcome.status(), out.text(), err.text());
        } catch (SubhostException e) {
            throw e;
        } catch (Exception e) {
            throw new SubhostException(what + ": " + PlanExecutor.reason(e), e);
        }
    }

    /**
     * Waits for the command at most {@code timeout}, and kills its process group early when
     * an output passes its limit (the outcome then has the status of the kill).
     */
    private static Commands.Outcome awaitBounded(int pid, Duration timeout, OutputPipe out, OutputPipe err)
            throws Exception {
        long deadline = System.nanoTime() + Math.min(timeout.toNanos(), FOREVER.toNanos());
        try (Pidfd command = Pidfd.open(pid)) {
            while (true) {
                long left = deadline - System.nanoTime();
                OptionalInt status = command.awaitExit(Duration.ofNanos(Math.max(0, Math.min(left, 50_000_000L))));
                if (status.isPresent()) {
                    return new Commands.Outcome(status.getAsInt(), false);
                }
                boolean overflowed = out.overflowed() || err.overflowed();
                if (overflowed || left <= 0) {
                    Commands.killGroup(pid);
                    int killed = command.awaitExit(Duration.ofSeconds(5)).orElse(128 + Signals.SIGKILL);
                    return new Commands.Outcome(killed, !overflowed);
                }
            }
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
            // A terminal of the subhost's own when ours is one (input and output): the
            // subhost never holds the caller's terminal, where TIOCSTI could push keys in.
            boolean terminal = Fds.isTerminal(0) && Fds.isTerminal(1);
            int pid = Entering.spawn(name, pid1, state.cgroups().directories(), state.confinement(), command, env,
                    terminal ? Entering.Input.TERMINAL : Entering.Input.GIVEN, 0, 1, 2, false);
            return Commands.await(pid, FOREVER).status();
        } catch (SubhostException e) {
            throw e;
        } catch (Exception e) {
            throw new SubhostException("exec in " + name + " (" + String.join(" ", command) + "): "
                    + PlanExecutor.reason(e), e);
        }
    }

    @Override
    public boolean share(Path hostPath) throws SubhostException {
        return share(hostPath, hostPath);
    }

    @Override
    public boolean share(Path hostPath, Path subhostPath) throws SubhostException {
        if (!hostPath.isAbsolute() || !subhostPath.isAbsolute()) {
            throw new IllegalArgumentException("share paths (" + hostPath + ", " + subhostPath + ") must be absolute");
        }
        Share share = new Share(hostPath, subhostPath);
        SubhostState.checkRecordable(share);
        String what = "share " + share.hostPath() + " into " + name;
        // Under the NAME's lock: the record's list of shares changes only with it held, and
        // a stop cannot come in between.
        try (StateStore.NameLock lock = store.lock(name)) {
            SubhostState state = running();
            Optional<Share> there = sharedAt(state, share.subhostPath());
            if (there.isPresent()) {
                if (there.get().equals(share)) {
                    return false;
                }
                throw new SubhostException(what + ": " + share.subhostPath() + " is shared from "
                        + there.get().hostPath() + " already; remove that share first");
            }
            if (!Files.exists(share.hostPath())) {
                throw new SubhostException(what + ": no such file or directory on the host");
            }
            try (Pidfd pid1 = pidfd(state)) {
                NamespaceSpawner.share(name, pid1, state, share.hostPath(), share.subhostPath(), trees);
            }
            List<Share> shares = new ArrayList<>(state.shares());
            // An entry whose mount the subhost has undone itself is replaced.
            shares.removeIf(s -> s.subhostPath().equals(share.subhostPath()));
            shares.add(share);
            store.write(state.toBuilder().shares(shares).build());
            try (BootLog log = BootLog.open("overlay-share", name, state.log())) {
                log.line("shared " + share.hostPath() + " on " + share.subhostPath());
            }
            return true;
        } catch (SubhostException e) {
            throw e;
        } catch (Exception e) {
            throw new SubhostException(what + " at " + share.subhostPath() + ": " + PlanExecutor.reason(e), e);
        }
    }

    @Override
    public Share unshare(Path subhostPath) throws SubhostException {
        if (!subhostPath.isAbsolute()) {
            throw new IllegalArgumentException("share path (" + subhostPath + ") must be absolute");
        }
        Path path = subhostPath.normalize();
        String what = "remove the share on " + path + " from " + name;
        try (StateStore.NameLock lock = store.lock(name)) {
            SubhostState state = running();
            Optional<Share> there = state.shares().stream().filter(s -> s.subhostPath().equals(path)).findFirst();
            if (there.isEmpty()) {
                throw new SubhostException(what + ": no share is there (" + (state.shares().isEmpty() ? "it has none"
                        : "its shares are on " + String.join(", ", state.shares().stream()
                                .map(s -> s.subhostPath().toString()).toList())) + ")");
            }
            if (mounted(state, path)) {
                try (Pidfd pid1 = pidfd(state)) {
                    NamespaceSpawner.unshare(name, pid1, path);
                }
            }
            List<Share> shares = new ArrayList<>(state.shares());
            shares.remove(there.get());
            store.write(state.toBuilder().shares(shares).build());
            // It no longer writes there: a later SHARE below that source is let through.
            trees.update(name, e -> e.withoutShare(there.get()));
            try (BootLog log = BootLog.open("overlay-share", name, state.log())) {
                log.line("removed the share of " + there.get().hostPath() + " on " + path);
            }
            return there.get();
        } catch (SubhostException e) {
            throw e;
        } catch (Exception e) {
            throw new SubhostException(what + ": " + PlanExecutor.reason(e), e);
        }
    }

    /**
     * The recorded share at {@code subhostPath}, when a mount is still there: the subhost's
     * root may have unmounted it, and then the record's entry is stale.
     */
    private static Optional<Share> sharedAt(SubhostState state, Path subhostPath) throws IOException {
        Optional<Share> there = state.shares().stream().filter(s -> s.subhostPath().equals(subhostPath)).findFirst();
        return there.isPresent() && mounted(state, subhostPath) ? there : Optional.empty();
    }

    /**
     * Whether a mount is at {@code path} inside the subhost: its pid 1's mountinfo, whose
     * mount points the kernel gives relative to that process's root, the subhost's.
     */
    private static boolean mounted(SubhostState state, Path path) throws IOException {
        return MountTable.read(Path.of("/proc", Integer.toString(state.pid1().orElseThrow().pid()), "mountinfo"))
                .isMountPoint(path);
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
                LogRelay.serviceStates(store.root().resolve(name), state.services()), state.cgroup(),
                state.confinement(),
                InitSystem.running(state), state.shares(), state.limits(),
                Cgroups.usage(state.cgroups()));
    }

    @Override
    public void limit(Limits limits) throws SubhostException {
        java.util.Objects.requireNonNull(limits, "limits");
        // Under the NAME lock: a stop or another change waits, and the record read is the last.
        try (StateStore.NameLock lock = store.lock(name)) {
            SubhostState state = running();
            Limits now = state.limits();
            if (now.equals(limits)) {
                return;
            }
            CgroupLayout layout = CgroupLayout.probe(HostFacts.findCgroup2(), Optional.empty());
            SubhostGroups groups = Cgroups.prepareChange(state.cgroups(), now, limits, layout);
            if (!groups.equals(state.cgroups())) {
                // Recorded before any limit is written: the stop removes the groups made.
                state = state.toBuilder().cgroups(groups).build();
                store.write(state);
            }
            try {
                Cgroups.change(groups, now, limits, state.upper(), layout);
            } catch (IOException e) {
                // Back to the recorded limits, as far as the kernel lets: the record stays true.
                try {
                    Cgroups.change(groups, limits, now, state.upper(), layout);
                } catch (IOException undo) {
                    e.addSuppressed(undo);
                }
                throw e;
            }
            store.write(state.toBuilder().limits(limits).build());
        } catch (SubhostException e) {
            throw e;
        } catch (IOException e) {
            throw new SubhostException("limits of " + name + ": " + PlanExecutor.reason(e), e);
        }
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

    @Override
    public SubhostStatus.ServiceStatus startService(String service, Duration timeout) throws SubhostException {
        return askPid1("start", service, timeout);
    }

    @Override
    public SubhostStatus.ServiceStatus stopService(String service, Duration timeout) throws SubhostException {
        return askPid1("stop", service, timeout);
    }

    @Override
    public SubhostStatus.ServiceStatus restartService(String service, Duration timeout) throws SubhostException {
        return askPid1("restart", service, timeout);
    }

    /**
     * Asks pid 1 for {@code verb} on {@code service} on its control channel ({@link
     * ServiceControl}), and writes the outcome to LOG. Under the NAME's lock: one request at
     * a time, none while a boot or a stop is under way.
     */
    private SubhostStatus.ServiceStatus askPid1(String verb, String service, Duration timeout)
            throws SubhostException {
        java.util.Objects.requireNonNull(service, "service");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout (" + timeout + ") must not be negative");
        }
        String what = verb + " service " + service + " of " + name;
        try (StateStore.NameLock lock = store.lock(name)) {
            SubhostState state = running();
            if (!state.services().contains(service)) {
                throw new SubhostException(what + ": no such service in START ("
                        + (state.services().isEmpty() ? "none" : String.join(" ", state.services())) + ")");
            }
            try (Pidfd pid1 = pidfd(state)) {
                Optional<String> initSystem = InitSystem.running(state);
                if (initSystem.isPresent()) {
                    throw new SubhostException(what + ": pid 1 is the init system " + initSystem.get()
                            + ", which runs its own services: ask it inside (overlay-go " + name + " systemctl " + verb
                            + " " + service + ", for systemd)");
                }
                Optional<ServiceControl> control = ServiceControl.open(pid1);
                if (control.isEmpty()) {
                    throw new SubhostException(what + ": pid 1 takes no requests for services (its init is the"
                            + " script of INIT, or it was booted by an earlier version); run the service's script"
                            + " inside: overlay-go " + name + " service " + service + " " + verb);
                }
                String answer;
                try (ServiceControl channel = control.get()) {
                    answer = channel.request(verb, service, timeout);
                } catch (SubhostException e) {
                    throw new SubhostException(what + ": " + e.getMessage(), e);
                }
                try (BootLog log = BootLog.open("overlay-service", name, state.log())) {
                    log.line(verb + " " + service + ": " + answer);
                }
                SubhostStatus.ServiceStatus outcome = LogRelay.serviceStatus(service, answer);
                awaitRelayed(outcome, state.services());
                return outcome;
            }
        } catch (SubhostException e) {
            throw e;
        } catch (Exception e) {
            throw new SubhostException(what + ": " + PlanExecutor.reason(e), e);
        }
    }

    /**
     * Waits until the services file shows {@code outcome}, at most {@link #RELAY_WAIT}: pid 1
     * writes the state to its status channel before it answers, but the log relay, a process
     * of its own, writes the file a moment later; so a status read right after a request
     * agrees with its answer. A state that changed meanwhile (the service died again) ends
     * the wait at its limit, and the status then shows the newer state.
     */
    private void awaitRelayed(SubhostStatus.ServiceStatus outcome, List<String> services) throws InterruptedException {
        long deadline = System.nanoTime() + RELAY_WAIT.toNanos();
        Path stateDir = store.root().resolve(name);
        while (System.nanoTime() < deadline) {
            for (SubhostStatus.ServiceStatus s : LogRelay.serviceStates(stateDir, services)) {
                if (s.name().equals(outcome.name()) && s.state().equals(outcome.state())) {
                    return;
                }
            }
            Thread.sleep(5);
        }
    }

    /** How long a request's answer waits for the services file ({@link #awaitRelayed}). */
    private static final Duration RELAY_WAIT = Duration.ofSeconds(1);

    /** The record, if pid 1 runs; else NotRunningException. */
    @Override
    public List<SubhostStatus.ServiceStatus> services() throws SubhostException {
        return LogRelay.serviceStates(store.root().resolve(name), running().services());
    }

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

    @Override
    public String toString() {
        return "Subhost[" + name + "]";
    }
}
