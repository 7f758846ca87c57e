package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.config.Share;
import org.subhost.config.DiskAttachment;
import org.subhost.config.SubhostConfig;

/** Boot plans are data: their steps and order are checked without root. */
class BootPlannerTest {
    private static final HostFacts UNIFIED = new HostFacts(Optional.of(Path.of("/sys/fs/cgroup")), true, Optional.empty());
    private static final HostFacts NO_CGROUP = new HostFacts(Optional.empty(), false, Optional.empty());

    private static List<String> describe(BootPlan plan) {
        return plan.steps().stream()
                .map(s -> (s instanceof BootStep.Alongside<?> alongside ? alongside.step() : s).getClass().getSimpleName())
                .toList();
    }

    @Test
    void underASystemdUnitTheGroupIsInsideTheUnitsOwn(@TempDir Path base) throws Exception {
        String procSelfCgroup = "12:pids:/system.slice/subhosts@opt-ex1-ex1.conf.service\n"
                + "0::/system.slice/subhosts@opt-ex1-ex1.conf.service\n";
        Optional<Path> unit = HostFacts.unitGroup(Map.of("INVOCATION_ID", "4f1c"), procSelfCgroup);
        assertThat(unit).contains(Path.of("system.slice/subhosts@opt-ex1-ex1.conf.service"));
        HostFacts facts = new HostFacts(Optional.of(Path.of("/sys/fs/cgroup")), true, Optional.empty(), unit);
        BootPlan plan = BootPlanner.plan(SubhostConfig.builder("ex1", base).build(), facts);
        assertThat(plan.lines()).anyMatch(line -> line.contains(
                ". [host, alongside ns] control groups /sys/fs/cgroup/system.slice/subhosts@opt-ex1-ex1.conf.service/ex1 "));

        assertThat(HostFacts.unitGroup(Map.of(), procSelfCgroup)).as("not started by systemd").isEmpty();
        assertThat(HostFacts.unitGroup(Map.of("INVOCATION_ID", "4f1c"), "0::/user.slice/user-0.slice/session-3.scope/x\n"))
                .as("a group that is no unit's own").isEmpty();
        assertThat(HostFacts.unitGroup(Map.of("INVOCATION_ID", "4f1c"), "0::/\n")).as("the root").isEmpty();
        assertThat(HostFacts.unitGroup(Map.of("INVOCATION_ID", "4f1c"), "0::/init.scope\n"))
                .contains(Path.of("init.scope"));
    }

    /**
     * A boot copies the host's whole mount table, /run/netns included, when a SHARE shows
     * /run/netns (an ancestor of it, it, or what is in it): the seed leaves those mounts out.
     */
    @Test
    void aShareThatShowsRunNetnsGetsTheHostsWholeMountTable(@TempDir Path base) throws Exception {
        for (String source : List.of("/", "/run", "/run/netns", "/run/netns/ex2")) {
            SubhostConfig config = SubhostConfig.builder("ex1", base).start("none")
                    .addShare(new Share(Path.of(source), Path.of("/srv/x"))).build();
            assertThat(mountNamespaceStep(config)).as("SHARE of %s", source)
                    .isEqualTo("[ns] new mount namespace with every mount private");
        }
        for (String source : List.of("/srv", "/run/net", "/run/netnsx", "/var/run")) {
            SubhostConfig config = SubhostConfig.builder("ex1", base).start("none")
                    .addShare(new Share(Path.of(source), Path.of("/srv/x"))).build();
            assertThat(mountNamespaceStep(config)).as("SHARE of %s", source)
                    .isEqualTo("[ns] new mount namespace with every mount private, without the host's /run/netns");
        }
    }

    /** The plan's line of the new mount namespace, without its number. */
    private static String mountNamespaceStep(SubhostConfig config) {
        return BootPlanner.plan(config, UNIFIED).lines().stream().filter(l -> l.contains("new mount namespace"))
                .map(l -> l.substring(l.indexOf('[')).strip()).findFirst().orElseThrow();
    }

    @Test
    void overlayPlanFollowsTheSpecOrder(@TempDir Path base) throws Exception {
        Path shared = Files.createDirectories(base.resolve("srv"));
        SubhostConfig config = SubhostConfig.builder("ex1", base).cables("br0=06:20:03:4e:a6:f2 =.302").start("none")
                .addShare(new Share(shared, shared)).build();

        BootPlan plan = BootPlanner.plan(config, UNIFIED);

        assertThat(describe(plan)).containsExactly("CheckLayout", "RecordBooting", "Register", "WriteInterfaces",
                "Create", "PrepareInit", "AwaitNetns", "AddVeth", "ConnectHostEnd", "AddVlan",
                "ConnectHostEnd", "CreateNetnsOnBootThread", "NewMountNamespace", "AwaitInterfaces", "MountRoot",
                "MountDev", "MountSys", "MountRun", "BindAdjtime", "BindShare", "HideTrees", "PivotRoot", "AwaitPrepared", "StartPid1",
                "RecordRunning", "Carry", "ReleaseInit");
        assertThat(plan.lines().get(2)).isEqualTo(" 3. [host] register the trees of ex1 in /run/subhost/.trees.journal;"
                + " check each SHARE against what subhosts write");
        // The built-in PREMOUNT on the caller's thread first; the namespace thread waits for
        // it before it mounts the root (overlayfs must not see UPPER change under it).
        assertThat(plan.lines().get(3)).isEqualTo(" 4. [host, alongside ns] write "
                + base.resolve("root/etc/network/interfaces") + " (lo, eth0) unless it exists");
        assertThat(plan.lines().get(13)).isEqualTo("14. [ns] " + base.resolve("root/etc/network/interfaces")
                + ", once the caller's thread wrote it");
        // The groups before the log relay, which is born in them; all of it on the caller's
        // thread while the namespace thread runs.
        assertThat(plan.lines().get(4)).isEqualTo(" 5. [host, alongside ns] control groups /sys/fs/cgroup/ex1 (v2 controllers cpu"
                + " memory pids); PIDS_MAX=2048; devices c:1:3 c:1:5 c:1:7 c:1:8 c:1:9 c:5:0 c:5:2 c:136:*");
        assertThat(plan.lines().get(5)).isEqualTo(" 6. [host, alongside ns] open LOG /tmp/oly-ex1.log (at most 10M, and as"
                + " much in oly-ex1.log.1); init script: built-in, no services; the log relay born in control groups"
                + " /sys/fs/cgroup/ex1");
        assertThat(plan.lines().get(6))
                .isEqualTo(" 7. [host, alongside ns] network namespace ex1 once the namespace thread made it");
        // The namespace thread makes the network namespace for itself, first: the name's bind
        // mount must be in the host's mount namespace, and sysfs and pid 1 need it later.
        assertThat(plan.lines().get(11))
                .isEqualTo("12. [ns] network namespace ex1 (/run/netns/ex1) with lo up, for this thread");
        assertThat(plan.lines().get(12)).isEqualTo("13. [ns] new mount namespace with every mount private, without"
                + " the host's /run/netns");
        assertThat(plan.lines().get(7))
                .isEqualTo(" 8. [host, alongside ns] cable 0: veth ex10 <-> eth0 (MAC 06:20:03:4e:a6:f2)");
        assertThat(plan.lines().get(8)).isEqualTo(" 9. [host, alongside ns] host end ex10: port of bridge br0, up");
        assertThat(plan.lines().get(9)).isEqualTo("10. [host, alongside ns] cable 0 VLAN 302: ex10.302 on ex10");
        assertThat(plan.lines().get(14)).isEqualTo("15. [ns] mount overlay ex1 on " + base.resolve("live")
                + " (lowerdir=/, upperdir=" + base.resolve("root") + ", workdir=" + base.resolve("work") + ", nodev)");
        assertThat(plan.lines().get(19)).isEqualTo("20. [ns] share " + shared + " on " + base.resolve("live")
                + shared + " (nodev)");
        assertThat(plan.lines().get(20)).isEqualTo("21. [ns] hide the BASE, LOG and state of every other subhost,"
                + " where " + base.resolve("live") + " shows them");
        // pid 1's spawn waits for the relay and the init that the caller's thread makes.
        assertThat(plan.lines().get(22)).isEqualTo("23. [ns] the log relay and the init, once the caller's thread made"
                + " them");
        // pid 1 is born in its groups: no move after its start.
        assertThat(plan.lines().get(23)).startsWith("24. [ns] pid 1 (the SDK's subhost-init, a sealed memfd) in new pid,"
                + " ipc, uts, time and cgroup namespaces and born in control groups /sys/fs/cgroup/ex1 (clone3 by"
                + " its launcher); hostname from");
        assertThat(plan.lines()).noneMatch(line -> line.contains(" into control groups"));
        assertThat(plan.lines().get(25)).isEqualTo("26. [host] hide the trees of subhosts booted meanwhile in ex1,"
                + " and ex1's in the running subhosts that show them");
    }

    @Test
    void userCommandsReplaceTheBuiltInSteps(@TempDir Path base) throws Exception {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").premount("/usr/local/bin/pre")
                .postmount("/usr/local/bin/post").ramSize("none").limit("PIDS_MAX", "none").build();

        BootPlan plan = BootPlanner.plan(config, NO_CGROUP);

        assertThat(describe(plan)).containsExactly("CheckLayout", "RecordBooting", "Register", "PrepareInit",
                "CreateNetns", "NewMountNamespace", "RunHook", "MountRoot", "RunHook", "HideTrees", "PivotRoot",
                "StartPid1", "RecordRunning", "Carry", "ReleaseInit");
        assertThat(plan.lines().get(6)).isEqualTo(" 7. [ns] PREMOUNT: /usr/local/bin/pre " + base.resolve("root"));
        assertThat(plan.lines().get(8)).isEqualTo(" 9. [ns] POSTMOUNT: /usr/local/bin/post " + base.resolve("live")
                + " " + base.resolve("root"));
    }

    @Test
    void cablesAreMadeBeforeTheNamespaceStepsWhenAUsersHookRunsThere(@TempDir Path base) throws Exception {
        SubhostConfig.Builder builder = SubhostConfig.builder("ex1", base).cables("=").start("none")
                .limit("PIDS_MAX", "none");

        assertThat(BootPlanner.plan(builder.build(), NO_CGROUP).lines().get(6))
                .isEqualTo(" 7. [host, alongside ns] cable 0: veth ex10 <-> eth0");
        List<String> withPremount = BootPlanner.plan(builder.premount("/usr/local/bin/pre").build(), NO_CGROUP).lines();
        assertThat(withPremount.get(5)).as("a PREMOUNT may look at the cables, as with the old tool")
                .isEqualTo(" 6. [host] cable 0: veth ex10 <-> eth0");
        assertThat(withPremount.get(7)).as("and the netns is entered before it runs")
                .isEqualTo(" 8. [ns] new mount namespace with every mount private; enter network namespace ex1");
        assertThat(withPremount.get(4)).isEqualTo(" 5. [host] network namespace ex1 (/run/netns/ex1) with lo up");
        assertThat(withPremount).noneMatch(line -> line.contains("for this thread") || line.contains("made it"));
        assertThat(BootPlanner.plan(builder.premount(Optional.empty()).postmount("/usr/local/bin/post").build(), NO_CGROUP).lines()
                .get(6)).as("a POSTMOUNT too").isEqualTo(" 7. [host] host end ex10: ifup ex10 (else just up)");
    }

    /**
     * The groups, LOG and the relay are made on the caller's thread alongside the namespace
     * steps, unless a user's command runs among them (INIT) or among the namespace steps
     * (PREMOUNT, POSTMOUNT): then they come before the namespace thread starts, so that the
     * command sees the host as it did before.
     */
    @Test
    void theInitIsPreparedAlongsideTheNamespaceStepsUnlessAUsersCommandRuns(@TempDir Path base) throws Exception {
        SubhostConfig.Builder builder = SubhostConfig.builder("ex1", base).cables("=").start("none");

        assertThat(BootPlanner.plan(builder.build(), UNIFIED).lines().get(5)).startsWith(
                " 6. [host, alongside ns] open LOG ");
        List<String> withInit = BootPlanner.plan(builder.init("echo /sbin/init").build(), UNIFIED).lines();
        assertThat(withInit.get(4)).as("INIT runs on the host before the namespace thread starts")
                .startsWith(" 5. [host] open LOG ").contains("init script: the output of INIT (echo /sbin/init); the log relay born");
        assertThat(withInit.get(3)).startsWith(" 4. [host] control groups ");
        assertThat(withInit.get(5)).as("the built-in PREMOUNT still alongside, after INIT ran")
                .startsWith(" 6. [host, alongside ns] write " + base.resolve("root/etc/network/interfaces"));
        assertThat(withInit.get(6)).isEqualTo(" 7. [host, alongside ns] network namespace ex1 once the namespace"
                + " thread made it");
        assertThat(withInit).noneMatch(line -> line.contains("once the caller's thread made them"));
        List<String> withPremount = BootPlanner.plan(builder.init(Optional.empty()).premount("/usr/local/bin/pre")
                .build(), UNIFIED).lines();
        assertThat(withPremount.get(4)).startsWith(" 5. [host] open LOG ");
        assertThat(withPremount).noneMatch(line -> line.contains("alongside") || line.contains("caller's thread"));
    }

    @Test
    void aPlainRootRunsNoPremount(@TempDir Path base) throws Exception {
        SubhostConfig config = SubhostConfig.builder("ex1", base).live(base).upper(base).lower(base).start("none")
                .limit("PIDS_MAX", "none").build();

        BootPlan plan = BootPlanner.plan(config, NO_CGROUP);

        assertThat(describe(plan)).doesNotContain("WriteInterfaces", "RunHook");
        assertThat(plan.lines().get(7)).isEqualTo(" 8. [ns] bind " + base + " on itself (nodev; the root is the directory"
                + " itself)");
    }

    @Test
    void diskImagesMountedForItAreAdoptedFirstAndRecorded(@TempDir Path base) throws Exception {
        DiskAttachment lower = new DiskAttachment(base.resolve("mnt"), Path.of("/dev/loop4"), base.resolve("os.img"));
        SubhostConfig config = SubhostConfig.builder("ex1", base).lower(Path.of("mnt")).start("none")
                .limit("PIDS_MAX", "none").attachments(List.of(lower)).build();

        BootPlan plan = BootPlanner.plan(config, NO_CGROUP);

        assertThat(plan.lines().get(0)).isEqualTo(" 1. [host] adopt the disk images mounted for it: " + base
                + "/os.img (/dev/loop4) on " + base + "/mnt");
        assertThat(plan.steps().get(1)).isInstanceOf(OverlayFs.CheckLayout.class);
        assertThat(BootPlanner.planned(config, SubhostGroups.NONE).disks()).containsExactly(lower);
        assertThat(BootPlanner.plan(config.toBuilder().attachments(List.of()).build(), NO_CGROUP).steps().get(0))
                .as("without disk images there is no such step").isInstanceOf(OverlayFs.CheckLayout.class);
    }

    @Test
    void theRecordPlannedFirstListsEveryHostLink(@TempDir Path base) throws Exception {
        SubhostConfig config = SubhostConfig.builder("ex1", base).cables("= =.7 =").start("a b").build();
        SubhostState planned = BootPlanner.planned(config, new SubhostGroups(Optional.of(Path.of("/sys/fs/cgroup/ex1")), java.util.Set.of(), Map.of()));
        assertThat(planned.hostLinks()).containsExactly("ex10", "ex10.7", "ex11");
        assertThat(planned.cableEnds()).containsExactly("eth0", "eth0.7", "eth1");
        assertThat(planned.services()).containsExactly("a", "b");
    }

    /** Each step that reads earlier results, with the steps that make them: "Reader <- Maker, Maker". */
    private static List<String> readers(BootPlan plan) {
        java.util.Map<Slot<?>, String> makers = new java.util.IdentityHashMap<>();
        for (BootStep<?> step : plan.steps()) {
            step.produces().ifPresent(slot -> makers.put(slot, name(step)));
        }
        List<String> readers = new java.util.ArrayList<>();
        for (BootStep<?> step : plan.steps()) {
            List<String> read = java.util.stream.Stream.concat(step.awaits().stream(), step.consumes().stream())
                    .map(slot -> makers.get(slot.producedAs())).toList();
            if (!read.isEmpty()) {
                readers.add(name(step) + " <- " + String.join(", ", read));
            }
        }
        return readers;
    }

    private static String name(BootStep<?> step) {
        return (step instanceof BootStep.Alongside<?> alongside ? alongside.step() : step).getClass().getSimpleName();
    }

    @Test
    void eachStepReadsWhatTheStepThatMakesItHandsOn(@TempDir Path base) throws Exception {
        SubhostConfig.Builder builder = SubhostConfig.builder("ex1", base).cables("br0= =").start("none");

        assertThat(readers(BootPlanner.plan(builder.build(), UNIFIED))).containsExactly(
                "AwaitNetns <- CreateNetnsOnBootThread",
                "AddVeth <- AwaitNetns",
                "ConnectHostEnd <- PrepareInit",
                "AddVeth <- AwaitNetns",
                "ConnectHostEnd <- PrepareInit",
                "AwaitInterfaces <- WriteInterfaces",
                "HideTrees <- Register",
                "AwaitPrepared <- PrepareInit",
                "StartPid1 <- AwaitPrepared, AwaitPrepared, AwaitPrepared",
                "RecordRunning <- RecordBooting, StartPid1, ConnectHostEnd, ConnectHostEnd",
                "Carry <- Register, StartPid1",
                "ReleaseInit <- StartPid1");
        assertThat(readers(BootPlanner.plan(builder.premount("/usr/local/bin/pre").build(), NO_CGROUP))).containsExactly(
                "AddVeth <- CreateNetns",
                "ConnectHostEnd <- PrepareInit",
                "AddVeth <- CreateNetns",
                "ConnectHostEnd <- PrepareInit",
                "NewMountNamespace <- CreateNetns",
                "RunHook <- PrepareInit",
                "HideTrees <- Register",
                "StartPid1 <- PrepareInit, PrepareInit, PrepareInit",
                "RecordRunning <- RecordBooting, StartPid1, ConnectHostEnd, ConnectHostEnd",
                "Carry <- Register, StartPid1",
                "ReleaseInit <- StartPid1");
    }

    /** This machine's layout: v2 without controllers at /sys/fs/cgroup/unified, the rest v1. */
    static final CgroupLayout HYBRID = CgroupLayout.read(Optional.of(Path.of("/sys/fs/cgroup/unified")),
            Optional.empty(), "8:pids:/\n5:devices:/\n4:memory:/process_api/f632\n2:cpuacct:/\n1:cpu:/\n"
                    + "7:blkio:/\n9:name=systemd:/\n0::/\n",
            controllers -> Optional.of(Path.of("/sys/fs/cgroup", String.join(",", controllers))),
            group -> java.util.Set.of("hugetlb"));

    @Test
    void onAHybridHostTheLimitsGoToV1GroupsAndTheV2GroupHoldsTheDevicePolicy(@TempDir Path base) throws Exception {
        HostFacts facts = new HostFacts(Optional.of(Path.of("/sys/fs/cgroup/unified")), true, Optional.empty(),
                Optional.empty(), HYBRID);
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").limit("MEMORY_MAX", "512M")
                .limit("CPU_WEIGHT", "300").devices("c:10:200:rw").build();

        BootPlan plan = BootPlanner.plan(config, facts);

        // memory under this process's own memory group, the others at the top of theirs
        // The device policy is the v2 group's BPF program: no v1 devices group.
        assertThat(plan.lines()).contains(" 5. [host, alongside ns] control groups /sys/fs/cgroup/unified/ex1,"
                + " /sys/fs/cgroup/memory/process_api/f632/ex1, /sys/fs/cgroup/pids/ex1, /sys/fs/cgroup/cpu/ex1;"
                + " MEMORY_MAX=512M PIDS_MAX=2048 CPU_WEIGHT=300; devices c:1:3 c:1:5"
                + " c:1:7 c:1:8 c:1:9 c:5:0 c:5:2 c:136:* c:10:200:rw",
                " 6. [host, alongside ns] open LOG /tmp/oly-ex1.log (at most 10M, and as much in oly-ex1.log.1);"
                + " init script: built-in, no services; the log relay born in control groups"
                + " /sys/fs/cgroup/unified/ex1, /sys/fs/cgroup/memory/process_api/f632/ex1");
        assertThat(plan.lines()).anyMatch(line -> line.startsWith("19. [ns] pid 1 (the SDK's subhost-init, a sealed"
                + " memfd) in new pid, ipc, uts, time and cgroup namespaces and born in control groups"
                + " /sys/fs/cgroup/unified/ex1, /sys/fs/cgroup/memory/process_api/f632/ex1, /sys/fs/cgroup/pids/ex1,"
                + " /sys/fs/cgroup/cpu/ex1 (clone3 by its launcher); hostname from"));
        SubhostState planned = ((StateStore.RecordBooting) plan.steps().get(1)).planned();
        assertThat(planned.cgroups().record()).containsExactly(
                Map.entry("cgroup", "/sys/fs/cgroup/unified/ex1"),
                Map.entry("cgroup.v1.memory", "/sys/fs/cgroup/memory/process_api/f632/ex1"),
                Map.entry("cgroup.v1.pids", "/sys/fs/cgroup/pids/ex1"),
                Map.entry("cgroup.v1.cpu", "/sys/fs/cgroup/cpu/ex1"));
        assertThat(planned.limits()).isEqualTo(config.limits());
    }

    @Test
    void aLimitTheHostCannotApplyRefusesTheBootFirstNamingControllerAndLayout(@TempDir Path base) throws Exception {
        HostFacts facts = new HostFacts(Optional.of(Path.of("/sys/fs/cgroup/unified")), true, Optional.empty(),
                Optional.empty(), HYBRID);
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").limit("MEMORY_HIGH", "1G").build();

        BootPlan plan = BootPlanner.plan(config, facts);

        assertThat(describe(plan)).startsWith("CheckLayout", "Refuse", "RecordBooting");
        assertThat(plan.lines().get(1)).isEqualTo(" 2. [host] limits: refused: MEMORY_HIGH (1G) needs the memory"
                + " controller of cgroup v2, and this host's is on cgroup v1 (use MEMORY_MAX), which this host cannot"
                + " give (hybrid: cgroup v2 at /sys/fs/cgroup/unified with controllers hugetlb; cgroup v1 controllers"
                + " blkio cpu cpuacct devices memory pids under /sys/fs/cgroup); set MEMORY_HIGH=none in the"
                + " configuration to boot without that limit");
        assertThat(describe(BootPlanner.plan(SubhostConfig.builder("ex1", base).start("none").build(), NO_CGROUP)))
                .startsWith("CheckLayout", "Refuse");
        assertThat(BootPlanner.plan(SubhostConfig.builder("ex1", base).start("none").build(), NO_CGROUP).lines().get(1))
                .isEqualTo(" 2. [host] limits: refused: PIDS_MAX (2048) needs the pids controller, which this host"
                        + " cannot give (none: no control group hierarchy is mounted); set PIDS_MAX=none in the"
                        + " configuration to boot without that limit");
    }

    @Test
    void diskMaxIsSetOnUpperRightAfterTheFirstRecordAndTheTreesRegistration(@TempDir Path base) throws Exception {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").limit("DISK_MAX", "10G").build();

        BootPlan plan = BootPlanner.plan(config, UNIFIED);

        assertThat(describe(plan)).startsWith("CheckLayout", "RecordBooting", "Register", "Limit",
                "WriteInterfaces", "Create", "PrepareInit");
        assertThat(plan.steps().get(3).place()).isEqualTo(BootStep.Place.HOST);
        assertThat(plan.lines().get(3)).isEqualTo(" 4. [host] DISK_MAX 10G on UPPER " + base.resolve("root")
                + " (its btrfs quota group, or its ext4/XFS project quota)");
        assertThat(((StateStore.RecordBooting) plan.steps().get(1)).planned().upper()).contains(base.resolve("root"));
    }
}
