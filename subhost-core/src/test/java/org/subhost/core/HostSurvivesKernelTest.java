package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.subhost.ExecResult;
import org.subhost.NotRunningException;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.config.Limits;
import org.subhost.config.SubhostConfig;

/**
 * A subhost cannot take its host down (issue 23): a fork bomb stops at the default
 * PIDS_MAX, a process that allocates past MEMORY_MAX is killed inside the subhost only, and
 * two subhosts with CPU_WEIGHT 100 and 300 share the CPUs about 1:3. Harmless to the
 * machine that runs them: the limits are small, every wait is bounded, and the tear-down
 * stops the subhosts (their pid namespaces die with their pid 1) even when a check fails.
 */
class HostSurvivesKernelTest extends SubhostKernelTest {
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);
    /** The second subhost of the CPU test, with a name and base of its own. */
    private String otherName;
    private Path otherBase;
    private SubhostConfig otherConfig;

    @AfterEach
    void stopTheOther() throws Exception {
        if (otherName != null) {
            KernelFixture.stopAndCheckNothingLeft(subhosts, otherConfig, otherName, otherBase);
        }
    }

    private Subhost boot(SubhostConfig.Builder builder) throws SubhostException {
        config = builder.start("none").log(base.resolve("log")).build();
        return subhosts.boot(config);
    }

    /** This machine's v1 group of the subhost for {@code controller}: this JVM's group there, plus NAME. */
    private static Path v1Group(String controller, String name) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            String[] f = line.split(":", 3);
            if (List.of(f[1].split(",")).contains(controller)) {
                return Path.of("/sys/fs/cgroup", f[1], f[2].substring(1), name);
            }
        }
        throw new IllegalStateException("no v1 hierarchy " + controller);
    }

    private static long number(Path file) throws IOException {
        return Long.parseLong(Files.readString(file).strip());
    }

    /** The value of {@code key} in a flat keyed file such as pids.events ({@code max 12}). */
    private static long field(Path file, String key) throws IOException {
        for (String line : Files.readAllLines(file)) {
            String[] f = line.split(" ");
            if (f[0].equals(key)) {
                return Long.parseLong(f[1]);
            }
        }
        throw new IllegalStateException(file + " has no " + key);
    }

    private static boolean hostForks() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("/bin/true").start();
        return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
    }

    @Test
    void aForkBombStopsAtTheDefaultPidsMaxAndTheHostStillForks() throws Exception {
        Subhost s = boot(SubhostConfig.builder(name, base));
        Path pids = v1Group("pids", name);
        assertThat(pids.resolve("pids.max")).content().isEqualTo(Limits.DEFAULT_PIDS_MAX + "\n");

        // The classic bomb, in dash: every call forks two more, without end. The exec's
        // shell returns at once (its output pipes closed first, so that nothing keeps the exec
        // waiting); the bomb goes on in the background until the stop.
        s.exec(List.of("/bin/sh", "-c", "exec >/dev/null 2>&1; b() { b | b & }; b"), TEN_SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (field(pids.resolve("pids.events"), "max") == 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(field(pids.resolve("pids.events"), "max")).as("forks refused at the limit").isPositive();
        assertThat(number(pids.resolve("pids.current"))).isLessThanOrEqualTo(Limits.DEFAULT_PIDS_MAX);
        assertThat(hostForks()).as("the host still forks").isTrue();
        // The status counts the subhost's processes; a dash bomb at its limit collapses and
        // regrows (a refused fork ends its shell), so the count is only bounded, not fixed.
        assertThat(s.status().usage().processes().orElseThrow()).isBetween(1L, (long) Limits.DEFAULT_PIDS_MAX);

        subhosts.stop(config, Duration.ofSeconds(2));
        assertThat(KernelFixture.leftovers(name, base)).isEmpty();
    }

    @Test
    void aProcessPastMemoryMaxIsKilledInsideAndPidOneAndTheHostLiveOn() throws Exception {
        Subhost s = boot(SubhostConfig.builder(name, base).limit("MEMORY_MAX", "64M"));

        // 256 MiB of touched memory: four times the limit.
        ExecResult hog = s.exec(List.of("python3", "-c", "b = bytearray(b'x') * (256 << 20); print(len(b))"),
                Duration.ofSeconds(30));

        assertThat(hog.status()).as("killed by SIGKILL (stderr: %s)", hog.stderr()).isEqualTo(128 + 9);
        assertThat(hog.stdout()).isEmpty();
        assertThat(s.status().usage().oomKills().orElseThrow()).isGreaterThanOrEqualTo(1);
        assertThat(field(v1Group("memory", name).resolve("memory.oom_control"), "oom_kill")).isGreaterThanOrEqualTo(1);
        assertThat(s.exec(List.of("echo", "alive"), TEN_SECONDS).stdout()).as("pid 1 and its subhost live on")
                .isEqualTo("alive\n");
        assertThat(hostForks()).isTrue();
    }

    @Test
    void spinnersInTwoSubhostsWithCpuWeights100And300ShareTheCpusAboutOneToThree() throws Exception {
        Subhost light = boot(SubhostConfig.builder(name, base).limit("CPU_WEIGHT", "100"));
        otherName = KernelFixture.uniqueName();
        otherBase = KernelFixture.base(otherName);
        otherConfig = SubhostConfig.builder(otherName, otherBase).start("none").log(otherBase.resolve("log"))
                .limit("CPU_WEIGHT", "300").build();
        Subhost heavy = subhosts.boot(otherConfig);
        int cpus = Runtime.getRuntime().availableProcessors();
        // As many spinners in each as the machine has CPUs, for 6 s at most (timeout kills them).
        String spin = "for i in $(seq " + cpus + "); do timeout 6 sh -c 'while :; do :; done' & done; wait";
        Thread a = Thread.ofPlatform().start(() -> quietly(light, spin));
        Thread b = Thread.ofPlatform().start(() -> quietly(heavy, spin));
        try {
            Thread.sleep(1500); // all spinning
            long lightStart = cpuMicros(name);
            long heavyStart = cpuMicros(otherName);
            Thread.sleep(3000);
            long lightUsed = cpuMicros(name) - lightStart;
            long heavyUsed = cpuMicros(otherName) - heavyStart;
            double ratio = (double) heavyUsed / lightUsed;
            assertThat(ratio).as("CPU time of weight 300 over weight 100 (%d us, %d us)", heavyUsed, lightUsed)
                    .isBetween(2.0, 4.5);
        } finally {
            a.join(TimeUnit.SECONDS.toMillis(15));
            b.join(TimeUnit.SECONDS.toMillis(15));
        }
    }

    private static void quietly(Subhost s, String script) {
        try {
            s.exec(List.of("/bin/sh", "-c", script), Duration.ofSeconds(12));
        } catch (NotRunningException e) {
            // stopped by the tear-down
        } catch (SubhostException e) {
            // a spinner that did not end in time was killed with its exec
        }
    }

    /** The CPU time of a subhost's v2 group (cpu.stat, usage_usec), read by the test itself. */
    private static long cpuMicros(String name) throws IOException {
        return field(Path.of("/sys/fs/cgroup/unified", name, "cpu.stat"), "usage_usec");
    }
}
