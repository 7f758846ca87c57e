package org.subhost.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.subhost.SubhostStatus;
import org.subhost.linux.Fds;
import org.subhost.linux.Flock;
import org.subhost.linux.Redirect;
import org.subhost.linux.Spawn;
import org.subhost.linux.SyscallException;

/**
 * The host side of a subhost's output: subhost-init's log relay mode ({@code
 * src/main/c/relay.c}), one small process per subhost in the host's namespaces, started
 * from the SDK's own copy of the program before pid 1. pid 1's output (and so every
 * service's) goes into a pipe that the relay copies to LOG, and pid 1's service states
 * into a second pipe that the relay copies to {@code /run/subhost/NAME/services}. So no
 * process of the subhost holds LOG or any other file of the host, and the states that
 * status shows come from a channel that only pid 1 writes, never from LOG, where any
 * process of the subhost can write a line that looks like pid 1's.
 *
 * <p>The relay ends by itself once every process of the subhost has closed the pipes, that
 * is when the subhost has ended; no JVM stays behind. It forks once at its start, so that
 * we reap its first process at once and it never waits as a zombie of ours.
 */
final class LogRelay {
    /** The file of service states, in the subhost's state directory. */
    static final String SERVICES = "services";
    /** The most bytes of the services file that status reads (the relay writes no more). */
    static final int SERVICES_LIMIT = 65536;
    /** The relay's first descriptor of its control groups ({@link BirthGroups}), after its own 3 to 8. */
    private static final int GROUPS_FD = 9;

    private LogRelay() {}

    /**
     * The relay of one boot, started: the write ends of its pipes, for pid 1 (its output,
     * and its service states), and its start ({@link Started}), which gives the relay's pid.
     *
     * @param output the write end of the pipe to LOG: pid 1's standard output and error
     * @param status the write end of the status channel: pid 1's service states
     * @param started the relay's start, until its pid is known
     */
    record Ends(Descriptor output, Descriptor status, Started started) {}

    /**
     * The start of a relay: its first process, which clones the relay into its control
     * groups ({@link BirthGroups}), writes the relay's pid to a pipe and exits. It is waited
     * for where the pid is needed, not where the relay is started: before pid 1's spawn
     * ({@link NamespaceSpawner.StartPid1}), and at the latest when the boot's descriptors are
     * released; by then the first process has long ended. So the caller's thread goes on
     * with the cables while the relay starts on the other core. Whoever comes first waits
     * and reaps; the others get its answer.
     */
    static final class Started {
        private final int first;
        private final Descriptor pidPipe;
        private final Path log;
        /** The groups it was to be born in, for the message of a refusal (their descriptors are closed by then). */
        private final BirthGroups groups;
        private boolean known;
        private int pid;
        private String failure;

        Started(int first, Descriptor pidPipe, Path log, BirthGroups groups) {
            this.first = first;
            this.pidPipe = pidPipe;
            this.log = log;
            this.groups = groups;
        }

        /**
         * The relay's pid, once its first process has ended (reaped here, by the first caller).
         *
         * @throws IOException when the first process failed or said no pid
         */
        synchronized int pid() throws IOException {
            if (!known) {
                known = true;
                try {
                    String said = BirthGroups.readReport(pidPipe.fd());
                    int exit = Spawn.waitFor(first);
                    int relay = groups.bornPid(said, GROUPS_FD, "the log relay");
                    if (exit != 0 || relay <= 0) {
                        failure = "the log relay (subhost-init --log-relay) exited with status " + exit + "; see LOG "
                                + log;
                    } else {
                        pid = relay;
                    }
                } catch (SyscallException e) {
                    failure = "the log relay (subhost-init --log-relay) could not be waited for: " + e.getMessage();
                } catch (IOException e) {
                    // A group refused the relay: the message names it.
                    failure = e.getMessage();
                } finally {
                    pidPipe.close();
                }
            }
            if (failure != null) {
                throw new IOException(failure);
            }
            return pid;
        }

        /** Reaps the first process if no one has: for a boot that ends before anyone asked. */
        void reap() {
            try {
                pid();
            } catch (IOException e) {
                // The boot has ended; its failure, if any, was told by its own step.
            }
        }
    }

    /**
     * Starts the relay for {@code name}, whose state directory is {@code stateDir}: the
     * pipes, the services file (made anew, mode 0600), the relay with the read ends, LOG
     * ({@code logFd}, the file {@code log}), what it needs to keep LOG within {@code logMax}
     * bytes ({@link LogFile#openRotation}) and the services file; the relay is born in
     * {@code groups}. Returns the write ends and the relay's start, whose end it does not
     * wait for ({@link Started}).
     */
    static Ends start(Path stateDir, String name, int logFd, Path log, long logMax, BirthGroups groups)
            throws IOException, SyscallException {
        Path services = stateDir.resolve(SERVICES);
        int[] output = Fds.pipe2(Fds.O_CLOEXEC);
        int[] status = null;
        int[] pid = null;
        int file = -1;
        LogFile.Rotation rotation = null;
        try {
            rotation = LogFile.openRotation(log, logFd);
            status = Fds.pipe2(Fds.O_CLOEXEC);
            pid = Fds.pipe2(Fds.O_CLOEXEC);
            file = Fds.open(services.toString(), Fds.O_WRONLY | Fds.O_CREAT | Fds.O_TRUNC | Fds.O_NOFOLLOW
                    | Fds.O_CLOEXEC, 0600);
            // Held by the relay's copy of this descriptor until it exits: see awaitEnd.
            Flock.flock(file, Flock.LOCK_EX);
            Spawn.Builder spawn = Spawn.program(Path.of("/proc/self/fd/5"));
            List<String> args = new ArrayList<>(List.of("--log-relay", "--name", name, "--status-fd", "3",
                    "--status-file-fd", "4", "--pid-fd", "6", "--log-max", Long.toString(logMax), "--rotated-fd", "7",
                    "--log-dir-fd", "8", "--log-file", rotation.name()));
            args.addAll(groups.passTo(spawn, GROUPS_FD));
            int first = spawn
                    .argv0("subhost-init")
                    .args(args)
                    .env(NamespaceSpawner.BASE_ENV)
                    .cwd(Path.of("/"))
                    .stdin(Redirect.fd(output[0]))
                    .stdout(Redirect.fd(logFd))
                    .stderr(Redirect.fd(logFd))
                    .keepFd(status[0], 3)
                    .keepFd(file, 4)
                    .keepFd(SdkProgram.memfd(), 5)
                    .keepFd(pid[1], 6)
                    .keepFd(rotation.rotated().fd(), 7)
                    .keepFd(rotation.directory().fd(), 8)
                    .newSession()
                    .spawn();
            Ends ends = new Ends(new Descriptor(output[1]), new Descriptor(status[1]),
                    new Started(first, new Descriptor(pid[0]), log, groups));
            output[1] = -1;
            status[1] = -1;
            pid[0] = -1;
            return ends;
        } finally {
            Descriptor.closeQuietly(output[0]);
            Descriptor.closeQuietly(output[1]);
            if (status != null) {
                Descriptor.closeQuietly(status[0]);
                Descriptor.closeQuietly(status[1]);
            }
            if (pid != null) {
                Descriptor.closeQuietly(pid[0]);
                Descriptor.closeQuietly(pid[1]);
            }
            Descriptor.closeQuietly(file);
            if (rotation != null) {
                rotation.close();
            }
        }
    }

    /**
     * Waits until the relay of the subhost whose state directory is {@code stateDir} has
     * ended, at most {@code limit}: it holds an exclusive lock on its services file until it
     * exits, which it does once every process of the subhost has closed its pipes.
     *
     * @return false when it still runs after {@code limit}
     */
    static boolean awaitEnd(Path stateDir, Duration limit) throws SyscallException, InterruptedException {
        int fd;
        try {
            fd = Fds.open(stateDir.resolve(SERVICES).toString(), Fds.O_RDONLY | Fds.O_NOFOLLOW | Fds.O_CLOEXEC);
        } catch (SyscallException e) {
            return true; // no services file: no relay was started
        }
        try {
            long deadline = System.nanoTime() + limit.toNanos();
            while (!Flock.tryLockExclusive(fd)) {
                if (System.nanoTime() > deadline) {
                    return false;
                }
                Thread.sleep(5);
            }
            return true;
        } finally {
            Descriptor.closeQuietly(fd);
        }
    }

    /**
     * The last state that pid 1 told for each of {@code services} ({@code started},
     * {@code failed (status N)}, {@code timed out (killed after N s)}),
     * {@code unknown} for one it has told nothing of, from {@code stateDir/services}.
     */
    static List<SubhostStatus.ServiceStatus> serviceStates(Path stateDir, List<String> services) {
        Map<String, String> states = new TreeMap<>();
        for (String line : statusLines(stateDir)) {
            int space = line.indexOf(' ');
            if (space > 0) {
                states.put(line.substring(0, space), line.substring(space + 1));
            }
        }
        List<SubhostStatus.ServiceStatus> out = new ArrayList<>();
        for (String service : services) {
            out.add(serviceStatus(service, states.getOrDefault(service, "unknown")));
        }
        return out;
    }

    private static final java.util.regex.Pattern PID = java.util.regex.Pattern.compile("[(, ]pid ([0-9]{1,9})[,)]");
    private static final java.util.regex.Pattern RESTARTS = java.util.regex.Pattern
            .compile("[(, ;]restarts ([0-9]{1,9})\\)");

    /** The lines of {@code stateDir/services}, at most {@link #SERVICES_LIMIT} bytes; none without the file. */
    private static List<String> statusLines(Path stateDir) {
        try (FileChannel channel = FileChannel.open(stateDir.resolve(SERVICES), StandardOpenOption.READ,
                java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer buffer = ByteBuffer.allocate(SERVICES_LIMIT);
            while (buffer.hasRemaining() && channel.read(buffer) > 0) {
                // up to the limit
            }
            return List.of(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8).split("\n"));
        } catch (IOException e) {
            // No file (a subhost booted before this version, or with INIT): every state unknown.
            return List.of();
        }
    }

    /**
     * The START services that pid 1 runs as systemd units: those it said {@code starting (unit
     * FILE)} of on its status channel. Empty without a services file.
     */
    static java.util.Set<String> unitServices(Path stateDir) {
        java.util.Set<String> units = new java.util.HashSet<>();
        for (String line : statusLines(stateDir)) {
            int space = line.indexOf(' ');
            if (space > 0 && line.startsWith("starting (unit ", space + 1)) {
                units.add(line.substring(0, space));
            }
        }
        return units;
    }

    /** A state line's main pid (while running) and restarts, as services.c writes them. */
    static SubhostStatus.ServiceStatus serviceStatus(String service, String state) {
        java.util.regex.Matcher pid = PID.matcher(state);
        java.util.regex.Matcher restarts = RESTARTS.matcher(state);
        return new SubhostStatus.ServiceStatus(service, state,
                state.startsWith("running ") && pid.find() ? java.util.OptionalInt.of(Integer.parseInt(pid.group(1)))
                        : java.util.OptionalInt.empty(),
                restarts.find() ? Integer.parseInt(restarts.group(1)) : 0);
    }
}
