package org.subhost.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.subhost.config.SubhostConfig;
import org.subhost.config.VethCable;
import org.subhost.linux.Errno;
import org.subhost.linux.Fds;
import org.subhost.linux.Pidfd;
import org.subhost.linux.Signals;
import org.subhost.linux.SyscallException;

/**
 * The subhost's init and services (docs/spec.md §5 and §6): the built-in PREMOUNT, the
 * PREMOUNT, POSTMOUNT and INIT commands of the user, the init that pid 1 runs, and
 * the stop of services and pid 1.
 *
 * <p>The built-in init is pid 1's own ({@code src/main/c/services.c}): it starts each START
 * service in order, an absolute path as {@code PATH start}, any other name as {@code service
 * NAME start}, in a session of its own and under a time limit (SubhostConfig#serviceTimeout),
 * writes one line per service to LOG ({@code subhost-init[NAME]: service S started}, {@code
 * ... failed (status N)} or {@code ... timed out (killed after N s)}) for people, and tells
 * each state on a channel of its own that status reads ({@link LogRelay#serviceStates}).
 * When it is done, pid 1 itself stays as the placeholder that keeps the subhost alive.
 */
final class InitSupervisor {
    private InitSupervisor() {}

    /** The command that stops {@code service}, as docs/spec.md §6 gives it. */
    static List<String> stopCommand(String service) {
        return service.startsWith("/") ? List.of(service, "stop") : List.of("service", service, "stop");
    }

    /**
     * The built-in PREMOUNT: {@code UPPER/etc/network/interfaces}, when missing, with a
     * loopback stanza and one {@code auto ethN} / {@code iface ethN inet manual} stanza per
     * non-VLAN cable, so that the subhost never uses the host's network configuration by
     * accident (docs/spec.md §3.4, fix). Undo: the file is removed again if this step wrote it.
     */
    record WriteInterfaces(Path upper, List<String> interfaces, BootStep.Place place, Optional<Slot<Boolean>> written)
            implements BootStep<Boolean> {
        WriteInterfaces {
            interfaces = List.copyOf(interfaces);
            if (place == BootStep.Place.HOST_ALONGSIDE) {
                throw new IllegalArgumentException("a step alongside is a host step in BootStep.Alongside");
            }
        }

        /** The step on the namespace thread, after the new mount namespace: where PREMOUNT runs. */
        WriteInterfaces(Path upper, List<String> interfaces) {
            this(upper, interfaces, BootStep.Place.NAMESPACE, Optional.empty());
        }

        static WriteInterfaces of(SubhostConfig config) {
            return new WriteInterfaces(config.upper(), config.veths().stream().map(VethCable::subhostName).toList());
        }

        /**
         * The step on the caller's thread, to run alongside the namespace steps, which wait
         * for {@code written} ({@link AwaitInterfaces}) before the root is mounted. The file
         * is in UPPER, which is the same on the host as in the new mount namespace: that one
         * is a copy of the host's, and nothing of the boot is mounted on UPPER.
         */
        static WriteInterfaces onHost(SubhostConfig config, Slot<Boolean> written) {
            return new WriteInterfaces(config.upper(), config.veths().stream().map(VethCable::subhostName).toList(),
                    BootStep.Place.HOST, Optional.of(written));
        }

        @Override
        public BootStep.Place place() {
            return place;
        }

        @Override
        public Optional<Slot<Boolean>> produces() {
            return written;
        }

        Path file() {
            return upper.resolve("etc/network/interfaces");
        }

        @Override
        public String describe() {
            return "write " + file() + " (lo" + interfaces.stream().map(i -> ", " + i).reduce("", String::concat)
                    + ") unless it exists";
        }

        /** The file's text. */
        String text() {
            StringBuilder b = new StringBuilder("# written by overlay-boot: the subhost's own interfaces\n");
            b.append("auto lo\niface lo inet loopback\n");
            for (String i : interfaces) {
                b.append("\nauto ").append(i).append("\niface ").append(i).append(" inet manual\n");
            }
            return b.toString();
        }

        /** The file's path below UPPER. */
        static final String RELATIVE = "etc/network/interfaces";

        /**
         * Writes the file unless an entry of its name is there, and says whether it wrote
         * it. The path is resolved inside UPPER ({@link SubhostTree}): a symbolic link
         * planted on {@code etc/network} leads somewhere inside the subhost, never into the
         * host's directories. Whether it is there is the answer of the file's creation
         * (O_EXCL), not a look of its own before.
         */
        @Override
        public Boolean apply(StepInputs in) throws Exception {
            try (SubhostTree tree = SubhostTree.open(upper)) {
                if (!tree.createFile(RELATIVE, text().getBytes(StandardCharsets.UTF_8), 0644)) {
                    in.log().line(file() + " exists; left as it is");
                    return false;
                }
            }
            return true;
        }

        @Override
        public void undo(Boolean wrote, StepInputs in) throws Exception {
            if (wrote) {
                try (SubhostTree tree = SubhostTree.open(upper)) {
                    tree.remove(RELATIVE);
                }
            }
        }
    }

    /**
     * The namespace thread waits, before it mounts the root, for the caller's thread to
     * have written {@code UPPER/etc/network/interfaces} ({@link WriteInterfaces#onHost}):
     * overlayfs must not see its upper layer change under a mount. When the caller's thread
     * ends without it (a step of it failed), the wait ends and this step fails.
     *
     * @param file the file, for the plan's line
     * @param written whether the caller's thread wrote it
     * @param seen the same, on the namespace thread
     */
    record AwaitInterfaces(Path file, Slot<Boolean> written, Slot<Boolean> seen) implements BootStep.InNamespace<Boolean> {
        @Override
        public String describe() {
            return file + ", once the caller's thread wrote it";
        }

        @Override
        public List<Slot<?>> awaits() {
            return List.of(written);
        }

        @Override
        public Optional<Slot<Boolean>> produces() {
            return Optional.of(seen);
        }

        @Override
        public Boolean apply(StepInputs in) throws Exception {
            Optional<Boolean> wrote;
            try {
                wrote = in.await(written, AwaitPrepared.LIMIT);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new IOException(file + " was not written within " + AwaitPrepared.LIMIT.toSeconds() + " s");
            }
            if (wrote.isEmpty()) {
                throw new IllegalStateException(file + " was not written: the boot failed elsewhere");
            }
            return wrote.get();
        }
    }

    /**
     * A PREMOUNT or POSTMOUNT command of the user, which replaces the built-in step: run by
     * sh with the given arguments appended, {@code CONFIG} in its environment, BASE as its
     * working directory, its output in LOG (the file {@code log}, open in {@code io}); a
     * status other than 0 fails the boot.
     */
    record RunHook(String variable, String command, List<String> args, Map<String, String> env, Path base,
            Duration limit, Path log, Slot<CommandIo> io) implements BootStep.InNamespace<Void> {
        RunHook {
            args = List.copyOf(args);
            env = Map.copyOf(env);
        }

        @Override
        public String describe() {
            return variable + ": " + command + (args.isEmpty() ? "" : " " + String.join(" ", args));
        }

        @Override
        public List<Slot<?>> consumes() {
            return List.of(io);
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            CommandIo out = in.get(io);
            List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", command + " \"$@\"", variable));
            argv.addAll(args);
            Commands.Outcome outcome = Commands.run(argv, Commands.environment(env), base.toString(),
                    out.devNull().fd(), out.log().fd(), out.log().fd(), limit);
            if (outcome.status() != 0) {
                throw new IOException(Commands.failure(variable, command, outcome, limit)
                        + "; its output is in " + log);
            }
            return null;
        }
    }

    /**
     * How long the boot waits for {@code count} START services to start or fail: each may
     * take the service timeout, and pid 1 enforces that; a few seconds more for the rest.
     */
    static Duration servicesWait(int count, Duration serviceLimit) {
        return serviceLimit.multipliedBy(Math.max(1, count)).plusSeconds(5);
    }

    /**
     * Reads what runs each START name from the subhost's root, now mounted on {@code live}
     * ({@link StartServices}: init.d scripts, systemd units and their drop-ins), checks the
     * units against the built-in init's subset, and writes every warning to LOG and to the
     * admin's terminal, each naming its file:line. pid 1 gets the result in its compact
     * form ({@link ServiceTable}); it reads no file of the subhost for it. Runs in the
     * namespace thread before the switch of root, through {@link SubhostTree}: no link of
     * the subhost's leads out of LIVE.
     */
    record ReadServices(Path live, List<String> start, boolean preferUnits, Map<String, String> supervise,
            Duration serviceLimit, Slot<List<UnitReader.Reading>> read)
            implements BootStep.InNamespace<List<UnitReader.Reading>> {
        ReadServices {
            start = List.copyOf(start);
            supervise = Map.copyOf(supervise);
        }

        @Override
        public String describe() {
            return "read START's services (" + String.join(" ", start) + ") from " + live
                    + ": /etc/init.d/NAME, else the unit NAME.service in " + String.join(", ", UnitReader.SEARCH_PATH)
                    + (preferUnits ? " (a unit before a script: START_PREFER=unit)" : "")
                    + (supervise.isEmpty() ? "" : "; SUPERVISE " + String.join(" ", supervise.keySet()));
        }

        @Override
        public Optional<Slot<List<UnitReader.Reading>>> produces() {
            return Optional.of(read);
        }

        @Override
        public List<UnitReader.Reading> apply(StepInputs in) throws Exception {
            List<UnitReader.Reading> readings;
            try (SubhostTree tree = SubhostTree.open(live)) {
                readings = StartServices.read(tree, start, preferUnits, supervise, serviceLimit);
            }
            for (UnitReader.Reading r : readings) {
                r.warnings().forEach(in.log()::warning);
                r.spec().filter(s -> s.kind() == ServiceSpec.Kind.UNIT)
                        .ifPresent(s -> in.log().line("service " + r.name() + ": the unit " + s.source()
                                + " (Type=" + s.type().name().toLowerCase(java.util.Locale.ROOT) + ")"));
            }
            ServiceTable.encode(readings); // refuses a table too large for pid 1 now, not in pid 1
            return readings;
        }
    }

    /**
     * The host's {@code /dev/null} and LOG, opened for appending: input and output of the
     * commands that a boot runs before pid 1 ({@link RunHook}, {@code ifup} and {@code
     * ifdown} of {@link NetnsCable.ConnectHostEnd}), and the relay's output.
     *
     * @param devNull the host's {@code /dev/null}, read and write
     * @param log LOG, for appending
     */
    record CommandIo(Descriptor devNull, Descriptor log) {}

    /**
     * The init that pid 1 runs: the built-in one, which starts {@code services}, each
     * within {@code serviceLimit}; or {@code script}, what the user's INIT printed, which
     * may exec an init system as its last command.
     *
     * @param script the init script; empty for the built-in init
     * @param services the services that the built-in init starts, in order (START)
     * @param serviceLimit the time limit of each service's start in the built-in init; zero
     *     for a script
     * @param initSystem the init system that the script execs last ({@link InitSystem#of})
     * @param hostMachineId the host's machine id, read before the root switch when an init
     *     system is pid 1; empty otherwise
     */
    record InitProgram(Optional<String> script, List<String> services, Duration serviceLimit,
            Optional<String> initSystem, String hostMachineId) {
        InitProgram {
            services = List.copyOf(services);
        }

        /** The built-in init, which starts {@code services}. */
        static InitProgram builtIn(List<String> services, Duration serviceLimit) {
            return new InitProgram(Optional.empty(), services, serviceLimit, Optional.empty(), "");
        }

        /** The init script {@code script}, which may exec {@code initSystem}. */
        static InitProgram script(String script, Optional<String> initSystem, String hostMachineId) {
            return new InitProgram(Optional.of(script), List.of(), Duration.ZERO, initSystem, hostMachineId);
        }
    }

    /**
     * What {@link PrepareInit} opened and decided, each part for the steps that read it:
     * {@code io} for the hooks and {@code ifup}, {@code relay} for pid 1's output, {@code
     * program} and {@code groups} for pid 1.
     *
     * @param io the host's {@code /dev/null} and LOG
     * @param relay the log relay and the write ends of its pipes
     * @param program the init
     * @param groups the subhost's control groups, opened here on the host for pid 1 to be born in
     */
    record PreparedInit(CommandIo io, LogRelay.Ends relay, InitProgram program, BirthGroups groups) {}

    /**
     * Opens LOG and {@code /dev/null} for the hooks, starts the log relay that pid 1's output
     * and service states go through ({@link LogRelay}), and decides the init: the built-in
     * one (pid 1 starts START's services itself), or the script that the user's INIT command
     * prints (run now, on the host, with {@code CONFIG} and {@code ACTION} set), and opens
     * the subhost's control groups ({@code groups}, made by now) for the relay and pid 1 to be
     * born in ({@link BirthGroups}). All of it goes to {@code prepared}. Undo: the descriptors
     * are closed, and the relay, which ends once every writer has closed its pipe, is waited
     * for.
     */
    record PrepareInit(String name, Path log, Optional<String> initCommand, List<String> services,
            Map<String, String> env, Path base, Duration hookLimit, Duration serviceLimit, long logMax,
            SubhostGroups groups, Slot<PreparedInit> prepared) implements BootStep.OnHost<PreparedInit> {
        PrepareInit {
            services = List.copyOf(services);
            env = Map.copyOf(env);
        }

        @Override
        public String describe() {
            return "open LOG " + log + " (at most " + LogFile.sizeText(logMax) + ", and as much in " + log.getFileName()
                    + ".1); init script: "
                    + initCommand.map(c -> InitSystem.ofCommand(c)
                            .map(p -> "init system " + p + " as pid 1 (INIT " + c + "; confined at the admin level,"
                                    + " which keeps CAP_SYS_ADMIN; stopped with " + InitSystem.signalName(
                                            InitSystem.stopSignal(p)) + ")")
                            .orElse("the output of INIT (" + c + ")"))
                            .orElse(services.isEmpty() ? "built-in, no services" : "built-in, START " + String.join(" ", services))
                    + relayGroups();
        }

        /** Where the log relay is born, for the plan: its groups ({@link SubhostGroups#relayDirectories()}). */
        private String relayGroups() {
            List<Path> dirs = groups.relayDirectories();
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < dirs.size(); i++) {
                b.append(i == 0 ? "; the log relay born in control groups " : ", ").append(dirs.get(i));
            }
            return b.toString();
        }

        @Override
        public Optional<Slot<PreparedInit>> produces() {
            return Optional.of(prepared);
        }

        @Override
        public PreparedInit apply(StepInputs in) throws Exception {
            Descriptor logFd = new Descriptor(LogFile.openForAppend(log));
            Descriptor devNull = null;
            BirthGroups pid1Groups = null;
            try {
                devNull = new Descriptor(Fds.open("/dev/null", Fds.O_RDWR | Fds.O_CLOEXEC));
                CommandIo io = new CommandIo(devNull, logFd);
                InitProgram program = initCommand.isEmpty() ? InitProgram.builtIn(services, serviceLimit)
                        : runInit(in, io);
                pid1Groups = BirthGroups.open(groups, groups.directories());
                // Last: a step that fails is not undone, and the relay would wait for nothing.
                LogRelay.Ends relay;
                try (BirthGroups relayGroups = BirthGroups.open(groups, groups.relayDirectories())) {
                    relay = LogRelay.start(in.store().root().resolve(name), name, logFd.fd(), log, logMax, relayGroups);
                }
                return new PreparedInit(io, relay, program, pid1Groups);
            } catch (Exception | Error e) {
                // Failed: no undo or release will close them.
                logFd.close();
                if (devNull != null) {
                    devNull.close();
                }
                if (pid1Groups != null) {
                    pid1Groups.close();
                }
                throw e;
            }
        }

        /** Runs INIT, whose output is the init script. */
        private InitProgram runInit(StepInputs in, CommandIo io) throws IOException {
            Commands.Captured captured = Commands.capture(List.of("/bin/sh", "-c", initCommand.get()),
                    Commands.environment(env), base.toString(), io.devNull().fd(), io.log().fd(), hookLimit);
            if (captured.outcome().status() != 0) {
                throw new IOException(Commands.failure("INIT", initCommand.get(), captured.outcome(), hookLimit));
            }
            if (captured.stdout().isBlank()) {
                throw new IOException("INIT (" + initCommand.get() + ") printed no script");
            }
            String script = captured.stdout();
            Optional<String> initSystem = InitSystem.of(script);
            String hostMachineId = "";
            if (initSystem.isPresent()) {
                hostMachineId = InitSystem.hostMachineId();
                in.log().line("the init script execs " + initSystem.get()
                        + ": pid 1 execs the script, and the init system becomes pid 1");
            }
            return InitProgram.script(script, initSystem, hostMachineId);
        }

        @Override
        public void undo(PreparedInit done, StepInputs in) {
            // The relay ends once pid 1 (if it ran) and we have closed these.
            release(done);
            try {
                LogRelay.awaitEnd(in.store().root().resolve(name), Duration.ofSeconds(5));
            } catch (Exception e) {
                // No services file to wait on: no relay.
            }
        }

        @Override
        public void release(PreparedInit done) {
            done.io().log().close();
            done.io().devNull().close();
            done.groups().close();
            // Closed already when pid 1 was spawned: it holds its own copies.
            done.relay().output().close();
            done.relay().status().close();
            // Its first process, reaped by now unless the boot failed before anyone asked.
            done.relay().started().reap();
        }
    }

    /**
     * The namespace thread waits for what the caller's thread prepares alongside it ({@link
     * PrepareInit}, into {@code made}): pid 1's spawn, the next step, needs the relay's pipe
     * ends and the init. It hands them on in {@code here}; they stay the maker's to undo and
     * close. When the caller's thread ends without them (a step of it failed), the wait ends
     * and this step fails, so the namespace thread never waits for a boot that has failed.
     *
     * @param made what {@link PrepareInit} produces on the caller's thread
     * @param here the same, for the namespace steps after this one
     */
    record AwaitPrepared(Slot<PreparedInit> made, Slot<PreparedInit> here) implements BootStep.InNamespace<PreparedInit> {
        /** How long the namespace thread waits: as long as the caller's thread waits for the network namespace. */
        static final Duration LIMIT = NetnsCable.AwaitNetns.LIMIT;

        @Override
        public String describe() {
            return "the log relay and the init, once the caller's thread made them";
        }

        @Override
        public List<Slot<?>> awaits() {
            return List.of(made);
        }

        @Override
        public Optional<Slot<PreparedInit>> produces() {
            return Optional.of(here);
        }

        @Override
        public PreparedInit apply(StepInputs in) throws Exception {
            Optional<PreparedInit> prepared;
            try {
                prepared = in.await(made, LIMIT);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new IOException("the log relay and the init were not made within " + LIMIT.toSeconds() + " s");
            }
            // No lambda here: this runs after pivot_root, where a class of ours cannot be loaded.
            if (prepared.isEmpty()) {
                throw new IllegalStateException("the log relay and the init were not made: the boot failed elsewhere");
            }
            return prepared.get();
        }
    }

    /**
     * Ends pid 1: SIGTERM, which it passes on to every process of the subhost and follows
     * with SIGKILL after {@code grace}; then SIGKILL from here if it is still there after
     * {@code grace} and a second more. Returns when it is gone. Its exit status, when we are
     * its parent, is 128 + signal for a signal, as a shell reports it.
     *
     * <p>The SIGTERM carries {@code grace} in whole seconds as its value (SI_QUEUE, {@link
     * Pidfd#sendSignal(int, int)}): pid 1 takes it in place of the grace it was started
     * with, so that its deadline and ours are one (subhost-init.c).
     */
    static void terminate(Pidfd pid1, Duration grace) throws SyscallException {
        terminate(pid1, Signals.SIGTERM, grace);
    }

    /**
     * Ends pid 1 as {@link #terminate(Pidfd, Duration)} does, asking with {@code signal}
     * first: an init system as pid 1 shuts the subhost down on its own signal
     * ({@link InitSystem#stopSignal}) and exits, within {@code grace} or else SIGKILL.
     */
    static void terminate(Pidfd pid1, int signal, Duration grace) throws SyscallException {
        if (pid1.isAlive()) {
            if (signal == Signals.SIGTERM) {
                pid1.sendSignal(signal, (int) Math.min(grace.toSeconds(), SubhostConfig.MAX_TIMEOUT.toSeconds()));
            } else {
                pid1.sendSignal(signal); // an init system's own signal, which has its own deadlines
            }
            if (!pid1.awaitTermination(grace.plusSeconds(1))) {
                pid1.sendSignal(Signals.SIGKILL);
                if (!pid1.awaitTermination(Duration.ofSeconds(10))) {
                    throw new SyscallException("pidfd_send_signal", "pid " + pid1.pid() + ", SIGKILL", Errno.ETIMEDOUT,
                            "pid 1 did not end within 10 s of SIGKILL");
                }
            }
        }
        reapIfOurs(pid1);
    }

    /**
     * Collects the exit status of pid 1 when this process is its parent (it booted the
     * subhost), so that no zombie stays; ECHILD means another process is its parent.
     */
    static void reapIfOurs(Pidfd pid1) {
        try {
            pid1.awaitExit(Duration.ZERO);
        } catch (SyscallException e) {
            // ECHILD: pid 1 is not our child; its parent (or the host's init) reaps it.
        }
    }
}
