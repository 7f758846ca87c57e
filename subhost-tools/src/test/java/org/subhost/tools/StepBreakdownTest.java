package org.subhost.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The step breakdown from LOG lines made up here: its means, and where its slowest boots lose their time. */
class StepBreakdownTest {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
    private static final List<String> PLAN = List.of(" 1. [host] check", " 2. [host] record", " 3. [host] release");
    private static final LocalDateTime START = LocalDateTime.of(2026, 12, 8, 2, 0);

    @TempDir
    Path dir;

    @Test
    void theSlowestBootsAreTheOnesAtOrAboveTheP95AndTheirCostlyStepIsNamed() throws IOException {
        StepBreakdown steps = new StepBreakdown(PLAN);
        // 18 boots of 4 ms (1 ms per step and 1 ms after the last) and 2 whose step 2 took 11 ms.
        for (int i = 0; i < 20; i++) {
            addBoot(steps, i, i < 18 ? 1 : 11);
        }

        assertThat(steps.tail()).isEqualTo("the slowest boots (2 of 20, at or above the p95 of 14.0 ms) took 14.0 ms"
                + " on average against 5.0 ms for all; beyond the mean in step 2 +9.00 ms");
        String printed = print(steps);
        assertThat(printed).contains("step  2        2.00 ms  record").endsWith(steps.tail() + System.lineSeparator());
    }

    @Test
    void fewBootsPrintNoTail() throws IOException {
        StepBreakdown steps = new StepBreakdown(PLAN);
        for (int i = 0; i < 19; i++) {
            addBoot(steps, i, i == 0 ? 11 : 1);
        }

        assertThat(print(steps)).doesNotContain("slowest");
    }

    @Test
    void aTailLikeTheRestNamesNoStep() throws IOException {
        StepBreakdown steps = new StepBreakdown(PLAN);
        for (int i = 0; i < 20; i++) {
            addBoot(steps, i, 1);
        }

        assertThat(steps.tail()).endsWith("took 4.0 ms on average against 4.0 ms for all; beyond the mean in no step"
                + " by 0.05 ms or more");
    }

    /** Boot {@code i} (subhost b{@code i}): step 1 for 1 ms, step 2 for {@code step2Ms}, step 3 for 1 ms, then 1 ms to return. */
    private void addBoot(StepBreakdown steps, int i, int step2Ms) throws IOException {
        String name = "b" + i;
        LocalDateTime called = START.plusSeconds(i);
        LocalDateTime s1 = called.plusNanos(1_000_000);
        LocalDateTime s2 = s1.plusNanos(1_000_000);
        LocalDateTime s3 = s2.plusNanos(step2Ms * 1_000_000L);
        LocalDateTime returned = s3.plusNanos(1_000_000);
        Path log = dir.resolve(name + ".log");
        Files.write(log, List.of(
                line(s1, name, 1, "check"), line(s2, name, 2, "record"), line(s3, name, 3, "release")));
        steps.add(name, dir.resolve(name), log, called, returned);
    }

    private static String line(LocalDateTime at, String name, int step, String what) {
        return TIME.format(at) + " overlay-boot[" + name + "]: step " + step + ": " + what;
    }

    private static String print(StepBreakdown steps) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        steps.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
