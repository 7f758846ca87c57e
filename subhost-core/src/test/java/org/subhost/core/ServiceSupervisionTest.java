package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in init's units as pid 1 runs them (src/main/c/services.c), here in the calling
 * process ({@code --start-services}, a subreaper, so that orphans come back to it as to pid 1):
 * each Type=, supervision by Restart= and its start limit, the stop. The table comes from
 * {@link ServiceTable}, as the boot hands it over.
 */
class ServiceSupervisionTest {
    private static final long GUARD_MILLIS = 30_000;

    @TempDir
    Path dir;

    private final String marker = String.valueOf(ThreadLocalRandom.current().nextInt(100_000, 1_000_000));
    private Process init;

    @AfterEach
    void nothingLeft() throws Exception {
        if (init != null && init.isAlive()) {
            init.destroy();
            if (!init.waitFor(GUARD_MILLIS, TimeUnit.MILLISECONDS)) {
                init.destroyForcibly().waitFor();
            }
        }
        ProcessHandle.allProcesses().filter(p -> p.info().commandLine().orElse("").contains(marker))
                .forEach(ProcessHandle::destroyForcibly);
        await("no process of the test left", () -> ProcessHandle.allProcesses()
                .noneMatch(p -> p.info().commandLine().orElse("").contains(marker)));
    }

    private static ExecCommand sh(String script) {
        return new ExecCommand("/bin/sh", List.of("/bin/sh", "-c", script), false, false);
    }

    private ServiceSpec.Builder unit(String name, ServiceSpec.Type type, String script) {
        return ServiceSpec.builder(name, ServiceSpec.Kind.UNIT, "/lib/systemd/system/" + name + ".service")
                .type(type).start(List.of(sh(script))).startTimeout(Duration.ofSeconds(10));
    }

    private static UnitReader.Reading reading(ServiceSpec spec) {
        return new UnitReader.Reading(spec.name(), Optional.of(spec), Optional.empty(), List.of());
    }

    private void start(ServiceSpec... specs) throws IOException {
        start("", specs);
    }

    /** The services in a process of their own, with {@code options} of subhost-init added. */
    private void start(String options, ServiceSpec... specs) throws IOException {
        List<UnitReader.Reading> readings = new ArrayList<>();
        for (ServiceSpec s : specs) {
            readings.add(reading(s));
        }
        Files.write(dir.resolve("table"), ServiceTable.encode(readings));
        init = new ProcessBuilder("/bin/sh", "-c", "exec '" + reaper() + "' --name t1 --start-services"
                + " --service-limit 30 --services-fd 4 --status-fd 3 " + options + " 3>'" + dir.resolve("status")
                + "' 4<'" + dir.resolve("table") + "'").redirectErrorStream(true)
                .redirectOutput(dir.resolve("log").toFile()).start();
    }

    /** The services with the control channel, as pid 1 has it, and the host's end of it. */
    private ServiceControl startControlled(ServiceSpec... specs) throws Exception {
        start("--control-fd " + ServiceControl.FD, specs);
        await("the control channel", () -> {
            try (org.subhost.linux.Pidfd pidfd = org.subhost.linux.Pidfd.open((int) init.pid())) {
                Optional<ServiceControl> c = ServiceControl.open(pidfd);
                c.ifPresent(ServiceControl::close);
                return c.isPresent();
            } catch (Exception e) {
                return false;
            }
        });
        try (org.subhost.linux.Pidfd pidfd = org.subhost.linux.Pidfd.open((int) init.pid())) {
            return ServiceControl.open(pidfd).orElseThrow();
        }
    }

    /** An init.d script of the test's own: {@code start} and {@code stop} write a line to {@code record}. */
    private ServiceSpec initScript(String name, Path record) throws IOException {
        Path script = dir.resolve(name);
        Files.writeString(script, "#!/bin/sh\necho \"$1 " + name + "\" >> " + record + "\n");
        Files.setAttribute(script, "unix:mode", 0755);
        return ServiceSpec.initScript(script.toString(), Duration.ofSeconds(10));
    }

    private String status() {
        try {
            return Files.readString(dir.resolve("status"));
        } catch (IOException e) {
            return "";
        }
    }

    private String log() throws IOException {
        return Files.readString(dir.resolve("log"));
    }

    private void awaitStatus(String line) {
        await("status line " + line, () -> status().lines().anyMatch(line::equals));
    }

    private int awaitRunning(String name, int restarts) {
        Pattern p = Pattern.compile(Pattern.quote(name) + " running \\(pid ([0-9]+), restarts " + restarts + "\\)");
        await(name + " running with " + restarts + " restarts", () -> status().lines().anyMatch(l -> p.matcher(l).matches()));
        Matcher m = status().lines().map(p::matcher).filter(Matcher::matches).reduce((a, b) -> b).orElseThrow();
        return Integer.parseInt(m.group(1));
    }

    private void stopAndAwaitExit() throws Exception {
        init.destroy(); // SIGTERM: the units stop in reverse order
        assertThat(init.waitFor(GUARD_MILLIS, TimeUnit.MILLISECONDS)).as("the init ends after SIGTERM").isTrue();
    }

    @Test
    void simpleServiceKilledIsRestartedAndStoppedAtTheEnd() throws Exception {
        ServiceSpec.Builder b = unit("sleeper", ServiceSpec.Type.SIMPLE, "exec sleep 1000." + marker)
                .restart(ServiceSpec.Restart.ON_FAILURE);
        start(b.build());
        int first = awaitRunning("sleeper", 0);
        assertThat(ProcessHandle.of(first).orElseThrow().info().commandLine().orElse("")).contains("1000." + marker);
        ProcessHandle.of(first).orElseThrow().destroyForcibly(); // SIGKILL, as an admin's kill -9
        int second = awaitRunning("sleeper", 1);
        assertThat(second).isNotEqualTo(first);
        stopAndAwaitExit();
        assertThat(status()).isEqualTo(String.join("\n",
                "sleeper starting (unit /lib/systemd/system/sleeper.service)",
                "sleeper running (pid " + first + ", restarts 0)",
                "sleeper restarting (signal 9; restarts 1)",
                "sleeper running (pid " + second + ", restarts 1)",
                "sleeper stopping",
                "sleeper stopped (restarts 1)", ""));
        assertThat(ProcessHandle.of(second)).isEmpty();
    }

    @Test
    void aServiceThatKeepsFailingHitsItsStartLimit() throws Exception {
        ServiceSpec.Builder b = unit("flaky", ServiceSpec.Type.SIMPLE, "exit 3").restart(ServiceSpec.Restart.ALWAYS);
        b.restartDelay = Duration.ZERO;
        b.startLimitBurst = 3;
        start(b.build());
        assertThat(init.waitFor(GUARD_MILLIS, TimeUnit.MILLISECONDS)).as("nothing left to supervise").isTrue();
        assertThat(status()).isEqualTo(String.join("\n",
                "flaky starting (unit /lib/systemd/system/flaky.service)",
                "flaky running (pid " + pidIn(status(), 0) + ", restarts 0)",
                "flaky restarting (status 3; restarts 1)",
                "flaky running (pid " + pidIn(status(), 1) + ", restarts 1)",
                "flaky restarting (status 3; restarts 2)",
                "flaky running (pid " + pidIn(status(), 2) + ", restarts 2)",
                "flaky failed (status 3; start limit: 3 starts within 10000 ms, restarts 2)", ""));
    }

    private static String pidIn(String status, int restarts) {
        Matcher m = Pattern.compile("running \\(pid ([0-9]+), restarts " + restarts + "\\)").matcher(status);
        return m.find() ? m.group(1) : "?";
    }

    @Test
    void noRestartLeavesAFailedServiceFailed() throws Exception {
        start(unit("once", ServiceSpec.Type.EXEC, "exit 4").build());
        assertThat(init.waitFor(GUARD_MILLIS, TimeUnit.MILLISECONDS)).isTrue();
        assertThat(status()).endsWith("once failed (status 4)\n");
    }

    @Test
    void aProgramThatIsNotThereFailsItsStart() throws Exception {
        ServiceSpec.Builder b = unit("ghost", ServiceSpec.Type.EXEC, "");
        b.start(List.of(new ExecCommand("/nonexistent/" + marker, List.of("ghost"), false, false)));
        start(b.build());
        assertThat(init.waitFor(GUARD_MILLIS, TimeUnit.MILLISECONDS)).isTrue();
        assertThat(status()).endsWith("ghost failed (status 127)\n");
        assertThat(log()).contains("subhost-init[t1]: service ghost: execvp /nonexistent/" + marker
                + ": ENOENT (No such file or directory)\n");
    }

    @Test
    void forkingServiceIsRunningAsThePidInItsPidFile() throws Exception {
        Path pidFile = dir.resolve("d.pid");
        ServiceSpec.Builder b = unit("forker", ServiceSpec.Type.FORKING,
                "sleep 1000." + marker + " & echo $! > " + pidFile).restart(ServiceSpec.Restart.ON_FAILURE)
                .pidFile(pidFile.toString());
        start(b.build());
        int daemon = awaitRunning("forker", 0);
        assertThat(Files.readString(pidFile).strip()).isEqualTo(Integer.toString(daemon));
        ProcessHandle.of(daemon).orElseThrow().destroyForcibly();
        int again = awaitRunning("forker", 1);
        assertThat(Files.readString(pidFile).strip()).isEqualTo(Integer.toString(again));
        stopAndAwaitExit();
        assertThat(ProcessHandle.of(again)).isEmpty();
    }

    @Test
    void aSupervisedInitDScriptIsStartedAgainUntilTheHostSaysItStops() throws Exception {
        Path pidFile = dir.resolve("daemon.pid");
        Path script = dir.resolve("daemon");
        Files.writeString(script, "#!/bin/sh\nsleep 1000." + marker + " & echo $! > " + pidFile + "\n");
        Files.setAttribute(script, "unix:mode", 0755);
        ServiceSpec plain = ServiceSpec.initScript(script.toString(), Duration.ofSeconds(10));
        ServiceSpec supervised = ServiceSpec.builder(script.toString(), ServiceSpec.Kind.INIT_D, script.toString())
                .type(ServiceSpec.Type.FORKING).start(plain.start()).startTimeout(Duration.ofSeconds(10))
                .killMode(ServiceSpec.KillMode.NONE).restart(ServiceSpec.Restart.ON_FAILURE)
                .pidFile(pidFile.toString()).build();
        start(supervised);
        int first = awaitRunning(script.toString(), 0);
        ProcessHandle.of(first).orElseThrow().destroyForcibly();
        int second = awaitRunning(script.toString(), 1);
        new ProcessBuilder("kill", "-USR2", Long.toString(init.pid())).start().waitFor();
        await("the hold in the log", () -> {
            try {
                return log().contains("subhost-init[t1]: the host stops the services: none is restarted from now on\n");
            } catch (IOException e) {
                return false;
            }
        });
        ProcessHandle.of(second).orElseThrow().destroyForcibly();
        awaitStatus(script + " failed (signal 9)");
        assertThat(log()).startsWith("subhost-init[t1]: starting service " + script + "\n");
    }

    @Test
    void oneshotRunsEachCommandInOrderAndIsStartedWhenAllExitedZero() throws Exception {
        ServiceSpec.Builder b = unit("setup", ServiceSpec.Type.ONESHOT, "echo one");
        b.start.add(sh("echo two"));
        b.startPre.add(new ExecCommand("/bin/false", List.of("/bin/false"), true, false));
        b.startPost.add(sh("echo post"));
        start(b.build());
        assertThat(init.waitFor(GUARD_MILLIS, TimeUnit.MILLISECONDS)).isTrue();
        assertThat(log()).isEqualTo(String.join("\n",
                "subhost-init[t1]: service setup starting (unit /lib/systemd/system/setup.service)",
                "one", "two", "post",
                "subhost-init[t1]: service setup exited (restarts 0)", ""));
    }

    @Test
    void notifyServiceHasStartedWhenItSaysReadyAndTheNextStartsOnlyThen() throws Exception {
        String ready = "import os, socket, time\n"
                + "time.sleep(0.5)\n"
                + "s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\n"
                + "a = os.environ['NOTIFY_SOCKET']\n"
                + "s.sendto(b'STATUS=up\\nREADY=1', '\\0' + a[1:])\n"
                + "time.sleep(1000)\n";
        Files.writeString(dir.resolve("ready.py"), ready);
        ServiceSpec notify = unit("notifier", ServiceSpec.Type.NOTIFY,
                "exec python3 " + dir.resolve("ready.py") + " 1000." + marker).build();
        start(notify, unit("after", ServiceSpec.Type.SIMPLE, "exec sleep 1000." + marker).build());
        awaitRunning("after", 0);
        List<String> lines = status().lines().toList();
        assertThat(lines.get(0)).isEqualTo("notifier starting (unit /lib/systemd/system/notifier.service)");
        assertThat(lines.get(1)).matches("notifier running \\(pid [0-9]+, restarts 0\\)");
        assertThat(lines.get(2)).isEqualTo("after starting (unit /lib/systemd/system/after.service)");
        stopAndAwaitExit();
        assertThat(status()).endsWith(String.join("\n", "after stopping", "after stopped (restarts 0)",
                "notifier stopping", "notifier stopped (restarts 0)", ""));
    }

    @Test
    void notifyServiceThatNeverSaysReadyTimesOut() throws Exception {
        ServiceSpec.Builder b = unit("mute", ServiceSpec.Type.NOTIFY, "exec sleep 1000." + marker)
                .startTimeout(Duration.ofSeconds(1));
        start(b.build());
        assertThat(init.waitFor(GUARD_MILLIS, TimeUnit.MILLISECONDS)).isTrue();
        assertThat(status()).endsWith("mute failed (start timed out after 1000 ms)\n");
    }

    @Test
    void execStopRunsWithMainpidBeforeTheKillSignal() throws Exception {
        Path stopped = dir.resolve("stopped");
        ServiceSpec.Builder b = unit("stoppable", ServiceSpec.Type.SIMPLE,
                "trap 'echo TERM >> " + stopped + "; exit 0' TERM; sleep 1000." + marker + " & wait");
        b.stop.add(sh("echo stop $MAINPID >> " + stopped));
        start(b.build());
        int main = awaitRunning("stoppable", 0);
        stopAndAwaitExit();
        assertThat(Files.readString(stopped)).isEqualTo("stop " + main + "\nTERM\n");
    }

    @Test
    void userRunsTheServiceWithItsIdsAndAPlusCommandAsRoot() throws Exception {
        Path ids = dir.resolve("ids");
        Files.setAttribute(dir, "unix:mode", 0777);
        ServiceSpec.Builder b = unit("nobody", ServiceSpec.Type.ONESHOT, "echo \"$(id -u) $(id -g) $(id -G)\" >> " + ids);
        b.start.add(new ExecCommand("/bin/sh", List.of("/bin/sh", "-c", "id -u >> " + ids), false, true));
        b.user = Optional.of(new ServiceSpec.Credentials("nobody", 65534, 65534, List.of(4), "/nonexistent",
                "/usr/sbin/nologin"));
        start(b.build());
        assertThat(init.waitFor(GUARD_MILLIS, TimeUnit.MILLISECONDS)).isTrue();
        assertThat(Files.readString(ids)).isEqualTo("65534 65534 65534 4\n0\n");
    }

    @Test
    void theHostStopsAUnitWhichIsNotRestartedThenStartsAndRestartsIt() throws Exception {
        ServiceSpec always = unit("keeper", ServiceSpec.Type.SIMPLE, "exec sleep 1000." + marker)
                .restart(ServiceSpec.Restart.ALWAYS).build();
        try (ServiceControl control = startControlled(always)) {
            int first = awaitRunning("keeper", 0);
            assertThat(control.request("stop", "keeper", Duration.ofSeconds(20))).isEqualTo("stopped (restarts 0)");
            assertThat(ProcessHandle.of(first)).isEmpty();
            Thread.sleep(300); // RestartSec= is 100 ms: a restart would have come by now
            assertThat(status()).endsWith("keeper stopping\nkeeper stopped (restarts 0)\n");

            String started = control.request("start", "keeper", Duration.ofSeconds(20));
            assertThat(started).matches("running \\(pid [0-9]+, restarts 0\\)");
            int second = awaitRunning("keeper", 0);
            assertThat(started).isEqualTo("running (pid " + second + ", restarts 0)");
            assertThat(control.request("start", "keeper", Duration.ofSeconds(20))).as("running already: as it is")
                    .isEqualTo(started);

            String restarted = control.request("restart", "keeper", Duration.ofSeconds(20));
            assertThat(restarted).matches("running \\(pid [0-9]+, restarts 0\\)").isNotEqualTo(started);
            assertThat(ProcessHandle.of(second)).isEmpty();
            assertThat(status()).endsWith(String.join("\n", "keeper starting", "keeper " + started, "keeper stopping",
                    "keeper stopped (restarts 0)", "keeper starting", "keeper " + restarted, ""));
        }
        stopAndAwaitExit();
        assertThat(status()).endsWith("keeper stopped (restarts 0)\n");
    }

    @Test
    void theHostStopsAnInitDScriptByItsStopAndStartsItAgainByItsStart() throws Exception {
        Path record = dir.resolve("record");
        try (ServiceControl control = startControlled(initScript("sysv", record))) {
            awaitStatus(dir.resolve("sysv") + " started");
            String name = dir.resolve("sysv").toString();
            assertThat(control.request("stop", name, Duration.ofSeconds(20))).isEqualTo("stopped");
            assertThat(control.request("stop", name, Duration.ofSeconds(20))).as("stopped already: nothing runs")
                    .isEqualTo("stopped");
            assertThat(control.request("start", name, Duration.ofSeconds(20))).isEqualTo("started");
            assertThat(control.request("restart", name, Duration.ofSeconds(20))).isEqualTo("started");
            assertThat(Files.readAllLines(record)).containsExactly("start sysv", "stop sysv", "start sysv", "stop sysv",
                    "start sysv");
        }
        stopAndAwaitExit();
        assertThat(Files.readAllLines(record)).endsWith("start sysv", "stop sysv");
    }

    @Test
    void theShutdownStopsEveryServiceInReverseStartOrderWhateverItsKind() throws Exception {
        Path record = dir.resolve("record");
        ServiceSpec.Builder first = unit("first", ServiceSpec.Type.SIMPLE, "exec sleep 1000." + marker);
        first.stop.add(sh("echo stop first >> " + record));
        ServiceSpec.Builder third = unit("third", ServiceSpec.Type.SIMPLE, "exec sleep 1000." + marker);
        third.stop.add(sh("echo stop third >> " + record));
        try (ServiceControl control = startControlled(first.build(), initScript("second", record), third.build())) {
            awaitRunning("third", 0);
        }
        stopAndAwaitExit();
        assertThat(Files.readAllLines(record)).containsExactly("start second", "stop third", "stop second",
                "stop first");
    }

    @Test
    void requestsThatCannotBeDoneAreRefusedWithTheReason() throws Exception {
        ServiceSpec slow = unit("slow", ServiceSpec.Type.NOTIFY, "exec sleep 1000." + marker)
                .startTimeout(Duration.ofSeconds(20)).build();
        try (ServiceControl control = startControlled(slow, unit("later", ServiceSpec.Type.SIMPLE,
                "exec sleep 1000." + marker).build())) {
            awaitStatus("slow starting (unit /lib/systemd/system/slow.service)");
            assertThat(refusal(control, "start", "nosuch")).isEqualTo("nosuch is no START service");
            assertThat(refusal(control, "reload", "slow")).isEqualTo("reload: no such request (start, stop, restart)");
            assertThat(refusal(control, "start", "later")).isEqualTo("later has not had its turn in START yet");
            // A stop of a start under way ends it; the next one then has its turn.
            assertThat(control.request("stop", "slow", Duration.ofSeconds(20))).isEqualTo("stopped (restarts 0)");
            awaitRunning("later", 0);
        }
    }

    private static String refusal(ServiceControl control, String verb, String service) {
        try {
            return "answered " + control.request(verb, service, Duration.ofSeconds(20));
        } catch (org.subhost.SubhostException e) {
            return e.getMessage();
        }
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.currentTimeMillis() + GUARD_MILLIS;
        while (!condition.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new AssertionError("waited " + GUARD_MILLIS + " ms for " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    private static String reaper() {
        try {
            var url = ServiceSupervisionTest.class.getResource("/org/subhost/core/subhost-init");
            assertThat(url).as("subhost-init in the class path").isNotNull();
            return Path.of(url.toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new AssertionError(e);
        }
    }

    static String utf8(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
