package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.subhost.Subhost;
import org.subhost.config.SubhostConfig;

/**
 * An init system as pid 1 ({@code --exec}), played by a small shell script named {@code
 * init} that traps the stop's SIGPWR, so that no real init system is needed: what pid 1 of
 * subhost-init sets up for it before it execs, and what it leaves running inside.
 */
class InitSystemKernelTest extends SubhostKernelTest {
    /** The stand-in init system: a line on the console, then it waits for the stop. */
    private static final String INIT = """
            #!/bin/sh
            trap 'exit 0' PWR TERM
            echo "init system on the console" > /dev/console
            while :; do sleep 0.1; done
            """;

    private Subhost boot(SubhostConfig.Builder builder) throws Exception {
        Path init = Files.createDirectories(base.resolve("root/srv")).resolve("init");
        Files.writeString(init, INIT);
        Files.setPosixFilePermissions(init, PosixFilePermissions.fromString("rwxr-xr-x"));
        config = builder.initSystem("/srv/init").log(base.resolve("log")).build();
        return subhosts.boot(config);
    }

    private Path cgroup() {
        Path unified = Path.of("/sys/fs/cgroup/unified", name);
        return Files.isDirectory(unified) ? unified : Path.of("/sys/fs/cgroup", name);
    }

    /** The fields of {@code /proc/PID/status} that say how a process is confined. */
    private static Map<String, String> confinementOf(int pid) throws IOException {
        return Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status")).stream()
                .filter(l -> l.matches("^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|Seccomp|NoNewPrivs):.*"))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf(':')), l -> l.substring(l.indexOf(':') + 1).strip()));
    }

    /** The host pid of the subhost's process named {@code comm}, from its control group. */
    private Optional<Integer> process(String comm) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            for (String line : Files.readAllLines(cgroup().resolve("cgroup.procs"))) {
                int pid = Integer.parseInt(line.strip());
                try {
                    if (Files.readString(Path.of("/proc", line.strip(), "comm")).strip().equals(comm)) {
                        return Optional.of(pid);
                    }
                } catch (IOException e) {
                    // ended meanwhile
                }
            }
            Thread.sleep(20);
        }
        return Optional.empty();
    }

    /**
     * Over LOWER=/ the subhost's {@code /etc/machine-id} is the host's, and the boot writes
     * one of its own into the upper layer, while it holds every capability and the NAME's
     * lock. Its root has planted a FIFO where the new file is written first: opened for
     * writing, it would block the boot for ever. It is removed, never opened, and the
     * subhost gets its own id all the same.
     */
    @Test
    void aFifoPlantedWhereTheMachineIdIsWrittenDoesNotHangTheBoot() throws Exception {
        String host = InitSystem.hostMachineId();
        org.junit.jupiter.api.Assumptions.assumeFalse(host.isEmpty(), "the host has no /etc/machine-id");
        Path fifo = Files.createDirectories(base.resolve("root/etc")).resolve("machine-id.subhost-new");
        KernelFixture.run("mkfifo", fifo.toString());
        java.util.concurrent.CompletableFuture<Subhost> booting = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return boot(SubhostConfig.builder(name, base).start("none"));
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        try {
            booting.get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            // Let the hung write go (a reader opens the FIFO), so that the tear-down can stop it.
            try (java.io.InputStream reader = Files.newInputStream(fifo)) {
                reader.readAllBytes();
            }
            booting.get(30, java.util.concurrent.TimeUnit.SECONDS);
            throw new AssertionError("the boot hung on the FIFO planted at " + fifo);
        }
        Path id = base.resolve("root/etc/machine-id");
        assertThat(Files.isRegularFile(id, java.nio.file.LinkOption.NOFOLLOW_LINKS)).as("%s", id).isTrue();
        String own = Files.readString(id).strip();
        assertThat(own).hasSize(32).isNotEqualTo(host);
        assertThat(fifo).doesNotExist();
    }

    /**
     * pid 1 forks the console relay while it still holds every capability (it mounts the
     * console): the relay must confine itself before it runs inside the subhost for as long as
     * the subhost lives, or root inside (which keeps SYS_PTRACE at the admin level of an init
     * system) could take it over: no capability left in any set, the filter on, no_new_privs.
     * It still copies the console to LOG.
     */
    @Test
    void theConsoleRelayRunsConfinedAndKeepsNoCapability() throws Exception {
        boot(SubhostConfig.builder(name, base).start("none"));
        int relay = process("console-relay").orElseThrow(() -> new AssertionError("no console-relay in " + cgroup()));
        Map<String, String> status = confinementOf(relay);
        assertThat(status).as("console-relay (pid %d)", relay).containsEntry("CapEff", "0000000000000000")
                .containsEntry("CapPrm", "0000000000000000").containsEntry("CapBnd", "0000000000000000")
                .containsEntry("CapInh", "0000000000000000").containsEntry("CapAmb", "0000000000000000")
                .containsEntry("Seccomp", "2").containsEntry("NoNewPrivs", "1");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Files.readString(base.resolve("log")).contains("init system on the console")) {
            assertThat(System.nanoTime()).as("the console's line in LOG: %s", Files.readString(base.resolve("log")))
                    .isLessThan(deadline);
            Thread.sleep(20);
        }
        // The init system's own processes keep the confinement of its level.
        Map<String, String> pid1 = confinementOf(subhosts.find(name).orElseThrow().pid());
        assertThat(pid1.get("Seccomp")).isEqualTo("2");
        assertThat(pid1.get("CapBnd")).isNotEqualTo(status.get("CapBnd"));
        assertThat(List.of(pid1.get("CapEff"))).doesNotContain("000001ffffffffff");
    }
}
