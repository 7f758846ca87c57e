package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.NotRunningException;
import org.subhost.SubhostException;
import org.subhost.Subhosts;
import org.subhost.config.Share;
import org.subhost.config.SubhostConfig;

/**
 * A boot that fails at any step leaves nothing behind and says which step failed and why:
 * a fault injected before each step in turn, and real faults (a missing bridge, a missing
 * LOWER, WORK on another filesystem, a failing PREMOUNT or POSTMOUNT).
 */
class RollbackTest {
    private String name;
    private Path base;
    private SubhostConfig config;

    @BeforeEach
    void setUp() throws Exception {
        KernelFixture.requireRoot();
        name = KernelFixture.uniqueName();
        base = KernelFixture.base(name);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (name == null) {
            return;
        }
        if (config != null) {
            try {
                Subhosts.linux().stop(config, Duration.ofSeconds(2));
            } catch (NotRunningException e) {
                // nothing ran: as it should be
            }
        }
        KernelFixture.assertNothingLeft(name, base);
        KernelFixture.deleteTree(base);
    }

    private SubhostConfig.Builder minimal() {
        return SubhostConfig.builder(name, base).start("none").log(base.resolve("log"));
    }

    @Test
    void aFaultAtEachStepIsRolledBackCompletely() throws Exception {
        Path shared = Files.createDirectories(base.resolve("shared"));
        config = minimal().cables("= =06:20:03:4e:a6:f2").addShare(new Share(shared, Path.of("/srv/shared"))).build();
        List<String> plan = BootPlanner.plan(config, HostFacts.probe()).lines();
        assertThat(plan).hasSizeGreaterThan(15);
        for (int step = 1; step <= plan.size(); step++) {
            int failing = step;
            Subhosts subhosts = LinuxSubhosts.withFaults(Path.of("/run/subhost"), (index, s) -> {
                if (index == failing) {
                    throw new IOException("injected fault");
                }
            });
            assertThatThrownBy(() -> subhosts.boot(config)).as("fault at step %d", step)
                    .isInstanceOf(SubhostException.class)
                    .hasMessage("boot " + name + ": step " + step + " (" + plan.get(step - 1).substring(4)
                            .replaceFirst("^\\[(host|ns|host, alongside ns)\\] ", "") + ") failed: injected fault");
            assertThat(KernelFixture.leftovers(name, base)).as("left after a fault at step %d", step).isEmpty();
            assertThat(Files.exists(base.resolve("root/etc/network/interfaces"))).as("interfaces after step %d", step)
                    .isFalse();
        }
    }

    /**
     * The caller's thread fails while the namespace thread waits for the log relay and the
     * init that it would have made: the fault comes at the caller's "open LOG" step once the
     * namespace thread has reached its wait. The wait ends with the failure (not after its
     * 30 s), the boot names the caller's step, and nothing is left: the namespace thread's
     * mount namespace, root and network namespace, the groups, the records.
     */
    @Test
    void aFailureOnTheCallersThreadWhileTheNamespaceThreadWaitsIsRolledBack() throws Exception {
        config = minimal().cables("= =").build();
        List<String> plan = BootPlanner.plan(config, HostFacts.probe()).lines();
        int prepare = indexOf(plan, "[host, alongside ns] open LOG ");
        int wait = indexOf(plan, "[ns] the log relay and the init, once the caller's thread made them");
        java.util.concurrent.CountDownLatch waiting = new java.util.concurrent.CountDownLatch(1);
        Subhosts subhosts = LinuxSubhosts.withFaults(Path.of("/run/subhost"), (index, step) -> {
            if (index == wait) {
                waiting.countDown();
            } else if (index == prepare) {
                if (!waiting.await(20, java.util.concurrent.TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the namespace thread did not reach its wait");
                }
                // Into the wait itself, as far as a test can tell.
                Thread.sleep(50);
                throw new IOException("injected fault");
            }
        });
        long start = System.nanoTime();
        assertThatThrownBy(() -> subhosts.boot(config)).isInstanceOf(SubhostException.class)
                .hasMessage("boot " + name + ": step " + prepare + " (" + plan.get(prepare - 1).substring(4)
                        .replaceFirst("^\\[host, alongside ns\\] ", "") + ") failed: injected fault");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the wait ended with the failure, not at its limit")
                .isLessThan(InitSupervisor.AwaitPrepared.LIMIT);
        String log = Files.readString(base.resolve("log"));
        assertThat(log).contains("step " + wait + ": the log relay and the init, once the caller's thread made them");
        assertThat(log).doesNotContain("step " + (wait + 1) + ": pid 1");
        assertThat(KernelFixture.leftovers(name, base)).isEmpty();
    }

    /**
     * The namespace thread is started before the first step, so that its start is made
     * beside the record and the registration, and runs its first step only after them: when
     * it makes the network namespace, the registration is in the index of subhost trees.
     */
    @Test
    void theNamespaceThreadIsStartedBeforeTheFirstStepAndBeginsAfterTheRegistration() throws Exception {
        config = minimal().cables("=").build();
        List<String> plan = BootPlanner.plan(config, HostFacts.probe()).lines();
        int netns = indexOf(plan, "[ns] network namespace " + name);
        List<String> seen = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        TreeIndex index = new TreeIndex(Path.of("/run/subhost"), java.util.Optional.empty());
        Subhosts subhosts = LinuxSubhosts.withFaults(Path.of("/run/subhost"), (at, step) -> {
            if (at == 1) {
                seen.add("step 1: boot thread " + (bootThreadAlive() ? "started" : "not started"));
            } else if (at == netns) {
                seen.add("step " + netns + ": " + (index.read().get(name).isPresent() ? "registered" : "not registered"));
            }
        });
        subhosts.boot(config);
        assertThat(seen).containsExactly("step 1: boot thread started", "step " + netns + ": registered");
    }

    /**
     * A failure before the namespace steps (here the registration's) runs none of them: the
     * thread started for them ends without a step, and is gone when the boot has failed.
     */
    @Test
    void aFailureBeforeTheNamespaceStepsRunsNoneOfThemAndEndsTheirThread() throws Exception {
        config = minimal().cables("=").build();
        List<String> plan = BootPlanner.plan(config, HostFacts.probe()).lines();
        int register = indexOf(plan, "[host] register the trees of " + name);
        int netns = indexOf(plan, "[ns] network namespace " + name);
        Subhosts subhosts = LinuxSubhosts.withFaults(Path.of("/run/subhost"), (at, step) -> {
            if (at == register) {
                throw new IOException("injected fault");
            }
        });
        assertThatThrownBy(() -> subhosts.boot(config)).isInstanceOf(SubhostException.class)
                .hasMessage("boot " + name + ": step " + register + " (" + plan.get(register - 1).substring(4)
                        .replaceFirst("^\\[host\\] ", "") + ") failed: injected fault");
        assertThat(bootThreadAlive()).as("the boot thread, after the failed boot").isFalse();
        assertThat(Files.readString(base.resolve("log"))).contains("step " + register + ": register the trees")
                .doesNotContain("step " + netns + ":");
        assertThat(KernelFixture.leftovers(name, base)).isEmpty();
    }

    /** Whether the namespace thread of this test's boot ("boot NAME") is alive. */
    private boolean bootThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals("boot " + name) && t.isAlive());
    }

    /** The number of the plan's step whose line holds {@code text}. */
    private static int indexOf(List<String> plan, String text) {
        return 1 + java.util.stream.IntStream.range(0, plan.size()).filter(i -> plan.get(i).contains(text)).findFirst()
                .orElseThrow(() -> new AssertionError("no step " + text + " in " + plan));
    }

    /**
     * An undo that itself fails during a rollback: a process of the test's own sits in the
     * boot's control group (so that the kernel refuses its rmdir with EBUSY) when a later step
     * fails. The failure is logged and kept as a suppressed exception, and the other undos
     * still run: only the control group is left, which the test then removes itself.
     */
    @Test
    void anUndoThatFailsIsLoggedAndTheOtherUndosStillRun() throws Exception {
        config = minimal().cables("= =").build();
        List<String> plan = BootPlanner.plan(config, HostFacts.probe()).lines();
        int failing = 1 + java.util.stream.IntStream.range(0, plan.size()).filter(i -> plan.get(i).contains("record pid 1"))
                .findFirst().orElseThrow();
        Process squatter = new ProcessBuilder("sleep", "300").start();
        Path[] group = new Path[1];
        try {
            Subhosts subhosts = LinuxSubhosts.withFaults(Path.of("/run/subhost"), (index, step) -> {
                if (index == failing) {
                    for (String top : List.of("/sys/fs/cgroup/unified/", "/sys/fs/cgroup/")) {
                        if (group[0] == null && Files.isDirectory(Path.of(top + name))) {
                            group[0] = Path.of(top + name);
                        }
                    }
                    Files.writeString(group[0].resolve("cgroup.procs"), Long.toString(squatter.pid()));
                    throw new IOException("injected fault");
                }
            });
            assertThatThrownBy(() -> subhosts.boot(config)).isInstanceOf(SubhostException.class)
                    .hasMessageStartingWith("boot " + name + ": step " + failing + " (record pid 1")
                    .hasMessageEndingWith("failed: injected fault")
                    .satisfies(e -> assertThat(e.getSuppressed()).singleElement().satisfies(
                            x -> assertThat(x).hasMessageStartingWith("cannot remove control group " + group[0])
                                    .hasMessageContaining("(processes still in it: " + squatter.pid() + ")")));
            String log = Files.readString(base.resolve("log"));
            assertThat(log).containsPattern("undo of \"control groups " + java.util.regex.Pattern.quote(group[0].toString())
                    + "[^\"]*\" failed: cannot remove control group " + java.util.regex.Pattern.quote(group[0].toString()));
            assertThat(log).containsPattern("boot " + name + ": rolled back \\d+ step\\(s\\)\n");
            // The undos after the failed one (in reverse order: the state record, the cables and
            // the network namespace) ran: the control group is all that is left.
            assertThat(KernelFixture.leftovers(name, base)).containsExactly("cgroup " + group[0]);
        } finally {
            squatter.destroyForcibly().waitFor();
            if (group[0] != null) {
                ControlGroup.remove(group[0]);
            }
        }
    }

    @Test
    void aMissingBridgeFailsAtItsCableAndLeavesNothing() throws Exception {
        config = minimal().cables("shtnobr0=").build();
        assertThatThrownBy(() -> Subhosts.linux().boot(config)).isInstanceOf(SubhostException.class)
                .hasMessage("boot " + name + ": step 9 (host end " + name + "0: port of bridge shtnobr0, up) failed: "
                        + "bridge shtnobr0 (for " + name + "0) does not exist on the host");
    }

    @Test
    void aMissingLowerIsNamed() throws Exception {
        config = minimal().lower(base.resolve("nowhere")).build();
        assertThatThrownBy(() -> Subhosts.linux().boot(config)).isInstanceOf(SubhostException.class)
                .hasMessageEndingWith("failed: LOWER (" + base.resolve("nowhere") + ") does not exist");
    }

    @Test
    void workOnAnotherFilesystemThanUpperIsNamed() throws Exception {
        Path work = Path.of("/dev/shm").resolve("subhost-test-" + name);
        Files.createDirectories(work);
        try {
            config = minimal().work(work).build();
            assertThatThrownBy(() -> Subhosts.linux().boot(config)).isInstanceOf(SubhostException.class)
                    .hasMessageEndingWith("failed: WORK (" + work + ") must be on the same filesystem as UPPER ("
                            + base.resolve("root") + "), and on the same mount of it");
        } finally {
            Files.deleteIfExists(work);
        }
    }

    @Test
    void aFailingPremountOrPostmountIsRolledBack() throws Exception {
        config = minimal().premount("exit 3 #").build();
        assertThatThrownBy(() -> Subhosts.linux().boot(config)).isInstanceOf(SubhostException.class)
                .hasMessageContaining("PREMOUNT (exit 3 #) exited with status 3");
        assertThat(KernelFixture.leftovers(name, base)).isEmpty();

        config = minimal().postmount("echo post $*; false #").build();
        assertThatThrownBy(() -> Subhosts.linux().boot(config)).isInstanceOf(SubhostException.class)
                .hasMessageContaining("POSTMOUNT (echo post $*; false #) exited with status 1");
        assertThat(Files.readString(base.resolve("log"))).contains("post " + base.resolve("live") + " " + base.resolve("root"));
    }

    @Test
    void aFailingServiceStillBootsAndIsReported() throws Exception {
        Path failing = Files.writeString(base.resolve("failing"), "#!/bin/sh\nexit 4\n");
        Files.setAttribute(failing, "unix:mode", 0755);
        config = minimal().start(failing.toString()).build();
        var subhost = Subhosts.linux().boot(config);
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (subhost.status().services().getFirst().state().equals("unknown") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(subhost.status().services().getFirst().state()).isEqualTo("failed (status 4)");
        assertThat(Files.readString(base.resolve("log"))).contains("service " + failing + " failed (status 4)");
    }

    @Test
    void aHangingPremountPostmountOrInitIsCutOffAtItsLimitAndNamed() throws Exception {
        // sleep with an unusual argument, so that a survivor can be told from any other process
        long mark = 100_000 + java.util.concurrent.ThreadLocalRandom.current().nextLong(100_000);
        String hang = "sleep " + mark + " #";
        for (String variable : List.of("PREMOUNT", "POSTMOUNT", "INIT")) {
            SubhostConfig.Builder builder = minimal().hookTimeout(Duration.ofSeconds(1));
            config = switch (variable) {
                case "PREMOUNT" -> builder.premount(hang).build();
                case "POSTMOUNT" -> builder.postmount(hang).build();
                default -> builder.init(hang).build();
            };
            assertThatThrownBy(() -> Subhosts.linux().boot(config)).as(variable).isInstanceOf(SubhostException.class)
                    .hasMessageContaining(variable + " (" + hang + ") did not finish within 1 s and was killed");
            assertThat(KernelFixture.leftovers(name, base)).as("left after a hanging " + variable).isEmpty();
            assertThat(ProcessHandle.allProcesses().filter(p -> p.info().arguments()
                    .map(a -> a.length > 0 && a[0].equals(Long.toString(mark))).orElse(false)).toList())
                    .as("processes of the hanging " + variable).isEmpty();
        }
    }

    @Test
    void aHangingServiceStartIsCutOffAndTheNextServiceStillStarts() throws Exception {
        Path hanging = Files.writeString(base.resolve("hanging"), "#!/bin/sh\nexec sleep 600\n");
        Files.setAttribute(hanging, "unix:mode", 0755);
        Path next = Files.writeString(base.resolve("next"), "#!/bin/sh\nexit 0\n");
        Files.setAttribute(next, "unix:mode", 0755);
        config = minimal().start(List.of(hanging.toString(), next.toString())).serviceTimeout(Duration.ofSeconds(1))
                .build();
        var subhost = Subhosts.linux().boot(config);
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (subhost.status().services().get(1).state().equals("unknown") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(subhost.status().services()).extracting(s -> s.state())
                .containsExactly("timed out (killed after 1 s)", "started");
        assertThat(Files.readString(base.resolve("log")))
                .contains("time limit (1 s) passed: killed " + hanging + " and its process group");
    }

    @Test
    void aHangingServiceStopIsCutOffAtTheGraceAndTheStopGoesOn() throws Exception {
        Path service = Files.writeString(base.resolve("service"),
                "#!/bin/sh\ncase \"$1\" in stop) exec sleep 600 ;; esac\n");
        Files.setAttribute(service, "unix:mode", 0755);
        config = minimal().start(service.toString()).build();
        var subhost = Subhosts.linux().boot(config);
        subhost.stop(Duration.ofSeconds(1));
        // pid 1 stops the script, cut off at the grace with SIGKILL, and the stop goes on.
        assertThat(Files.readString(base.resolve("log"))).contains("service " + service + " stopping\n",
                "service " + service + ": still running after its stop time; SIGKILL\n", "service " + service + " stopped\n",
                "stopped; nothing of it is left\n");
        assertThat(KernelFixture.leftovers(name, base)).isEmpty();
    }

    @Test
    void timeLimitsMustBeWholeSecondsFromOneSecondToADay() {
        assertThatThrownBy(() -> minimal().hookTimeout(Duration.ofMillis(500)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("hook time limit (500 ms) must be a whole number of seconds from 1 to 86400");
        assertThatThrownBy(() -> minimal().serviceTimeout(Duration.ofDays(2)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("service time limit (172800 s) must be a whole number of seconds from 1 to 86400");
        assertThat(minimal().build().hookTimeout()).isEqualTo(SubhostConfig.DEFAULT_HOOK_TIMEOUT);
        assertThat(minimal().build().serviceTimeout()).isEqualTo(SubhostConfig.DEFAULT_SERVICE_TIMEOUT);
    }

    @Test
    void eightBootsOfOneNameAtOnceRunExactlyOneSubhost() throws Exception {
        config = minimal().cables("=").build();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
        try {
            java.util.concurrent.CountDownLatch start = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<String>> boots = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                boots.add(pool.submit(() -> {
                    start.await();
                    try {
                        Subhosts.linux().boot(config);
                        return "booted";
                    } catch (SubhostException e) {
                        return e.getMessage();
                    }
                }));
            }
            start.countDown();
            List<String> outcomes = new java.util.ArrayList<>();
            for (var boot : boots) {
                outcomes.add(boot.get());
            }
            int pid = Subhosts.linux().find(name).orElseThrow().pid();
            assertThat(outcomes).filteredOn("booted"::equals).hasSize(1);
            assertThat(outcomes).filteredOn(o -> !o.equals("booted"))
                    .containsOnly(name + " is already running (pid " + pid + "); stop it first");
        } finally {
            pool.shutdownNow();
        }
    }
}
