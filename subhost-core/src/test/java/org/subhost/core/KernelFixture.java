package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * What the kernel tests of subhost-core share: the root check, unique names, temporary
 * subhost directories, and the check that nothing of a subhost is left, made with
 * independent means ({@code /run/netns}, {@code /sys/class/net}, {@code /proc/self/mountinfo},
 * {@code /proc/PID/cmdline}), not through our own API.
 */
final class KernelFixture {
    private static final SecureRandom RANDOM = new SecureRandom();

    private KernelFixture() {}

    /** Skips the test with a reason when not root; as root it runs, and a failure is a failure. */
    static void requireRoot() {
        boolean root = "root".equals(System.getProperty("user.name"));
        Assumptions.assumeTrue(root, "kernel tests need root (they make namespaces, mounts and links)");
    }

    /** A fresh name: {@code sht} and four random characters, so that {@code NAME0.4095} fits in 15 bytes. */
    static String uniqueName() {
        String chars = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder b = new StringBuilder("sht");
        for (int i = 0; i < 4; i++) {
            b.append(chars.charAt(RANDOM.nextInt(chars.length())));
        }
        return b.toString();
    }

    /** A subhost base directory with {@code root}, {@code work} and {@code live}, under a fresh temporary directory. */
    static Path base(String name) throws IOException {
        Path base = Files.createTempDirectory("subhost-test-" + name + "-");
        Files.createDirectories(base.resolve("root"));
        Files.createDirectories(base.resolve("work"));
        Files.createDirectories(base.resolve("live"));
        return base.toRealPath();
    }

    /** Everything of subhost {@code name} that is still on this host, in words; empty when nothing. */
    static List<String> leftovers(String name, Path base) throws IOException {
        List<String> left = new ArrayList<>();
        if (Files.exists(Path.of("/run/netns", name))) {
            left.add("netns /run/netns/" + name);
        }
        try (Stream<Path> links = Files.list(Path.of("/sys/class/net"))) {
            links.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(name)).forEach(n -> left.add("link " + n));
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String mountPoint = line.split(" ")[4];
            if ((base != null && mountPoint.startsWith(base.toString())) || mountPoint.equals("/run/netns/" + name)) {
                left.add("mount " + mountPoint);
            }
        }
        if (Files.exists(Path.of("/run/subhost", name))) {
            left.add("state /run/subhost/" + name);
        }
        if (Files.exists(Path.of("/run/subhost", "." + name + ".lock"))) {
            left.add("lock file /run/subhost/." + name + ".lock");
        }
        for (String cg : new String[] {"/sys/fs/cgroup/unified/", "/sys/fs/cgroup/"}) {
            if (Files.isDirectory(Path.of(cg + name))) {
                left.add("cgroup " + cg + name);
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

    /** Asserts that nothing of {@code name} is left on the host. */
    static void assertNothingLeft(String name, Path base) throws IOException {
        assertThat(leftovers(name, base)).as("what subhost %s left behind", name).isEmpty();
    }

    /** Runs a host program (for checks only) and returns its standard output. */
    static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException(String.join(" ", command) + " did not finish");
        }
        return out;
    }

    /** Removes a test's base directory (nothing is mounted there any more). */
    static void deleteTree(Path base) throws IOException {
        if (base == null || !Files.exists(base)) {
            return;
        }
        try (Stream<Path> all = Files.walk(base)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
