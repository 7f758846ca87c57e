package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;

/**
 * Where pid 1, a service, the log relay and an entering process are right after the boot,
 * now that pid 1 and the relay are born in the control groups ({@link BirthGroups}) instead
 * of moved there: looked at from the host, in each process's {@code /proc/PID/cgroup} and
 * each group's {@code cgroup.procs}, on this machine's hybrid layout (v2 at
 * /sys/fs/cgroup/unified, memory, pids and cpu in v1 hierarchies). And a group that the
 * kernel refuses pid 1's birth in fails the boot, naming the group and the errno, and leaves
 * nothing.
 */
class ControlGroupBirthKernelTest extends SubhostKernelTest {
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);


    /** The subhost's group in hierarchy {@code hierarchy} ({@code v2}, {@code pids}, ...) of {@code groups}, or none. */
    private String groupIn(List<String> groups, String hierarchy) {
        return groups.stream().filter(g -> g.startsWith(hierarchy + ":")).findFirst().orElseThrow()
                .substring(hierarchy.length() + 1);
    }

    /** The host pids of the processes whose command line is exactly {@code argv}. */
    private static List<Long> pidsOf(List<String> argv) throws IOException {
        String wanted = String.join("\0", argv) + "\0";
        List<Long> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList()) {
                try {
                    if (new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8).equals(wanted)) {
                        found.add(Long.parseLong(p.getFileName().toString()));
                    }
                } catch (IOException gone) {
                    // ended meanwhile
                }
            }
        }
        return found;
    }

    /**
     * The host pid of the one process whose command line is exactly {@code argv}, once there
     * is one: a shell's background child runs {@code argv} only from its exec on, which may
     * come just after the shell (an init.d script, an entering command) ended. Its groups are
     * the ones it was forked into.
     */
    private static long awaitProcess(List<String> argv) throws Exception {
        long deadline = System.nanoTime() + TEN_SECONDS.toNanos();
        while (true) {
            List<Long> found = pidsOf(argv);
            if (!found.isEmpty() || System.nanoTime() > deadline) {
                assertThat(found).as("processes running %s", argv).hasSize(1);
                return found.getFirst();
            }
            Thread.sleep(5);
        }
    }

    /** Asserts that {@code pid} is in the subhost's v2, memory, pids and cpu groups. */
    private void assertInEveryGroup(long pid, String what) throws IOException {
        List<String> groups = KernelFixture.groupsOf(pid);
        assertThat(groupIn(groups, "v2")).as("%s's v2 group", what).isEqualTo("/" + name);
        assertThat(groupIn(groups, "pids")).as("%s's pids group", what).isEqualTo("/" + name);
        assertThat(groupIn(groups, "cpu")).as("%s's cpu group", what).isEqualTo("/" + name);
        assertThat(groupIn(groups, "memory")).as("%s's memory group", what).endsWith("/" + name);
    }

    @Test
    void pidOneAServiceTheLogRelayAndAnEnteringProcessAreInTheSubhostsGroupsRightAfterTheBoot() throws Exception {
        Path script = Files.createDirectories(base.resolve("root/etc/init.d")).resolve("cgjoin");
        Files.writeString(script, "#!/bin/sh\ncase \"$1\" in start) sleep 271.828 >/dev/null 2>&1 & ;; esac\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        config = SubhostConfig.builder(name, base).start("cgjoin").log(base.resolve("log")).build();

        Subhost s = subhosts.boot(config);

        // Right after the boot returned: pid 1, then the service it started (a child of the
        // init.d script's, which ended), each in every group.
        assertInEveryGroup(s.pid(), "pid 1");
        long service = awaitProcess(List.of("sleep", "271.828"));
        assertInEveryGroup(service, "the service");
        // The log relay, a process of the host's: its memory is the subhost's, its pids and
        // CPU time are not (PIDS_MAX is for the subhost's own processes).
        List<Long> relay = relayByArguments();
        assertThat(relay).as("the log relay").hasSize(1);
        List<String> relayGroups = KernelFixture.groupsOf(relay.getFirst());
        assertThat(groupIn(relayGroups, "v2")).isEqualTo("/" + name);
        assertThat(groupIn(relayGroups, "memory")).endsWith("/" + name);
        assertThat(groupIn(relayGroups, "pids")).isNotEqualTo("/" + name);
        assertThat(groupIn(relayGroups, "cpu")).isNotEqualTo("/" + name);
        // An entering process: it leaves a child behind, which is where it was.
        assertThat(s.exec(List.of("/bin/sh", "-c", "sleep 314.159 >/dev/null 2>&1 &"), TEN_SECONDS).status())
                .isZero();
        long entered = awaitProcess(List.of("sleep", "314.159"));
        assertInEveryGroup(entered, "the entering process's child");
        // And each group lists them: the v2 one all four, the pids one all but the relay.
        Path v2 = Path.of("/sys/fs/cgroup/unified", name);
        assertThat(Files.readAllLines(v2.resolve("cgroup.procs"))).contains(Long.toString(s.pid()),
                Long.toString(service), relay.getFirst().toString(), Long.toString(entered));
        assertThat(Files.readAllLines(Path.of("/sys/fs/cgroup/pids", name, "cgroup.procs")))
                .contains(Long.toString(s.pid()), Long.toString(service), Long.toString(entered))
                .doesNotContain(relay.getFirst().toString());
    }

    /** The log relay of this subhost, by the arguments it is started with (its argv[0] is subhost-init). */
    private List<Long> relayByArguments() throws IOException {
        List<Long> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList()) {
                try {
                    List<String> argv = List.of(new String(Files.readAllBytes(p.resolve("cmdline")),
                            StandardCharsets.UTF_8).split("\0"));
                    int at = argv.indexOf("--name");
                    if (argv.contains("--log-relay") && at > 0 && at + 1 < argv.size() && argv.get(at + 1).equals(name)) {
                        found.add(Long.parseLong(p.getFileName().toString()));
                    }
                } catch (IOException gone) {
                    // ended meanwhile
                }
            }
        }
        return found;
    }

    @Test
    void aPidsMaxOfOneHoldsPidOneAloneSinceItsLauncherNeverJoinsTheGroup() throws Exception {
        config = SubhostConfig.builder(name, base).start("none").log(base.resolve("log")).limit("PIDS_MAX", "1")
                .build();

        Subhost s = subhosts.boot(config);

        // The launcher clones pid 1 from the host's groups; pid 1 moves itself into the v1
        // ones. Had the launcher gone first, the clone would have been the group's second task.
        Path pids = Path.of("/sys/fs/cgroup/pids", name);
        assertThat(Files.readString(pids.resolve("pids.max")).strip()).isEqualTo("1");
        assertThat(Files.readAllLines(pids.resolve("cgroup.procs"))).containsExactly(Long.toString(s.pid()));
        assertInEveryGroup(s.pid(), "pid 1");
    }

    @Test
    void aGroupThatRefusesPidOnesBirthFailsTheBootNamingTheGroupAndLeavesNothing() throws Exception {
        config = SubhostConfig.builder(name, base).start("none").log(base.resolve("log")).build();
        List<String> plan = BootPlanner.plan(config, HostFacts.probe()).lines();
        int awaitNetns = 1 + java.util.stream.IntStream.range(0, plan.size())
                .filter(i -> plan.get(i).contains("] network namespace " + name + " once the namespace thread made it"))
                .findFirst().orElseThrow();
        int start = 1 + java.util.stream.IntStream.range(0, plan.size())
                .filter(i -> plan.get(i).contains("] pid 1 (the SDK's subhost-init")).findFirst().orElseThrow();
        Path pids = Path.of("/sys/fs/cgroup/pids", name);
        // After the groups were opened for pid 1 (with LOG, on the caller's thread), before the
        // wait for the network namespace on the same thread and so before pid 1's spawn (which
        // waits for that thread's LOG and relay): its pids group goes (nothing is
        // in it yet, the log relay is not counted there), and the kernel refuses the write of
        // pid 1's launcher into the tasks file of a group that is gone.
        Subhosts faulty = LinuxSubhosts.withFaults(Path.of("/run/subhost"), (index, step) -> {
            if (index == awaitNetns) {
                Files.delete(pids);
            }
        });

        assertThatThrownBy(() -> faulty.boot(config)).isInstanceOf(SubhostException.class)
                .hasMessageStartingWith("boot " + name + ": step " + start + " (pid 1 (the SDK's subhost-init")
                .hasMessageContaining(" failed: pid 1 could not be born in the subhost's control groups: write("
                        + pids.resolve("tasks") + ", \"0\"): ENODEV (No such device)");
        config = null;
        assertThat(KernelFixture.leftovers(name, base)).isEmpty();
        assertThat(Path.of("/sys/fs/cgroup/unified", name)).doesNotExist();
        // The launcher said why in LOG too; no init ran.
        String log = Files.readString(base.resolve("log"));
        assertThat(log).contains("move into a v1 control group (0 into its tasks)").contains("ENODEV");
        assertThat(log).doesNotContain("no service running");
    }
}
