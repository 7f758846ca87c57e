package org.subhost.examples.guide;

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
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.testing.HostLeftovers;
import org.subhost.testing.Uid;

/**
 * The user guide's examples do what the guide says: {@link BootFromFile} and {@link
 * BootFromCode} boot a subhost on the real kernel (as root), print what it says and its
 * status, and leave nothing behind (checked with {@code /run/netns}, {@code /sys/class/net},
 * {@code /proc/self/mountinfo} and {@code /run/subhost}); a bad configuration is reported
 * as {@code FILE:LINE: reason} with exit status 2, without root.
 */
class GuideExamplesTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private Path dir;

    @BeforeEach
    void makeDirectory() throws IOException {
        dir = Files.createTempDirectory("sht-guide-").toRealPath();
    }

    @AfterEach
    void removeDirectory() throws IOException {
        // Never walk into a mount: with one left below dir, leave the tree (and fail above).
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String mountPoint = line.split(" ")[4];
            if (mountPoint.startsWith(dir + "/") || mountPoint.equals(dir.toString())) {
                return;
            }
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void bootFromFileReportsABadConfigurationByFileAndLine() throws IOException {
        Path conf = dir.resolve("bad.conf");
        Files.writeString(conf, "BASE=.\nNAME=webmail-frontend\n");

        int status = BootFromFile.run(conf, print(out), print(err));

        assertThat(status).isEqualTo(2);
        assertThat(text(err)).isEqualTo(conf + ":2: NAME (webmail-frontend) must be at most 12 characters\n");
        assertThat(text(out)).isEmpty();
    }

    @Test
    void bootFromCodeRejectsANameLongerThanTwelveCharacters() {
        int status = BootFromCode.run(dir, "webmail-frontend", print(out), print(err));

        assertThat(status).isEqualTo(1);
        assertThat(text(err)).isEqualTo("NAME (webmail-frontend) must be at most 12 characters\n");
    }

    @Test
    void bootFromFileBootsRunsHostnameInsideAndStops() throws IOException {
        assumeRoot();
        String name = "sht" + randomChars(5);
        Path base = dir.resolve(name);
        for (String sub : List.of("root/etc", "work", "live")) {
            Files.createDirectories(base.resolve(sub));
        }
        Files.writeString(base.resolve("root/etc/hostname"), name + "-guide\n");
        Path conf = base.resolve(name + ".conf");
        Files.writeString(conf, "BASE=.\nSTART=none\nLOG=" + base.resolve("log") + "\n");

        int status = BootFromFile.run(conf, print(out), print(err));

        assertThat(status).as("status (out: %s, err: %s)", text(out), text(err)).isZero();
        assertThat(text(err)).isEmpty();
        assertThat(text(out).lines().toList()).hasSize(3)
                .startsWith(name + " calls itself " + name + "-guide")
                .endsWith(name + " stopped");
        assertThat(text(out).lines().toList().get(1))
                .matches(name + ": pid 1 is host pid \\d+, LOG " + base.resolve("log"));
        assertThat(leftovers(name)).isEmpty();
    }

    @Test
    void bootFromCodeReadsASharedFileInsideShowsItsCableAndStops() throws IOException {
        assumeRoot();
        String name = "sht" + randomChars(5);

        int status = BootFromCode.run(dir, name, print(out), print(err));

        assertThat(status).as("status (out: %s, err: %s)", text(out), text(err)).isZero();
        assertThat(text(err)).isEmpty();
        List<String> lines = text(out).lines().toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).isEqualTo(name + " read: hello from the host");
        assertThat(lines.get(1)).isEqualTo(name + ": pid 1 is host pid " + lines.get(1).replaceAll(".* host pid (\\d+),.*", "$1")
                + ", root OVERLAY on " + dir.resolve(name + "/live"));
        assertThat(lines.get(2)).matches("  " + name + "0 <-> eth0, mac ([0-9a-f]{2}:){5}[0-9a-f]{2}");
        assertThat(lines.get(3)).isEqualTo(name + " stopped");
        assertThat(leftovers(name)).isEmpty();
    }

    /** Everything of subhost {@code name} still on this host, in words; empty when nothing ({@link HostLeftovers}). */
    private List<String> leftovers(String name) throws IOException {
        return HostLeftovers.of(name).under(dir).find();
    }

    private static void assumeRoot() throws IOException {
        // As root this never skips: the guide's examples then run for real.
        assumeTrue(Uid.isRoot(), "the guide's examples boot subhosts (namespaces, mounts, links): needs root");
    }

    private static PrintStream print(ByteArrayOutputStream bytes) {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }

    private static String text(ByteArrayOutputStream bytes) {
        return bytes.toString(StandardCharsets.UTF_8);
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
