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
    record WriteInterfaces(Path upper, List<String> interfaces) implements BootStep.InNamespace {
        WriteInterfaces {
            interfaces = List.copyOf(interfaces);
        }

        static WriteInterfaces of(SubhostConfig config) {
            return new WriteInterfaces(config.upper(), config.veths().stream().map(VethCable::subhostName).toList());
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
         * Writes the file unless an entry of its name is there. The path is resolved inside
         * UPPER ({@link SubhostTree}): a symbolic link planted on {@code etc/network} leads
         * somewhere inside the subhost, never into the host's directories.
         */
        @Override
        public void apply(BootContext context) throws Exception {
            try (SubhostTree tree = SubhostTree.open(upper)) {
                if (tree.exists(RELATIVE)
                        || !tree.createFile(RELATIVE, text().getBytes(StandardCharsets.UTF_8), 0644)) {
                    context.log.line(file() + " exists; left as it is");
                    return;
                }
            }
            context.wroteInterfaces = true;
        }

        @Override
        public void undo(BootContext context) throws Exception {
            if (context.wroteInterfaces) {
                try (SubhostTree tree = SubhostTree.open(upper)) {
                    tree.remove(RELATIVE);
                }
            }
        }
    }

    /**
     * A PREMOUNT or POSTMOUNT command of the user, which replaces the built-in step: run by
     * sh with the given arguments appended, {@code CONFIG} in its environment, BASE as its
     * working directory, its output in LOG; a status other than 0 fails the boot.
     */
    record RunHook(String variable, String command, List<String> args, Map<String, String> env, Path base,
            Duration limit) implements BootStep.InNamespace {
        RunHook {
            args = List.copyOf(args);
            env = Map.copyOf(env);
        }

        @Override
        public String describe() {
            return variable + ": " + command + (args.isEmpty() ? "" : " " + String.join(" ", args));
        }

        @Override
        public void apply(BootContext context) throws Exception {
            List<String> argv = new ArrayList<>(List.of("/bin/sh", "-c", command + " \"$@\"", variable));
            argv.addAll(args);
            Commands.Outcome outcome = Commands.run(argv, Commands.environment(env), base.toString(),
                    context.devNullFd, context.logFd, context.logFd, limit);
            if (outcome.status() != 0) {
                throw new IOException(Commands.failure(variable, command, outcome, limit)
                        + "; its output is in " + context.config.log());
            }
        }
    }

    /**
     * Opens LOG and {@code /dev/null} for the hooks, starts the log relay that pid 1's output
     * and service states go through ({@link LogRelay}), and decides the init: the built-in
     * one (pid 1 starts START's services itself), or the script that the user's INIT command
     * prints (run now, on the host, with {@code CONFIG} and {@code ACTION} set).
     */
    record PrepareInit(String name, Path log, Optional<String> initCommand, List<String> services,
            Map<String, String> env, Path base, Duration hookLimit, Duration serviceLimit) implements BootStep.OnHost {
        PrepareInit {
            services = List.copyOf(services);
            env = Map.copyOf(env);
        }

        @Override
        public String describe() {
            return "open LOG " + log + "; init script: "
                    + initCommand.map(c -> InitSystem.ofCommand(c)
                            .map(p -> "init system " + p + " as pid 1 (INIT " + c + "; confined at the admin level,"
                                    + " which keeps CAP_SYS_ADMIN; stopped with " + InitSystem.signalName(
                                            InitSystem.stopSignal(p)) + ")")
                            .orElse("the output of INIT (" + c + ")"))
                            .orElse(services.isEmpty() ? "built-in, no services" : "built-in, START " + String.join(" ", services));
        }

        @Override
        public void apply(BootContext context) throws Exception {
            context.logFd = LogFile.openForAppend(log);
            context.devNullFd = Fds.open("/dev/null", Fds.O_RDWR | Fds.O_CLOEXEC);
            if (initCommand.isEmpty()) {
                context.initScript = null;
                context.services = services;
                context.serviceLimit = serviceLimit;
                LogRelay.start(context, name);
                return;
            }
            Commands.Captured captured = Commands.capture(List.of("/bin/sh", "-c", initCommand.get()),
                    Commands.environment(env), base.toString(), context.devNullFd, context.logFd, hookLimit);
            if (captured.outcome().status() != 0) {
                throw new IOException(Commands.failure("INIT", initCommand.get(), captured.outcome(), hookLimit));
            }
            if (captured.stdout().isBlank()) {
                throw new IOException("INIT (" + initCommand.get() + ") printed no script");
            }
            context.initScript = captured.stdout();
            context.initSystem = InitSystem.of(context.initScript);
            if (context.initSystem.isPresent()) {
                context.hostMachineId = InitSystem.hostMachineId();
                context.log.line("the init script execs " + context.initSystem.get()
                        + ": pid 1 execs the script, and the init system becomes pid 1");
            }
            // Last: a step that fails is not undone, and the relay would wait for nothing.
            LogRelay.start(context, name);
        }

        @Override
        public void undo(BootContext context) {
            Descriptor.closeQuietly(context.logFd);
            Descriptor.closeQuietly(context.devNullFd);
            // The relay ends once pid 1 (if it ran) and we have closed these.
            Descriptor.closeQuietly(context.outputFd);
            Descriptor.closeQuietly(context.statusFd);
            context.logFd = context.devNullFd = context.outputFd = context.statusFd = -1;
            try {
                LogRelay.awaitEnd(context.store.root().resolve(name), Duration.ofSeconds(5));
            } catch (Exception e) {
                // No services file to wait on: no relay.
            }
        }
    }

    /**
     * Ends pid 1: SIGTERM, which it passes on to every process of the subhost and follows
     * with SIGKILL after its own grace; then SIGKILL from here if it is still there after
     * {@code grace} and a second more. Returns when it is gone. Its exit status, when we are
     * its parent, is 128 + signal for a signal, as a shell reports it.
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
            pid1.sendSignal(signal);
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
