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
import org.subhost.SubhostStatus;
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

        // pid 1: only 0-2 (the subhost's /dev/null, the pipe to the log relay); a command
        // run from the outside: 0-2 and the descriptor ls itself opens on /proc/self/fd.
        assertThat(run(s, "ls /proc/1/fd")).isEqualTo("0\n1\n2\n");
        assertThat(run(s, "ls /proc/self/fd")).isEqualTo("0\n1\n2\n3\n");
        assertThat(run(s, "readlink /proc/1/root")).isEqualTo("/\n");
        String mounts = run(s, "cat /proc/self/mountinfo");
        assertThat(mounts).doesNotContain(" /work ").doesNotContain(" /run/netns").doesNotContain(" /tmp ")
                .doesNotContain(" /sys/fs/cgroup");
        assertThat(mounts.lines().filter(l -> l.split(" ")[4].equals("/")).count()).isEqualTo(1);
        // The host's processes are not visible: the subhost's /proc has pid 1 and this shell,
        // nothing else (the shell expands the pattern itself, before it starts any program).
        assertThat(run(s, "cat /proc/1/comm")).isEqualTo("subhost-init\n");
        String[] procs = run(s, "echo /proc/[0-9]*; echo $$").split("\n");
        assertThat(procs[0]).isEqualTo("/proc/1 /proc/" + procs[1]);
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
            // All thirty are listed, by NAME in order (other subhosts of this host may be there too).
            List<String> listed = Subhosts.linux().list().stream().map(SubhostStatus::name).toList();
            assertThat(listed).as("list() in NAME order").isSorted();
            assertThat(listed).containsAll(thirty.stream().map(SubhostConfig::name).toList());
            for (int i = 0; i < 30; i++) {
                assertThat(running.get(i).status().pid()).as("pid 1 of %s", thirty.get(i).name()).isEqualTo(running.get(i).pid());
            }
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

    /**
     * A stop of a NAME whose boot is under way waits for the boot (on the NAME's lock) and
     * then stops what it made. The boot is held in its PREMOUNT hook, which waits for a line
     * on a FIFO; the stop is called meanwhile, and the hook is let go only once the stop is
     * seen blocked on the lock in {@code /proc/locks} (a waiter is listed there with
     * {@code ->}). Events, not delays: on any machine the stop overlaps the boot.
     */
    @Test
    void aStopDuringABootWaitsForItAndThenStopsIt() throws Exception {
        String name = KernelFixture.uniqueName();
        Path base = KernelFixture.base(name);
        Path fifo = base.resolve("hold");
        Path held = base.resolve("held");
        KernelFixture.run("mkfifo", fifo.toString());
        SubhostConfig c = SubhostConfig.builder(name, base).start("none").cables("= =").log(base.resolve("log"))
                .premount("echo held > " + held + "; read line < " + fifo + "; true").build();
        configs.add(c);
        bases.add(base);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Subhost> boot = pool.submit(() -> Subhosts.linux().boot(c));
            while (!Files.exists(held)) {
                assertThat(boot.isDone()).as("the boot ended before its PREMOUNT ran: %s", boot).isFalse();
                Thread.sleep(5);
            }
            Path lock = Path.of("/run/subhost", "." + name + ".lock");
            long inode = (Long) Files.getAttribute(lock, "unix:ino");
            Future<?> stop = pool.submit(() -> {
                Subhosts.linux().stop(c, TEN_SECONDS);
                return null;
            });
            while (!waitsForLock(inode)) {
                assertThat(stop.isDone()).as("the stop ended while the boot held the lock: %s", stop).isFalse();
                Thread.sleep(5);
            }
            Files.writeString(fifo, "go\n");
            Subhost booted = boot.get();
            stop.get();
            assertThat(booted.name()).isEqualTo(name);
            assertThat(Subhosts.linux().find(name)).isEmpty();
            // The stop found pid 1 of the finished boot and stopped it (not a half-made boot).
            String log = Files.readString(base.resolve("log"));
            java.util.regex.Matcher pid1 = java.util.regex.Pattern.compile("booted: pid 1 is (\\d+)\n").matcher(log);
            assertThat(pid1.find()).as("the boot's last line in LOG:%n%s", log).isTrue();
            assertThat(log.substring(pid1.end())).contains("stopping pid 1 (" + pid1.group(1) + ")");
        } finally {
            if (Files.exists(fifo)) {
                // Let a held hook go (harmless when it went already): opened for reading and
                // writing, a FIFO does not wait for a reader.
                try (var ch = java.nio.channels.FileChannel.open(fifo, java.nio.file.StandardOpenOption.READ,
                        java.nio.file.StandardOpenOption.WRITE)) {
                    ch.write(java.nio.ByteBuffer.wrap("go\n".getBytes()));
                } catch (java.io.IOException e) {
                    // nobody reads it any more
                }
            }
            pool.shutdownNow();
        }
    }

    /** Whether {@code /proc/locks} lists a blocked waiter ({@code ->}) for a lock on inode {@code inode}. */
    private static boolean waitsForLock(long inode) throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/locks"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length > 5 && f[1].equals("->") && f[6].endsWith(":" + inode)) {
                return true;
            }
        }
        return false;
    }

    private static String run(Subhost s, String script) throws Exception {
        ExecResult r = s.exec(List.of("/bin/sh", "-c", script), TEN_SECONDS);
        assertThat(r.status()).as("status of %s (stderr: %s)", script, r.stderr()).isZero();
        return r.stdout();
    }
}
