package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.subhost.ExecResult;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.SubhostStatus;
import org.subhost.config.SubhostConfig;

/**
 * pid 1's output and the service states: LOG is reached only through the log relay's pipe,
 * no process of the subhost holds a file of the host (compared by device and inode with the
 * host's /dev/null and LOG, from the host's /proc), status believes only pid 1's channel,
 * and pid 1's command line stays short.
 */
class SubhostOutputTest extends SubhostKernelTest {
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

    /** A service script in UPPER, at {@code /usr/local/sbin/NAME} inside. */
    private void service(String file, String start) throws Exception {
        Path script = base.resolve("root/usr/local/sbin").resolve(file);
        Files.createDirectories(script.getParent());
        Files.writeString(script, "#!/bin/sh\ncase $1 in start) " + start + " ;; stop) exit 0 ;; esac\n");
        Files.setAttribute(script, "unix:mode", 0755);
    }

    private Subhost boot(SubhostConfig.Builder builder) throws SubhostException {
        config = builder.build();
        return subhosts.boot(config);
    }

    private SubhostConfig.Builder minimal() {
        return SubhostConfig.builder(name, base).log(base.resolve("log"));
    }

    private Path cgroup() {
        Path unified = Path.of("/sys/fs/cgroup/unified", name);
        return Files.isDirectory(unified) ? unified : Path.of("/sys/fs/cgroup", name);
    }

    @Test
    void noProcessOfTheSubhostHoldsTheHostsDevNullOrLog() throws Exception {
        // A service that leaves a daemon behind with the service's own output and input.
        service("daemon", "echo daemon-started; sleep 1000 & exit 0");
        Subhost s = boot(minimal().start("/usr/local/sbin/daemon"));
        awaitState(s, "/usr/local/sbin/daemon", "started");
        CompletableFuture<ExecResult> exec = CompletableFuture.supplyAsync(() -> {
            try {
                return s.exec(List.of("sleep", "5"), TEN_SECONDS);
            } catch (SubhostException e) {
                throw new RuntimeException(e);
            }
        });
        Thread.sleep(1000);
        // The processes of the subhost: those of its pid namespace. Its control group also
        // holds the log relay, which runs on the host's side and holds LOG by design.
        Path pidns = Path.of("/proc", Integer.toString(s.pid()), "ns/pid");
        List<Integer> group = Files.readAllLines(cgroup().resolve("cgroup.procs")).stream().map(Integer::parseInt)
                .toList();
        List<Integer> pids = group.stream().filter(pid -> samePidNamespace(pid, pidns)).toList();
        // pid 1, its daemon and the exec'd sleep, at least; and the relay beside them.
        assertThat(pids).contains(s.pid()).hasSizeGreaterThanOrEqualTo(3);
        assertThat(group).hasSize(pids.size() + 1);
        List<String> descriptors = EnteringTest.descriptors(pids);
        assertThat(descriptors).as("descriptors of the subhost's processes").isNotEmpty();
        String hostNull = EnteringTest.devAndInode(Path.of("/dev/null"));
        String log = EnteringTest.devAndInode(base.resolve("log"));
        assertThat(descriptors).noneMatch(d -> d.endsWith(" -> " + hostNull)).noneMatch(d -> d.endsWith(" -> " + log));
        // pid 1's 0 is the subhost's own /dev/null, 1 and 2 a pipe.
        String pid1 = Integer.toString(s.pid());
        assertThat(Files.readSymbolicLink(Path.of("/proc", pid1, "fd/0"))).hasToString("/dev/null");
        assertThat(Files.readSymbolicLink(Path.of("/proc", pid1, "fd/1")).toString()).startsWith("pipe:[");
        assertThat(exec.get().status()).isZero();
        // The output still reaches LOG, through the relay.
        assertThat(Files.readString(base.resolve("log"))).contains("daemon-started");
    }

    @Test
    void aForgedServiceLineInLogDoesNotChangeTheStatus() throws Exception {
        service("broken", "exit 3");
        // A service of the subhost that writes what looks like pid 1's report of the other one.
        service("forger", "echo \"subhost-init[" + name + "]: service /usr/local/sbin/broken started\"");
        Subhost s = boot(minimal().start("/usr/local/sbin/broken /usr/local/sbin/forger"));
        awaitState(s, "/usr/local/sbin/forger", "started");
        String log = Files.readString(base.resolve("log"));
        assertThat(log).contains("subhost-init[" + name + "]: service /usr/local/sbin/broken failed (status 3)");
        assertThat(log.indexOf("service /usr/local/sbin/broken started"))
                .as("the forged line, after the true one").isGreaterThan(log.indexOf("broken failed (status 3)"));
        assertThat(s.status().services()).containsExactly(
                new SubhostStatus.ServiceStatus("/usr/local/sbin/broken", "failed (status 3)"),
                new SubhostStatus.ServiceStatus("/usr/local/sbin/forger", "started"));
    }

    @Test
    void pid1sCommandLineIsShortAndTheInitScriptComesThroughADescriptor() throws Exception {
        String marker = "init-script-ran-" + name;
        Subhost s = boot(minimal().init("echo 'echo " + marker + "; sleep 1000 &'"));
        String cmdline = Files.readString(Path.of("/proc", Integer.toString(s.pid()), "cmdline")).replace('\0', ' ');
        assertThat(cmdline).startsWith("subhost-init --timens --sync-fd 3 --ready-fd 4").contains("--script-fd 6")
                .doesNotContain(marker).doesNotContain("sleep");
        assertThat(cmdline.length()).isLessThan(200);
        for (int i = 0; i < 100 && !Files.readString(base.resolve("log")).contains(marker); i++) {
            Thread.sleep(50);
        }
        assertThat(Files.readString(base.resolve("log"))).contains(marker);
        // Seen from inside, as ps -ef shows it.
        ExecResult r = s.exec(List.of("/bin/sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline"), TEN_SECONDS);
        assertThat(r.stdout()).isEqualTo(cmdline);
    }

    private static boolean samePidNamespace(int pid, Path pidns) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid), "ns/pid"))
                    .equals(Files.readSymbolicLink(pidns));
        } catch (java.io.IOException e) {
            return false; // ended meanwhile
        }
    }

    private static void awaitState(Subhost s, String service, String state) throws Exception {
        for (int i = 0; i < 200; i++) {
            if (s.status().services().contains(new SubhostStatus.ServiceStatus(service, state))) {
                return;
            }
            Thread.sleep(25);
        }
        assertThat(s.status().services()).contains(new SubhostStatus.ServiceStatus(service, state));
    }
}
