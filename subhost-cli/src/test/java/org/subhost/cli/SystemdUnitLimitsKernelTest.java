package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The unit's own limits ({@code systemctl set-property subhosts@... TasksMax= MemoryMax=})
 * and the {@code .conf}'s both hold a subhost run by {@code subhosts@.service}, the tighter
 * one winning, with the real systemd on this hybrid host, whose pids and memory controllers
 * are cgroup v1 hierarchies.
 *
 * <p>The systemd is pid 1 of a subhost of the test's own over the host's root, as in {@link
 * SystemdSubhostKernelTest}. The Container Interface gives it a cgroup2 file system only,
 * which here has no controllers: a unit's TasksMax= would have nothing to act on. So its
 * init script first gives it the host's hybrid layout, rooted at the outer subhost's own
 * groups by the subhost's cgroup namespace: a tmpfs on {@code /sys/fs/cgroup} with the v1
 * pids, memory and cpu hierarchies (the ones the outer subhost has groups of; mounted in
 * the cgroup namespace each shows that group as its root, so nothing of the host's groups
 * above is reachable) and cgroup2 at {@code unified}; the host's name=systemd hierarchy is
 * not mounted (its root would be the host's own), an empty read-only tmpfs stands in its
 * place. systemd then runs in hybrid mode and makes each unit's groups in the v1
 * hierarchies, which everything it makes ends with the outer subhost's groups at the stop.
 */
class SystemdUnitLimitsKernelTest {
    /** Where the subhost sees the copy of the checkout. */
    private static final String CHECKOUT_INSIDE = "/opt/subhost-checkout";
    /** The nested subhost's own PIDS_MAX and MEMORY_MAX. */
    private static final int CONF_PIDS_MAX = 40;
    private static final String CONF_MEMORY_MAX = "64M";

    /** The hybrid layout for the outer subhost's systemd, then systemd (the last line, as INIT's rule asks). */
    private static final List<String> INIT_SCRIPT = List.of(
            "mount -t tmpfs -o mode=755,nosuid,nodev,noexec cgroup /sys/fs/cgroup || exit 1",
            "for c in pids memory cpu; do",
            "  mkdir /sys/fs/cgroup/$c && mount -t cgroup -o nosuid,nodev,noexec,$c cgroup /sys/fs/cgroup/$c || exit 1",
            "done",
            "mkdir /sys/fs/cgroup/unified /sys/fs/cgroup/systemd || exit 1",
            "mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 /sys/fs/cgroup/unified || exit 1",
            "mount -t tmpfs -o ro,mode=755,nosuid,nodev,noexec name-systemd /sys/fs/cgroup/systemd || exit 1",
            "mount -o remount,ro /sys/fs/cgroup || exit 1",
            "exec /lib/systemd/systemd");

    @TempDir
    Path tmp;

    private InterruptedRun run;
    private TestCheckout checkout;
    private Map<String, String> env;

    @BeforeEach
    void setUp() throws Exception {
        run = InterruptedRun.create(); // skips with a reason when not root
        assumeTrue(Files.isExecutable(Path.of("/lib/systemd/systemd")),
                "systemd is not installed (.ci/run installs it)");
        checkout = TestCheckout.create(Files.createDirectories(tmp.toRealPath().resolve("checkout")));
        env = TestCheckout.serviceEnv();
        Path systemUnits = Files.createDirectories(run.base.resolve("root/etc/systemd/system"));
        for (String unit : SystemdSubhostKernelTest.MASKED) {
            Files.createSymbolicLink(systemUnits.resolve(unit), Path.of("/dev/null"));
        }
        SystemdSubhostKernelTest.hideInUpper(run.base.resolve("root"), SystemdSubhostKernelTest.HOSTS_SUBHOSTS);
        Path script = Files.write(run.base.resolve("init.sh"), INIT_SCRIPT);
        Files.write(Path.of(run.conf), List.of("BASE=.", "LOWER=/", "CABLES=", "LOG=" + run.base.resolve("log"),
                "INIT=cat " + script, "SHARE=" + checkout.path("") + ":" + CHECKOUT_INSIDE));
    }

    @AfterEach
    void tearDown() throws IOException {
        if (run != null) {
            run.close();
            assertThat(run.leftovers()).as("what %s left behind", run.name).isEmpty();
        }
    }

    private TestCheckout.Ran command(String program, String... args) throws Exception {
        return checkout.command(env, program, args);
    }

    /** {@code sh -c script} inside the outer subhost, through overlay-go. */
    private TestCheckout.Ran inside(String script) throws Exception {
        return command("overlay-go", run.name, "/bin/sh", "-c", script);
    }

    @Test
    void theUnitsTasksMaxAndMemoryMaxHoldTheSubhostAndTheConfsTighterLimitsWin() throws Exception {
        TestCheckout.Ran boot = command("overlay-boot", run.conf);
        assertThat(boot.status()).as(boot.describe() + "; LOG: " + run.logSince(0)).isZero();
        TestCheckout.Ran state = inside("timeout 60 systemctl is-system-running --wait; cat /proc/1/cgroup");
        assertThat(state.out().lines().findFirst().orElse("")).as(state.describe() + "; LOG: " + run.logSince(0))
                .isIn("running", "degraded");
        System.out.println("systemd in " + run.name + ": " + state.out().strip().replace('\n', ' '));

        TestCheckout.Ran install = inside(CHECKOUT_INSIDE + "/bin/install >/dev/null && systemctl daemon-reload && echo ok");
        assertThat(install.out()).as(install.describe()).isEqualTo("ok\n");
        String nested = "n" + run.name.substring(3);
        String dir = "/run/" + nested;
        String conf = dir + "/" + nested + ".conf";
        String unit = "subhosts@" + SystemdUnits.escapePath(Path.of(conf)) + ".service";
        TestCheckout.Ran prepared = inside("mkdir -p " + dir + "/root " + dir + "/work " + dir + "/live && echo 'exec sleep 600' > "
                + dir + "/init.sh && printf '%s\\n'"
                + " BASE=. LOWER=/ CABLES= START=none PIDS_MAX=" + CONF_PIDS_MAX + " MEMORY_MAX=" + CONF_MEMORY_MAX
                + " 'INIT=cat " + dir + "/init.sh'"
                + " > " + conf + " && echo ok");
        assertThat(prepared.out()).as(prepared.describe()).isEqualTo("ok\n");

        TestCheckout.Ran start = inside("systemctl start " + unit + " && systemctl show -P MainPID " + unit
                + " && systemctl show -P ControlGroup " + unit);
        assertThat(start.status()).as(start.describe() + "; " + inside("journalctl --no-pager -n 50 -u " + unit).out())
                .isZero();
        String mainPid = start.out().lines().findFirst().orElseThrow();
        String unitGroup = start.out().lines().skip(1).findFirst().orElseThrow();
        // The nested subhost's pids and memory groups are inside the unit's own, as systemd delegated them.
        // (Its cpu group is not: systemd here makes no cpu group for the unit, whose process it puts
        // in the slice's; printed for the record.)
        String pidsUnit = "/sys/fs/cgroup/pids" + unitGroup;
        String memoryUnit = "/sys/fs/cgroup/memory" + unitGroup;
        TestCheckout.Ran groups = inside("cat /proc/" + mainPid + "/cgroup; systemctl show -p Delegate -p DelegateControllers "
                + unit + "; ls -d /sys/fs/cgroup/*" + unitGroup + " /sys/fs/cgroup/*" + unitGroup + "/*/");
        System.out.println("groups of " + nested + ": " + groups.out() + groups.err());
        assertThat(groups.out()).as(groups.describe()).contains(":pids:" + unitGroup + "/" + nested + "\n",
                ":memory:" + unitGroup + "/" + nested + "\n");

        inside("systemctl stop " + unit);

        // The nested subhost's init script forks (or allocates) in a child of pid 1: an overlay-go
        // inside the outer subhost cannot enter it (its confinement refuses setns to a pid
        // namespace: EPERM). Each phase boots it again under the unit's limits of that phase.
        String forks = "sh -c 'i=0; while [ $i -lt 200 ]; do sleep 600 >/dev/null 2>&1 </dev/null & i=$((i+1)); done'";
        // TasksMax= below the .conf's PIDS_MAX: the unit's limit stops the fork loop.
        int underUnit = phase(unit, dir, "TasksMax=16", forks, pidsUnit + "/" + nested + "/pids.current");
        assertThat(underUnit).as("processes of the subhost under TasksMax=16").isBetween(2, 16);
        // TasksMax= above it: the .conf's PIDS_MAX is the tighter one.
        int underConf = phase(unit, dir, "TasksMax=400", forks, pidsUnit + "/" + nested + "/pids.current");
        assertThat(underConf).as("processes of the subhost under PIDS_MAX=" + CONF_PIDS_MAX)
                .isGreaterThan(16).isLessThanOrEqualTo(CONF_PIDS_MAX);
        System.out.println("fork loop in " + nested + ": " + underUnit + " processes under TasksMax=16, " + underConf
                + " under PIDS_MAX=" + CONF_PIDS_MAX);

        // MemoryMax= below the .conf's MEMORY_MAX: the unit's limit refuses an allocation of 100 MB
        // (v1 counts a refused charge in the failcnt of the group whose limit it is).
        String allocate = "sh -c 'x=$(head -c 100000000 /dev/zero | tr \"\\0\" a); echo allocated ${#x}'";
        long unitRefused = phase(unit, dir, "MemoryMax=32M", allocate, memoryUnit + "/memory.failcnt");
        assertThat(unitRefused).as("charges that MemoryMax=32M refused").isPositive();
        // MemoryMax= above it: the .conf's MEMORY_MAX is the tighter one.
        long confRefused = phase(unit, dir, "MemoryMax=1G", allocate, memoryUnit + "/" + nested + "/memory.failcnt");
        assertThat(confRefused).as("charges that MEMORY_MAX=" + CONF_MEMORY_MAX + " refused").isPositive();
        assertThat(inside("echo host-side-alive").out()).isEqualTo("host-side-alive\n");

        // systemctl stop leaves nothing: the subhost's record, its groups and the unit's.
        TestCheckout.Ran stop = inside("systemctl stop " + unit + "; systemctl is-active " + unit + "; test -e /run/subhost/"
                + nested + " || test -e " + pidsUnit + " || test -e " + memoryUnit
                + " || test -e /sys/fs/cgroup/cpu" + unitGroup + " || echo nothing-left");
        assertThat(stop.out()).as(stop.describe()).isEqualTo("inactive\nnothing-left\n");

        TestCheckout.Ran outerStop = command("overlay-stop", run.conf);
        assertThat(outerStop.status()).as(outerStop.describe() + "; LOG: " + run.logSince(0)).isZero();
        assertThat(run.leftovers()).isEmpty();
    }

    /**
     * One boot of the nested subhost under the unit's {@code property} (set for this runtime),
     * whose init script runs {@code work} then waits; returns the number in {@code counter}
     * once the work is done, and stops the unit again.
     */
    private int phase(String unit, String dir, String property, String work, String counter) throws Exception {
        TestCheckout.Ran ran = inside("printf '%s\\n' \"" + work.replace("\\", "\\\\").replace("\"", "\\\"").replace("$", "\\$")
                + "\" 'exec sleep 600' > " + dir + "/init.sh && systemctl set-property --runtime " + unit + " " + property
                + " && systemctl start " + unit + " && sleep 3 && cat " + counter + "; systemctl stop " + unit);
        System.out.println(property + ": " + ran.describe().replace('\n', ' '));
        assertThat(ran.out()).as(ran.describe() + "; " + inside("journalctl --no-pager -n 30 -u " + unit).out())
                .matches("\\d+\n");
        return Integer.parseInt(ran.out().strip());
    }
}
