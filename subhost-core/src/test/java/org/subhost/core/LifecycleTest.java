package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.subhost.core.KernelFixture.run;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.subhost.ExecResult;
import org.subhost.NotRunningException;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.SubhostStatus;
import org.subhost.config.Share;
import org.subhost.config.SubhostConfig;
import org.subhost.linux.Fds;
import org.subhost.linux.MountTable;
import org.subhost.linux.Mounts;
import org.subhost.linux.NamespaceRequest;
import org.subhost.linux.NamespaceThread;
import org.subhost.linux.Namespaces;
import org.subhost.testing.TinyRoot;

/**
 * The whole lifecycle on the real kernel: boot, exec, share, status, stop, for each kind
 * of root, RAM_SIZE, SHARE and START; after each test nothing of the subhost is left.
 */
class LifecycleTest extends SubhostKernelTest {
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);
    /** What the tests run in a tiny root: pid 1 and a shell, and the checks' programs. */
    private static final List<String> TINY_ROOT_PROGRAMS = List.of("sh", "cat", "ls", "grep", "hostname", "readlink",
            "tr", "mkdir", "sleep", "echo", "id");

    /**
     * Each mount point and its type inside, by sh alone (a tiny root has no awk); without the
     * confinement's mounts below /proc and /sys, which depend on the kernel (ConfinementTest).
     */
    private static final String MOUNT_POINTS =
            "while read id parent dev root point options rest; do t=${rest#*- }; case $point in /proc/*|/sys/?*) ;;"
            + " *) echo \"$point ${t%% *}\";; esac; done < /proc/self/mountinfo";

    private SubhostConfig.Builder minimal() {
        return SubhostConfig.builder(name, base).start("none").log(base.resolve("log"));
    }

    private Subhost boot(SubhostConfig c) throws SubhostException {
        config = c;
        return subhosts.boot(c);
    }

    private static String inside(Subhost s, String script) throws SubhostException {
        ExecResult r = s.exec(List.of("/bin/sh", "-c", script), TEN_SECONDS);
        assertThat(r.status()).as("status of %s (stderr: %s)", script, r.stderr()).isZero();
        return r.stdout();
    }

    @Test
    void overlayRootBootsRunsCommandsAndStopsLeavingNothing() throws Exception {
        Subhost s = boot(minimal().build());

        assertThat(inside(s, "cat /proc/1/cmdline | tr '\\0' ' '")).startsWith("subhost-init --timens --sync-fd 3 --ready-fd 4");
        assertThat(inside(s, "echo $$; readlink /proc/1/root")).endsWith("/\n");
        // The host's /etc/adjtime is bound in when the host has one (the subhost's comes from
        // the same LOWER): the list is exact either way.
        List<String> mounts = new java.util.ArrayList<>(inside(s, MOUNT_POINTS).lines().toList());
        assertThat(mounts.removeIf(m -> m.startsWith("/etc/adjtime "))).as("an /etc/adjtime bind")
                .isEqualTo(Files.exists(Path.of("/etc/adjtime")));
        assertThat(mounts).containsExactly("/ overlay", "/dev tmpfs", "/dev/pts devpts", "/sys sysfs", "/run tmpfs",
                "/proc proc");
        assertThat(inside(s, "cat /proc/self/mountinfo")).contains(" - overlay " + name + " ");
        assertThat(inside(s, "ls -l /dev/null /dev/ptmx")).contains("crw-rw-rw-");
        // No /dev/console: the old tool's was the host's own (5,1).
        assertThat(inside(s, "test -e /dev/console || echo absent")).isEqualTo("absent\n");
        assertThat(inside(s, "ls /sys/class/net")).isEqualTo("lo\n");
        // A terminal from the subhost's own devpts instance, as ssh and overlay-go need.
        // (script(1), of util-linux, opens a pty pair and runs tty on its other end.)
        assertThat(inside(s, "script -qec tty /dev/null").replace("\r", "")).isEqualTo("/dev/pts/0\n");
        assertThat(inside(s, "grep ' /run ' /proc/self/mountinfo")).contains("tmpfs").contains("size=51200k");
        assertThat(inside(s, "ls -ld /run/lock")).startsWith("drwxrwxrwt");
        assertThat(run("readlink", "/proc/" + s.pid() + "/ns/time"))
                .isNotEqualTo(run("readlink", "/proc/self/ns/time"));
        assertThat(run("readlink", "/proc/" + s.pid() + "/ns/mnt")).isNotEqualTo(run("readlink", "/proc/self/ns/mnt"));
        assertThat(Files.readString(base.resolve("root/etc/network/interfaces"))).contains("auto lo");
        // pid 1 moved itself into the subhost's control group (cgroup v2: the line 0::/NAME).
        assertThat(Files.readString(Path.of("/proc/" + s.pid() + "/cgroup"))).contains("0::/" + name + "\n");
        // Inside, pid 1's cgroup namespace has the subhost's group as its root.
        assertThat(inside(s, "grep ^0:: /proc/1/cgroup")).isEqualTo("0::/\n");

        s.stop(TEN_SECONDS);
        KernelFixture.assertNothingLeft(name, base);
        assertThatThrownBy(() -> s.status()).isInstanceOf(NotRunningException.class).hasMessage(name + " is not running");
    }

    /**
     * When something else still holds the network namespace (here an open descriptor of
     * ours), so that the kernel does not destroy it with its devices, a stop must remove the
     * cables all the same.
     */
    @Test
    void stopRemovesTheCablesAlsoWhenSomethingElseHoldsTheNetworkNamespace() throws Exception {
        boot(minimal().cables("= =").build());
        assertThat(Path.of("/sys/class/net", name + "1")).exists();
        int held = Fds.open("/run/netns/" + name, Fds.O_RDONLY | Fds.O_CLOEXEC);
        try {
            subhosts.stop(config, Duration.ofSeconds(2));
            assertThat(Path.of("/sys/class/net", name + "0")).doesNotExist();
            assertThat(Path.of("/sys/class/net", name + "1")).doesNotExist();
            assertThat(Path.of("/run/netns", name)).doesNotExist();
        } finally {
            Fds.close(held);
        }
    }

    @Test
    void secondBootOfARunningNameIsRefusedAndLeavesItUntouched() throws Exception {
        Subhost s = boot(minimal().build());
        int pid = s.pid();

        assertThatThrownBy(() -> subhosts.boot(config)).isInstanceOf(SubhostException.class)
                .hasMessage(name + " is already running (pid " + pid + "); stop it first");
        assertThat(subhosts.find(name)).isPresent();
        assertThat(subhosts.find(name).get().pid()).isEqualTo(pid);
        assertThat(inside(s, "echo alive")).isEqualTo("alive\n");
    }

    @Test
    void bindRootMountsUpperOnLive() throws Exception {
        Path tree = TinyRoot.build(base.resolve("tree"), TINY_ROOT_PROGRAMS);
        Subhost s = boot(minimal().upper(tree).lower(tree).ramSize("none").build());

        assertThat(inside(s, MOUNT_POINTS)).isEqualTo("/ ext4\n/dev tmpfs\n/dev/pts devpts\n/sys sysfs\n/proc proc\n"
                .replace("ext4", hostRootType()));
        assertThat(inside(s, "hostname")).isEqualTo(name + "\n");
    }

    @Test
    void plainRootWorksWhetherOrNotLiveIsAMountPoint() throws Exception {
        Path tree = TinyRoot.build(base.resolve("live"), TINY_ROOT_PROGRAMS);
        Subhost s = boot(minimal().live(tree).upper(tree).lower(tree).build());
        assertThat(inside(s, "echo plain")).isEqualTo("plain\n");
        s.stop(TEN_SECONDS);
        KernelFixture.assertNothingLeft(name, base);
    }

    /**
     * docs/spec.md §3.5: for an overlay or bind root, LIVE must not be a mount point already. The
     * test mounts a tmpfs on LIVE in a private mount namespace of its own thread (never in
     * the host's) and boots from that thread; the check is the first step, so nothing else
     * is made.
     */
    @Test
    void liveThatHasAMountAlreadyIsRefusedAtTheFirstStep() throws Exception {
        SubhostConfig c = minimal().build();
        Path live = base.resolve("live");
        String message = NamespaceThread.run("sht live mounted", NamespaceRequest.builder()
                .unshare(Namespaces.CLONE_NEWNS).build(), () -> {
                    Mounts.makeRprivate("/");
                    Mounts.mount("tmpfs", live.toString(), "tmpfs", 0, "size=1M");
                    try {
                        // Should it boot after all, it is stopped here, where its netns
                        // name was bound: in this thread's mount namespace.
                        subhosts.boot(c).stop(TEN_SECONDS);
                        return "booted";
                    } catch (SubhostException e) {
                        return e.getMessage();
                    }
                });
        assertThat(message).isEqualTo("boot " + name + ": step 1 (check LIVE, UPPER, WORK, LOWER for a root of kind"
                + " overlay) failed: LIVE (" + live + ") already has a mount");
    }

    @Test
    void hostnameComesFromTheSubhostsEtcHostname() throws Exception {
        Files.createDirectories(base.resolve("root/etc"));
        Files.writeString(base.resolve("root/etc/hostname"), "shtvirtual\nsecond line\n");
        Subhost s = boot(minimal().build());
        assertThat(inside(s, "hostname")).isEqualTo("shtvirtual\n");
        assertThat(run("hostname")).isNotEqualTo("shtvirtual\n");
    }

    @Test
    void sharesADirectoryAFileAndAnotherPath() throws Exception {
        Path dir = Files.createDirectories(base.resolve("hostdir"));
        Files.writeString(dir.resolve("a"), "from the host");
        Path file = Files.writeString(base.resolve("hostfile"), "a shared file");
        Subhost s = boot(minimal()
                .addShare(new Share(dir, dir))
                .addShare(new Share(file, Path.of("/etc/shtfile")))
                .addShare(new Share(dir, Path.of("/srv/elsewhere")))
                .build());

        assertThat(inside(s, "cat " + dir + "/a")).isEqualTo("from the host");
        assertThat(inside(s, "cat /etc/shtfile")).isEqualTo("a shared file");
        assertThat(inside(s, "cat /srv/elsewhere/a")).isEqualTo("from the host");
        inside(s, "echo written inside > /srv/elsewhere/b");
        assertThat(Files.readString(dir.resolve("b"))).isEqualTo("written inside\n");
    }

    @Test
    void liveShareShowsTheHostsDirectoryEvenWhereLowerLacksIt() throws Exception {
        Path tree = TinyRoot.build(base.resolve("tree"), TINY_ROOT_PROGRAMS);
        Path dir = Files.createDirectories(base.resolve("spool"));
        Files.writeString(dir.resolve("mail"), "live");
        Subhost s = boot(minimal().lower(tree).build());
        assertThat(s.exec(List.of("/bin/sh", "-c", "ls " + dir), TEN_SECONDS).status()).isNotZero();

        s.share(dir);

        assertThat(inside(s, "cat " + dir + "/mail")).isEqualTo("live");
        Files.writeString(dir.resolve("later"), "seen at once");
        assertThat(inside(s, "cat " + dir + "/later")).isEqualTo("seen at once");
    }

    @Test
    void execReturnsTheCommandsExitStatusAndOutput() throws Exception {
        Subhost s = boot(minimal().build());
        ExecResult r = s.exec(List.of("/bin/sh", "-c", "echo out; echo err >&2; exit 7"), TEN_SECONDS);
        assertThat(r).isEqualTo(new ExecResult(7, "out\n", "err\n"));
        assertThat(inside(s, "echo $PPID")).isNotEqualTo("1\n");
    }

    @Test
    void startsServicesInOrderAndStopsThemInReverse() throws Exception {
        // The services write to a shared directory: their writes to the host's /tmp would
        // land in the subhost's upper layer.
        Path shared = Files.createDirectories(base.resolve("shared"));
        Path record = shared.resolve("record");
        Path a = service(base.resolve("svc-a"), "a", record);
        Path b = service(base.resolve("svc-b"), "b", record);
        Files.createDirectories(base.resolve("root/etc/init.d"));
        Path sysv = service(base.resolve("root/etc/init.d/shtsysv"), "sysv", record);
        Subhost s = boot(minimal().start(List.of(a.toString(), b.toString(), "shtsysv"))
                .addShare(new Share(shared, shared)).build());
        awaitLine(record, "start sysv");
        // The init logs "service shtsysv started" only once the start script has returned,
        // a moment after the script wrote its record line.
        SubhostStatus status = s.status();
        for (long deadline = System.nanoTime() + 10_000_000_000L;
                status.services().getLast().state().equals("unknown") && System.nanoTime() < deadline; ) {
            Thread.sleep(10);
            status = s.status();
        }

        assertThat(Files.readAllLines(record)).containsExactly("start a", "start b", "start sysv");
        assertThat(status.services()).containsExactly(
                new SubhostStatus.ServiceStatus(a.toString(), "started"),
                new SubhostStatus.ServiceStatus(b.toString(), "started"),
                new SubhostStatus.ServiceStatus("shtsysv", "started"));

        s.stop(TEN_SECONDS);
        assertThat(Files.readAllLines(record)).containsExactly(
                "start a", "start b", "start sysv", "stop sysv", "stop b", "stop a");
        assertThat(sysv).exists();
    }

    @Test
    void stopOfANameThatIsNotRunningSaysSo() throws Exception {
        SubhostConfig c = minimal().build();
        assertThatThrownBy(() -> subhosts.stop(c, TEN_SECONDS)).isInstanceOf(NotRunningException.class)
                .hasMessage(name + " is not running");
    }

    @Test
    void ramSizeNoneMeansNoTmpfsOnRun() throws Exception {
        Subhost s = boot(minimal().ramSize("none").build());
        assertThat(inside(s, "grep -c ' /run ' /proc/self/mountinfo || true")).isEqualTo("0\n");
    }

    @Test
    void ramSizeGivesTheTmpfsSize() throws Exception {
        Subhost s = boot(minimal().ramSize("8m").build());
        assertThat(inside(s, "grep ' /run ' /proc/self/mountinfo")).contains("size=8192k");
    }

    @Test
    void listAndStatusDescribeTheRunningSubhost() throws Exception {
        java.time.Instant before = java.time.Instant.now();
        Subhost s = boot(minimal().cables("=06:20:03:4e:a6:f2").build());
        java.time.Instant booted = java.time.Instant.now();
        SubhostStatus status = s.status();

        assertThat(status.name()).isEqualTo(name);
        assertThat(status.pid()).isEqualTo(s.pid());
        assertThat(status.started()).isBetween(before.minusSeconds(1), booted);
        assertThat(status.uptime()).isPositive().isLessThan(java.time.Duration.between(before, java.time.Instant.now())
                .plusSeconds(1));
        assertThat(status.config()).as("built in code, not read from a file").isEmpty();
        assertThat(status.rootKind()).isEqualTo(org.subhost.config.RootKind.OVERLAY);
        assertThat(status.live()).isEqualTo(base.resolve("live"));
        assertThat(status.log()).isEqualTo(base.resolve("log"));
        assertThat(status.cables()).containsExactly(new SubhostStatus.CableStatus(name + "0", "eth0",
                java.util.Optional.of("06:20:03:4e:a6:f2"), java.util.Optional.empty(), true));
        assertThat(status.services()).as("START=none").isEmpty();
        if (Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"))) {
            assertThat(status.cgroup()).contains(Path.of("/sys/fs/cgroup", name));
        }
        // list() has the same record for it (by NAME order, one entry per NAME); its usage is
        // read anew, and memory moves between two reads.
        List<SubhostStatus> all = subhosts.list();
        assertThat(all).extracting(SubhostStatus::name).isSorted().doesNotHaveDuplicates();
        assertThat(all).filteredOn(st -> st.name().equals(name)).usingRecursiveFieldByFieldElementComparatorIgnoringFields(
                "usage").containsExactly(status);
    }

    @Test
    void userInitCommandsOutputIsTheScriptAndHooksGetTheirArguments() throws Exception {
        Path shared = Files.createDirectories(base.resolve("shared"));
        Subhost s = boot(minimal()
                .init("echo 'echo \"init says $(hostname)\" > " + shared + "/init'")
                .premount("echo \"premount CONFIG=[$CONFIG] $*\" >> " + shared + "/hooks; true")
                .addShare(new Share(shared, shared))
                .build());
        awaitLine(shared.resolve("init"), "init says " + inside(s, "hostname").trim());
        assertThat(Files.readAllLines(shared.resolve("hooks")))
                .containsExactly("premount CONFIG=[] " + base.resolve("root"));
        // The user's PREMOUNT replaced the built-in one: no interfaces file was written.
        assertThat(base.resolve("root/etc/network/interfaces")).doesNotExist();
    }

    @Test
    void theMtaShapeBootsWithItsMacAndServicesAndStops() throws Exception {
        // docs/spec.md §4: CABLES= =06:20:03:4e:a6:f2 with START services, as the MTA example has it.
        Path shared = Files.createDirectories(base.resolve("shared"));
        Path record = shared.resolve("record");
        Path postfix = service(base.resolve("postfix"), "postfix", record);
        Files.createDirectories(base.resolve("root/etc/init.d"));
        service(base.resolve("root/etc/init.d/shtmta"), "sysv", record);
        Subhost s = boot(minimal().cables(" =06:20:03:4e:a6:f2").start("shtmta " + postfix)
                .addShare(new Share(shared, shared)).build());
        awaitLine(record, "start postfix");
        assertThat(inside(s, "cat /sys/class/net/eth0/address")).isEqualTo("06:20:03:4e:a6:f2\n");
        assertThat(Files.readString(base.resolve("root/etc/network/interfaces"))).contains("auto eth0\n");
        s.stop(TEN_SECONDS);
        assertThat(Files.readAllLines(record)).containsExactly("start sysv", "start postfix", "stop postfix",
                "stop sysv");
        KernelFixture.assertNothingLeft(name, base);
    }

    /** The filesystem type of the host's "/". */
    private static String hostRootType() throws Exception {
        return MountTable.read(Path.of("/proc/self/mountinfo")).mounts().stream()
                .filter(e -> e.mountPoint().equals(Path.of("/"))).reduce((a, b) -> b).orElseThrow().fsType();
    }

    /** A start/stop script that records each call in {@code record}. */
    static Path service(Path script, String label, Path record) throws Exception {
        Files.writeString(script, "#!/bin/sh\necho \"$1 " + label + "\" >> " + record + "\n");
        Files.setAttribute(script, "unix:mode", 0755);
        return script;
    }

    static void awaitLine(Path file, String line) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (Files.exists(file) && Files.readAllLines(file, StandardCharsets.UTF_8).contains(line)) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError(file + " never got the line " + line);
    }
}
