package org.subhost.linux;

import static org.assertj.core.api.Assumptions.assumeThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.stream.Stream;

/** Helpers of the kernel tests: the root rule, unique names, independent looks at /proc. */
final class KernelTests {
    private static final SecureRandom RANDOM = new SecureRandom();

    private KernelTests() {}

    /** Whether the tests run as root (real uid 0, from /proc/self/status). */
    static boolean isRoot() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(line -> line.startsWith("Uid:"))
                    .anyMatch(line -> line.split("\\s+")[1].equals("0"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Skips the test with a reason when not root; as root it runs, and a failure is a failure. */
    static void requireRoot() {
        assumeThat(isRoot()).as("kernel test needs root (mount, namespaces)").isTrue();
    }

    /** A name of our own: {@code sht} and five random lower-case letters. */
    static String uniqueName() {
        StringBuilder name = new StringBuilder("sht");
        for (int i = 0; i < 5; i++) {
            name.append((char) ('a' + RANDOM.nextInt(26)));
        }
        return name.toString();
    }

    /** The mount points listed in {@code /proc/WHO/mountinfo}, one per line. */
    static Stream<String> mountPoints(String who) throws IOException {
        return Files.readAllLines(Path.of("/proc", who, "mountinfo")).stream().map(line -> line.split(" ")[4]);
    }

    /** Whether {@code /proc/WHO/mountinfo} lists {@code path} as a mount point. */
    static boolean isMountPoint(String who, Path path) throws IOException {
        return mountPoints(who).anyMatch(path.toString()::equals);
    }

    /** The namespace a /proc/WHO/ns link names, such as {@code net:[4026531840]}. */
    static String namespace(String who, String kind) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc", who, "ns", kind)).toString();
    }

    /** Deletes {@code dir} and what is in it, if it exists. */
    static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
