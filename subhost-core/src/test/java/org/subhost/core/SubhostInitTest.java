package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tests of subhost-init, pid 1 of a subhost, from the outside (like tini's tests): the binary
 * built into the class path runs as pid 1 of a new pid namespace, the test looks at what its
 * script prints, at its log lines, its exit status and, through the host's {@code /proc}, at
 * the processes left.
 *
 * <p>Until the SDK spawns it itself, the util-linux {@code unshare} program is the harness
 * that makes the pid, mount, uts and ipc namespaces (the mount namespace keeps the proc mount
 * off the host). These tests need root; without root they are skipped, as root never.
 */
class SubhostInitTest {
    private static final String USAGE_TEXT = "usage: subhost-init [--timens]"
            + " [--sync-fd N] [--ready-fd N] [--grace SECONDS] [--name NAME] [--caps HEX] [--seccomp on|off] [--files on|off]"
            + " [--status-fd N] [--exec] [--notify-socket @NAME] [--control-fd N] {--service-limit SECONDS [--service S... | --services-fd N] | --script-fd N | -- PROGRAM [ARGS...]},"
            + " or subhost-init --limit SECONDS"
            + " [--name NAME] -- PROGRAM [ARGS...]";
    private static final String USAGE = "bad command line; " + USAGE_TEXT;
    /** A bound on every wait, so that a broken reaper fails the test instead of hanging it. */
    private static final long GUARD_MILLIS = 30_000;

    @TempDir
    Path tmp;

    private final String marker = String.valueOf(ThreadLocalRandom.current().nextInt(100_000, 1_000_000));
    /** The test's own NAME; also in every command line of the test's processes, to find leftovers. */
    private final String name = "sht" + marker;
    /** A long sleep that only this test runs: {@code sleep 1000.MARKER}. */
    private final String sleeper = "sleep 1000." + marker;
    private Path log;
    private Process harness;

    @BeforeEach
    void createLog() {
        log = tmp.resolve("subhost.log");
    }

    @AfterEach
    void killEverythingLeft() throws Exception {
        try {
            if (harness != null && harness.isAlive()) {
                // SIGKILL to pid 1 of a pid namespace kills every process in it; unshare then
                // reaps pid 1 and exits. Killing unshare first would leave pid 1's zombie to init.
                harness.toHandle().children().forEach(ProcessHandle::destroyForcibly);
                if (!harness.waitFor(GUARD_MILLIS, TimeUnit.MILLISECONDS)) {
                    harness.destroyForcibly().waitFor();
                }
            }
        } finally {
            awaitCondition("no process of the test left", () -> processesOfThisTest().isEmpty());
        }
    }

    @Test
    void mountsProcShowingOnlyItsOwnPidNamespace() throws Exception {
        String script = "for p in /proc/[0-9]*; do cat $p/comm; done; tr '\\0' ' ' </proc/1/cmdline; echo";
        startInNewNamespaces(List.of("--timens", "--name", name), script);

        awaitLogLine(prefix() + "no service running; keeping the subhost alive");
        assertThat(logLines()).containsExactly(
                "subhost-init",
                "sh",
                binary() + " --timens --name " + name + " -- /bin/sh -c " + script + " ",
                prefix() + "init script exited with status 0",
                prefix() + "no service running; keeping the subhost alive");
    }

    @Test
    void isPidOneAndTheScriptIsItsFirstChildInANewSession() throws Exception {
        startInNewNamespaces(List.of("--name", name),
                "echo \"script $$ parent $PPID session $(cut -d' ' -f6 /proc/$$/stat)\"; cat /proc/1/comm");

        awaitLogLine(prefix() + "init script exited with status 0");
        assertThat(logLines()).startsWith("script 2 parent 1 session 2", "subhost-init");
    }

    @Test
    void timensPutsPidOneAndItsChildrenIntoANewTimeNamespace() throws Exception {
        startInNewNamespaces(List.of("--timens", "--name", name),
                "readlink /proc/self/ns/time; readlink /proc/1/ns/time");

        awaitLogLine(prefix() + "init script exited with status 0");
        List<String> lines = logLines();
        String scripts = lines.get(0);
        assertThat(scripts).startsWith("time:[").isNotEqualTo(hostTimeNamespace());
        assertThat(lines.get(1)).as("time namespace of pid 1").isEqualTo(scripts);
    }

    @Test
    void withoutTimensStaysInTheHostsTimeNamespace() throws Exception {
        startInNewNamespaces(List.of("--name", name), "readlink /proc/self/ns/time; readlink /proc/1/ns/time");

        awaitLogLine(prefix() + "init script exited with status 0");
        assertThat(logLines()).startsWith(hostTimeNamespace(), hostTimeNamespace());
    }

    @Test
    void reapsAnOrphanThatEnds() throws Exception {
        // The inner sh exits at once, so its sleep is orphaned to pid 1; the script then ends
        // it and waits (bounded) for its /proc entry, which a zombie keeps until it is reaped.
        startInNewNamespaces(List.of("--name", name), String.join("\n",
                "o=$(sh -c '" + sleeper + " >/dev/null 2>&1 & echo $!')",
                "echo \"orphan parent $(cut -d' ' -f4 /proc/$o/stat)\"",
                "kill $o",
                "i=0; while [ -e /proc/$o ] && [ $i -lt 1000 ]; do sleep 0.01; i=$((i+1)); done",
                "if [ -e /proc/$o ]; then echo \"orphan left in state $(cut -d' ' -f3 /proc/$o/stat)\";"
                        + " else echo 'orphan reaped'; fi"));

        awaitLogLine(prefix() + "no service running; keeping the subhost alive");
        assertThat(logLines()).containsExactly(
                "orphan parent 1",
                "orphan reaped",
                prefix() + "init script exited with status 0",
                prefix() + "no service running; keeping the subhost alive");
    }

    @Test
    void staysAliveWithoutZombiesAfterADoubleForkedProcessEnded() throws Exception {
        startInNewNamespaces(List.of("--name", name), "sh -c 'sleep 0.2 >/dev/null 2>&1 &'; exit 0");

        // waitpid reports ECHILD, hence the line, only once no child, zombie or not, is left.
        awaitLogLine(prefix() + "no service running; keeping the subhost alive");
        ProcessHandle reaper = reaper();
        assertThat(reaper.isAlive()).isTrue();
        assertThat(reaper.children()).isEmpty();
        assertThat(harness.isAlive()).isTrue();
    }

    @Test
    void sigtermStopsEveryProcessAndExitsZero() throws Exception {
        startInNewNamespaces(List.of("--name", name), sleeper + " >/dev/null 2>&1 & echo started");
        ProcessHandle sleep = awaitSleeper();
        awaitLogLine(prefix() + "init script exited with status 0");

        reaper().destroy(); // SIGTERM from the host

        assertThat(exitStatus()).isZero();
        assertThat(sleep.isAlive()).isFalse();
        assertThat(logLines()).containsExactly(
                "started",
                prefix() + "init script exited with status 0",
                prefix() + "SIGTERM received; sending SIGTERM to every process, SIGKILL after 5 s",
                prefix() + "stopped");
    }

    @Test
    void killsAfterTheGraceAProcessThatIgnoresSigterm() throws Exception {
        startInNewNamespaces(List.of("--grace", "1", "--name", name),
                "(trap '' TERM; exec " + sleeper + ") >/dev/null 2>&1 & echo started");
        // Once sleep runs, the trap is in place: an ignored signal stays ignored across exec.
        ProcessHandle sleep = awaitSleeper();
        awaitLogLine(prefix() + "init script exited with status 0");

        reaper().destroy();

        assertThat(exitStatus()).isZero();
        assertThat(sleep.isAlive()).isFalse();
        assertThat(logLines()).containsExactly(
                "started",
                prefix() + "init script exited with status 0",
                prefix() + "SIGTERM received; sending SIGTERM to every process, SIGKILL after 1 s",
                prefix() + "grace period (1 s) over; sent SIGKILL to the processes left",
                prefix() + "stopped");
    }

    /**
     * A stop hands pid 1 its grace: a SIGTERM queued from the host with a value (as
     * InitSupervisor.terminate sends it) sets the grace instead of --grace, so that a stop
     * with --grace 1 does not log one deadline and keep another.
     */
    @Test
    void aSigtermQueuedFromTheHostWithAGraceTakesThatGrace() throws Exception {
        startInNewNamespaces(List.of("--grace", "30", "--name", name),
                "(trap '' TERM; exec " + sleeper + ") >/dev/null 2>&1 & echo started");
        ProcessHandle sleep = awaitSleeper();
        awaitLogLine(prefix() + "init script exited with status 0");

        try (org.subhost.linux.Pidfd pid1 = org.subhost.linux.Pidfd.open((int) reaper().pid())) {
            pid1.sendSignal(org.subhost.linux.Signals.SIGTERM, 1);
        }

        assertThat(exitStatus()).isZero();
        assertThat(sleep.isAlive()).isFalse();
        assertThat(logLines()).containsExactly(
                "started",
                prefix() + "init script exited with status 0",
                prefix() + "SIGTERM received; sending SIGTERM to every process, SIGKILL after 1 s",
                prefix() + "grace period (1 s) over; sent SIGKILL to the processes left",
                prefix() + "stopped");
    }

    @Test
    void syncFdHoldsTheScriptBackUntilTheGoByte() throws Exception {
        startWithSyncPipe(List.of("--sync-fd", "3", "--name", name), "echo script runs; [ -e /proc/self/fd/3 ] && echo fd 3 open || echo fd 3 closed");
        ProcessHandle reaper = reaper();
        awaitCondition("pid 1 blocked reading the sync pipe (fd 3)", () -> blockedInRead(reaper, 3));
        assertThat(reaper.children()).isEmpty();
        assertThat(logLines()).isEmpty();

        try (OutputStream sync = harness.getOutputStream()) {
            sync.write('g');
        }

        awaitLogLine(prefix() + "no service running; keeping the subhost alive");
        assertThat(logLines()).containsExactly(
                "script runs",
                "fd 3 closed",
                prefix() + "init script exited with status 0",
                prefix() + "no service running; keeping the subhost alive");
    }

    @Test
    void readyFdSaysStartedOnceTheScriptIsForkedAndIsNotInherited() throws Exception {
        Path ready = tmp.resolve("ready");
        List<String> command = new ArrayList<>(
                List.of("/bin/sh", "-c", "f=$1; shift; exec \"$@\" 3<&0 4>\"$f\" </dev/null", "sh", ready.toString()));
        command.addAll(unshare());
        command.add(binary().toString());
        command.addAll(List.of("--sync-fd", "3", "--ready-fd", "4", "--name", name, "--", "/bin/sh", "-c",
                "[ -e /proc/self/fd/4 ] && echo fd 4 open || echo fd 4 closed"));
        harness = start(new ProcessBuilder(command));
        ProcessHandle reaper = reaper();
        awaitCondition("pid 1 blocked reading the sync pipe (fd 3)", () -> blockedInRead(reaper, 3));
        assertThat(Files.readString(ready)).isEmpty();

        try (OutputStream sync = harness.getOutputStream()) {
            sync.write('g');
        }

        awaitLogLine(prefix() + "no service running; keeping the subhost alive");
        assertThat(Files.readString(ready)).isEqualTo("s");
        assertThat(logLines()).containsExactly(
                "fd 4 closed",
                prefix() + "init script exited with status 0",
                prefix() + "no service running; keeping the subhost alive");
    }

    @Test
    void syncFdClosedWithoutGoAbortsTheBootWithStatusOne() throws Exception {
        startWithSyncPipe(List.of("--sync-fd", "3", "--name", name), "echo script runs");
        harness.getOutputStream().close();

        assertThat(exitStatus()).isEqualTo(1);
        assertThat(logLines()).containsExactly(
                prefix() + "boot aborted: the booting process closed sync fd 3 without a go");
    }

    @Test
    void syncFdWithAnotherByteAbortsTheBoot() throws Exception {
        startWithSyncPipe(List.of("--sync-fd", "3", "--name", name), "echo script runs");
        try (OutputStream sync = harness.getOutputStream()) {
            sync.write('x');
        }

        assertThat(exitStatus()).isEqualTo(1);
        assertThat(logLines()).containsExactly(prefix() + "read sync fd 3: unexpected byte 0x78 instead of 'g'");
    }

    @Test
    void logsTheExitStatusOfTheScriptUnderTheDefaultName() throws Exception {
        startInNewNamespaces(List.of(), "exit 3 # " + name);

        awaitLogLine("subhost-init[subhost]: no service running; keeping the subhost alive");
        assertThat(logLines()).containsExactly(
                "subhost-init[subhost]: init script exited with status 3",
                "subhost-init[subhost]: no service running; keeping the subhost alive");
    }

    @Test
    void reportsAProgramThatCannotBeExecutedAndStaysAlive() throws Exception {
        startInNewNamespaces(List.of("--name", name, "--", "/nonexistent/" + name));

        awaitLogLine(prefix() + "no service running; keeping the subhost alive");
        assertThat(logLines()).containsExactly(
                prefix() + "execvp /nonexistent/" + name + ": ENOENT (No such file or directory)",
                prefix() + "init script exited with status 127",
                prefix() + "no service running; keeping the subhost alive");
        assertThat(reaper().isAlive()).isTrue();
    }

    @Test
    void refusesToRunOutsideANewPidNamespace() throws Exception {
        // The check comes before any kernel work: safe, and meaningful, without root too.
        harness = start(new ProcessBuilder(binary().toString(), "--name", name, "--", "/bin/true"));

        assertThat(exitStatus()).isEqualTo(2);
        assertThat(logLines()).containsExactly(
                prefix() + "must be pid 1 of a new pid namespace (pid " + harness.pid() + ")");
    }

    @Test
    void rejectsAnUnknownOptionWithTheUsage() throws Exception {
        harness = start(new ProcessBuilder(binary().toString(), "--bogus", "--", "/bin/true"));

        assertThat(exitStatus()).isEqualTo(2);
        assertThat(logLines()).containsExactly(
                "subhost-init[subhost]: option (--bogus) is not known or lacks its value",
                "subhost-init[subhost]: " + USAGE);
    }

    @Test
    void rejectsAGraceThatIsNoNumber() throws Exception {
        harness = start(new ProcessBuilder(binary().toString(), "--name", name, "--grace", "5s", "--", "/bin/true"));

        assertThat(exitStatus()).isEqualTo(2);
        assertThat(logLines()).containsExactly(
                prefix() + "--grace (5s) must be a number from 0 to 86400",
                prefix() + USAGE);
    }

    @Test
    void rejectsAMissingProgram() throws Exception {
        harness = start(new ProcessBuilder(binary().toString(), "--name", name, "--"));

        assertThat(exitStatus()).isEqualTo(2);
        assertThat(logLines()).containsExactly(prefix() + "PROGRAM is missing after --; " + USAGE_TEXT);
    }

    // ---- --limit: the time limit the built-in init puts around each service's start ----

    @Test
    void limitPassesOnTheStatusOfACommandThatEndsInTime() throws Exception {
        harness = start(new ProcessBuilder(binary().toString(), "--name", name, "--limit", "30", "--", "/bin/sh", "-c",
                "echo started; exit 3"));

        assertThat(exitStatus()).isEqualTo(3);
        assertThat(logLines()).containsExactly("started");
    }

    @Test
    void limitKillsALateCommandWithItsWholeProcessGroupAndExits124() throws Exception {
        // A start that never ends, with a child of its own in its process group.
        long mark = 100_000 + java.util.concurrent.ThreadLocalRandom.current().nextLong(100_000);
        harness = start(new ProcessBuilder(binary().toString(), "--name", name, "--limit", "1", "--", "/bin/sh", "-c",
                "sleep " + mark + " & sleep " + (mark + 1)));

        assertThat(exitStatus()).isEqualTo(124);
        assertThat(logLines()).containsExactly(
                prefix() + "time limit (1 s) passed: killed /bin/sh and its process group");
        awaitCondition("no sleep " + mark + " left", () -> ProcessHandle.allProcesses()
                .noneMatch(p -> p.info().arguments().map(a -> a.length == 1
                        && (a[0].equals(Long.toString(mark)) || a[0].equals(Long.toString(mark + 1)))).orElse(false)));
    }

    @Test
    void limitLeavesADaemonThatDetachedInTime() throws Exception {
        // A service whose start forks a daemon into its session and returns: the daemon stays.
        long mark = 100_000 + java.util.concurrent.ThreadLocalRandom.current().nextLong(100_000);
        harness = start(new ProcessBuilder(binary().toString(), "--name", name, "--limit", "1", "--", "/bin/sh", "-c",
                "sleep " + mark + " >/dev/null 2>&1 & echo $!"));
        assertThat(exitStatus()).isZero();
        long daemon = Long.parseLong(logLines().getFirst());
        try {
            Thread.sleep(1500);
            assertThat(ProcessHandle.of(daemon).map(ProcessHandle::isAlive)).contains(true);
        } finally {
            ProcessHandle.of(daemon).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void limitReportsAProgramThatIsNotThere() throws Exception {
        harness = start(new ProcessBuilder(binary().toString(), "--name", name, "--limit", "5", "--",
                "/nonexistent/" + name));

        assertThat(exitStatus()).isEqualTo(127);
        assertThat(logLines()).containsExactly(
                prefix() + "execvp /nonexistent/" + name + ": ENOENT (No such file or directory)");
    }

    // ---- harness ----

    private String prefix() {
        return "subhost-init[" + name + "]: ";
    }

    /** The binary as the build put it into the class path. */
    private static Path binary() {
        try {
            var url = SubhostInitTest.class.getResource("/org/subhost/core/subhost-init");
            assertThat(url).as("subhost-init in the class path (built by cc in generate-resources)").isNotNull();
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> unshare() throws IOException {
        // Root owns /proc/self exactly when this JVM runs as root.
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        assumeTrue(uid == 0, "subhost-init needs root for its namespaces (uid " + uid + ")");
        return List.of("unshare", "--pid", "--fork", "--mount", "--propagation", "private", "--uts", "--ipc", "--");
    }

    private void startInNewNamespaces(List<String> options, String script) throws IOException {
        List<String> args = new ArrayList<>(options);
        args.addAll(List.of("--", "/bin/sh", "-c", script));
        startInNewNamespaces(args);
    }

    private void startInNewNamespaces(List<String> args) throws IOException {
        List<String> command = new ArrayList<>(unshare());
        command.add(binary().toString());
        command.addAll(args);
        harness = start(new ProcessBuilder(command).redirectInput(new File("/dev/null")));
    }

    /** Like the SDK: the sync pipe is fd 3 of pid 1; here it is the harness's stdin, moved. */
    private void startWithSyncPipe(List<String> options, String script) throws IOException {
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", "exec \"$@\" 3<&0 </dev/null", "sh"));
        command.addAll(unshare());
        command.add(binary().toString());
        command.addAll(options);
        command.addAll(List.of("--", "/bin/sh", "-c", script));
        harness = start(new ProcessBuilder(command));
    }

    private Process start(ProcessBuilder builder) throws IOException {
        return builder.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /** pid 1 of the new pid namespace, as the host sees it: the child of unshare. */
    private ProcessHandle reaper() {
        awaitCondition("the reaper started", () -> harness.toHandle().children().findAny().isPresent());
        return harness.toHandle().children().findAny().orElseThrow();
    }

    private ProcessHandle awaitSleeper() {
        awaitCondition("the test's sleep runs", () -> findSleeper().isPresent());
        return findSleeper().orElseThrow();
    }

    private Optional<ProcessHandle> findSleeper() {
        return reaper().descendants().filter(p -> commandLine(p.pid()).equals(sleeper.replace(' ', '\0') + "\0"))
                .findAny();
    }

    private int exitStatus() throws InterruptedException {
        if (!harness.waitFor(GUARD_MILLIS, TimeUnit.MILLISECONDS)) {
            fail("subhost-init still runs after " + GUARD_MILLIS + " ms; log: " + logLines());
        }
        return harness.exitValue();
    }

    private void awaitLogLine(String line) {
        awaitCondition("log line <" + line + ">", () -> logLines().contains(line));
    }

    private List<String> logLines() {
        try {
            return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitCondition(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(GUARD_MILLIS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("waited " + GUARD_MILLIS + " ms in vain for: " + what + "; log: " + logLines());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                fail("interrupted while waiting for: " + what);
            }
        }
    }

    private static String hostTimeNamespace() throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/self/ns/time")).toString();
    }

    /**
     * Whether {@code process} sleeps in read(2) on descriptor {@code fd}: while a task is in
     * a system call, {@code /proc/PID/syscall} gives the call's number and its arguments
     * (unlike {@code wchan}, this needs no kernel symbol table). read is call 0 on x86_64
     * and 63 on aarch64.
     */
    private static boolean blockedInRead(ProcessHandle process, int fd) {
        String[] f = readProc(process.pid(), "syscall").trim().split(" ");
        String read = System.getProperty("os.arch").equals("aarch64") ? "63" : "0";
        return f.length > 1 && f[0].equals(read) && f[1].startsWith("0x") && Long.parseLong(f[1].substring(2), 16) == fd;
    }

    private static String commandLine(long pid) {
        return readProc(pid, "cmdline");
    }

    /** A file of /proc/PID, or "" once the process is gone. */
    private static String readProc(long pid, String file) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), file), StandardCharsets.ISO_8859_1);
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            // ESRCH: the process ended between the lookup and the read.
            return "";
        }
    }

    /** Processes whose command line has the marker: the reaper, its scripts, the test's sleeps. */
    private List<Long> processesOfThisTest() {
        try (Stream<Path> entries = Files.list(Path.of("/proc"))) {
            return entries.map(p -> p.getFileName().toString())
                    .filter(n -> n.chars().allMatch(Character::isDigit))
                    .map(Long::parseLong)
                    .filter(pid -> pid != ProcessHandle.current().pid() && commandLine(pid).contains(marker))
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
