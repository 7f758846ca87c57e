package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.SubhostStatus;
import org.subhost.config.Limits;

/**
 * The cgroup layer without root: the host's layout read from what the kernel says, where a
 * subhost's groups go, each limit in cgroup v2's and v1's words, and the v2 side written
 * into a directory laid out like cgroupfs (this machine's v2 has no controllers to try it
 * on; the v1 side is tried for real by {@link LimitsKernelTest}).
 */
class CgroupsTest {
    private static final CgroupLayout HYBRID = BootPlannerTest.HYBRID;

    @Test
    void readsAHybridLayoutFromProcSelfCgroup() {
        assertThat(HYBRID.v1Hierarchy("memory")).hasValueSatisfying(h -> {
            assertThat(h.mount()).isEqualTo(Path.of("/sys/fs/cgroup/memory"));
            assertThat(h.groupOf("ex1")).isEqualTo(Path.of("/sys/fs/cgroup/memory/process_api/f632/ex1"));
        });
        assertThat(HYBRID.v1Hierarchy("io")).map(CgroupLayout.Hierarchy::mount).contains(Path.of("/sys/fs/cgroup/blkio"));
        assertThat(HYBRID.onV2("memory")).isFalse();
        assertThat(HYBRID.onV2("hugetlb")).isTrue();
        assertThat(HYBRID.offers("pids")).isTrue();
        assertThat(HYBRID.offers("rdma")).isFalse();
        assertThat(HYBRID.describe()).isEqualTo("hybrid: cgroup v2 at /sys/fs/cgroup/unified with controllers hugetlb;"
                + " cgroup v1 controllers blkio cpu cpuacct devices memory pids under /sys/fs/cgroup");
        assertThat(HYBRID.v1()).noneMatch(h -> h.controllers().contains("name=systemd"));
    }

    @Test
    void describesEveryKindOfLayout() {
        assertThat(CgroupLayout.unified(Path.of("/sys/fs/cgroup"), Set.of("pids", "memory")).describe())
                .isEqualTo("unified: cgroup v2 at /sys/fs/cgroup with controllers memory pids");
        assertThat(new CgroupLayout(Optional.of(Path.of("/sys/fs/cgroup")), Optional.of(Path.of("system.slice/a.service")),
                Set.of(), List.of()).describe()).isEqualTo("unified: cgroup v2 at /sys/fs/cgroup (in the unit's group"
                + " /system.slice/a.service) without controllers");
        assertThat(CgroupLayout.NONE.describe()).isEqualTo("none: no control group hierarchy is mounted");
        CgroupLayout legacy = CgroupLayout.read(Optional.empty(), Optional.empty(), "3:pids:/\n",
                c -> Optional.of(Path.of("/sys/fs/cgroup/pids")), g -> Set.of());
        assertThat(legacy.describe()).isEqualTo("legacy: cgroup v1 controllers pids under /sys/fs/cgroup");
    }

    @Test
    void theV2ControllersAreThoseTheParentOffers() {
        CgroupLayout unit = CgroupLayout.read(Optional.of(Path.of("/sys/fs/cgroup")),
                Optional.of(Path.of("system.slice/subhosts@x.service")), "0::/system.slice/subhosts@x.service\n",
                c -> Optional.empty(), group -> group.endsWith("subhosts@x.service") ? Set.of("pids", "memory")
                        : Set.of("cpu", "io", "memory", "pids"));
        assertThat(unit.v2Controllers()).containsExactlyInAnyOrder("pids", "memory");
    }

    @Test
    void theGroupsRoundTripThroughTheStateRecord() throws IOException {
        SubhostGroups groups = SubhostGroups.plan("ex1", HYBRID, Limits.DEFAULT);
        assertThat(SubhostGroups.fromRecord(groups.record())).isEqualTo(groups);
        assertThat(groups.directories()).containsExactly(Path.of("/sys/fs/cgroup/unified/ex1"),
                Path.of("/sys/fs/cgroup/memory/process_api/f632/ex1"), Path.of("/sys/fs/cgroup/pids/ex1"),
                Path.of("/sys/fs/cgroup/cpu/ex1"));
        assertThat(groups.relayDirectories()).containsExactly(Path.of("/sys/fs/cgroup/unified/ex1"),
                Path.of("/sys/fs/cgroup/memory/process_api/f632/ex1"));
        CgroupLayout legacy = CgroupLayout.read(Optional.empty(), Optional.empty(), "5:devices:/\n8:pids:/\n",
                c -> Optional.of(Path.of("/sys/fs/cgroup", String.join(",", c))), g -> Set.of());
        assertThat(SubhostGroups.plan("ex1", legacy, Limits.DEFAULT).directories()).as("without v2: v1 devices")
                .containsExactly(Path.of("/sys/fs/cgroup/pids/ex1"), Path.of("/sys/fs/cgroup/devices/ex1"));
        assertThat(groups.membership()).contains(Path.of("/sys/fs/cgroup/unified/ex1"));
        assertThat(SubhostGroups.fromRecord(Map.of("cgroup", "/sys/fs/cgroup/ex1")))
                .as("a record from before the v1 groups").isEqualTo(new SubhostGroups(
                        Optional.of(Path.of("/sys/fs/cgroup/ex1")), Set.of(), Map.of()));
    }

    @Test
    void eachLimitInV1Words() throws IOException {
        Limits limits = Limits.DEFAULT.with("MEMORY_MAX", "512M").with("CPU_WEIGHT", "300").with("CPU_MAX", "150%");
        SubhostGroups groups = SubhostGroups.plan("ex1", HYBRID, limits);
        assertThat(CgroupLimits.writes(limits, Limits.VARIABLES, groups, HYBRID)).containsExactly(
                new CgroupLimits.Write(Path.of("/sys/fs/cgroup/memory/process_api/f632/ex1/memory.limit_in_bytes"),
                        "536870912", "MEMORY_MAX (512M)"),
                new CgroupLimits.Write(Path.of("/sys/fs/cgroup/pids/ex1/pids.max"), "2048", "PIDS_MAX (2048)"),
                new CgroupLimits.Write(Path.of("/sys/fs/cgroup/cpu/ex1/cpu.shares"), "3072", "CPU_WEIGHT (300)"),
                new CgroupLimits.Write(Path.of("/sys/fs/cgroup/cpu/ex1/cpu.cfs_period_us"), "100000", "CPU_MAX (150%)"),
                new CgroupLimits.Write(Path.of("/sys/fs/cgroup/cpu/ex1/cpu.cfs_quota_us"), "150000", "CPU_MAX (150%)"));
        Limits none = limits.with("MEMORY_MAX", "none").with("CPU_MAX", "none").with("PIDS_MAX", "none");
        assertThat(CgroupLimits.writes(none, List.of("MEMORY_MAX", "PIDS_MAX", "CPU_MAX"), groups, HYBRID))
                .extracting(CgroupLimits.Write::value).containsExactly("-1", "max", "100000", "-1");
        assertThat(CgroupLimits.shares(1)).isEqualTo(10);
        assertThat(CgroupLimits.shares(10000)).isEqualTo(102400);
    }

    @Test
    void eachLimitInV2Words() throws IOException {
        CgroupLayout unified = CgroupLayout.unified(Path.of("/sys/fs/cgroup"), Set.of("cpu", "io", "memory", "pids"));
        Limits limits = Limits.DEFAULT.with("MEMORY_MAX", "1G").with("MEMORY_HIGH", "768M").with("CPU_WEIGHT", "300")
                .with("CPU_MAX", "50%").with("IO_WEIGHT", "200").with("PIDS_MAX", "none");
        SubhostGroups groups = SubhostGroups.plan("ex1", unified, limits);
        assertThat(groups.v2Controllers()).containsExactlyInAnyOrder("cpu", "io", "memory", "pids");
        assertThat(groups.v1()).isEmpty();
        Path g = Path.of("/sys/fs/cgroup/ex1");
        assertThat(CgroupLimits.writes(limits, Limits.VARIABLES, groups, unified)).containsExactly(
                new CgroupLimits.Write(g.resolve("memory.max"), "1073741824", "MEMORY_MAX (1G)"),
                new CgroupLimits.Write(g.resolve("memory.high"), "805306368", "MEMORY_HIGH (768M)"),
                new CgroupLimits.Write(g.resolve("pids.max"), "max", "PIDS_MAX (none)"),
                new CgroupLimits.Write(g.resolve("cpu.weight"), "300", "CPU_WEIGHT (300)"),
                new CgroupLimits.Write(g.resolve("cpu.max"), "50000 100000", "CPU_MAX (50%)"),
                new CgroupLimits.Write(List.of(g.resolve("io.weight"), g.resolve("io.bfq.weight")), "default 200",
                        "IO_WEIGHT (200)"));
        assertThat(SubhostGroups.plan("ex1", unified, Limits.DEFAULT).v2Controllers())
                .as("memory, pids and cpu always, io when asked").containsExactlyInAnyOrder("cpu", "memory", "pids");
    }

    @Test
    void aV1LimitTheControllerCannotTakeIsAnErrorNamingTheLayout() throws IOException {
        Limits io = Limits.DEFAULT.with("IO_WEIGHT", "5000");
        SubhostGroups groups = SubhostGroups.plan("ex1", HYBRID, io);
        assertThatThrownBy(() -> CgroupLimits.writes(io, Limits.VARIABLES, groups, HYBRID)).hasMessage("IO_WEIGHT"
                + " (5000) cannot be applied by the blkio controller of cgroup v1 at /sys/fs/cgroup/blkio, whose"
                + " weights are 1 to 1000 (" + HYBRID.describe() + ")");
    }

    @Test
    void aWriteNamesTheLimitAndTheFilesItLookedFor(@TempDir Path dir) {
        assertThatThrownBy(() -> CgroupLimits.apply(List.of(new CgroupLimits.Write(
                List.of(dir.resolve("blkio.weight"), dir.resolve("blkio.bfq.weight")), "300", "IO_WEIGHT (300)"))))
                .hasMessage("IO_WEIGHT (300) cannot be applied: this host's " + dir + " has no blkio.weight and no"
                        + " blkio.bfq.weight (an I/O weight needs the BFQ scheduler or io.cost on the disks)");
    }

    /** A v2 hierarchy laid out as cgroupfs lays it out, with the files the kernel would make. */
    private static Path fakeV2(Path dir, String parentControllers) throws IOException {
        Files.writeString(dir.resolve("cgroup.controllers"), parentControllers);
        Files.writeString(dir.resolve("cgroup.subtree_control"), "");
        Files.writeString(dir.resolve("cgroup.procs"), "");
        return dir;
    }

    private static void fakeGroupFiles(Path group) throws IOException {
        Files.createDirectories(group);
        for (String file : List.of("cgroup.procs", "pids.max", "memory.max", "memory.high", "cpu.weight")) {
            Files.writeString(group.resolve(file), "");
        }
    }

    @Test
    void makesTheV2GroupAfterEnablingTheControllersTheParentLacks(@TempDir Path dir) throws IOException {
        Path root = fakeV2(dir, "cpu io memory pids");
        Files.writeString(root.resolve("cgroup.subtree_control"), "memory");
        CgroupLayout layout = CgroupLayout.read(Optional.of(root), Optional.empty(), "0::/\n", c -> Optional.empty(),
                CgroupLayout::readControllers);
        Limits limits = Limits.DEFAULT.with("CPU_WEIGHT", "300");
        SubhostGroups groups = SubhostGroups.plan("ex1", layout, limits);
        // An empty group left by a killed boot is taken over; cgroupfs would have made its files.
        fakeGroupFiles(root.resolve("ex1"));

        assertThat(Cgroups.make(groups)).isEmpty();
        CgroupLimits.apply(CgroupLimits.writes(limits, List.of("PIDS_MAX", "CPU_WEIGHT"), groups, layout));

        assertThat(root.resolve("cgroup.subtree_control")).hasContent("+cpu +pids");
        assertThat(root.resolve("ex1/pids.max")).hasContent("2048");
        assertThat(root.resolve("ex1/cpu.weight")).hasContent("300");
    }

    @Test
    void aGroupWithProcessesOrGroupsBelowItIsNeverTakenOver(@TempDir Path dir) throws IOException {
        Path root = fakeV2(dir, "memory pids");
        CgroupLayout layout = CgroupLayout.read(Optional.of(root), Optional.empty(), "0::/\n", c -> Optional.empty(),
                CgroupLayout::readControllers);
        SubhostGroups slice = SubhostGroups.plan("user.slice", layout, Limits.DEFAULT);
        fakeGroupFiles(root.resolve("user.slice/user-0.slice"));
        Files.writeString(root.resolve("user.slice/cgroup.procs"), "");
        assertThatThrownBy(() -> Cgroups.make(slice)).hasMessage("control group " + root.resolve("user.slice")
                + " exists and is not this subhost's (it has groups below it): boot it under another NAME, or remove"
                + " that group if it is a leftover");
        SubhostGroups busy = SubhostGroups.plan("busy", layout, Limits.DEFAULT);
        fakeGroupFiles(root.resolve("busy"));
        Files.writeString(root.resolve("busy/cgroup.procs"), "4242\n");
        assertThatThrownBy(() -> Cgroups.make(busy)).hasMessageContaining("(it has processes)");
    }

    @Test
    void inADelegatedUnitTheV2GroupGoesInsideTheUnitsGroupWithWhatItOffers() throws IOException {
        CgroupLayout layout = CgroupLayout.read(Optional.of(Path.of("/sys/fs/cgroup")),
                Optional.of(Path.of("system.slice/subhosts@x.service")), "0::/system.slice/subhosts@x.service\n",
                c -> Optional.empty(), group -> Set.of("memory", "pids"));
        SubhostGroups groups = SubhostGroups.plan("ex1", layout, Limits.DEFAULT);
        assertThat(groups.v2()).contains(Path.of("/sys/fs/cgroup/system.slice/subhosts@x.service/ex1"));
        assertThat(groups.v2Controllers()).containsExactlyInAnyOrder("memory", "pids");
        assertThatThrownBy(() -> SubhostGroups.plan("ex1", layout, Limits.DEFAULT.with("CPU_WEIGHT", "200")))
                .hasMessage("CPU_WEIGHT (200) needs the cpu controller, which this host cannot give (unified: cgroup v2"
                        + " at /sys/fs/cgroup (in the unit's group /system.slice/subhosts@x.service) with controllers"
                        + " memory pids); set CPU_WEIGHT=100 in the configuration to boot without that limit");
    }

    @Test
    void readsTheUsageFromV2AndV1Files(@TempDir Path dir) throws IOException {
        Path v2 = Files.createDirectories(dir.resolve("unified/ex1"));
        Files.writeString(v2.resolve("cpu.stat"), "usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\n");
        Files.writeString(v2.resolve("cgroup.procs"), "1\n2\n3\n");
        Path memory = Files.createDirectories(dir.resolve("memory/ex1"));
        Files.writeString(memory.resolve("memory.usage_in_bytes"), "1048576\n");
        Files.writeString(memory.resolve("memory.max_usage_in_bytes"), "2097152\n");
        Files.writeString(memory.resolve("memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
        Path pids = Files.createDirectories(dir.resolve("pids/ex1"));
        Files.writeString(pids.resolve("pids.current"), "5\n");
        SubhostGroups groups = new SubhostGroups(Optional.of(v2), Set.of(), Map.of("memory", memory, "pids", pids));
        assertThat(Cgroups.usage(groups)).isEqualTo(new SubhostStatus.Usage(OptionalLong.of(1048576),
                OptionalLong.of(2097152), OptionalLong.of(5), OptionalLong.of(123456), OptionalLong.of(2)));

        Files.writeString(v2.resolve("memory.current"), "4096\n");
        Files.writeString(v2.resolve("memory.events"), "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
        SubhostGroups unified = new SubhostGroups(Optional.of(v2), Set.of("memory"), Map.of());
        assertThat(Cgroups.usage(unified)).as("no memory.peak before Linux 5.19, no pids group").isEqualTo(
                new SubhostStatus.Usage(OptionalLong.of(4096), OptionalLong.empty(), OptionalLong.of(3),
                        OptionalLong.of(123456), OptionalLong.of(1)));
        assertThat(Cgroups.usage(SubhostGroups.NONE)).isEqualTo(SubhostStatus.Usage.UNKNOWN);
    }
}
