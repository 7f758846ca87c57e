package org.subhost.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Assumptions;

/**
 * Helpers for tests on the real kernel: the root check (skip without root, never with it),
 * unique test names, and {@code ip} and {@code /proc} for checking by independent means.
 */
final class Kernel {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";

    private Kernel() {}

    /** Skips the test without root (with the reason); as root it runs, and must pass. */
    static void requireRoot() throws IOException {
        int uid = (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        Assumptions.assumeTrue(uid == 0, "kernel tests need root (uid is " + uid + ")");
    }

    /** {@code sht} and five random characters: unique, and short enough for interface names. */
    static String uniqueName() {
        StringBuilder name = new StringBuilder("sht");
        for (int i = 0; i < 5; i++) {
            name.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
        }
        return name.toString();
    }

    /** The outcome of a program run by a test. */
    record Result(int exitCode, String output) {}

    /**
     * Runs {@code command} (an independent check such as {@code ip -j link}) and returns its
     * outcome. The output goes to a file, not a pipe, so that a program that hangs is cut off
     * after 60 s instead of hanging the test in a read.
     */
    static Result run(String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("subhost-test-run-", ".out");
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .redirectOutput(out.toFile()).start();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor();
                throw new AssertionError(String.join(" ", command) + " did not end within 60 s; its output: "
                        + Files.readString(out));
            }
            return new Result(process.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Runs {@code command}, which must succeed, and returns its output. */
    static String ok(String... command) throws IOException, InterruptedException {
        Result result = run(command);
        assertThat(result.exitCode()).as(String.join(" ", command) + " -> " + result.output()).isZero();
        return result.output();
    }

    /** The names {@code ip netns list} shows. */
    static List<String> ipNetnsList() throws IOException, InterruptedException {
        List<String> names = new ArrayList<>();
        for (String line : ok("ip", "netns", "list").split("\n")) {
            if (!line.isBlank()) {
                names.add(line.split(" ")[0]);
            }
        }
        return names;
    }

    /** The interface names in {@code /sys/class/net} as seen in {@code netns} (ip netns exec mounts its sysfs). */
    static List<String> sysClassNet(String netns) throws IOException, InterruptedException {
        return List.of(ok("ip", "netns", "exec", netns, "ls", "/sys/class/net").trim().split("\\s+"));
    }

    /** Whether {@code path} is a mount point in this process's mount namespace (field 5 of /proc/self/mountinfo). */
    static boolean isMountPoint(Path path) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            if (line.split(" ")[4].equals(path.toString())) {
                return true;
            }
        }
        return false;
    }

    /** Waits until {@code condition} holds, for state the kernel updates asynchronously (operstate). */
    static void await(String what, BooleanSupplier condition) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(20));
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("still not " + what);
            }
            Thread.sleep(50);
        }
    }
}
