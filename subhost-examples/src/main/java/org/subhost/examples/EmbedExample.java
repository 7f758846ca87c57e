package org.subhost.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.subhost.ExecResult;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.SubhostStatus;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;

/**
 * A small program that embeds the subhost API: it boots two subhosts described in code
 * (no {@code .conf} files), runs a command in each, prints their status, stops both and
 * removes its temporary directories. Run it with {@code bin/subhost-embed-example}, as root.
 *
 * <p>Each subhost is an overlay of its own UPPER over the host's {@code /}, with
 * {@code START=none} and one plain cable ({@code CABLES==}); its {@code /etc/hostname} is
 * written into UPPER first, so that {@code hostname} inside tells the two apart.
 */
public final class EmbedExample {
    private static final String PROGRAM = "subhost-embed-example";
    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration GRACE = Duration.ofSeconds(5);
    private static final SecureRandom RANDOM = new SecureRandom();

    private EmbedExample() {}

    /**
     * Runs the example and exits with its status: 0 done, 1 not root or a step failed.
     *
     * @param args none are read
     */
    public static void main(String[] args) {
        System.exit(run(System.out));
    }

    /**
     * Runs the example, printing its progress on {@code out} and errors on standard error;
     * returns the exit status (0 done, 1 not root or a step failed). Leaves nothing behind.
     */
    static int run(PrintStream out) {
        return run(out, System.err, "emb" + randomChars(4));
    }

    /**
     * Runs the example with subhosts named {@code prefix + "a"} and {@code prefix + "b"};
     * {@code prefix} must leave room in the 12 characters of a NAME.
     */
    static int run(PrintStream out, PrintStream err, String prefix) {
        if (!isRoot()) {
            err.println(PROGRAM + ": must be run as root (it makes namespaces, mounts and network links); try: sudo "
                    + PROGRAM);
            return 1;
        }
        Path temp;
        try {
            temp = Files.createTempDirectory(PROGRAM + "-").toRealPath();
        } catch (IOException e) {
            err.println(PROGRAM + ": cannot make a temporary directory: " + e);
            return 1;
        }
        Subhosts subhosts = Subhosts.linux();
        List<Subhost> running = new ArrayList<>();
        int status = 0;
        try {
            List<SubhostConfig> configs = new ArrayList<>();
            for (String suffix : List.of("a", "b")) {
                configs.add(describe(prefix + suffix, temp));
            }
            for (SubhostConfig config : configs) {
                running.add(subhosts.boot(config));
                out.println("booted " + config.name());
            }
            for (Subhost subhost : running) {
                ExecResult r = subhost.exec(List.of("/bin/sh", "-c", "echo hello from $(hostname)"), EXEC_TIMEOUT);
                if (!r.succeeded()) {
                    err.println(PROGRAM + ": the command in " + subhost.name() + " exited with status " + r.status()
                            + ": " + r.stderr().strip());
                    status = 1;
                }
                out.print(subhost.name() + " says: " + r.stdout());
            }
            for (Subhost subhost : running) {
                describe(subhost.status(), out);
            }
        } catch (SubhostException | IOException | IllegalArgumentException e) {
            err.println(PROGRAM + ": " + e.getMessage());
            status = 1;
        } finally {
            // Always, in reverse order, so that a failure half-way still leaves nothing behind.
            for (Subhost subhost : running.reversed()) {
                try {
                    subhost.stop(GRACE);
                    out.println("stopped " + subhost.name());
                } catch (SubhostException e) {
                    err.println(PROGRAM + ": stop " + subhost.name() + ": " + e.getMessage());
                    status = 1;
                }
            }
            if (!removeTemp(temp, err)) {
                status = 1;
            }
        }
        return status;
    }

    /**
     * The configuration of one subhost in code: BASE under {@code temp} with root, work and
     * live, no services, one plain cable; the same as a file holding {@code BASE=.},
     * {@code START=none}, {@code CABLES==} and {@code LOG=...}.
     */
    private static SubhostConfig describe(String name, Path temp) throws IOException {
        Path base = temp.resolve(name);
        for (String dir : List.of("root", "work", "live")) {
            Files.createDirectories(base.resolve(dir));
        }
        // UPPER's /etc/hostname: the subhost's pid 1 sets its hostname from it.
        Files.createDirectories(base.resolve("root/etc"));
        Files.writeString(base.resolve("root/etc/hostname"), name + "-host\n");
        return SubhostConfig.builder(name, base)
                .start("none")
                .cables("=")
                .log(base.resolve("log"))
                .build();
    }

    /** Prints one subhost's status: pid, uptime, root kind and each cable with its MAC. */
    private static void describe(SubhostStatus s, PrintStream out) {
        out.println(s.name() + ": pid " + s.pid() + ", up " + s.uptime().toSeconds() + " s, root "
                + s.rootKind().name().toLowerCase(java.util.Locale.ROOT) + " on " + s.live());
        for (SubhostStatus.CableStatus c : s.cables()) {
            out.println("  cable " + c.hostName() + " <-> " + c.subhostName() + ", mac " + c.mac().orElse("unknown")
                    + ", host end " + (c.up() ? "up" : "down") + c.bridge().map(b -> ", bridge " + b).orElse(""));
        }
    }

    /**
     * Deletes the temporary tree, but only when nothing is mounted below it any more: with a
     * mount left, a walk could reach into the host's own files through it.
     */
    private static boolean removeTemp(Path temp, PrintStream err) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                String mountPoint = line.split(" ")[4];
                if (mountPoint.equals(temp.toString()) || mountPoint.startsWith(temp + "/")) {
                    err.println(PROGRAM + ": " + mountPoint + " is still mounted; leaving " + temp + " in place");
                    return false;
                }
            }
            try (Stream<Path> all = Files.walk(temp)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
            return true;
        } catch (IOException e) {
            err.println(PROGRAM + ": cannot remove " + temp + ": " + e);
            return false;
        }
    }

    /** Whether this process's effective user id is 0, from {@code /proc/self/status}. */
    private static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.UTF_8)) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0");
                }
            }
        } catch (IOException e) {
            // No /proc: not root as far as we can tell; the kernel would refuse anyway.
        }
        return false;
    }

    private static String randomChars(int n) {
        String chars = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(chars.charAt(RANDOM.nextInt(chars.length())));
        }
        return b.toString();
    }
}
