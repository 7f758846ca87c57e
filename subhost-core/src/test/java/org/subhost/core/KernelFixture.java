package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Assumptions;
import org.subhost.NotRunningException;
import org.subhost.SubhostException;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;
import org.subhost.linux.netlink.NamedNetns;
import org.subhost.linux.netlink.NetlinkException;
import org.subhost.linux.netlink.RtNetlink;
import org.subhost.testing.HostLeftovers;
import org.subhost.testing.Uid;

/**
 * What the kernel tests of subhost-core share: the root check, unique names, temporary
 * subhost directories, and the check that nothing of a subhost is left, made with
 * independent means ({@link HostLeftovers}), not through our own API.
 */
final class KernelFixture {
    private static final SecureRandom RANDOM = new SecureRandom();

    private KernelFixture() {}

    /** Skips the test with a reason when not root; as root it runs, and a failure is a failure. */
    static void requireRoot() {
        Assumptions.assumeTrue(Uid.isRoot(), "kernel tests need root (they make namespaces, mounts and links)");
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

    /**
     * Everything of subhost {@code name} that is still on this host, in words; empty when
     * nothing ({@link HostLeftovers}: also a mount namespace this JVM still holds).
     */
    static List<String> leftovers(String name, Path base) throws IOException {
        return HostLeftovers.of(name).under(base).find();
    }

    /**
     * Empty when this kernel makes 802.1Q VLAN links; else what it answered. Tried on a veth
     * pair in a network namespace of its own (which goes again), so that neither the host's
     * links nor a module list decides.
     */
    static Optional<String> vlanMissing() throws IOException {
        String netns = "shtv" + uniqueName().substring(3);
        NamedNetns.create(netns);
        try (RtNetlink links = RtNetlink.openIn(NamedNetns.path(netns))) {
            links.addVeth("shtva", "shtvb", OptionalInt.empty(), Optional.empty());
            try {
                links.addVlan("shtva.9", "shtva", 9);
                return Optional.empty();
            } catch (NetlinkException e) {
                if (!e.getMessage().contains("EOPNOTSUPP")) {
                    throw e;
                }
                return Optional.of(e.getMessage());
            }
        } finally {
            NamedNetns.delete(netns);
        }
    }

    /** Asserts that nothing of {@code name} is left on the host. */
    static void assertNothingLeft(String name, Path base) throws IOException {
        assertThat(leftovers(name, base)).as("what subhost %s left behind", name).isEmpty();
    }

    /**
     * A kernel test's tear-down: stops the subhost of {@code config} when the test booted
     * one and left it running (a subhost the test stopped itself, or never booted, is no
     * error), then asserts that nothing of {@code name} is left and deletes {@code base}.
     *
     * @param config the test's configuration, or null when it made none
     */
    static void stopAndCheckNothingLeft(Subhosts subhosts, SubhostConfig config, String name, Path base)
            throws IOException, SubhostException {
        if (config != null) {
            try {
                subhosts.stop(config, Duration.ofSeconds(2));
            } catch (NotRunningException e) {
                // stopped by the test itself, or never booted
            }
        }
        assertNothingLeft(name, base);
        deleteTree(base);
    }

    /**
     * Runs a host program (for checks only) and returns its standard output and error. The
     * output goes to a file, not a pipe, so that a program that hangs (or leaves a child
     * holding the pipe) is cut off after 30 s instead of hanging the test in a read.
     */
    static String run(String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("subhost-test-run-", ".out");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(out.toFile()).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IOException(String.join(" ", command) + " did not finish within 30 s; its output: "
                        + Files.readString(out));
            }
            return Files.readString(out, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(out);
        }
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

    /** The control groups of process {@code pid}, as {@code /proc/PID/cgroup} lists them: {@code v2:/NAME}, {@code memory:/process_api/x/NAME}. */
    static List<String> groupsOf(long pid) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "cgroup"))) {
            String[] f = line.split(":", 3);
            out.add((f[1].isEmpty() ? "v2" : f[1]) + ":" + f[2]);
        }
        return out;
    }
}
