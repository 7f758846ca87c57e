package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.subhost.testing.HostLeftovers;
import org.subhost.testing.Uid;

/**
 * What the tests of interrupted commands share: one subhost (a unique NAME, a temporary
 * BASE with a .conf that has a veth and a VLAN cable), the CLI run as a separate JVM that
 * can be killed with SIGKILL, the CLI run in-process, and the check that nothing of the
 * subhost is left, made with independent means ({@link HostLeftovers}).
 */
final class InterruptedRun implements AutoCloseable {
    private static final SecureRandom RANDOM = new SecureRandom();

    final String name;
    final Path base;
    final String conf;

    private InterruptedRun(String name, Path base, String conf) {
        this.name = name;
        this.base = base;
        this.conf = conf;
    }

    /** A fresh subhost directory and .conf; skips with a reason when not root. */
    static InterruptedRun create() throws IOException {
        assumeTrue(Uid.isRoot(), "interrupted-command tests need root (they boot subhosts: namespaces, mounts and links)");
        String chars = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder b = new StringBuilder("sht");
        for (int i = 0; i < 4; i++) {
            b.append(chars.charAt(RANDOM.nextInt(chars.length())));
        }
        String name = b.toString();
        Path base = Files.createTempDirectory("subhost-int-" + name + "-").toRealPath();
        for (String dir : List.of("root", "work", "live")) {
            Files.createDirectories(base.resolve(dir));
        }
        Path file = Files.write(base.resolve(name + ".conf"),
                List.of("BASE=.", "START=none", "CABLES= =", "LOG=" + base.resolve("log")));
        return new InterruptedRun(name, base, file.toRealPath().toString());
    }

    /**
     * Starts the CLI with {@code args} in a JVM of its own (this JVM's class path), its
     * output into {@code BASE/cli.out}.
     */
    Process start(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                "org.subhost.cli.Cli"));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(base.resolve("cli.out").toFile())).start();
    }

    /** Runs the CLI with {@code args} in its own JVM to the end; its exit status. */
    int runJvm(String... args) throws IOException, InterruptedException {
        Process p = start(args);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            fail("%s did not end within 120 s; see %s", List.of(args), base.resolve("cli.out"));
        }
        return p.exitValue();
    }

    /** What the CLI JVMs printed so far. */
    String output() throws IOException {
        Path out = base.resolve("cli.out");
        return Files.exists(out) ? Files.readString(out) : "";
    }

    /** The size of LOG now: where the lines of the next command begin. */
    long logSize() throws IOException {
        Path log = base.resolve("log");
        return Files.exists(log) ? Files.size(log) : 0;
    }

    /** LOG from byte {@code offset} on. */
    String logSince(long offset) throws IOException {
        Path log = base.resolve("log");
        if (!Files.exists(log)) {
            return "";
        }
        byte[] all = Files.readAllBytes(log);
        int from = (int) Math.min(offset, all.length);
        return new String(all, from, all.length - from, StandardCharsets.UTF_8);
    }

    /**
     * Kills {@code p} with SIGKILL as soon as LOG from {@code offset} on contains {@code text}
     * (or {@code p} ended) and waits for its end; whether it was still running when killed.
     */
    boolean killWhenLogged(Process p, long offset, String text) throws IOException, InterruptedException {
        while (p.isAlive() && !logSince(offset).contains(text)) {
            Thread.sleep(1);
        }
        boolean alive = p.isAlive();
        p.destroyForcibly();
        p.waitFor();
        return alive;
    }

    /** Kills {@code p} with SIGKILL after {@code delayMillis} (at once when it ended before) and waits for its end. */
    static void killAfter(Process p, long delayMillis) throws InterruptedException {
        p.waitFor(delayMillis, TimeUnit.MILLISECONDS);
        p.destroyForcibly();
        p.waitFor();
    }

    /** Runs the CLI with {@code args} in this JVM; its exit status, and stderr into {@code err}. */
    static int runHere(ByteArrayOutputStream err, String... args) {
        err.reset();
        return Cli.run(List.of(args), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    /**
     * overlay-stop in this JVM after an interrupted command: it stops what runs (status 0)
     * or clears what is left and says NAME is not running (status 1); either way nothing of
     * the subhost may be left.
     */
    void stopAndAssertNothingLeft(String what) throws IOException {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = runHere(err, "overlay-stop", "--grace", "2", conf);
        String message = err.toString(StandardCharsets.UTF_8);
        if (status != 0) {
            assertThat(message).as("overlay-stop after %s (status %d)", what, status)
                    .isEqualTo(name + " is not running\n");
        }
        assertThat(leftovers()).as("what subhost %s left behind after %s and overlay-stop (%s)", name, what,
                message.trim()).isEmpty();
    }

    /**
     * Everything of the subhost still on this host, in words; empty when nothing ({@link
     * HostLeftovers}: also a process that names the .conf, and a mount namespace that this
     * JVM, which ran overlay-stop in-process, still holds).
     */
    List<String> leftovers() throws IOException {
        return HostLeftovers.of(name).under(base).markers(conf).find();
    }

    /** A last overlay-stop, then the directory goes, but only when nothing is left (a mount could lead a walk out). */
    @Override
    public void close() throws IOException {
        runHere(new ByteArrayOutputStream(), "overlay-stop", "--grace", "2", conf);
        if (!leftovers().isEmpty()) {
            return;
        }
        try (Stream<Path> all = Files.walk(base)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
