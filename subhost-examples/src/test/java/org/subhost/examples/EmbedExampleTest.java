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
import org.subhost.testing.HostLeftovers;
import org.subhost.testing.Uid;

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
        assumeTrue(Uid.isRoot(), "the embedding example boots subhosts (namespaces, mounts and links): needs root");
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
            // The example sets the host end up (Subhost.status reads IFF_UP of NAME0).
            assertThat(lines).anyMatch(l -> l.matches(
                    "  cable " + name + "0 <-> eth0, mac ([0-9a-f]{2}:){5}[0-9a-f]{2}, host end up"));
        }
        assertThat(leftovers(a, b)).isEmpty();
    }

    /**
     * Everything of the named subhosts still on this host, in words; empty when nothing
     * ({@link HostLeftovers}: netns, links, mounts, state, lock files, cgroups, processes, and
     * mount namespaces this JVM holds), and the example's own temporary directories.
     */
    private static List<String> leftovers(String... names) throws IOException {
        List<String> left = new ArrayList<>(HostLeftovers.of(names).find());
        List<String> mountPoints = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .map(l -> l.split(" ")[4]).toList();
        for (String name : names) {
            mountPoints.stream().filter(m -> m.contains("/" + name + "/") || m.endsWith("/" + name))
                    .forEach(m -> left.add("mount " + m));
        }
        // The example's own temporary directories: gone, with no overlay mount left on them.
        mountPoints.stream().filter(m -> m.contains("/subhost-embed-example-")).forEach(m -> left.add("mount " + m));
        try (Stream<Path> tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            tmp.filter(p -> Files.exists(p.resolve(names[0])) || Files.exists(p.resolve(names[1])))
                    .forEach(p -> left.add("directory " + p));
        }
        return left;
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
