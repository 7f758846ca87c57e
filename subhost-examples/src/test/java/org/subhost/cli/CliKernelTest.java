package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
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

/**
 * The commands on the real kernel, run in-process through {@link Cli#run} as a user would
 * type them: boot, list, go, share, a second boot, stop, and what is refused afterwards.
 * After each test nothing of the subhost may be left on the host, checked with independent
 * means ({@code /run/netns}, {@code /sys/class/net}, {@code /proc/self/mountinfo},
 * {@code /run/subhost}, the cgroup directories and {@code /proc/PID/cmdline}).
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
        // Either way of asking: as root this never skips.
        boolean root = "root".equals(System.getProperty("user.name")) || CliSupport.isRoot();
        assumeTrue(root, "CLI kernel tests need root (they boot subhosts: namespaces, mounts and links)");
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
        assertThat(run("overlay-boot", conf)).as("overlay-boot (err: %s)", err()).isZero();
        assertThat(out()).isEmpty();
        assertThat(err()).isEmpty();

        assertThat(run("overlay-list", "--json")).isZero();
        Map<String, Object> status = onlyEntryNamed(JsonText.parse(out()));
        assertThat(status).containsKeys("pid", "config", "cables", "started");
        assertThat(status.get("config")).isEqualTo(conf);
        assertThat(status.get("cables")).isEqualTo(List.of());
        assertThat(Instant.parse((String) status.get("started"))).isBefore(Instant.now());
        long pid = (Long) status.get("pid");
        assertThat(Path.of("/proc", Long.toString(pid))).as("pid 1 of %s on the host", name).isDirectory();

        assertThat(run("overlay-list")).isZero();
        assertThat(out().lines().toList().getFirst()).matches("NAME +PID +UPTIME_S +CONFIG");
        assertThat(out().lines()).filteredOn(line -> line.startsWith(name + " "))
                .singleElement(org.assertj.core.api.InstanceOfAssertFactories.STRING)
                .matches(Pattern.quote(name) + " +" + pid + " +\\d+ " + Pattern.quote(conf));

        assertThat(run("overlay-go", name, "/bin/sh", "-c", "exit 7")).isEqualTo(7);
        assertThat(run("overlay-go", name, "/bin/sh", "-c", "test \"$(cat /proc/1/comm)\" != java")).isZero();
        assertThat(run("overlay-go")).isZero();
        assertThat(out().lines()).contains(name);

        assertThat(run("overlay-boot", conf)).isEqualTo(1);
        assertThat(err()).isEqualTo("overlay-boot: " + name + " is already running (pid " + pid + "); stop it first\n");
        assertThat(Path.of("/proc", Long.toString(pid))).as("the running pid 1 is left alone").isDirectory();

        assertThat(run("overlay-stop", conf)).as("overlay-stop (err: %s)", err()).isZero();
        assertThat(err()).isEmpty();
        assertThat(leftovers()).isEmpty();
        assertThat(run("overlay-list", "--json")).isZero();
        assertThat((List<?>) JsonText.parse(out())).noneMatch(o -> name.equals(((Map<?, ?>) o).get("name")));

        assertThat(run("overlay-stop", conf)).isEqualTo(1);
        assertThat(err()).isEqualTo(name + " is not running\n");
        assertThat(run("overlay-go", name, "true")).isEqualTo(1);
        assertThat(err()).isEqualTo(name + " is not running\n");
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
        assertThat(run("overlay-go", name, "/bin/sh", "-c", "test -f " + shared + "/file")).isZero();
        assertThat(run("overlay-go", name, "/bin/sh", "-c", "test -f " + shared + "/before")).isEqualTo(1);
        assertThat(run("overlay-go", name, "/bin/sh", "-c", "echo inside > " + shared + "/written")).isZero();
        assertThat(shared.resolve("written")).hasContent("inside");
        assertThat(base.resolve("root" + shared + "/written")).doesNotExist();

        assertThat(run("overlay-stop", conf)).as("overlay-stop (err: %s)", err()).isZero();
        assertThat(shared.resolve("file")).as("the host's own files survive the stop").hasContent("from the host");
    }

    @Test
    void bootFailsNamingTheStepWhenLiveDoesNotExist() throws IOException {
        Files.delete(base.resolve("live"));
        assertThat(run("overlay-boot", conf)).isEqualTo(1);
        assertThat(out()).isEmpty();
        assertThat(err()).isEqualTo("overlay-boot: boot " + name
                + ": step 1 (check LIVE, UPPER, WORK, LOWER for a root of kind overlay) failed: LIVE (" + base
                + "/live) does not exist\n");
        assertThat(leftovers()).isEmpty();
        assertThat(run("overlay-go", name, "true")).isEqualTo(1);
        assertThat(err()).isEqualTo(name + " is not running\n");
    }

    @Test
    void aHangingPremountIsCutOffAtTheHookTimeoutGiven() throws IOException {
        Files.write(Path.of(conf), List.of("BASE=.", "START=none", "LOG=" + base.resolve("log"),
                "PREMOUNT=exec sleep 86399 #"));
        assertThat(run("overlay-boot", "--hook-timeout", "1", conf)).isEqualTo(1);
        assertThat(err()).startsWith("overlay-boot: boot " + name + ": step ")
                .contains("failed: PREMOUNT (exec sleep 86399 #) did not finish within 1 s and was killed");
        assertThat(leftovers()).isEmpty();
    }

    @Test
    void shareIntoASubhostThatIsNotRunningFails() {
        assertThat(run("overlay-share", base.toString(), name)).isEqualTo(1);
        assertThat(err()).isEqualTo(name + " is not running\n");
    }

    /** Runs {@code Cli} with {@code args} after clearing what earlier runs printed. */
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

    /** Everything of the subhost still on this host, in words; empty when nothing. */
    private List<String> leftovers() throws IOException {
        List<String> left = new ArrayList<>();
        if (Files.exists(Path.of("/run/netns", name))) {
            left.add("netns /run/netns/" + name);
        }
        try (Stream<Path> links = Files.list(Path.of("/sys/class/net"))) {
            links.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(name)).forEach(n -> left.add("link " + n));
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String mountPoint = line.split(" ")[4];
            if (mountPoint.startsWith(base.toString()) || (shared != null && mountPoint.startsWith(shared.toString()))
                    || mountPoint.equals("/run/netns/" + name)) {
                left.add("mount " + mountPoint);
            }
        }
        if (Files.exists(Path.of("/run/subhost", name))) {
            left.add("state /run/subhost/" + name);
        }
        for (String cgroup : List.of("/sys/fs/cgroup/unified/", "/sys/fs/cgroup/")) {
            if (Files.isDirectory(Path.of(cgroup + name))) {
                left.add("cgroup " + cgroup + name);
            }
        }
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8)
                            .replace('\0', ' ');
                    if (cmdline.contains("--name " + name + " ")) {
                        left.add("process " + p.getFileName() + " (" + cmdline.trim() + ")");
                    }
                } catch (IOException e) {
                    // The process ended while we looked.
                }
            }
        }
        return left;
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
