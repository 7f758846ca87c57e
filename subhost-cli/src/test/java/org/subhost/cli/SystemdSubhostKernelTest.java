package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.linux.Mounts;

/**
 * systemd both ways, with the real systemd: a subhost over the host's own root (LOWER=/)
 * whose INIT is the one-line ready-made one ({@code echo exec /lib/systemd/systemd}), so
 * that systemd is its pid 1; and inside it, the SDK installed with {@code bin/install} and
 * a second, nested subhost run as the unit {@code subhosts@CONF.service} by that systemd.
 *
 * <p>The subhost must not start what would act on the host: the units that would (the
 * host's database, disk scrubs and trims, timers that download or rotate) are masked in its
 * upper layer, and the confinement keeps the rest from the host's clock and sysctls, which
 * the test probes harmlessly (writing back only values it read). The commands are the
 * launchers of a copy of the checkout ({@link TestCheckout}), as an administrator runs
 * them.
 *
 * <p>Nor may the subhost see the host's own subhosts: whatever the host has of Debian's
 * overlay-boot or of an install of ours (the list, the init script and its rc links, the
 * units, an installed copy) is hidden by whiteouts in the upper layer. Otherwise, on a
 * host with Debian's overlay-boot, systemd-sysv-generator makes {@code subhosts.service}
 * of the host's {@code /etc/init.d/subhosts} at the subhost's boot (no native unit of that
 * name exists yet) and starts it, as its rc links ask; the unit stays active (exited), so
 * that after bin/install and daemon-reload, when our unit file has replaced it under the
 * same name, {@code systemctl start subhosts.service} finds it active and starts nothing.
 */
class SystemdSubhostKernelTest {
    /** Units of a Debian host that must not run again in a subhost over its root. */
    static final List<String> MASKED = List.of("postgresql.service", "e2scrub_reap.service",
            "e2scrub_all.timer", "fstrim.timer", "apt-daily.timer", "apt-daily-upgrade.timer", "dpkg-db-backup.timer",
            "man-db.timer", "logrotate.timer", "cron.service", "systemd-pstore.service", "systemd-timesyncd.service",
            "getty@tty1.service", "serial-getty@ttyS0.service");

    /**
     * What of the subhosts' own boot support a host may have, as globs of absolute paths:
     * Debian's overlay-boot (its list and init script, their rc links, its unit) and an
     * install of ours (the same, the units, the commands and the installed copy).
     */
    static final List<String> HOSTS_SUBHOSTS = List.of("/etc/subhosts.conf", "/etc/default/subhosts",
            "/etc/init.d/subhosts", "/etc/rc?.d/[SK][0-9][0-9]subhosts", "/etc/systemd/system/subhosts*",
            "/etc/systemd/system/*.wants/subhosts*", "/usr/local/lib/systemd/system/subhosts*",
            "/usr/lib/systemd/system/subhosts*", "/lib/systemd/system/subhosts*", "/usr/local/lib/subhost",
            "/usr/local/sbin/overlay-*", "/usr/local/sbin/subhosts");

    /** Where the subhost sees the copy of the checkout. */
    private static final String CHECKOUT_INSIDE = "/opt/subhost-checkout";

    @TempDir
    Path tmp;

    private InterruptedRun run;
    private List<Path> hiddenFromTheHost;
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
        for (String unit : MASKED) {
            Files.createSymbolicLink(systemUnits.resolve(unit), Path.of("/dev/null"));
        }
        hiddenFromTheHost = hideInUpper(run.base.resolve("root"), HOSTS_SUBHOSTS);
        // The checkout's copy is shared in: systemd-tmpfiles empties the subhost's /tmp at boot
        // (in the upper layer only: the host's /tmp stays as it is).
        Files.write(Path.of(run.conf), List.of("BASE=.", "LOWER=/", "CABLES=", "LOG=" + run.base.resolve("log"),
                "INIT=echo exec /lib/systemd/systemd", "SHARE=" + checkout.path("") + ":" + CHECKOUT_INSIDE));
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

    /** {@code sh -c script} inside the subhost, through overlay-go. */
    private TestCheckout.Ran inside(String script) throws Exception {
        return command("overlay-go", run.name, "/bin/sh", "-c", script);
    }

    @Test
    void systemdIsPid1OfASubhostAndRunsTheUnitOfANestedSubhost() throws Exception {
        String hostPrintk = Files.readString(Path.of("/proc/sys/kernel/printk"));
        TestCheckout.Ran dry = command("overlay-boot", "--dry-run", run.conf);
        assertThat(dry.out()).as(dry.describe()).contains("init system /lib/systemd/systemd as pid 1");

        TestCheckout.Ran boot = command("overlay-boot", run.conf);
        assertThat(boot.status()).as(boot.describe() + "; LOG: " + run.logSince(0)).isZero();
        // The boot returned once systemd said READY=1 on the NOTIFY_SOCKET it got: it answers at once.
        TestCheckout.Ran ready = inside("systemctl is-system-running");
        assertThat(ready.out().lines().findFirst().orElse("")).as(ready.describe() + "; LOG: " + run.logSince(0))
                .isIn("running", "degraded");
        assertThat(run.logSince(0)).contains("the init system says READY=1");
        TestCheckout.Ran list = command("overlay-list", "--json");
        assertThat(list.out()).as(list.describe()).contains("\"init_system\"");

        // pid 1 is systemd, which reaches running (or degraded: a unit failed) within 60 s.
        TestCheckout.Ran pid1 = inside("cat /proc/1/comm; systemd-detect-virt --container");
        assertThat(pid1.out()).as(pid1.describe()).isEqualTo("systemd\ncontainer-other\n");
        TestCheckout.Ran state = inside("timeout 60 systemctl is-system-running --wait; systemctl --failed --no-legend"
                + " --plain --no-pager");
        System.out.println("systemd subhost " + run.name + ": " + state.out().strip());
        assertThat(state.out().lines().findFirst().orElse("")).as(state.describe() + "; LOG: " + run.logSince(0))
                .isIn("running", "degraded");
        TestCheckout.Ran units = inside("systemctl list-units --no-pager");
        assertThat(units.status()).as(units.describe()).isZero();
        assertThat(units.out()).contains("multi-user.target", "systemd-journald.service");

        // The Container Interface: its own group as /sys/fs/cgroup, /proc/sys read-only but net.
        TestCheckout.Ran cgroup = inside("cat /proc/1/cgroup; stat -f -c %T /sys/fs/cgroup; test -w /sys/fs/cgroup/init.scope"
                + " && echo writable");
        assertThat(cgroup.out()).as(cgroup.describe()).contains("0::/init.scope\n", "cgroup2fs\n", "writable\n");
        // Harmless probes from a service of that systemd (confined as everything pid 1 starts):
        // a sysctl and the clock written back with the values just read, a module listing.
        TestCheckout.Ran probes = inside("systemd-run --quiet --wait --pipe /bin/sh -c 'v=$(cat /proc/sys/kernel/printk);"
                + " echo \"$v\" > /proc/sys/kernel/printk 2>/dev/null && echo sysctl-written;"
                + " date -s \"@$(date +%s)\" >/dev/null 2>&1 && echo clock-set; echo done'");
        assertThat(probes.out()).as(probes.describe()).isEqualTo("done\n");
        assertThat(Files.readString(Path.of("/proc/sys/kernel/printk"))).isEqualTo(hostPrintk);

        nestedSubhostAsAUnit();

        TestCheckout.Ran stop = command("overlay-stop", run.conf);
        assertThat(stop.status()).as(stop.describe() + "; LOG: " + run.logSince(0)).isZero();
        assertThat(run.logSince(0)).contains("SIGRTMIN+3").as("START's services are not systemd's to stop")
                .doesNotContain("stopping service");
        assertThat(run.leftovers()).isEmpty();
    }

    /** Inside the systemd subhost: bin/install, and the unit of a nested subhost. */
    private void nestedSubhostAsAUnit() throws Exception {
        TestCheckout.Ran install = inside(CHECKOUT_INSIDE + "/bin/install >/dev/null && systemctl daemon-reload && echo ok");
        assertThat(install.out()).as(install.describe()).isEqualTo("ok\n");
        // The nested subhost's upper layer on a tmpfs (/run): overlayfs takes no overlay as upper.
        // PIDS_MAX=none: on a hybrid host the cgroup2 that systemd has inside offers no pids
        // controller (the outer subhost's PIDS_MAX holds the nested one too).
        String nested = "n" + run.name.substring(3);
        String dir = "/run/" + nested;
        String conf = dir + "/" + nested + ".conf";
        String unit = "subhosts@" + SystemdUnits.escapePath(Path.of(conf)) + ".service";
        TestCheckout.Ran prepared = inside("mkdir -p " + dir + "/root " + dir + "/work " + dir + "/live && printf '%s\\n'"
                + " BASE=. LOWER=/ CABLES= START=none PIDS_MAX=none > " + conf + " && echo ok");
        assertThat(prepared.out()).as(prepared.describe()).isEqualTo("ok\n");

        TestCheckout.Ran start = inside("systemctl start " + unit + " && systemctl show -p ActiveState -p MainPID " + unit
                + " && cat /run/subhost/" + nested + "/state");
        assertThat(start.status()).as(start.describe() + "; " + inside("journalctl --no-pager -n 50 -u " + unit).out())
                .isZero();
        assertThat(start.out()).contains("ActiveState=active\n");
        String mainPid = field(start.out(), "MainPID=(\\d+)");
        assertThat(mainPid).as("the unit's main process").isNotEqualTo("0");
        assertThat(field(start.out(), "(?m)^pid=(\\d+)")).as("the nested subhost's pid 1 is the main process")
                .isEqualTo(mainPid);
        TestCheckout.Ran status = inside("systemctl status --no-pager " + unit + "; journalctl --no-pager -u " + unit
                + "; cat /proc/" + mainPid + "/cgroup");
        assertThat(status.out()).as(status.describe()).contains("Main PID: " + mainPid,
                "overlay-boot[" + nested + "]: booted: pid 1 is",
                "/" + unit + "/" + nested + "\n");

        // Its pid 1 killed: the unit fails, and its ExecStopPost (overlay-stop) clears what is left.
        TestCheckout.Ran failed = inside("kill -9 " + mainPid + "; for i in $(seq 100); do systemctl is-failed --quiet "
                + unit + " && break; sleep 0.2; done; systemctl is-active " + unit + "; test -e /run/subhost/" + nested
                + " || echo cleared");
        assertThat(failed.out()).as(failed.describe()).isEqualTo("failed\ncleared\n");

        TestCheckout.Ran again = inside("systemctl reset-failed " + unit + "; systemctl start " + unit
                + " && systemctl is-active " + unit + " && systemctl stop " + unit + "; systemctl is-active " + unit
                + "; test -e /run/subhost/" + nested + " || test -e /run/netns/" + nested + " || echo nothing-left");
        assertThat(again.out()).as(again.describe()).isEqualTo("active\ninactive\nnothing-left\n");

        // Restart=on-failure in a drop-in: a killed pid 1 is cleared and the subhost boots again.
        TestCheckout.Ran restart = inside("mkdir -p /etc/systemd/system/" + unit + ".d && printf '[Service]\\nRestart=on-failure\\n"
                + "RestartSec=1\\n' > /etc/systemd/system/" + unit + ".d/restart.conf && systemctl daemon-reload"
                + " && systemctl start " + unit + " && old=$(systemctl show -P MainPID " + unit + ") && kill -9 $old"
                // Until the unit is active again with a new main pid that is the new boot's pid 1
                // (bounded: 60 s, for a loaded machine): the restart goes through ExecStopPost,
                // RestartSec and a whole boot.
                + " && for i in $(seq 300); do new=$(systemctl show -P MainPID " + unit + "); [ \"$new\" != 0 ] && [ \"$new\" != \"$old\" ]"
                + " && systemctl is-active --quiet " + unit
                + " && [ \"$new\" = \"$(sed -n 's/^pid=//p' /run/subhost/" + nested + "/state 2>/dev/null)\" ] && break;"
                + " sleep 0.2; done; systemctl is-active " + unit
                + "; [ \"$new\" = \"$(sed -n 's/^pid=//p' /run/subhost/" + nested + "/state)\" ] && echo restarted;"
                + " rm -r /etc/systemd/system/" + unit + ".d; systemctl daemon-reload; systemctl stop " + unit
                + "; systemctl is-active " + unit);
        assertThat(restart.out()).as(restart.describe()).isEqualTo("active\nrestarted\ninactive\n");

        // The list's unit starts the subhost's own unit, and stops it again.
        // Our unit, which nothing started at the boot (not a unit that systemd-sysv-generator made
        // of a host's init script).
        TestCheckout.Ran loaded = inside("systemctl show -p FragmentPath -p SourcePath -p ActiveState subhosts.service");
        assertThat(loaded.out().lines().sorted().toList()).as(loaded.describe() + "; hidden from the host: "
                + hiddenFromTheHost).containsExactly("ActiveState=inactive",
                        "FragmentPath=/usr/local/lib/systemd/system/subhosts.service", "SourcePath=");
        TestCheckout.Ran list = inside("echo " + conf + " > /etc/subhosts.conf && systemctl start subhosts.service"
                + " && systemctl is-active " + unit + " && systemctl stop subhosts.service; systemctl is-active " + unit
                + "; test -e /run/subhost/" + nested + " || echo nothing-left");
        assertThat(list.out()).as(list.describe() + "; " + inside("journalctl --no-pager -n 30 -u subhosts.service").out())
                .isEqualTo("active\ninactive\nnothing-left\n");
    }

    /**
     * Whiteouts in {@code upper} for each of the host's paths that match {@code globs}
     * (a glob in any component); the host's paths hidden. A whiteout goes where the
     * host's directory really is ({@code /lib} is {@code /usr/lib} on a merged /usr): a
     * directory in the upper layer where the lower has a symlink would hide the symlink.
     */
    static List<Path> hideInUpper(Path upper, List<String> globs) throws IOException {
        List<Path> hidden = new ArrayList<>();
        for (String glob : globs) {
            for (Path host : expand(Path.of("/"), Path.of(glob).subpath(0, Path.of(glob).getNameCount()))) {
                Path real = host.getParent().toRealPath().resolve(host.getFileName());
                Path whiteout = upper.resolve(Path.of("/").relativize(real));
                if (Files.exists(whiteout, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                Files.createDirectories(whiteout.getParent());
                Mounts.mknod(whiteout.toString(), Mounts.S_IFCHR, 0, 0);
                hidden.add(host);
            }
        }
        return hidden;
    }

    /** The paths under {@code dir} that {@code rest} (a relative path whose components may be globs) matches. */
    private static List<Path> expand(Path dir, Path rest) throws IOException {
        String first = rest.getName(0).toString();
        List<Path> matches = new ArrayList<>();
        if (first.matches(".*[*?\\[{].*")) {
            if (Files.isDirectory(dir)) {
                try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, first)) {
                    entries.forEach(matches::add);
                }
            }
        } else if (Files.exists(dir.resolve(first), LinkOption.NOFOLLOW_LINKS)) {
            matches.add(dir.resolve(first));
        }
        if (rest.getNameCount() == 1) {
            return matches;
        }
        List<Path> found = new ArrayList<>();
        for (Path match : matches) {
            found.addAll(expand(match, rest.subpath(1, rest.getNameCount())));
        }
        return found;
    }

    private static String field(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("%s in %s", regex, text).isTrue();
        return m.group(1);
    }
}
