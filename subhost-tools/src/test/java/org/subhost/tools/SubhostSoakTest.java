package org.subhost.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.subhost.testing.Uid;

/**
 * A short soak run in-process (20 s, two workers): every kind of round is played, nothing
 * misbehaves and nothing is left; its counts are printed for the release notes.
 */
class SubhostSoakTest {
    private static final Pattern LAST = Pattern.compile(
            "soak_rounds=(\\d+) boots=(\\d+) faults=(\\d+) kills=(\\d+) races=(\\d+) failures=(\\d+) leftovers=(\\d+)"
                    + " seconds=(\\d+)");

    @Test
    void helpStartsWithUsage() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertThat(SubhostSoak.run(List.of("--help"), new PrintStream(bytes, true, StandardCharsets.UTF_8))).isZero();
        assertThat(bytes.toString(StandardCharsets.UTF_8))
                .startsWith("Usage: subhost-soak [--duration SECONDS] [--rounds R] [--seed N] [--parallel K]\n");
    }

    @Test
    void rejectsADurationThatIsNoPositiveNumber() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        assertThat(SubhostSoak.run(List.of("--duration", "0"), out)).isEqualTo(2);
        assertThat(SubhostSoak.run(List.of("--duration", "ten"), out)).isEqualTo(2);
        assertThat(SubhostSoak.run(List.of("--seed"), out)).isEqualTo(2);
        assertThat(SubhostSoak.run(List.of("--parallel", "-1"), out)).isEqualTo(2);
        assertThat(SubhostSoak.run(List.of("--rounds", "0"), out)).isEqualTo(2);
        assertThat(bytes.toString(StandardCharsets.UTF_8)).as("nothing runs, nothing is printed to out").isEmpty();
    }

    /**
     * Eight rounds, whatever the machine's speed (--rounds 4 per worker, with a duration of
     * one second): the first four rounds of each worker are one of each kind, so every kind
     * is tried, and with it boots, faults, kills and races.
     */
    @Test
    void eightRoundsTryEveryKindAndLeaveNothing() {
        Assumptions.assumeTrue(Uid.isRoot(),
                "the soak needs root (it makes namespaces, mounts and links)");
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = SubhostSoak.run(List.of("--duration", "1", "--rounds", "4", "--parallel", "2"),
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String output = bytes.toString(StandardCharsets.UTF_8);
        List<String> lines = output.lines().toList();

        assertThat(status).as("exit status; output:%n%s", output).isZero();
        assertThat(lines.getFirst()).matches("subhost-soak: seed=-?\\d+ duration=1s parallel=2 names shs\\w{3}NNNN,"
                + " directories under /tmp/subhost-soak-\\w+");
        Matcher last = LAST.matcher(lines.getLast());
        assertThat(last.matches()).as("last line: %s", lines.getLast()).isTrue();
        assertThat(lines).noneMatch(l -> l.startsWith("FAILURE") || l.startsWith("LEFTOVER"));
        assertThat(Integer.parseInt(last.group(1))).as("rounds").isGreaterThanOrEqualTo(8);
        for (int g = 2; g <= 5; g++) {
            assertThat(Integer.parseInt(last.group(g))).as("count %d of %s", g - 1, lines.getLast()).isPositive();
        }
        assertThat(last.group(6)).as("failures").isEqualTo("0");
        assertThat(last.group(7)).as("leftovers").isEqualTo("0");
        for (SoakScenario.Kind kind : SoakScenario.Kind.values()) {
            assertThat(lines).as("a round of kind %s", kind)
                    .anyMatch(l -> l.matches("  \\S+ +" + kind.name().toLowerCase() + " +rounds=[1-9]\\d* +failures=0 .*"));
        }
        System.out.println("SubhostSoakTest: " + lines.getLast());
    }
}
