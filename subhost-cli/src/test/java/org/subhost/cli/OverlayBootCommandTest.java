package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.testing.Uid;

/** {@code overlay-boot}'s arguments, its --dry-run output and its refusals. */
class OverlayBootCommandTest {
    @TempDir
    Path tmp;
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void realDirectory() throws IOException {
        dir = tmp.toRealPath();
        // The directories of a subhost with BASE=., so that the preflight has no error.
        for (String sub : List.of("live", "root", "work")) {
            Files.createDirectories(dir.resolve(sub));
        }
    }

    private int run(String... args) {
        return new OverlayBootCommand().run(List.of(args), print(out), print(err));
    }

    private static PrintStream print(ByteArrayOutputStream bytes) {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    /**
     * Standard error without the preflight's warnings, which depend on the host (ifupdown
     * installed or not, its hostname in LOWER's /etc/hostname); tests of the preflight's own
     * rules are in subhost-core.
     */
    private String errBesidesHostWarnings() {
        return err().lines().filter(line -> !line.startsWith("overlay-boot: warning: "))
                .map(line -> line + "\n").collect(java.util.stream.Collectors.joining());
    }

    /**
     * Asserts that --dry-run printed exactly the configuration lines {@code config}, one
     * blank line, then a plan numbered from 1 that starts with the layout check and has the
     * pid 1 step; returns the plan lines. The plan's other steps are the core's business.
     */
    private List<String> assertConfigThenPlan(String... config) {
        List<String> lines = out().lines().toList();
        assertThat(lines).as("output").hasSizeGreaterThan(config.length + 1);
        assertThat(lines.subList(0, config.length)).containsExactly(config);
        assertThat(lines.get(config.length)).as("line after the configuration").isEmpty();
        List<String> plan = lines.subList(config.length + 1, lines.size());
        assertThat(plan.getFirst()).startsWith(" 1. [host] check LIVE, UPPER, WORK, LOWER");
        for (int i = 0; i < plan.size(); i++) {
            assertThat(plan.get(i)).as("plan line %d", i + 1)
                    .matches(String.format("%2d\\. \\[(host|ns|host, alongside ns)\\] \\S.*", i + 1));
        }
        assertThat(plan).anyMatch(line -> line.matches(" ?\\d+\\. \\[ns\\] pid 1 .*"));
        return plan;
    }

    private Path conf(String name, String... lines) throws IOException {
        return Files.write(dir.resolve(name), List.of(lines));
    }

    @Test
    void dryRunPrintsTheResolvedConfiguration() throws IOException {
        Path conf = conf("xmpl.conf",
                "# the example of docs/spec.md §4",
                "BASE=.",
                "CABLES= = =.302  br0=06:20:03:4E:A6:F2 ",
                "UPPER=layers/upper",
                "START=none",
                "INIT=!echo cat /etc/xmpl.init",
                "SHARE=/srv/spool",
                "SHARE=data:/var/data");
        assertThat(run("--dry-run", conf.toString())).as("the SHARE sources are missing").isOne();
        List<String> plan = assertConfigThenPlan(
                "NAME=xmpl",
                "LOG=/tmp/oly-xmpl.log",
                "BASE=" + dir,
                "CABLES== =.302  br0=06:20:03:4E:A6:F2",
                "LIVE=" + dir + "/live",
                "UPPER=" + dir + "/layers/upper",
                "WORK=" + dir + "/work",
                "LOWER=/",
                "START=none",
                "PREMOUNT=",
                "POSTMOUNT=",
                "INIT=cat /etc/xmpl.init",
                "RAM_SIZE=50M",
                "CAPABILITIES=default",
                "SECCOMP=on",
                "CONFINE_FILES=on",
                "MEMORY_MAX=none",
                "MEMORY_HIGH=none",
                "PIDS_MAX=2048",
                "CPU_WEIGHT=100",
                "CPU_MAX=none",
                "IO_WEIGHT=100",
                "DISK_MAX=none",
                "DEVICES=",
                "SHARE=/srv/spool:/srv/spool",
                "SHARE=" + dir + "/data:/var/data");
        assertThat(plan).anyMatch(line -> line.contains("] share /srv/spool on "))
                .anyMatch(line -> line.contains("] share " + dir + "/data on "));
        // The preflight after the plan: whether br0 exists is the host's business.
        assertThat(err().lines()).contains("overlay-boot: error: UPPER (" + dir + "/layers/upper) does not exist; fix:"
                + " mkdir -p " + dir + "/layers/upper", "overlay-boot: error: SHARE source (/srv/spool) does not exist"
                + " on the host; fix: mkdir -p /srv/spool, or remove the SHARE= line that names it",
                "overlay-boot: error: SHARE source (" + dir + "/data) does not exist on the host; fix: mkdir -p " + dir
                + "/data, or remove the SHARE= line that names it");
        assertThat(err()).containsPattern("\noverlay-boot: xmpl would not boot: [34] errors\n$");
    }

    @Test
    void dryRunShowsDefaults() throws IOException {
        Path conf = conf("ex1.conf", "BASE=.");
        assertThat(run(conf.toString(), "--dry-run")).isZero();
        assertConfigThenPlan(
                "NAME=ex1",
                "LOG=/tmp/oly-ex1.log",
                "BASE=" + dir,
                "CABLES=",
                "LIVE=" + dir + "/live",
                "UPPER=" + dir + "/root",
                "WORK=" + dir + "/work",
                "LOWER=/",
                "START=networking ssh",
                "PREMOUNT=",
                "POSTMOUNT=",
                "INIT=",
                "RAM_SIZE=50M",
                "CAPABILITIES=default",
                "SECCOMP=on",
                "CONFINE_FILES=on",
                "MEMORY_MAX=none",
                "MEMORY_HIGH=none",
                "PIDS_MAX=2048",
                "CPU_WEIGHT=100",
                "CPU_MAX=none",
                "IO_WEIGHT=100",
                "DISK_MAX=none",
                "DEVICES=");
    }

    /** The example, in a directory of its own where its comment's mkdir has been done. */
    @Test
    void dryRunOfTheMinimalExample() throws IOException {
        Path example = dir;
        Files.copy(Checkout.checkoutDir().resolve("subhost-examples/example/minimal.conf"), dir.resolve("minimal.conf"));
        assertThat(run("--dry-run", example.resolve("minimal.conf").toString())).isZero();
        assertConfigThenPlan(
                "NAME=minimal",
                "LOG=/tmp/oly-minimal.log",
                "BASE=" + example,
                "CABLES==",
                "LIVE=" + example + "/live",
                "UPPER=" + example + "/root",
                "WORK=" + example + "/work",
                "LOWER=/",
                "START=none",
                "PREMOUNT=",
                "POSTMOUNT=",
                "INIT=",
                "RAM_SIZE=50M",
                "CAPABILITIES=default",
                "SECCOMP=on",
                "CONFINE_FILES=on",
                "MEMORY_MAX=none",
                "MEMORY_HIGH=none",
                "PIDS_MAX=2048",
                "CPU_WEIGHT=100",
                "CPU_MAX=none",
                "IO_WEIGHT=100",
                "DISK_MAX=none",
                "DEVICES=");
    }

    @Test
    void dryRunPrintsTheConfinementThatPidOneApplies() throws IOException {
        Path conf = conf("ntp.conf", "BASE=.", "CAPABILITIES=+sys_time -net_raw", "SECCOMP=off");
        assertThat(run("--dry-run", conf.toString())).isZero();
        assertThat(out().lines()).contains("CAPABILITIES=default -net_raw +sys_time", "SECCOMP=off",
                "CONFINE_FILES=on",
                "MEMORY_MAX=none",
                "MEMORY_HIGH=none",
                "PIDS_MAX=2048",
                "CPU_WEIGHT=100",
                "CPU_MAX=none",
                "IO_WEIGHT=100",
                "DISK_MAX=none",
                "DEVICES=");
        assertThat(out().lines()).anyMatch(line -> line.matches(" ?\\d+\\. \\[ns\\] pid 1 .*; confined:"
                + " CAPABILITIES=default -net_raw \\+sys_time SECCOMP=off CONFINE_FILES=on \\(keeps chown"
                + " dac_override .* sys_time .*; no seccomp filter; /proc/sys, /sys read-only, /proc kernel files"
                + " masked\\); init script via /bin/sh .*"));
    }

    @Test
    void dryRunRejectsABadCapabilityWithFileAndLine() throws IOException {
        Path conf = conf("bad.conf", "BASE=.", "CAPABILITIES=+sys_tyme");
        assertThat(run("--dry-run", conf.toString())).isNotZero();
        assertThat(err()).contains(conf + ":2: capability (sys_tyme) is not known");
    }

    @Test
    void dryRunWarnsAboutATypoAndGoesOn() throws IOException {
        Path conf = conf("ex1.conf", "BASE=.", "STRAT=none", "START=none");
        assertThat(run("--dry-run", conf.toString())).isZero();
        assertThat(errBesidesHostWarnings()).isEqualTo(conf + ":2: warning: STRAT: unknown variable; did you mean START?\n");
        assertThat(out().lines()).contains("START=none");
    }

    @Test
    void dryRunWarnsOfAStartUnitsDirectivesOutsideTheSubsetReadFromLowerAndUpper() throws IOException {
        Path unit = Files.createDirectories(dir.resolve("lower/lib/systemd/system")).resolve("logd.service");
        Files.writeString(unit, "[Service]\nExecStart=/usr/sbin/logd\nLimitNOFILE=1024\n");
        Path dropIn = Files.createDirectories(dir.resolve("root/etc/systemd/system/logd.service.d"));
        Files.writeString(dropIn.resolve("local.conf"), "[Service]\nProtectSystem=full\n");
        Path conf = conf("ex1.conf", "BASE=.", "LOWER=lower", "START=logd");
        assertThat(run("--dry-run", conf.toString())).isZero();
        if (!Uid.isRoot()) {
            return; // the preflight reads the layers as root; another user may not read them all
        }
        assertThat(err().lines()).contains("overlay-boot: warning: /lib/systemd/system/logd.service:3: logd.service"
                + " starts without what these directives ask, outside the built-in init's subset: LimitNOFILE= (line 3),"
                + " ProtectSystem= (/etc/systemd/system/logd.service.d/local.conf:2); fix: none, if logd runs without"
                + " them (docs/spec.md §5.1 lists what the built-in init runs); else start it from a script of your own"
                + " in START, or make an init system the subhost's init (INIT)");
    }

    @Test
    void strictMakesEveryTypoAnErrorAtOnce() throws IOException {
        Path conf = conf("ex1.conf", "BASE=.", "STRAT=none", "CABELS= =", "name=x", "START = none");
        assertThat(run("--dry-run", "--strict", conf.toString())).isEqualTo(2);
        assertThat(out()).isEmpty();
        assertThat(err()).isEqualTo(conf + ":2: STRAT: unknown variable; did you mean START?\n"
                + conf + ":3: CABELS: unknown variable; did you mean CABLES?\n"
                + conf + ":4: name: unknown variable; did you mean NAME?\n"
                + conf + ":5: START: ignored, as white space stands before =; did you mean START=none?\n");
    }

    @Test
    void dryRunRunsCommandsWithActionOverlayBoot() throws IOException {
        Path conf = conf("ex1.conf", "BASE=.", "INIT=!echo \"$ACTION\"");
        assertThat(run("--dry-run", conf.toString())).isZero();
        assertThat(out().lines()).contains("INIT=overlay-boot");
    }

    @Test
    void rejectsABadConfigurationWithItsMessageAndNoTrace() throws IOException {
        Path conf = conf("ex1.conf", "BASE=.", "NAME=webmail-frontend");
        assertThat(run("--dry-run", conf.toString())).isEqualTo(2);
        assertThat(out()).isEmpty();
        assertThat(err()).isEqualTo(conf + ":2: NAME (webmail-frontend) must be at most 12 characters\n");
    }

    @Test
    void rejectsAMissingBase() throws IOException {
        Path conf = conf("ex1.conf", "NAME=x");
        assertThat(run("--dry-run", conf.toString())).isEqualTo(2);
        assertThat(err()).isEqualTo(conf + ": Missing BASE=...\n");
    }

    @Test
    void refusesARelativeConf() throws IOException {
        Path conf = conf("ex1.conf", "BASE=.");
        String relative = Path.of("").toAbsolutePath().relativize(conf).toString();
        assertThat(run("--dry-run", relative)).isEqualTo(2);
        assertThat(out()).isEmpty();
        assertThat(err()).isEqualTo("overlay-boot: CONF (" + relative + ") must be the canonical absolute path ("
                + conf + ")\n");
    }

    @Test
    void refusesAConfThroughASymbolicLinkOrWithDots() throws IOException {
        Path conf = conf("ex1.conf", "BASE=.");
        Files.createDirectories(dir.resolve("sub"));
        Files.createSymbolicLink(dir.resolve("link.conf"), conf);
        for (String given : List.of(dir + "/link.conf", dir + "/sub/../ex1.conf", dir + "/./ex1.conf", dir + "//ex1.conf")) {
            out.reset();
            err.reset();
            assertThat(run("--dry-run", given)).as(given).isEqualTo(2);
            assertThat(err()).as(given)
                    .isEqualTo("overlay-boot: CONF (" + given + ") must be the canonical absolute path (" + conf + ")\n");
        }
    }

    @Test
    void refusesAConfThatDoesNotExist() {
        assertThat(run("--dry-run", dir + "/nope.conf")).isEqualTo(2);
        assertThat(err()).isEqualTo("overlay-boot: CONF (" + dir + "/nope.conf) does not exist\n");
    }

    @Test
    void helpExplainsUsageAndOptions() {
        assertThat(run("--help")).isZero();
        assertThat(out()).startsWith(OverlayBootCommand.USAGE_LINE + "\n")
                .contains("--dry-run", "-h, --help", "canonical absolute path", "Exit status");
        assertThat(err()).isEmpty();
    }

    @Test
    void helpWinsOverOtherArguments() {
        assertThat(run("--dry-run", "-h", "relative.conf")).isZero();
        assertThat(out()).startsWith("Usage:");
    }

    @Test
    void rejectsAnUnknownOption() {
        assertThat(run("--dry", "/x.conf")).isEqualTo(2);
        assertThat(out()).isEmpty();
        assertThat(err()).isEqualTo("overlay-boot: unknown option (--dry)\n"
                + OverlayBootCommand.USAGE_LINE + "\n"
                + "Try 'overlay-boot --help' for more.\n");
    }

    @Test
    void rejectsATimeLimitThatIsNotAWholeNumberOfSecondsFromOne() {
        assertThat(run("--hook-timeout", "0", "/x.conf")).isEqualTo(2);
        assertThat(err()).startsWith("overlay-boot: --hook-timeout (0) must be 1 to 86400 seconds\n");
        err.reset();
        assertThat(run("--service-timeout", "2.5", "/x.conf")).isEqualTo(2);
        assertThat(err()).startsWith("overlay-boot: --service-timeout (2.5) must be 1 to 86400 seconds\n");
        err.reset();
        assertThat(run("/x.conf", "--command-timeout")).isEqualTo(2);
        assertThat(err()).startsWith("overlay-boot: --command-timeout needs a number of seconds\n");
    }

    @Test
    void aCommandTimeoutCutsOffAHangingBangValue() throws IOException {
        Path conf = conf("hang.conf", "BASE=.", "LOG=!exec sleep 86398");
        assertThat(run("--dry-run", "--command-timeout", "1", conf.toString())).isEqualTo(2);
        assertThat(err()).isEqualTo(conf + ":2: bad LOG config: command (exec sleep 86398) ran longer than 1 s and was killed\n");
    }

    @Test
    void rejectsAMissingConf() {
        assertThat(run("--dry-run")).isEqualTo(2);
        assertThat(err()).startsWith("overlay-boot: missing CONF\n" + OverlayBootCommand.USAGE_LINE + "\n");
    }

    @Test
    void rejectsASecondConf() {
        assertThat(run("/a.conf", "/b.conf")).isEqualTo(2);
        assertThat(err()).startsWith("overlay-boot: too many arguments (/b.conf)\n");
    }

    @Test
    void takesAConfAfterDoubleDashEvenIfItLooksLikeAnOption() throws IOException {
        assertThat(run("--dry-run", "--", "--help")).isEqualTo(2);
        assertThat(err()).startsWith("overlay-boot: CONF (--help) ");
    }

}
