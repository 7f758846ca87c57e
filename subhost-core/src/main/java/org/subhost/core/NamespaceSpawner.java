package org.subhost.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.subhost.config.Capability;
import org.subhost.config.Confinement;
import org.subhost.linux.Errno;
import org.subhost.linux.Fds;
import org.subhost.linux.Mounts;
import org.subhost.linux.NamespaceRequest;
import org.subhost.linux.NamespaceThread;
import org.subhost.linux.Namespaces;
import org.subhost.linux.Pidfd;
import org.subhost.linux.Redirect;
import org.subhost.linux.Signals;
import org.subhost.linux.Spawn;
import org.subhost.linux.SyscallException;
import org.subhost.linux.UnixDatagram;

/**
 * Starts processes in a subhost's namespaces: its pid 1 at boot, and later commands and
 * shells from the outside (exec, overlay-go) and live shares.
 *
 * <p>All of it happens on fresh platform threads ({@link NamespaceThread}): a thread's
 * mount, network, uts, ipc and cgroup namespaces and its root act on the thread itself,
 * while a new or entered pid namespace applies only to the children it spawns. pid 1 is
 * the exception: the boot thread spawns its launcher ({@code subhost-init --launch}), which
 * clones pid 1 into a new pid namespace and into the subhost's control groups at once
 * ({@link BirthGroups}), as a child of this JVM (CLONE_PARENT).
 *
 * <p>The time namespace is the exception: posix_spawn clones with CLONE_VM, which the
 * kernel refuses while time_for_children differs from the caller's own time namespace,
 * and setns into a time namespace needs a single-threaded caller. So pid 1 makes the time
 * namespace itself ({@code --timens}: unshare, then setns into its time_for_children, as
 * the single-threaded process it is), and commands run
 * from the outside stay in the host's time namespace, whose clocks have the same offsets
 * (zero) as the subhost's.
 */
final class NamespaceSpawner {
    /** The namespaces a command from the outside enters: all of the subhost's but time. */
    static final int ENTERED = Namespaces.CLONE_NEWNS | Namespaces.CLONE_NEWNET | Namespaces.CLONE_NEWPID
            | Namespaces.CLONE_NEWIPC | Namespaces.CLONE_NEWUTS | Namespaces.CLONE_NEWCGROUP;
    /**
     * Where the old tool put its pid 1 inside the subhost, and older versions of the SDK too:
     * a record of such a boot knows pid 1 by this path of its program.
     */
    static final String REAPER = "/.reaper";
    /** The environment of pid 1 and of commands run from the outside. */
    static final Map<String, String> BASE_ENV = Map.of(
            "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME", "/root");

    private NamespaceSpawner() {}

    /**
     * pid 1: after the root switch, new ipc and uts namespaces (unshare: they act on this
     * thread at once), the hostname, and the spawn of the SDK's own copy of subhost-init
     * ({@link SdkProgram}: nothing of the subhost's tree is run or loaded, the program is
     * static) as pid 1's launcher, which clones pid 1 into a new pid namespace and into the
     * subhost's control groups ({@code groups}, {@link BirthGroups}), tells its pid and
     * exits. pid 1 has the subhost's own {@code /dev/null} as input (opened with no link
     * followed and checked to be the null device) and waits on a pipe for its go. It then
     * enters a cgroup namespace of its own and confines itself ({@code confinement}, passed
     * as {@link Confinement#arguments()}) before it runs the init script. Undo: SIGKILL to
     * pid 1, which takes every process of its pid namespace with it.
     *
     * <p>It runs the init of {@code init} with its output in the log relay's pipes of {@code
     * relay} (whose ends it then closes: pid 1 holds its own), and hands pid 1 on in {@code
     * pid1}. The built-in init gets START's services as {@code services} read them
     * ({@link InitSupervisor.ReadServices}), in a sealed memfd.
     */
    record StartPid1(String name, Duration grace, Confinement confinement, Slot<InitSupervisor.InitProgram> init,
            Slot<LogRelay.Ends> relay, Slot<BirthGroups> groups, List<Path> groupDirectories,
            Optional<Slot<List<UnitReader.Reading>>> services, Slot<Pid1> pid1)
            implements BootStep.InNamespace<Pid1> {
        /** The launcher's descriptors, above pid 1's own (3 to 7): the program that pid 1 execs. */
        static final int PROGRAM_FD = 10;
        /** Where the launcher tells pid 1's pid; the groups' descriptors follow. */
        static final int REPORT_FD = 11;

        StartPid1 {
            groupDirectories = List.copyOf(groupDirectories);
        }

        @Override
        public String describe() {
            StringBuilder born = new StringBuilder();
            for (int i = 0; i < groupDirectories.size(); i++) {
                born.append(i == 0 ? " and born in control groups " : ", ").append(groupDirectories.get(i));
            }
            return "pid 1 (the SDK's subhost-init, a sealed memfd) in new pid, ipc, uts, time and cgroup namespaces"
                    + (born.isEmpty() ? "" : born.append(" (clone3 by its launcher)")) + "; hostname from"
                    + " /etc/hostname or " + name + "; " + describe(confinement) + "; init script via /bin/sh (an init system that it execs last"
                    + " becomes pid 1, with cgroup2 on /sys/fs/cgroup and a console of its own)";
        }

        /** The confinement in words, for the plan that {@code overlay-boot --dry-run} prints. */
        static String describe(Confinement confinement) {
            StringBuilder b = new StringBuilder("confined: ").append(confinement);
            if (confinement.capabilityMask() == Confinement.ALL) {
                b.append(" (every capability kept");
            } else {
                b.append(" (keeps");
                for (Capability c : confinement.capabilities()) {
                    b.append(' ').append(c);
                }
            }
            b.append(confinement.seccomp() ? "; seccomp filter refuses host-wide calls with EPERM" : "; no seccomp filter");
            b.append(confinement.files() ? "; /proc/sys, /sys read-only, /proc kernel files masked)" : "; /proc and /sys as mounted)");
            return b.toString();
        }

        @Override
        public List<Slot<?>> consumes() {
            List<Slot<?>> slots = new ArrayList<>(List.of(init, relay, groups));
            services.ifPresent(slots::add);
            return slots;
        }

        @Override
        public Optional<Slot<Pid1>> produces() {
            return Optional.of(pid1);
        }

        @Override
        public Pid1 apply(StepInputs in) throws Exception {
            InitSupervisor.InitProgram program = in.get(init);
            SdkProgram.FileIdentity copy = SdkProgram.identity();
            Confinement applied = InitSystem.confinement(confinement, program.initSystem().isPresent());
            String hostname = hostname(Path.of("/"), name, in.log());
            if (program.initSystem().isPresent() && InitSystem.ownMachineId(program.hostMachineId(), name)) {
                in.log().line("/etc/machine-id was the host's: the subhost has one of its own now");
            }
            // Not CLONE_NEWPID: the launcher clones pid 1 into the new pid namespace itself.
            Namespaces.unshare(Namespaces.CLONE_NEWIPC | Namespaces.CLONE_NEWUTS);
            Namespaces.sethostname(hostname);
            // Two pipes: pid 1 reads the go on fd 3 and says on fd 4 that the init runs.
            int[] go = Fds.pipe2(Fds.O_CLOEXEC);
            int[] ready;
            try {
                ready = Fds.pipe2(Fds.O_CLOEXEC);
            } catch (Exception e) {
                Descriptor.closeQuietly(go[0]);
                Descriptor.closeQuietly(go[1]);
                throw e;
            }
            Descriptor goEnd = new Descriptor(go[1]);
            Descriptor readyEnd = new Descriptor(ready[0]);
            Optional<Descriptor> notify = Optional.empty();
            try {
                // An init system says READY=1 here: a socket of ours with an abstract name in
                // the subhost's network namespace (this thread's), which it gets as NOTIFY_SOCKET.
                Optional<String> notifyAddress = Optional.empty();
                if (program.initSystem().isPresent()) {
                    notify = Optional.of(new Descriptor(UnixDatagram.socket()));
                    notifyAddress = Optional.of("@subhost-init-ready/" + name + "/"
                            + Long.toHexString(new java.security.SecureRandom().nextLong()));
                    UnixDatagram.bind(notify.get().fd(), notifyAddress.get());
                }
                // A relay that could not start would leave pid 1's output nowhere: its start
                // is known by now (LogRelay.Started), and checked before pid 1 exists.
                in.get(relay).started().pid();
                int pid;
                try {
                    pid = spawnReaper(program, applied, in.get(relay), in.get(groups), services.map(in::get),
                            notifyAddress, go[0], ready[1]);
                } finally {
                    // Only pid 1 holds these ends now: its end of file tells the other side.
                    Descriptor.closeQuietly(go[0]);
                    Descriptor.closeQuietly(ready[1]);
                }
                return new Pid1(pid, Pidfd.open(pid), goEnd, readyEnd, notify, applied, copy);
            } catch (Exception | Error e) {
                // Failed: no undo or release will close them. A pid 1 that runs sees the end of
                // its sync pipe without a go, and exits.
                goEnd.close();
                readyEnd.close();
                notify.ifPresent(Descriptor::close);
                throw e;
            }
        }

        /**
         * pid 1's command line stays short (ps shows it): the init script goes in on a
         * descriptor (a sealed memfd, {@code --script-fd}), the built-in init as the list of
         * services. Its descriptors hold nothing of the host: the subhost's own {@code
         * /dev/null} (this thread is inside the new root), the pipes to the log relay, the
         * boot's two pipes.
         */
        private int spawnReaper(InitSupervisor.InitProgram program, Confinement applied, LogRelay.Ends relayEnds,
                BirthGroups birth, Optional<List<UnitReader.Reading>> readings, Optional<String> notifyAddress,
                int syncFd, int readyFd) throws Exception {
            List<String> args = new ArrayList<>(List.of("--timens", "--sync-fd", "3", "--ready-fd", "4", "--grace",
                    Long.toString(Math.max(1, grace.toSeconds())), "--name", name, "--status-fd", "5"));
            // An init system: pid 1 execs the script itself, and keeps CAP_SYS_ADMIN (it mounts)
            // at the admin level, systemd-nspawn's, unless CAPABILITIES asked for more or less.
            args.addAll(applied.arguments());
            if (program.initSystem().isPresent()) {
                args.add("--exec");
                notifyAddress.ifPresent(a -> args.addAll(List.of("--notify-socket", a)));
            }
            int script = -1;
            int devNull = -1;
            try {
                if (program.script().isPresent()) {
                    script = Fds.sealedMemfd("init script of " + name,
                            program.script().get().getBytes(StandardCharsets.UTF_8));
                    args.addAll(List.of("--script-fd", "6"));
                } else {
                    args.addAll(List.of("--service-limit", Long.toString(program.serviceLimit().toSeconds())));
                    // Where pid 1 keeps the host's end of its control channel (ServiceControl).
                    args.addAll(List.of("--control-fd", Integer.toString(ServiceControl.FD)));
                    if (readings.isPresent()) {
                        // The checked table of init.d scripts and units (ServiceTable), sealed.
                        script = Fds.sealedMemfd("services of " + name, ServiceTable.encode(readings.get()));
                        args.addAll(List.of("--services-fd", "6"));
                    } else {
                        for (String service : program.services()) {
                            args.addAll(List.of("--service", service));
                        }
                    }
                }
                try (SubhostTree root = SubhostTree.open(Path.of("/"))) {
                    devNull = root.openDevice("dev/null", Fds.O_RDWR | Fds.O_NOCTTY, 1, 3, "the null device");
                }
                // It starts in the directory it is run from (this JVM's /proc/self/fd), and
                // changes to the subhost's / first thing.
                Spawn.Builder spawn = SdkProgram.spawnIn()
                        .env(BASE_ENV)
                        .stdin(Redirect.fd(devNull))
                        .stdout(Redirect.fd(relayEnds.output().fd()))
                        .stderr(Redirect.fd(relayEnds.output().fd()))
                        .keepFd(syncFd, 3)
                        .keepFd(readyFd, 4)
                        .keepFd(relayEnds.status().fd(), 5);
                if (script >= 0) {
                    spawn.keepFd(script, 6);
                }
                return launch(spawn, birth, args);
            } finally {
                Descriptor.closeQuietly(script);
                Descriptor.closeQuietly(devNull);
                // pid 1 holds its own copies: ours would keep the log relay alive for ever.
                relayEnds.output().close();
                relayEnds.status().close();
            }
        }

        /**
         * Spawns pid 1's launcher with {@code spawn} (pid 1's descriptors set), the groups of
         * {@code birth} and pid 1's options {@code pid1Args}; returns pid 1's pid, which the
         * launcher tells on a pipe before it exits (reaped here). pid 1 then execs the SDK's
         * copy again, with its own command line.
         *
         * @throws IOException when the launcher failed: the group that refused pid 1 and the
         *     errno, or its exit status
         */
        private int launch(Spawn.Builder spawn, BirthGroups birth, List<String> pid1Args) throws Exception {
            int[] report = Fds.pipe2(Fds.O_CLOEXEC);
            int launcher;
            try {
                List<String> args = new ArrayList<>(List.of("--launch", "--program-fd", Integer.toString(PROGRAM_FD),
                        "--report-fd", Integer.toString(REPORT_FD)));
                args.addAll(birth.passTo(spawn, REPORT_FD + 1));
                args.add("--");
                args.addAll(pid1Args);
                launcher = spawn.args(args).keepFd(SdkProgram.memfd(), PROGRAM_FD).keepFd(report[1], REPORT_FD)
                        .newSession().spawn();
            } catch (Exception | Error e) {
                Descriptor.closeQuietly(report[0]);
                throw e;
            } finally {
                // The launcher holds its own: its end of file (it exited) ends the read below.
                Descriptor.closeQuietly(report[1]);
            }
            String said;
            int exit;
            try {
                said = BirthGroups.readReport(report[0]);
            } finally {
                Descriptor.closeQuietly(report[0]);
                exit = Spawn.waitFor(launcher);
            }
            int pid = birth.bornPid(said, REPORT_FD + 1, "pid 1");
            if (exit == 0 && pid > 0) {
                return pid;
            }
            throw new IOException("pid 1's launcher (subhost-init --launch) exited with status " + exit
                    + (pid > 0 ? "" : " without pid 1") + "; its reason is in LOG");
        }

        @Override
        public void undo(Pid1 started, StepInputs in) throws Exception {
            started.pidfd().sendSignal(Signals.SIGKILL);
            started.pidfd().awaitExit(Duration.ofSeconds(10));
        }

        @Override
        public void release(Pid1 started) {
            started.go().close();
            started.ready().close();
            started.readySocket().ifPresent(Descriptor::close);
            try {
                started.pidfd().close();
            } catch (SyscallException e) {
                // EBADF only: nothing to undo.
            }
        }
    }

    /**
     * pid 1 as {@link StartPid1} started it, for the steps that account, record and release
     * it.
     *
     * @param pid its pid, in the host's pid namespace
     * @param pidfd a pidfd of it, for the undo's SIGKILL
     * @param go the write end of the pipe that pid 1 waits on before it runs the init
     * @param ready the read end of the pipe on which pid 1 says that the init runs
     * @param readySocket the socket on which an init system as pid 1 says READY=1; empty for another init
     * @param confinement what pid 1 was told to apply: the configuration's, raised to the
     *     admin level for an init system ({@link InitSystem#confinement}); the record keeps
     *     it, and every process that enters later gets the same
     * @param program the identity of the SDK's copy that pid 1 runs
     */
    record Pid1(int pid, Pidfd pidfd, Descriptor go, Descriptor ready, Optional<Descriptor> readySocket,
            Confinement confinement, SdkProgram.FileIdentity program) {}

    /**
     * Lets pid 1 go on, with one byte {@code g} on its sync pipe once it is recorded (it was
     * born in its control groups, {@link BirthGroups}), and returns when it says on its ready
     * pipe that the init script runs ({@code s}, after it mounted {@code /proc} and forked the script), so that a
     * command run right after the boot finds {@code /proc} and the init under way. No
     * polling: the wait ends the moment pid 1 writes, or ends (end of file on the pipe).
     * Both pipes are pid 1's of {@code pid1}; its messages name LOG, the file {@code log}.
     */
    record ReleaseInit(String name, Path log, Slot<Pid1> pid1, Duration servicesWait, List<String> start,
            Duration initReady) implements BootStep.OnHost<Void> {
        /** How long pid 1 may take from the go to the start of the init. */
        static final Duration READY_LIMIT = Duration.ofSeconds(10);

        ReleaseInit {
            start = List.copyOf(start);
        }

        @Override
        public String describe() {
            return "release pid 1; return when it has /proc mounted and the init running"
                    + (servicesWait.isZero() ? "" : ", and every START service has started or failed (at most "
                            + servicesWait.toSeconds() + " s)");
        }

        @Override
        public List<Slot<?>> consumes() {
            return List.of(pid1);
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            Pid1 started = in.get(pid1);
            try {
                Fds.write(started.go().fd(), new byte[] {'g'});
            } catch (SyscallException e) {
                // pid 1 ended before its go (its /proc, its time namespace or its confinement
                // failed, each before the go), with its reason in LOG: the end of file on its
                // ready pipe below says so.
                if (!e.is(Errno.EPIPE)) {
                    throw e;
                }
            }
            started.go().close();
            if (!Fds.awaitReadable(started.ready().fd(), READY_LIMIT)) {
                throw new IOException("pid 1 (" + started.pid() + ") did not start the init within "
                        + READY_LIMIT.toSeconds() + " s; see LOG " + log);
            }
            byte[] said = Fds.read(started.ready().fd(), 1);
            if (said.length == 1 && said[0] == 's' && !servicesWait.isZero()) {
                awaitServices(in, started);
            }
            if (said.length == 1 && said[0] == 's' && started.readySocket().isPresent()) {
                awaitInitSystem(in, started.readySocket().get());
            }
            started.ready().close();
            if (said.length == 0) {
                throw new IOException("pid 1 (" + started.pid() + ") ended before it could start the init; see LOG "
                        + log);
            }
            if (said[0] != 's') {
                throw new IOException("pid 1 (" + started.pid() + ") said " + (said[0] & 0xff)
                        + " instead of s (started) on its ready pipe; is its subhost-init of another version?");
            }
            return null;
        }

        /**
         * An init system as pid 1 says READY=1 on its NOTIFY_SOCKET once it has started
         * (systemd: when its default target is reached): the boot returns then, so that
         * {@code overlay-go NAME systemctl ...} right after it finds systemd answering; after
         * {@code initReady} without it, the boot returns all the same, with a warning. Any
         * process of the subhost could send to the socket: READY=1 only ends this wait.
         */
        private void awaitInitSystem(StepInputs in, Descriptor notify) throws Exception {
            long deadline = System.nanoTime() + initReady.toNanos();
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !Fds.awaitReadable(notify.fd(), Duration.ofNanos(left))) {
                    in.log().warning("the init system did not say READY=1 within " + initReady.toSeconds()
                            + " s (INIT_READY_TIMEOUT); the boot returns, it goes on starting");
                    return;
                }
                String message = new String(UnixDatagram.receive(notify.fd(), 4096), StandardCharsets.UTF_8);
                if (("\n" + message + "\n").contains("\nREADY=1\n")) {
                    in.log().line("the init system says READY=1");
                    return;
                }
            }
        }

        /**
         * The built-in init keeps the ready pipe open until every START service has started
         * or failed, and writes a line {@code NAME STATE} for each: the boot returns then,
         * so that a command run right after it finds the services up (and READY=1 to systemd
         * means the same). The services file, which the log relay writes a moment later, is
         * waited for too, so that status shows the same states at once.
         */
        private void awaitServices(StepInputs in, Pid1 started) throws Exception {
            long deadline = System.nanoTime() + servicesWait.toNanos();
            StringBuilder text = new StringBuilder();
            int told = 0;
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !Fds.awaitReadable(started.ready().fd(), Duration.ofNanos(left))) {
                    in.log().warning("START's services have not all started or failed within "
                            + servicesWait.toSeconds() + " s; the boot returns, they go on starting");
                    return;
                }
                byte[] chunk = Fds.read(started.ready().fd(), 4096);
                if (chunk.length == 0) {
                    break;
                }
                text.append(new String(chunk, StandardCharsets.UTF_8));
                String[] lines = text.toString().split("\n", -1);
                for (int i = told; i < lines.length - 1; i++) {
                    if (!lines[i].endsWith(" started")) {
                        // overlay-boot names each failed one itself: in LOG only
                        in.log().line("service " + lines[i]);
                    }
                }
                told = lines.length - 1;
            }
            Path stateDir = in.store().root().resolve(name);
            while (System.nanoTime() < deadline) {
                java.util.Set<String> known = new java.util.HashSet<>();
                LogRelay.serviceStates(stateDir, start).forEach(s -> {
                    if (!s.state().equals("unknown") && !s.phase().equals("starting")) {
                        known.add(s.name());
                    }
                });
                if (known.containsAll(start)) {
                    return;
                }
                Thread.sleep(2);
            }
        }
    }

    /** How much of the subhost's {@code /etc/hostname} is read, at most. */
    static final int HOSTNAME_FILE_LIMIT = 4096;

    /**
     * The first line of the subhost's {@code /etc/hostname} when it has one, else {@code
     * name}; read in the tree of {@code root} (the subhost's "/" after the switch of root),
     * only when it is a regular file of at most {@link #HOSTNAME_FILE_LIMIT} bytes.
     */
    static String hostname(Path root, String name, BootLog log) {
        try (SubhostTree tree = SubhostTree.open(root)) {
            Optional<byte[]> bytes = tree.readRegular("etc/hostname", HOSTNAME_FILE_LIMIT);
            if (bytes.isPresent()) {
                String first = new String(bytes.get(), StandardCharsets.UTF_8).lines().map(String::trim)
                        .findFirst().orElse("");
                if (!first.isEmpty()) {
                    return first;
                }
            }
        } catch (IOException e) {
            log.line(PlanExecutor.reason(e) + "; the hostname is " + name);
        }
        // No /etc/hostname in the subhost: NAME it is (docs/spec.md §3.10).
        return name;
    }

    /**
     * Binds the host's {@code hostPath} onto {@code subhostPath} inside the subhost of {@code
     * pid1}, live. The tree is cloned in the host's mount namespace with {@code open_tree(
     * OPEN_TREE_CLONE | AT_RECURSIVE)}, which gives a detached mount (made nodev), and
     * attached inside with {@code move_mount} by a thread that entered the subhost's mount
     * namespace; a bind mount by path could not work, since the host's tree is not visible
     * inside.
     *
     * <p>The source is checked as a boot's SHAREs are, against what every subhost writes
     * ({@link ShareSource}), with what the index of subhost trees and the list of subhosts
     * say now. What the share shows of other subhosts (their BASE, LOG, the state
     * directory) and of the subhost's HIDE is hidden below its target at once, on the same
     * thread ({@link Hiding}); the share is added to the subhost's entry in the index, so
     * that a subhost that boots later hides its trees there too and no later SHARE source
     * lies in it.
     */
    static void share(String name, Pidfd pid1, SubhostState state, Path hostPath, Path subhostPath, TreeIndex trees)
            throws Exception {
        TreeIndex.Snapshot snapshot = trees.read();
        // A subhost booted before the index existed is known by its record alone.
        SubhostTrees self = snapshot.get(name).orElseGet(() -> new SubhostTrees(name, 0, SubhostTrees.Phase.ACTIVE,
                List.of(new SubhostTrees.Tree(SubhostTrees.Role.LIVE, state.live(), 0)), List.of(), List.of()));
        Hiding.Known known = new Hiding.Known(self, snapshot, trees.listed(), null);
        org.subhost.config.Share share = new org.subhost.config.Share(hostPath, subhostPath);
        try (ShareSource source = ShareSource.open(hostPath, known.written())) {
            Hiding.Plan plan = Hiding.plan(self, known.others(), trees.root(), self.hiddenWhole(), Hiding.Lister.HOST);
            Hiding.View view = Hiding.View.of(self).sharesOnly(List.of(share));
            List<Path> images = new ArrayList<>();
            for (Path p : plan.all()) {
                images.addAll(view.images(p, null));
            }
            List<Path> hides = Hiding.outermost(images, List.of());
            List<Integer> nulls = new ArrayList<>();
            int tree = -1;
            try {
                for (int i = 0; i < hides.size(); i++) {
                    nulls.add(Hiding.nullDevice());
                }
                tree = source.cloneTree();
                int detached = tree;
                NamespaceRequest request = NamespaceRequest.builder().enterPidfd(pid1, Namespaces.CLONE_NEWNS).build();
                NamespaceThread.run("share into " + name, request, () -> {
                    // setns into a mount namespace makes its root the thread's: "/" is the subhost's.
                    try (SubhostTree root = SubhostTree.open(Path.of("/"))) {
                        int target = OverlayFs.mountPoint(root, subhostPath.toString(), source.directory());
                        try {
                            Mounts.moveMount(detached, "", target, "",
                                    Mounts.MOVE_MOUNT_F_EMPTY_PATH | Mounts.MOVE_MOUNT_T_EMPTY_PATH);
                        } finally {
                            Descriptor.closeQuietly(target);
                        }
                        try (Hiding.Mounter mounter = new Hiding.Mounter(root, () -> Hiding.take(nulls))) {
                            for (Path image : hides) {
                                mounter.hide(image);
                            }
                        }
                    }
                    return null;
                });
            } finally {
                Descriptor.closeQuietly(tree);
                nulls.forEach(Descriptor::closeQuietly);
            }
        }
        trees.update(name, e -> e.withShare(share));
    }

    /**
     * Unmounts what is at {@code subhostPath} inside the subhost of {@code pid1}, live:
     * umount2(2) with MNT_DETACH (what is open there stays usable until closed, and the
     * mounts below it go too) and UMOUNT_NOFOLLOW (a link the subhost put there is not
     * followed), by a thread that entered the subhost's mount namespace, where "/" is the
     * subhost's root. Undoes {@link #share}.
     */
    static void unshare(String name, Pidfd pid1, Path subhostPath) throws Exception {
        NamespaceRequest request = NamespaceRequest.builder().enterPidfd(pid1, Namespaces.CLONE_NEWNS).build();
        NamespaceThread.run("remove a share from " + name, request, () -> {
            Mounts.umount2(subhostPath.toString(), Mounts.MNT_DETACH | Mounts.UMOUNT_NOFOLLOW);
            return null;
        });
    }
}
