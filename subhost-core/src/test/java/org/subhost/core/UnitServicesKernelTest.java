package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalInt;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.subhost.Subhost;
import org.subhost.SubhostStatus.ServiceStatus;
import org.subhost.config.SubhostConfig;

/**
 * START's systemd units under the built-in init on the real kernel, over the host's {@code /}
 * with units of the test's own in UPPER: the boot returns once every START service has started
 * or failed, a unit's service killed from the host comes back, status shows main pids and
 * restarts, the stop ends them in reverse order, and nothing is left.
 */
class UnitServicesKernelTest extends SubhostKernelTest {
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

    private void unit(String file, String text) throws Exception {
        Path path = base.resolve("root/etc/systemd/system").resolve(file);
        Files.createDirectories(path.getParent());
        Files.writeString(path, text);
    }

    /** The command line of {@code pid} as /proc has it, NULs as blanks; empty when it is gone. */
    private static String cmdline(long pid) {
        try {
            return new String(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), java.nio.charset.StandardCharsets.UTF_8)
                    .replace('\0', ' ');
        } catch (java.io.IOException e) {
            return "";
        }
    }

    private Map<String, ServiceStatus> services(Subhost s) throws Exception {
        return s.status().services().stream().collect(Collectors.toMap(ServiceStatus::name, x -> x));
    }

    /**
     * A process of the subhost tries to take the host's end of pid 1's control channel
     * (pidfd_getfd of pid 1's descriptor 7, as the host does) after it dropped to {@code uid}
     * (0: stays root); prints the call's result and errno.
     */
    private static java.util.List<String> takeTheControlChannel(int uid) {
        return java.util.List.of("python3", "-c", String.join("\n",
                "import ctypes, os",
                "libc = ctypes.CDLL(None, use_errno=True)",
                "if " + uid + ": os.setgroups([]); os.setgid(" + uid + "); os.setuid(" + uid + ")",
                "fd = os.pidfd_open(1)",
                "r = libc.syscall(438, fd, " + ServiceControl.FD + ", 0)",
                "print(r, ctypes.get_errno())"));
    }

    @Test
    void theHostStartsStopsAndRestartsOneServiceThroughPid1AndTheStopGoesInReverseStartOrder() throws Exception {
        String marker = name + "-" + System.nanoTime();
        Path record = Files.createDirectories(base.resolve("root/srv")).resolve("record");
        unit("t25a.service", """
                [Service]
                ExecStart=/bin/sleep 1000%s
                ExecStop=/bin/sh -c 'echo stop a >> /srv/record'
                Restart=always
                RestartSec=50ms
                """.formatted(marker.hashCode() & 0xffff));
        Files.createDirectories(base.resolve("root/etc/init.d"));
        LifecycleTest.service(base.resolve("root/etc/init.d/t25b"), "b", Path.of("/srv/record"));
        unit("t25c.service", """
                [Service]
                ExecStart=/bin/sleep 1000
                ExecStop=/bin/sh -c 'echo stop c >> /srv/record'
                """);
        config = SubhostConfig.builder(name, base).log(base.resolve("log")).start("t25a t25b t25c").build();
        Subhost s = subhosts.boot(config);
        int first = services(s).get("t25a").mainPid().orElseThrow();

        assertThat(s.stopService("t25a", TEN_SECONDS)).isEqualTo(new ServiceStatus("t25a", "stopped (restarts 0)"));
        Thread.sleep(200); // RestartSec= is 50 ms: a restart would have come by now
        assertThat(services(s).get("t25a").state()).isEqualTo("stopped (restarts 0)");
        ServiceStatus started = s.startService("t25a", TEN_SECONDS);
        assertThat(started.phase()).isEqualTo("running");
        assertThat(started.mainPid()).isPresent().isNotEqualTo(OptionalInt.of(first));
        assertThat(services(s).get("t25a")).isEqualTo(started);
        assertThat(s.restartService("t25b", TEN_SECONDS)).isEqualTo(new ServiceStatus("t25b", "started"));
        assertThat(Files.readAllLines(record)).containsExactly("start b", "stop a", "stop b", "start b");
        assertThat(Files.readString(base.resolve("log"))).contains("overlay-service[" + name + "]: stop t25a: stopped"
                + " (restarts 0)\n");

        assertThatThrownBy(() -> s.startService("t25d", TEN_SECONDS)).isInstanceOf(org.subhost.SubhostException.class)
                .hasMessage("start service t25d of " + name + ": no such service in START (t25a t25b t25c)");
        // No process of the subhost reaches the channel: not root (with the default
        // confinement, without CAP_SYS_PTRACE), not another user.
        for (int uid : new int[] {0, 65534}) {
            org.subhost.ExecResult taken = s.exec(takeTheControlChannel(uid), TEN_SECONDS);
            assertThat(taken.stdout()).as("uid %d (stderr: %s)", uid, taken.stderr()).isEqualTo("-1 1\n"); // EPERM
        }

        s.stop(TEN_SECONDS);
        assertThat(Files.readAllLines(record)).containsExactly("start b", "stop a", "stop b", "start b",
                "stop c", "stop b", "stop a");
        assertThat(Files.readString(base.resolve("log"))).contains("pid 1 stops the START services in reverse order at"
                + " its SIGTERM: t25c t25b t25a\n");
        KernelFixture.assertNothingLeft(name, base);
    }

    @Test
    void unitsStartBeforeTheBootReturnsAreSupervisedAndStopInReverseOrder() throws Exception {
        String marker = name + "-" + System.nanoTime();
        Path record = Files.createDirectories(base.resolve("root/srv")).resolve("record");
        unit("t25simple.service", """
                [Unit]
                Description=a simple service of the test
                [Service]
                ExecStart=@/bin/sleep sleep-%s 1000
                Restart=on-failure
                RestartSec=50ms
                ProtectSystem=full
                """.formatted(marker));
        unit("t25notify.service", """
                [Service]
                Type=notify
                ExecStart=/usr/bin/python3 -c "import os, socket, time; time.sleep(0.3); \\
                  s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); a = os.environ['NOTIFY_SOCKET']; \\
                  s.sendto(b'READY=1', chr(0) + a[1:]); time.sleep(1000)" %s
                ExecStop=/bin/sh -c 'echo stop t25notify $MAINPID >> /srv/record'
                """.formatted(marker));
        unit("t25bad.service", "[Service]\nExecStart=/bin/false\n");
        Files.createDirectories(base.resolve("root/etc/init.d"));
        LifecycleTest.service(base.resolve("root/etc/init.d/t25initd"), "sysv", Path.of("/srv/record"));

        config = SubhostConfig.builder(name, base).log(base.resolve("log"))
                .start("t25simple t25notify t25bad t25initd").build();
        Subhost s = subhosts.boot(config);

        // Every START service has started or failed by now, without waiting.
        Map<String, ServiceStatus> states = services(s);
        assertThat(states.get("t25simple").state()).matches("running \\(pid [0-9]+, restarts 0\\)");
        assertThat(states.get("t25notify").phase()).isEqualTo("running");
        assertThat(states.get("t25initd")).isEqualTo(new ServiceStatus("t25initd", "started"));
        // t25bad, a simple unit, had started once /bin/false was exec'd: the boot does not wait
        // for its end, which pid 1 tells once it has reaped it, before or after the boot returns.
        long failedBy = System.nanoTime() + TEN_SECONDS.toNanos();
        for (String bad = states.get("t25bad").state(); !bad.equals("failed (status 1)");
                bad = services(s).get("t25bad").state()) {
            assertThat(bad).as("t25bad").matches("running \\(pid [0-9]+, restarts 0\\)");
            assertThat(System.nanoTime()).as("t25bad failed").isLessThan(failedBy);
            Thread.sleep(20);
        }
        assertThat(Files.readAllLines(record)).containsExactly("start sysv");
        String log = Files.readString(base.resolve("log"));
        assertThat(log).contains("/etc/systemd/system/t25simple.service:7: t25simple.service starts without what"
                + " these directives ask, outside the built-in init's subset: ProtectSystem= (line 7)\n");

        // SIGKILL from the host: the main process comes back as a new one.
        OptionalInt first = states.get("t25simple").mainPid();
        assertThat(first).isPresent();
        ProcessHandle sleeper = ProcessHandle.allProcesses().filter(p -> cmdline(p.pid()).startsWith("sleep-" + marker))
                .findFirst().orElseThrow();
        sleeper.destroyForcibly();
        long deadline = System.nanoTime() + TEN_SECONDS.toNanos();
        while (services(s).get("t25simple").restarts() < 1 || !services(s).get("t25simple").phase().equals("running")) {
            assertThat(System.nanoTime()).as("t25simple restarted").isLessThan(deadline);
            Thread.sleep(20);
        }
        assertThat(services(s).get("t25simple").mainPid()).isPresent().isNotEqualTo(first);

        int notifyPid = services(s).get("t25notify").mainPid().orElseThrow();
        s.stop(TEN_SECONDS);
        // Each by pid 1, in reverse START order: the init.d script, then the units.
        assertThat(Files.readAllLines(record)).containsExactly("start sysv", "stop sysv",
                "stop t25notify " + notifyPid);
        String stopped = Files.readString(base.resolve("log"));
        assertThat(stopped.indexOf("service t25notify stopped")).isLessThan(stopped.indexOf("service t25simple stopping"));
        KernelFixture.assertNothingLeft(name, base);
    }
}
