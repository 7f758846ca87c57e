package org.subhost.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@link EmbedExample} on the real kernel, in-process: both greetings, the status lines,
 * exit status 0, and nothing of its two subhosts left on the host afterwards (checked with
 * {@code /run/netns}, {@code /sys/class/net}, {@code /proc/self/mountinfo} and
 * {@code /run/subhost}).
 */
class EmbedExampleTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    @Test
    void bootsTwoSubhostsGreetsFromEachPrintsStatusAndLeavesNothing() throws IOException {
        // Either way of asking: as root this never skips.
        boolean root = "root".equals(System.getProperty("user.name")) || isRoot();
        assumeTrue(root, "the embedding example boots subhosts (namespaces, mounts and links): needs root");
        String prefix = "sht" + randomChars(4);
        String a = prefix + "a";
        String b = prefix + "b";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        int status = EmbedExample.run(new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), prefix);

        String text = out.toString(StandardCharsets.UTF_8);
        assertThat(status).as("exit status (out: %s, err: %s)", text, err).isZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
        List<String> lines = text.lines().toList();
        assertThat(lines).contains("booted " + a, "booted " + b,
                a + " says: hello from " + a + "-host", b + " says: hello from " + b + "-host",
                "stopped " + b, "stopped " + a);
        for (String name : List.of(a, b)) {
            assertThat(lines).anyMatch(l -> l.matches(name + ": pid \\d+, up \\d+ s, root overlay on /.*/" + name + "/live"));
            assertThat(lines).anyMatch(l -> l.matches(
                    "  cable " + name + "0 <-> eth0, mac ([0-9a-f]{2}:){5}[0-9a-f]{2}, host end (up|down)"));
        }
        assertThat(leftovers(a, b)).isEmpty();
    }

    /** Everything of the named subhosts still on this host, in words; empty when nothing. */
    private static List<String> leftovers(String... names) throws IOException {
        List<String> left = new ArrayList<>();
        List<String> mountPoints = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .map(l -> l.split(" ")[4]).toList();
        List<String> links;
        try (Stream<Path> all = Files.list(Path.of("/sys/class/net"))) {
            links = all.map(p -> p.getFileName().toString()).toList();
        }
        for (String name : names) {
            if (Files.exists(Path.of("/run/netns", name))) {
                left.add("netns /run/netns/" + name);
            }
            links.stream().filter(n -> n.startsWith(name)).forEach(n -> left.add("link " + n));
            mountPoints.stream().filter(m -> m.contains("/" + name + "/") || m.endsWith("/" + name))
                    .forEach(m -> left.add("mount " + m));
            if (Files.exists(Path.of("/run/subhost", name))) {
                left.add("state /run/subhost/" + name);
            }
        }
        // The example's own temporary directories: gone, with no overlay mount left on them.
        mountPoints.stream().filter(m -> m.contains("/subhost-embed-example-")).forEach(m -> left.add("mount " + m));
        try (Stream<Path> tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            tmp.filter(p -> Files.exists(p.resolve(names[0])) || Files.exists(p.resolve(names[1])))
                    .forEach(p -> left.add("directory " + p));
        }
        return left;
    }

    private static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0");
                }
            }
        } catch (IOException e) {
            // No /proc: not root as far as we can tell.
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
