package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code subhosts start|status|stop} in-process on the real kernel, with a list of three
 * subhosts (one given by a relative path, one whose boot fails) and a missing configuration
 * file: the order, the skips, the messages naming the list's lines, the exit statuses.
 * That the subhosts run is checked by independent means: the net namespace of the pid that
 * status prints is the one bound at {@code /run/netns/NAME}. Afterwards nothing of them is
 * left.
 */
class SubhostsKernelTest {
    @TempDir
    Path tmp;

    private final List<InterruptedRun> runs = new ArrayList<>();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private InterruptedRun a;
    private InterruptedRun b;
    private InterruptedRun c;
    private Path list;

    @BeforeEach
    void setUp() throws IOException {
        for (int i = 0; i < 3; i++) {
            runs.add(InterruptedRun.create()); // skips with a reason when not root
        }
        a = runs.get(0);
        b = runs.get(1);
        c = runs.get(2);
        Files.delete(c.base.resolve("live")); // so that the preflight refuses its boot
        list = Files.createDirectories(tmp.toRealPath().resolve("etc")).resolve("subhosts.conf");
    }

    @AfterEach
    void tearDown() throws IOException {
        for (InterruptedRun run : runs) {
            run.close();
        }
        for (InterruptedRun run : runs) {
            assertThat(run.leftovers()).as("what %s left behind", run.name).isEmpty();
        }
    }

    private int subhosts(String... args) {
        out.reset();
        err.reset();
        return new SubhostsCommand(Map.of("SUBHOSTS_CONF", list.toString())::get).run(List.of(args),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private void writeList(String... lines) throws IOException {
        Files.write(list, List.of(lines));
    }

    @Test
    void startsInOrderSkipsRunningOnesReportsFailuresByLineAndStopsInReverse() throws Exception {
        Path missing = c.base.resolve("missing.conf");
        String relativeB = list.getParent().relativize(Path.of(b.conf)).toString();
        assertThat(relativeB).startsWith("../");
        writeList("# the subhosts of this test", a.conf, "", "  " + relativeB + "  ", c.conf, missing.toString());
        String bootOfCFails = "subhosts: " + list + ":5: error: LIVE (" + c.base + "/live) does not exist; fix: mkdir -p "
                + c.base + "/live\n";
        String missingFails = "subhosts: " + list + ":6: configuration file (" + missing + ") does not exist\n";

        assertThat(subhosts("start")).as("start (err: %s)", err()).isEqualTo(1);
        assertThat(out()).isEqualTo(a.name + ": started\n" + b.name + ": started\n");
        assertThat(err()).isEqualTo(bootOfCFails + missingFails
                + "subhosts: 2 of 4 listed subhosts did not start\n");
        assertThat(c.leftovers()).as("what the failed boot of %s left", c.name).isEmpty();

        assertThat(subhosts("start")).isEqualTo(1);
        assertThat(out()).isEqualTo(a.name + ": already running\n" + b.name + ": already running\n");
        assertThat(err()).isEqualTo(bootOfCFails + missingFails
                + "subhosts: 2 of 4 listed subhosts did not start\n");

        assertThat(subhosts("status")).as("status with an unreadable entry").isEqualTo(4);
        assertThat(err()).isEqualTo(missingFails);
        List<String> lines = out().lines().toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).matches("NAME +STATE +PID CONFIG");
        assertRunningLine(lines.get(1), a);
        assertRunningLine(lines.get(2), b);
        assertThat(lines.get(3)).matches(Pattern.quote(c.name) + " +stopped +- " + Pattern.quote(c.conf));

        writeList(a.conf, relativeB, c.conf);
        assertThat(subhosts("status")).as("status with one stopped").isEqualTo(3);
        assertThat(err()).isEmpty();

        writeList(a.conf, relativeB);
        assertThat(subhosts("status")).as("status with all running (err: %s)", err()).isZero();
        assertThat(out().lines()).hasSize(3);

        assertThat(subhosts("--grace", "2", "stop")).as("stop (err: %s)", err()).isZero();
        assertThat(out()).isEqualTo(b.name + ": stopped\n" + a.name + ": stopped\n");
        assertThat(err()).isEmpty();
        assertThat(a.leftovers()).isEmpty();
        assertThat(b.leftovers()).isEmpty();

        assertThat(subhosts("stop")).isZero();
        assertThat(out()).isEqualTo(b.name + ": not running\n" + a.name + ": not running\n");
        assertThat(subhosts("status")).isEqualTo(3);
        assertThat(out().lines().skip(1)).allMatch(line -> line.matches("\\S+ +stopped +- .*"));
    }

    @Test
    void stopNamesTheLineOfAnEntryThatCannotBeRead() throws Exception {
        writeList(a.conf, c.base.resolve("missing.conf").toString());
        assertThat(subhosts("start")).isEqualTo(1);
        assertThat(out()).isEqualTo(a.name + ": started\n");

        assertThat(subhosts("--grace", "2", "stop")).isEqualTo(1);
        assertThat(out()).as("the others stop all the same").isEqualTo(a.name + ": stopped\n");
        assertThat(err()).isEqualTo("subhosts: " + list + ":2: configuration file (" + c.base
                + "/missing.conf) does not exist\nsubhosts: 1 of 2 listed subhosts did not stop\n");
        assertThat(a.leftovers()).isEmpty();
    }

    @Test
    void anEmptyListStartsNothingAndIsAllRunning() throws Exception {
        writeList("# nothing yet");
        assertThat(subhosts("start")).isZero();
        assertThat(out()).isEmpty();
        assertThat(subhosts("status")).isZero();
        assertThat(out()).matches("NAME +STATE +PID CONFIG\n");
        assertThat(subhosts("stop")).isZero();
        assertThat(out()).isEmpty();
    }

    /** A status line of a running subhost, whose pid is in the net namespace at /run/netns/NAME. */
    private static void assertRunningLine(String line, InterruptedRun run) throws IOException {
        Matcher m = Pattern.compile(Pattern.quote(run.name) + " +running +(\\d+) " + Pattern.quote(run.conf)).matcher(line);
        assertThat(m.matches()).as("status line %s", line).isTrue();
        Path pidNet = Path.of("/proc", m.group(1), "ns", "net");
        assertThat(Files.getAttribute(pidNet, "unix:ino"))
                .as("net namespace of pid %s, the one of /run/netns/%s", m.group(1), run.name)
                .isEqualTo(Files.getAttribute(Path.of("/run/netns", run.name), "unix:ino"));
    }
}
