package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.ExecResult;
import org.subhost.NotRunningException;
import org.subhost.Subhost;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;

/**
 * Isolation (no descriptor of ours inside, the old root gone, host mounts invisible) and
 * races (thirty different subhosts booted and stopped at once; a stop that waits for a
 * boot of the same NAME).
 */
class IsolationAndRacesTest {
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

    private final List<SubhostConfig> configs = new ArrayList<>();
    private final List<Path> bases = new ArrayList<>();

    @BeforeEach
    void setUp() {
        KernelFixture.requireRoot();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (SubhostConfig c : configs) {
            try {
                Subhosts.linux().stop(c, Duration.ofSeconds(2));
            } catch (NotRunningException e) {
                // stopped by the test
            }
        }
        for (int i = 0; i < configs.size(); i++) {
            KernelFixture.assertNothingLeft(configs.get(i).name(), bases.get(i));
            KernelFixture.deleteTree(bases.get(i));
        }
    }

    private SubhostConfig config(String cables) throws Exception {
        String name = KernelFixture.uniqueName();
        Path base = KernelFixture.base(name);
        SubhostConfig c = SubhostConfig.builder(name, base).start("none").cables(cables).log(base.resolve("log")).build();
        configs.add(c);
        bases.add(base);
        return c;
    }

    @Test
    void noDescriptorOfOursReachesTheSubhostAndTheHostIsInvisible() throws Exception {
        SubhostConfig c = config("=");
        Subhost s = Subhosts.linux().boot(c);

        // pid 1: only 0-2 (LOG and /dev/null); a command run from the outside: 0-2 and the
        // descriptor ls itself opens on /proc/self/fd.
        assertThat(run(s, "ls /proc/1/fd")).isEqualTo("0\n1\n2\n");
        assertThat(run(s, "ls /proc/self/fd")).isEqualTo("0\n1\n2\n3\n");
        assertThat(run(s, "readlink /proc/1/root")).isEqualTo("/\n");
        String mounts = run(s, "cat /proc/self/mountinfo");
        assertThat(mounts).doesNotContain(" /work ").doesNotContain(" /run/netns").doesNotContain(" /tmp ")
                .doesNotContain(" /sys/fs/cgroup");
        assertThat(mounts.lines().filter(l -> l.split(" ")[4].equals("/")).count()).isEqualTo(1);
        // The host's processes are not visible: the subhost's /proc has pid 1, this shell,
        // ls and grep, nothing else.
        assertThat(run(s, "cat /proc/1/comm")).isEqualTo(".reaper\n");
        assertThat(run(s, "ls /proc | grep -c '^[0-9]'").trim()).isEqualTo("4");
    }

    @Test
    void thirtyDifferentSubhostsBootAndStopAtOnce() throws Exception {
        List<SubhostConfig> thirty = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            thirty.add(config("="));
        }
        ExecutorService pool = Executors.newFixedThreadPool(30);
        try {
            List<Future<Subhost>> boots = new ArrayList<>();
            for (SubhostConfig c : thirty) {
                boots.add(pool.submit(() -> Subhosts.linux().boot(c)));
            }
            List<Subhost> running = new ArrayList<>();
            for (Future<Subhost> boot : boots) {
                running.add(boot.get());
            }
            assertThat(Subhosts.linux().list()).hasSizeGreaterThanOrEqualTo(30);
            List<Future<?>> stops = new ArrayList<>();
            for (Subhost s : running) {
                stops.add(pool.submit(() -> {
                    s.stop(TEN_SECONDS);
                    return null;
                }));
            }
            for (Future<?> stop : stops) {
                stop.get();
            }
        } finally {
            pool.shutdownNow();
        }
        for (SubhostConfig c : thirty) {
            assertThat(Subhosts.linux().find(c.name())).isEmpty();
        }
    }

    @Test
    void aStopDuringABootWaitsForItAndThenStopsIt() throws Exception {
        SubhostConfig c = config("= =");
        ExecutorService pool = Executors.newFixedThreadPool(1);
        try {
            Future<Subhost> boot = pool.submit(() -> Subhosts.linux().boot(c));
            // Wait until the boot holds the lock and has begun (its first record exists).
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!Files.exists(Path.of("/run/subhost", c.name(), "state")) && !boot.isDone()
                    && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            Subhosts.linux().stop(c, TEN_SECONDS);
            assertThat(boot.get()).isNotNull();
            assertThat(Subhosts.linux().find(c.name())).isEmpty();
        } finally {
            pool.shutdownNow();
        }
    }

    private static String run(Subhost s, String script) throws Exception {
        ExecResult r = s.exec(List.of("/bin/sh", "-c", script), TEN_SECONDS);
        assertThat(r.status()).as("status of %s (stderr: %s)", script, r.stderr()).isZero();
        return r.stdout();
    }
}
