package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.Subhosts;
import org.subhost.testing.HostLeftovers;
import org.subhost.testing.Uid;

/**
 * The commands on the real kernel, run in-process through {@link Cli#run} as a user would
 * type them: boot, list, go, share, a second boot, stop, and what is refused afterwards.
 * After each test nothing of the subhost may be left on the host, checked with independent
 * means ({@link HostLeftovers}: also a mount namespace this JVM still holds).
 *
 * <p>{@code overlay-go} runs its command on this JVM's own descriptors 0-2, not on the
 * streams given to {@link Cli#run}; so its tests look at exit statuses and at files in a
 * shared directory, and the commands inside print nothing.
 */
class CliKernelTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private String name;
    private Path base;
    private String conf;
    private Path shared;

    @BeforeEach
    void setUp() throws IOException {
        assumeTrue(Uid.isRoot(), "CLI kernel tests need root (they boot subhosts: namespaces, mounts and links)");
        name = uniqueName();
        base = Files.createTempDirectory("subhost-cli-" + name + "-").toRealPath();
        for (String dir : List.of("root", "work", "live")) {
            Files.createDirectories(base.resolve(dir));
        }
        Path file = Files.write(base.resolve(name + ".conf"),
                List.of("BASE=.", "START=none", "LOG=" + base.resolve("log")));
        conf = file.toRealPath().toString();
    }

    @AfterEach
    void tearDown() throws IOException {
        if (name == null) {
            return; // skipped: nothing was made
        }
        // Always, so that a test failing half-way still stops its subhost; when the test
        // stopped it already, this says "not running" and removes nothing.
        Cli.run(List.of("overlay-stop", "--grace", "2", conf), print(new ByteArrayOutputStream()),
                print(new ByteArrayOutputStream()));
        List<String> left = leftovers();
        if (left.isEmpty()) {
            // Only then: with a mount left under BASE a walk could reach the host's files.
            deleteTree(base);
            deleteTree(shared);
        }
        assertThat(left).as("what subhost %s left behind", name).isEmpty();
    }

    @Test
    void bootListGoSecondBootAndStop() throws IOException {
        Files.write(Path.of(conf), List.of("BASE=.", "START=none", "LOG=" + base.resolve("log"),
                "CABLES==06:20:03:4e:a6:f2"));
        Instant before = Instant.now();
        assertThat(run("overlay-boot", conf)).as("overlay-boot (err: %s)", err()).isZero();
        assertThat(errBesidesHostWarnings()).isEmpty();
        String booted = out();

        assertThat(run("overlay-list", "--json")).isZero();
        List<?> entries = (List<?>) JsonText.parse(out());
        assertThat(entries).extracting(e -> (String) ((Map<?, ?>) e).get("name")).as("by NAME").isSorted();
        Map<String, Object> status = onlyEntryNamed(entries);
        assertThat(status).containsOnlyKeys("name", "pid", "config", "started", "uptime_s", "root", "live", "log",
                "cgroup", "cables", "services", "confinement", "init_system", "shares", "limits", "usage");
        assertThat(status.get("init_system")).as("the built-in init, no init system as pid 1").isNull();
        assertThat(status.get("config")).isEqualTo(conf);
        assertThat(status.get("root")).isEqualTo("overlay");
        assertThat(status.get("live")).isEqualTo(base.resolve("live").toString());
        assertThat(status.get("log")).isEqualTo(base.resolve("log").toString());
        if (Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers"))) {
            assertThat(status.get("cgroup")).isEqualTo("/sys/fs/cgroup/" + name);
        }
        Map<String, Object> cable = new java.util.LinkedHashMap<>();
        cable.put("host", name + "0");
        cable.put("subhost", "eth0");
        cable.put("mac", "06:20:03:4e:a6:f2");
        cable.put("bridge", null);
        cable.put("up", true);
        assertThat(status.get("cables")).isEqualTo(List.of(cable));
        assertThat(status.get("services")).as("START=none").isEqualTo(List.of());
        Instant started = Instant.parse((String) status.get("started"));
        assertThat(started).isBetween(before.minusSeconds(1), Instant.now());
        assertThat((Long) status.get("uptime_s")).isBetween(0L, java.time.Duration.between(before, Instant.now()).toSeconds());
        // The default confinement, as pid 1 was told to apply it.
        Map<?, ?> confinement = (Map<?, ?>) status.get("confinement");
        assertThat(confinement.get("capabilities")).isEqualTo("default");
        assertThat(confinement.get("seccomp")).isEqualTo(true);
        assertThat(confinement.get("files")).isEqualTo(true);
        assertThat(confinement.get("kept").toString()).contains("net_admin", "setuid").doesNotContain("sys_admin");
        long pid = (Long) status.get("pid");
        assertThat(Path.of("/proc", Long.toString(pid))).as("pid 1 of %s on the host", name).isDirectory();
        // How many warnings is the host's business: ifupdown or not, its hostname in /etc/hostname.
        assertThat(booted).matches(Pattern.quote(name + " booted: pid 1 is " + pid + "; LOG " + base.resolve("log")
                + "; services: none; ") + "(no warnings|1 warning|\\d+ warnings)\n");

        assertThat(run("overlay-list")).isZero();
        assertThat(out().lines().toList().getFirst()).matches("NAME +PID +UPTIME_S +CONFIG");
        assertThat(out().lines()).filteredOn(line -> line.startsWith(name + " "))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .matches(Pattern.quote(name) + " +" + pid + " +\\d+ " + Pattern.quote(conf));

        assertThat(run("overlay-go", name, "/bin/sh", "-c", "exit 7")).isEqualTo(7);
        assertThat(run("overlay-go", name, "/bin/sh", "-c", "test \"$(cat /proc/1/comm)\" != java")).isZero();
        // Without NAME: the names of the running subhosts, one a line, as list() has them.
        assertThat(run("overlay-go")).isZero();
        List<String> names = out().lines().toList();
        assertThat(names).isSorted().containsOnlyOnce(name);
        assertThat(names).containsAll(entries.stream().map(e -> (String) ((Map<?, ?>) e).get("name")).toList());

        assertThat(run("overlay-boot", conf)).isEqualTo(1);
        assertThat(errBesidesHostWarnings()).isEqualTo("overlay-boot: error: " + name + " is already running (pid " + pid + "); fix: overlay-stop "
                + conf + " first, or give this subhost another NAME=\n"
                + "overlay-boot: " + name + " was not booted: 1 error; nothing was done\n");
        assertThat(Path.of("/proc", Long.toString(pid))).as("the running pid 1 is left alone").isDirectory();

        assertThat(run("overlay-stop", "--grace", "2", conf)).as("overlay-stop (err: %s)", err()).isZero();
        assertThat(err()).isEmpty();
        assertThat(out()).isEqualTo(name + " stopped\n");
        assertThat(leftovers()).isEmpty();
        // One deadline: pid 1 got the stop's grace, not the one it was started with.
        assertThat(Files.readAllLines(base.resolve("log")))
                .anyMatch(line -> line.endsWith(" overlay-stop[" + name + "]: stopping pid 1 (" + pid
                        + "): SIGTERM, SIGKILL after 2 s"))
                .anyMatch(line -> line.equals("subhost-init[" + name + "]: SIGTERM received; sending SIGTERM to every"
                        + " process, SIGKILL after 2 s"));
        assertThat(run("overlay-list", "--json")).isZero();
        assertThat((List<?>) JsonText.parse(out())).noneMatch(o -> name.equals(((Map<?, ?>) o).get("name")));

        assertThat(run("overlay-stop", conf)).isEqualTo(1);
        assertThat(err()).isEqualTo(name + " is not running\n");
        assertThat(run("overlay-go", name, "true")).isEqualTo(1);
        assertThat(err()).isEqualTo("overlay-go: " + name
                + " is not running; overlay-go without NAME lists the running subhosts\n");
        assertThat(run("overlay-go")).isZero();
        assertThat(out().lines()).doesNotContain(name);
    }

    @Test
    void shareMakesAHostDirectoryTheSubhostsOwnLive() throws IOException {
        shared = Files.createTempDirectory("subhost-cli-" + name + "-shared-").toRealPath();
        Files.writeString(shared.resolve("file"), "from the host\n");
        assertThat(run("overlay-boot", conf)).as("overlay-boot (err: %s)", err()).isZero();

        // Before the share, a write there lands in the overlay's upper layer, not on the host.
        assertThat(run("overlay-go", name, "/bin/sh", "-c", "echo early > " + shared + "/before")).isZero();
        assertThat(shared.resolve("before")).doesNotExist();
        assertThat(base.resolve("root" + shared + "/before")).hasContent("early");

        assertThat(run("overlay-share", shared.toString(), name)).as("overlay-share (err: %s)", err()).isZero();
        assertThat(err()).isEmpty();
        assertThat(out()).isEqualTo("shared " + shared + " into " + name + "\n");
        assertThat(run("overlay-go", name, "/bin/sh", "-c", "test -f " + shared + "/file")).isZero();
        assertThat(run("overlay-go", name, "/bin/sh", "-c", "test -f " + shared + "/before")).isEqualTo(1);
        assertThat(run("overlay-go", name, "/bin/sh", "-c", "echo inside > " + shared + "/written")).isZero();
        assertThat(shared.resolve("written")).hasContent("inside");
        assertThat(base.resolve("root" + shared + "/written")).doesNotExist();

        // The same share again is no second mount on top.
        assertThat(run("overlay-share", shared.toString(), name)).as("overlay-share again (err: %s)", err()).isZero();
        assertThat(out()).isEqualTo(shared + " is shared into " + name + " already\n");
        assertThat(run("overlay-go", name, "/bin/sh", "-c", "test \"$(grep -c ' " + shared + " ' /proc/self/mountinfo)\" = 1"))
                .as("one mount at the shared path").isZero();
        assertThat(run("overlay-list", "--json")).isZero();
        assertThat(onlyEntryNamed(JsonText.parse(out())).get("shares"))
                .isEqualTo(List.of(Map.of("host", shared.toString(), "subhost", shared.toString())));
        Path other = Files.createDirectory(base.resolve("other")).toRealPath();
        assertThatThrownBy(() -> Subhosts.linux().find(name).orElseThrow().share(other, shared))
                .hasMessage("share " + other + " into " + name + ": " + shared + " is shared from " + shared
                        + " already; remove that share first");

        // And the way back: the overlay's own view shows again, and the record and LOG say so.
        assertThat(run("overlay-share", "--remove", shared.toString(), name)).as("--remove (err: %s)", err()).isZero();
        assertThat(out()).isEqualTo("removed the share of " + shared + " on " + shared + " from " + name + "\n");
        assertThat(run("overlay-go", name, "/bin/sh", "-c", "test -f " + shared + "/before")).isZero();
        assertThat(run("overlay-go", name, "/bin/sh", "-c", "grep -q ' " + shared + " ' /proc/self/mountinfo"))
                .as("a mount at the shared path inside").isEqualTo(1);
        // A write lands in the overlay's upper layer again (LOWER=/ still shows the host's files).
        assertThat(run("overlay-go", name, "/bin/sh", "-c", "echo late > " + shared + "/after")).isZero();
        assertThat(shared.resolve("after")).doesNotExist();
        assertThat(base.resolve("root" + shared + "/after")).hasContent("late");
        assertThat(run("overlay-list", "--json")).isZero();
        assertThat(onlyEntryNamed(JsonText.parse(out())).get("shares")).isEqualTo(List.of());
        assertThat(run("overlay-share", "-q", "--remove", shared.toString(), name)).isEqualTo(1);
        assertThat(err()).isEqualTo("overlay-share: remove the share on " + shared + " from " + name
                + ": no share is there (it has none)\n");
        assertThat(Files.readAllLines(base.resolve("log")))
                .anyMatch(line -> line.endsWith(" overlay-share[" + name + "]: shared " + shared + " on " + shared))
                .anyMatch(line -> line.endsWith(" overlay-share[" + name + "]: removed the share of " + shared + " on "
                        + shared));

        assertThat(run("overlay-stop", conf)).as("overlay-stop (err: %s)", err()).isZero();
        assertThat(shared.resolve("file")).as("the host's own files survive the stop").hasContent("from the host");
    }

    /**
     * The issue's broken BASE: the boot names every missing directory and SHARE source at once,
     * each with its fix, and does nothing; --dry-run says the same after the plan.
     */
    @Test
    void aBrokenBaseIsRefusedWithEveryProblemAtOnce() throws IOException {
        Path spool = base.resolve("spool");
        Files.write(Path.of(conf), List.of("BASE=.", "START=none", "LOG=" + base.resolve("log"), "SHARE=" + spool));
        for (String dir : List.of("live", "root", "work")) {
            Files.delete(base.resolve(dir));
        }
        String problems = "overlay-boot: error: LIVE (" + base + "/live) does not exist; fix: mkdir -p " + base + "/live\n"
                + "overlay-boot: error: UPPER (" + base + "/root) does not exist; fix: mkdir -p " + base + "/root\n"
                + "overlay-boot: error: WORK (" + base + "/work) does not exist; fix: mkdir -p " + base + "/work\n"
                + "overlay-boot: error: SHARE source (" + spool + ") does not exist on the host; fix: mkdir -p " + spool
                + ", or remove the SHARE= line that names it\n";
        assertThat(run("overlay-boot", conf)).isEqualTo(1);
        assertThat(out()).isEmpty();
        assertThat(errBesidesHostWarnings()).isEqualTo(problems + "overlay-boot: " + name
                + " was not booted: 4 errors; nothing was done\n");
        assertThat(leftovers()).isEmpty();
        assertThat(base.resolve("log")).as("nothing was done, not even LOG").doesNotExist();

        assertThat(run("overlay-boot", "--dry-run", conf)).isEqualTo(1);
        assertThat(out()).contains("\n\n 1. [host] check LIVE");
        assertThat(errBesidesHostWarnings()).isEqualTo(problems + "overlay-boot: " + name + " would not boot: 4 errors\n");
        assertThat(run("overlay-go", name, "true")).isEqualTo(1);
        assertThat(err()).isEqualTo("overlay-go: " + name
                + " is not running; overlay-go without NAME lists the running subhosts\n");
    }

    @Test
    void aHangingPremountIsCutOffAtTheHookTimeoutGiven() throws IOException {
        Files.write(Path.of(conf), List.of("BASE=.", "START=none", "LOG=" + base.resolve("log"),
                "PREMOUNT=exec sleep 86399 #"));
        assertThat(run("overlay-boot", "--hook-timeout", "1", conf)).isEqualTo(1);
        assertThat(errBesidesHostWarnings()).startsWith("overlay-boot: boot " + name + ": step ")
                .contains("failed: PREMOUNT (exec sleep 86399 #) did not finish within 1 s and was killed");
        assertThat(leftovers()).isEmpty();
    }

    /** A typo boots as the old tool would (the line ignored), with a warning on standard error, in LOG and counted. */
    @Test
    void aTypoIsAWarningOnStandardErrorAndInLogThatTheSummaryCounts() throws IOException {
        Files.write(Path.of(conf), List.of("BASE=.", "START=none", "LOG=" + base.resolve("log"), "STRAT=none"));
        // A hostname of its own, so that the host's is not the subhost's: no warning of the preflight.
        Files.createDirectories(base.resolve("root/etc"));
        Files.writeString(base.resolve("root/etc/hostname"), "typo\n");
        String warning = conf + ":4: warning: STRAT: unknown variable; did you mean START?";

        assertThat(run("overlay-boot", conf)).as("overlay-boot (err: %s)", err()).isZero();
        assertThat(err()).isEqualTo(warning + "\n");
        assertThat(out()).matches(Pattern.quote(name) + " booted: pid 1 is \\d+; LOG " + Pattern.quote(base.resolve("log")
                .toString()) + "; services: none; 1 warning\n");
        assertThat(Files.readAllLines(base.resolve("log"))).anyMatch(line -> line.endsWith(" overlay-boot[" + name + "]: "
                + warning));
        assertThat(run("overlay-stop", conf)).as("overlay-stop (err: %s)", err()).isZero();
        assertThat(err()).as("stop").isEqualTo(warning + "\n");

        assertThat(run("overlay-boot", "--strict", conf)).isEqualTo(2);
        assertThat(err()).isEqualTo(conf + ":4: STRAT: unknown variable; did you mean START?\n");
        assertThat(out()).isEmpty();
        assertThat(Subhosts.linux().find(name)).isEmpty();
    }

    /**
     * The issue's case: another file with the same NAME does not stop the subhost booted from
     * CONF; the refusal names CONF, and --force stops it all the same.
     */
    @Test
    void stopRefusesAnotherFileOfTheSameNameUnlessForced() throws IOException {
        Path other = Files.write(base.resolve("other.conf"), List.of("BASE=.", "NAME=" + name, "START=none",
                "LOG=" + base.resolve("log")));
        assertThat(run("overlay-boot", "-q", conf)).as("overlay-boot (err: %s)", err()).isZero();
        assertThat(out()).as("-q").isEmpty();
        int pid = Subhosts.linux().find(name).orElseThrow().pid();

        assertThat(run("overlay-stop", other.toString())).isEqualTo(1);
        assertThat(err()).isEqualTo("overlay-stop: " + name + " was booted from " + conf + ", not from " + other
                + "; nothing was stopped: give that CONF, or --force to stop it all the same\n");
        assertThat(out()).isEmpty();
        assertThat(Subhosts.linux().find(name)).as("still running").isPresent();
        assertThat(Path.of("/proc", Integer.toString(pid))).isDirectory();

        assertThat(run("overlay-stop", "--force", "-q", other.toString())).as("overlay-stop --force (err: %s)", err())
                .isZero();
        assertThat(out()).as("-q").isEmpty();
        assertThat(err()).isEmpty();
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void shareIntoASubhostThatIsNotRunningFails() {
        assertThat(run("overlay-share", base.toString(), name)).isEqualTo(1);
        assertThat(err()).isEqualTo(name + " is not running\n");
    }

    /** Runs {@code Cli} with {@code args} after clearing what earlier runs printed. */
    /**
     * An accepted {@code --service-timeout}: a START service that hangs is cut off after that
     * many seconds, the boot itself succeeds, and overlay-list shows the service's state.
     */
    @Test
    void serviceTimeoutCutsOffAHangingServiceAndListShowsIt() throws IOException, InterruptedException {
        Path hanging = Files.writeString(base.resolve("hanging"), "#!/bin/sh\nexec sleep 600\n");
        Files.setAttribute(hanging, "unix:mode", 0755);
        Files.write(Path.of(conf), List.of("BASE=.", "START=" + hanging, "LOG=" + base.resolve("log")));

        // The boot returns once the service has started or failed: here cut off, named, status 3.
        assertThat(run("overlay-boot", "--service-timeout", "1", conf)).as("overlay-boot (err: %s)", err()).isEqualTo(3);
        assertThat(err().lines().filter(l -> l.contains(hanging.toString())).toList()).containsExactly("overlay-boot: "
                + name + ": service " + hanging + " timed out (killed after 1 s); see LOG " + base.resolve("log"));
        assertThat(Files.readString(base.resolve("log")))
                .contains("time limit (1 s) passed: killed " + hanging + " and its process group");
        assertThat(run("overlay-list", "--json")).isZero();
        Map<String, Object> status = onlyEntryNamed(JsonText.parse(out()));
        Map<String, Object> service = new java.util.HashMap<>(Map.of("name", hanging.toString(),
                "state", "timed out (killed after 1 s)", "phase", "timed", "restarts", 0L));
        service.put("main_pid", null);
        assertThat(status.get("services")).isEqualTo(List.of(service));
        assertThat(run("overlay-stop", conf)).as("overlay-stop (err: %s)", err()).isZero();
    }

    /**
     * {@code overlay-go NAME} without a command runs an interactive shell inside: bash where
     * the subhost has it, with TERM from the caller (linux when the caller has none). Run
     * in a JVM of its own with a script as its standard input, since the shell takes the
     * caller's descriptors 0-2.
     */
    @Test
    void goWithoutACommandRunsBashWithTheCallersTerm() throws Exception {
        assertThat(run("overlay-boot", conf)).as("overlay-boot (err: %s)", err()).isZero();
        Path script = Files.writeString(base.resolve("typed"),
                "echo \"shell=${BASH_VERSION:+bash} term=$TERM pid1=$(cat /proc/1/comm)\"\nexit 5\n");

        assertThat(goInItsOwnJvm(script, "xterm-256color")).isEqualTo("5 shell=bash term=xterm-256color pid1=subhost-init\n");
        assertThat(goInItsOwnJvm(script, null)).isEqualTo("5 shell=bash term=linux pid1=subhost-init\n");
        assertThat(run("overlay-stop", conf)).as("overlay-stop (err: %s)", err()).isZero();
    }

    /** In a subhost without bash (its LOWER a tiny root with sh, cat, ls, echo and sleep), the shell is sh. */
    @Test
    void goWithoutACommandFallsBackToShWhereTheSubhostHasNoBash() throws Exception {
        Path tiny = TestImages.tinyRoot(base.resolve("tiny"));
        assertThat(tiny.resolve("bin/bash")).doesNotExist();
        Files.write(Path.of(conf), List.of("BASE=.", "LOWER=" + tiny, "START=none", "LOG=" + base.resolve("log")));
        assertThat(run("overlay-boot", conf)).as("overlay-boot (err: %s)", err()).isZero();
        Path script = Files.writeString(base.resolve("typed"),
                "echo \"bash=${BASH_VERSION:-none} term=$TERM comm=$(cat /proc/$$/comm)\"\nexit 6\n");

        assertThat(goInItsOwnJvm(script, "vt100")).isEqualTo("6 bash=none term=vt100 comm=sh\n");
        assertThat(run("overlay-stop", conf)).as("overlay-stop (err: %s)", err()).isZero();
    }

    /** {@code overlay-go NAME} in a JVM of its own with {@code input} as stdin and TERM {@code term}; status and output. */
    private String goInItsOwnJvm(Path input, String term) throws Exception {
        Path output = base.resolve("go.out");
        ProcessBuilder jvm = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "org.subhost.cli.Cli", "overlay-go", name).redirectInput(input.toFile())
                .redirectErrorStream(true).redirectOutput(output.toFile());
        jvm.environment().remove("TERM");
        if (term != null) {
            jvm.environment().put("TERM", term);
        }
        Process p = jvm.start();
        if (!p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("overlay-go did not end within 120 s: " + Files.readString(output));
        }
        return p.exitValue() + " " + Files.readString(output);
    }

    @Test
    void shareOfAMissingDirectoryFailsAndSharesNothing() throws IOException {
        assertThat(run("overlay-boot", conf)).as("overlay-boot (err: %s)", err()).isZero();
        Path missing = base.resolve("missing");

        assertThat(run("overlay-share", missing.toString(), name)).isEqualTo(1);
        assertThat(err()).isEqualTo("overlay-share: DIR (" + missing + ") does not exist on the host\n");
        assertThat(out()).isEmpty();
        assertThat(run("overlay-go", name, "/bin/sh", "-c", "grep -q ' " + missing + " ' /proc/self/mountinfo"))
                .as("a mount at the missing path inside").isEqualTo(1);
        assertThat(run("overlay-stop", conf)).as("overlay-stop (err: %s)", err()).isZero();
    }

    private int run(String... args) {
        out.reset();
        err.reset();
        return Cli.run(List.of(args), print(out), print(err));
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
     * Standard error without the preflight's warnings that depend on the host (ifupdown
     * installed or not, the host's hostname in LOWER's /etc/hostname).
     */
    private String errBesidesHostWarnings() {
        return err().lines().filter(line -> !line.startsWith("overlay-boot: warning: "))
                .map(line -> line + "\n").collect(java.util.stream.Collectors.joining());
    }

    /** The one object named {@code name} in the JSON array {@code json}. */
    @SuppressWarnings("unchecked") // JsonText makes objects Map<String, Object>
    private Map<String, Object> onlyEntryNamed(Object json) {
        assertThat(json).isInstanceOf(List.class);
        List<Map<String, Object>> named = new ArrayList<>();
        for (Object entry : (List<?>) json) {
            assertThat(entry).isInstanceOf(Map.class);
            if (name.equals(((Map<?, ?>) entry).get("name"))) {
                named.add((Map<String, Object>) entry);
            }
        }
        assertThat(named).as("entries named %s", name).hasSize(1);
        return named.getFirst();
    }

    /** A fresh name: {@code sht} and four random characters, so that cable names fit in 15 bytes. */
    private static String uniqueName() {
        String chars = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder b = new StringBuilder("sht");
        for (int i = 0; i < 4; i++) {
            b.append(chars.charAt(RANDOM.nextInt(chars.length())));
        }
        return b.toString();
    }

    /** Everything of the subhost still on this host, in words; empty when nothing ({@link HostLeftovers}). */
    private List<String> leftovers() throws IOException {
        return HostLeftovers.of(name).under(base, shared).find();
    }

    /** Removes a test directory; called only when nothing is mounted below it. */
    private static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
