package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.subhost.ExecResult;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.SubhostStatus;
import org.subhost.config.Limits;
import org.subhost.config.SubhostConfig;
import org.subhost.linux.Bpf;
import org.subhost.linux.Fds;

/**
 * Limits and the device policy on this machine's control groups, for real: cgroup v1
 * hierarchies for memory, pids and cpu, and a v2 hierarchy without controllers
 * that carries the BPF device program. Each group is looked at through the kernel's own
 * files and {@code /proc/PID/cgroup}, not through the API; nothing is left afterwards.
 */
class LimitsKernelTest extends SubhostKernelTest {
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

    private Subhost boot(SubhostConfig.Builder builder) throws SubhostException {
        config = builder.start("none").log(base.resolve("log")).build();
        return subhosts.boot(config);
    }

    private SubhostConfig.Builder minimal() {
        return SubhostConfig.builder(name, base);
    }

    private static ExecResult inside(Subhost s, String script) throws SubhostException {
        return s.exec(List.of("/bin/sh", "-c", script), TEN_SECONDS);
    }


    /** The group of this machine's v1 hierarchy {@code controller} where the subhost's goes: this JVM's, plus NAME. */
    private Path v1Group(String controller) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            String[] f = line.split(":", 3);
            if (List.of(f[1].split(",")).contains(controller)) {
                return Path.of("/sys/fs/cgroup", f[1], f[2].substring(1), name);
            }
        }
        throw new IllegalStateException("no v1 hierarchy " + controller);
    }

    @Test
    void theLimitsAreInEveryGroupBeforePidOneRunsAnythingAndPidOneAndEveryEnteringProcessAreInThem()
            throws Exception {
        Subhost s = boot(minimal().limit("PIDS_MAX", "300").limit("MEMORY_MAX", "256M").limit("CPU_WEIGHT", "300")
                .limit("CPU_MAX", "150%"));

        assertThat(v1Group("pids").resolve("pids.max")).content().isEqualTo("300\n");
        assertThat(v1Group("memory").resolve("memory.limit_in_bytes")).content().isEqualTo("268435456\n");
        assertThat(v1Group("cpu").resolve("cpu.shares")).content().isEqualTo("3072\n");
        assertThat(v1Group("cpu").resolve("cpu.cfs_quota_us")).content().isEqualTo("150000\n");
        List<String> pid1 = KernelFixture.groupsOf(s.pid());
        assertThat(pid1).contains("pids:/" + name, "cpu:/" + name, "v2:/" + name);
        assertThat(pid1).anyMatch(line -> line.startsWith("memory:/") && line.endsWith("/" + name));
        // An entering process, by its own look at /proc/self/cgroup: the subhost's cgroup
        // namespace shows every group of its own as the root.
        assertThat(inside(s, "cat /proc/self/cgroup").stdout().lines()
                .filter(l -> l.matches("\\d+:(pids|memory|cpu|):.*")).toList())
                .allMatch(line -> line.endsWith(":/"));
        // pid 1 was in its groups before it got its go: its children, forked after, too.
        String processes = Files.readString(v1Group("pids").resolve("cgroup.procs"));
        assertThat(processes.lines().toList()).contains(Integer.toString(s.pid()));

        SubhostStatus status = s.status();
        assertThat(status.limits()).isEqualTo(config.limits());
        assertThat(status.usage().processes().orElseThrow()).isBetween(1L, 10L);
        assertThat(status.usage().memoryBytes().orElseThrow()).isPositive();
        assertThat(status.usage().cpuMicros()).isPresent();
        assertThat(status.usage().oomKills()).hasValue(0);
    }

    @Test
    void theDevicePolicyRefusesEveryDeviceButTheDefaultsAndThoseDevicesAdds() throws Exception {
        Subhost s = boot(minimal().capabilities("+mknod").devices("/dev/net/tun c:1:11:m"));

        // The host side of it, looked at independently: the v2 group's program (with v2 there is
        // no v1 devices group).
        assertThat(v1Group("devices")).doesNotExist();
        int dir = Fds.open("/sys/fs/cgroup/unified/" + name, Fds.O_RDONLY | Fds.O_DIRECTORY | Fds.O_CLOEXEC);
        try {
            assertThat(Bpf.attached(dir, Bpf.ATTACH_CGROUP_DEVICE, name)).hasSize(1);
        } finally {
            Fds.close(dir);
        }
        // Inside: the defaults work, a node it may only make cannot be opened, one of the host's disks cannot
        // even be made, and DEVICES' /dev/net/tun can be made and opened.
        assertThat(inside(s, "head -c 4 /dev/zero | od -An -tx1 && echo x > /dev/null && echo ok").stdout())
                .isEqualTo(" 00 00 00 00\nok\n");
        ExecResult kmsg = inside(s, "mknod /dev/kmsg c 1 11 && echo made && head -c 1 /dev/kmsg");
        assertThat(kmsg.stdout()).isEqualTo("made\n");
        assertThat(kmsg.stderr()).contains("/dev/kmsg", "Operation not permitted");
        ExecResult disk = inside(s, "mknod /dev/hostdisk b 8 0");
        assertThat(disk.status()).isNotZero();
        assertThat(disk.stderr()).contains("Operation not permitted");
        ExecResult tun = inside(s, "mkdir -p /dev/net && mknod /dev/net/tun c 10 200 && exec 3<>/dev/net/tun && echo open");
        assertThat(tun.stdout()).as("stderr: %s", tun.stderr()).isEqualTo("open\n");
    }

    @Test
    void nodesPlantedInTheSubhostsTreeOrItsDevAreRefusedByTheDevicePolicy() throws Exception {
        // Old chroots and debootstrap trees carry device nodes: the host's kernel log (1:11)
        // and a block device of the host's (loop0, 7:0: one the host itself may open, which
        // this machine's own disk is not), planted in the tree before the boot, as LOWER
        // would bring them.
        String disk = "7 0";
        Path planted = Files.createDirectories(base.resolve("root/planted"));
        KernelFixture.run("mknod", planted.resolve("kmsg").toString(), "c", "1", "11");
        KernelFixture.run("sh", "-c", "mknod " + planted.resolve("disk") + " b " + disk);
        Subhost s = boot(minimal());
        // And planted by the host in the subhost's own /dev, a tmpfs that allows device nodes:
        // there only the policy stands between the subhost and the node.
        Path dev1 = Path.of("/proc", Integer.toString(s.pid()), "root", "dev");
        KernelFixture.run("mknod", dev1.resolve("kmsg-planted").toString(), "c", "1", "11");
        KernelFixture.run("sh", "-c", "mknod " + dev1.resolve("disk-planted") + " b " + disk);

        ExecResult tried = inside(s, "for n in /planted/kmsg /dev/kmsg-planted; do echo subhost-test >$n && echo opened $n;"
                + " done; for n in /planted/disk /dev/disk-planted; do head -c 1 $n >/dev/null && echo opened $n; done;"
                + " ls /dev/kmsg-planted /dev/disk-planted");

        assertThat(tried.stdout()).as("stderr: %s", tried.stderr()).isEqualTo("/dev/disk-planted\n/dev/kmsg-planted\n");
        List<String> refusals = tried.stderr().lines().toList();
        assertThat(refusals).hasSize(4);
        // In /dev the policy refuses (EPERM); in the overlay root a nodev mount may refuse first (EACCES).
        assertThat(refusals).filteredOn(line -> line.contains("/dev/")).hasSize(2)
                .allMatch(line -> line.endsWith("Operation not permitted"));
        assertThat(refusals).filteredOn(line -> line.contains("/planted/")).hasSize(2)
                .allMatch(line -> line.endsWith("Operation not permitted") || line.endsWith("Permission denied"));
    }

    @Test
    void limitsChangeWhileTheSubhostRunsAndTheRecordFollows() throws Exception {
        Subhost s = boot(minimal().limit("MEMORY_MAX", "512M"));

        s.limit(s.status().limits().with("MEMORY_MAX", "128M").with("PIDS_MAX", "none").with("CPU_WEIGHT", "50"));

        assertThat(v1Group("memory").resolve("memory.limit_in_bytes")).content().isEqualTo("134217728\n");
        assertThat(v1Group("pids").resolve("pids.max")).content().isEqualTo("max\n");
        assertThat(v1Group("cpu").resolve("cpu.shares")).content().isEqualTo("512\n");
        Limits now = subhosts.find(name).orElseThrow().status().limits();
        assertThat(now.toString()).isEqualTo("MEMORY_MAX=128M MEMORY_HIGH=none PIDS_MAX=none CPU_WEIGHT=50 CPU_MAX=none"
                + " IO_WEIGHT=100 DISK_MAX=none");
        assertThat(Files.readString(Path.of("/run/subhost", name, "state"))).contains("\nlimits=" + now + "\n");

        assertThatThrownBy(() -> s.limit(now.with("MEMORY_HIGH", "64M"))).isInstanceOf(SubhostException.class)
                .hasMessageStartingWith("limits of " + name + ": MEMORY_HIGH (64M) needs the memory controller of"
                        + " cgroup v2, and this subhost's is on cgroup v1 at " + v1Group("memory").getParent() + " (hybrid:");
        assertThat(s.status().limits()).as("a refused change changes nothing").isEqualTo(now);

        // IO_WEIGHT needs a blkio group, which the subhost was booted without: it is made and
        // every process moved in; this machine's blkio has no weight file, which the message says.
        assertThatThrownBy(() -> s.limit(now.with("IO_WEIGHT", "200"))).isInstanceOf(SubhostException.class)
                .hasMessage("limits of " + name + ": IO_WEIGHT (200) cannot be applied: this host's "
                        + v1Group("blkio") + " has no blkio.weight and no blkio.bfq.weight (an I/O weight needs the BFQ"
                        + " scheduler or io.cost on the disks)");
        assertThat(KernelFixture.groupsOf(s.pid())).anyMatch(line -> line.startsWith("blkio:/") && line.endsWith("/" + name));
        assertThat(Files.readString(Path.of("/run/subhost", name, "state"))).contains("\ncgroup.v1.blkio="
                + v1Group("blkio") + "\n");
        assertThat(s.status().limits()).isEqualTo(now);
    }

    @Test
    void aLimitThisHostCannotApplyFailsTheBootAndLeavesNothing() {
        assertThatThrownBy(() -> boot(minimal().limit("MEMORY_HIGH", "64M"))).isInstanceOf(SubhostException.class)
                .hasMessageContaining("MEMORY_HIGH (64M) needs the memory controller of cgroup v2, and this host's is on"
                        + " cgroup v1 (use MEMORY_MAX), which this host cannot give (hybrid: cgroup v2 at"
                        + " /sys/fs/cgroup/unified");
        config = null;
    }

    @Test
    void diskMaxOnAnUpperWithoutQuotaGroupsFailsTheBootSayingWhatToDoAndLeavesNothing() throws Exception {
        // The test's temporary directory is on the host's / (ext4 without prjquota here): no btrfs subvolume.
        assertThatThrownBy(() -> boot(minimal().limit("DISK_MAX", "16M"))).isInstanceOf(SubhostException.class)
                .hasMessageContaining("DISK_MAX (16M) cannot be applied to UPPER (" + base.resolve("root")
                        + "), which is on ")
                .hasMessageContaining("; put UPPER on an image of its own with overlay-diskfile, whose size bounds"
                        + " it; make UPPER a btrfs subvolume (btrfs subvolume create); or put it on ext4 or XFS mounted"
                        + " with prjquota (ext4 made with mkfs.ext4 -O quota,project) by a kernel with quota support"
                        + " (CONFIG_QUOTA and CONFIG_QFMT_V2, or CONFIG_XFS_QUOTA)");
        config = null;
        assertThat(KernelFixture.leftovers(name, base)).isEmpty();
    }

    @Test
    void aBootThatFailsAfterTheGroupsRemovesThemAll() throws Exception {
        // An init system that does not exist: pid 1 execs its script and fails after the groups were joined.
        assertThatThrownBy(() -> boot(minimal().init("echo exit 3; false"))).isInstanceOf(SubhostException.class);
        config = null;
        assertThat(KernelFixture.leftovers(name, base)).isEmpty();
        assertThat(v1Group("pids")).doesNotExist();
    }
}
