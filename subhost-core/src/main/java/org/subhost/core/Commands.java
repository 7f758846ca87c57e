package org.subhost.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.subhost.linux.Fds;
import org.subhost.linux.Pidfd;
import org.subhost.linux.Redirect;
import org.subhost.linux.Signals;
import org.subhost.linux.Spawn;
import org.subhost.linux.SyscallException;

/**
 * Runs the programs that a user asked for (PREMOUNT, POSTMOUNT and INIT commands, {@code
 * ifup}, services' stop scripts, commands inside a subhost) with a time limit, in the
 * calling thread's namespaces, root and working directory.
 *
 * <p>Each program runs in a session of its own (so that a time-out kills its whole process
 * group, not only its leader), with {@code /dev/null} as input and no descriptor of ours
 * beyond 0-2.
 */
final class Commands {
    private Commands() {}

    /** A program's end: its exit status (128 + signal when killed), or a time-out. */
    record Outcome(int status, boolean timedOut) {}

    /**
     * Runs {@code argv} with its output (and errors) appended to {@code outFd}, and waits at
     * most {@code limit}; after that its process group is killed.
     */
    static Outcome run(List<String> argv, Map<String, String> env, String cwd, int inFd, int outFd, int errFd,
            Duration limit) throws SyscallException {
        int pid = spawner(argv)
                .env(env)
                .cwd(Path.of(cwd))
                .stdin(Redirect.fd(inFd))
                .stdout(Redirect.fd(outFd))
                .stderr(Redirect.fd(errFd))
                .newSession()
                .spawn();
        return await(pid, limit);
    }

    /**
     * A spawn of {@code argv}: the program itself when it has a slash, else looked up in
     * {@code PATH} (posix_spawnp).
     */
    static Spawn.Builder spawner(List<String> argv) {
        String program = argv.getFirst();
        Spawn.Builder builder = program.contains("/") ? Spawn.program(Path.of(program)) : Spawn.command(program);
        return builder.args(argv.subList(1, argv.size()));
    }

    /** Waits for our child {@code pid} at most {@code limit}, then kills its process group. */
    static Outcome await(int pid, Duration limit) throws SyscallException {
        try (Pidfd pidfd = Pidfd.open(pid)) {
            OptionalInt status = pidfd.awaitExit(limit);
            if (status.isPresent()) {
                return new Outcome(status.getAsInt(), false);
            }
            killGroup(pid);
            return new Outcome(pidfd.awaitExit(Duration.ofSeconds(5)).orElse(128 + Signals.SIGKILL), true);
        }
    }

    /** SIGKILL to the process group {@code pgid}; a group that is already gone is fine. */
    static void killGroup(int pgid) {
        try {
            Signals.kill(-pgid, Signals.SIGKILL);
        } catch (SyscallException e) {
            // ESRCH: the group ended on its own meanwhile.
        }
    }

    /**
     * Runs {@code argv} and returns what it printed on its standard output (decoded as
     * UTF-8) with its exit status; its errors go to {@code errFd}.
     */
    static Captured capture(List<String> argv, Map<String, String> env, String cwd, int inFd, int errFd,
            Duration limit) throws IOException {
        Path out = Files.createTempFile("subhost-", ".out");
        try {
            int outFd = Fds.open(out.toString(), Fds.O_WRONLY | Fds.O_CLOEXEC);
            Outcome outcome;
            try {
                outcome = run(argv, env, cwd, inFd, outFd, errFd, limit);
            } finally {
                Fds.close(outFd);
            }
            return new Captured(outcome, Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** An {@link Outcome} with the standard output. */
    record Captured(Outcome outcome, String stdout) {}

    /** The message for a program that failed: {@code WHAT (COMMAND) exited with status N}. */
    static String failure(String what, String command, Outcome outcome, Duration limit) {
        if (outcome.timedOut()) {
            return what + " (" + command + ") did not finish within " + limit.toSeconds() + " s and was killed";
        }
        return what + " (" + command + ") exited with status " + outcome.status();
    }

    /** The environment for a user's command: ours, plus the given variables. */
    static Map<String, String> environment(Map<String, String> extra) {
        Map<String, String> env = new java.util.TreeMap<>(System.getenv());
        env.putAll(extra);
        env.putIfAbsent("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        return env;
    }
}
