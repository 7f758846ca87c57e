package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code overlay-boot CONF} killed with SIGKILL at moments spread over a whole boot: as
 * each step of the plan begins (when LOG says "step N:"), and after delays spread over a
 * measured boot (its JVM's start included); each time followed by {@code overlay-stop
 * CONF}: afterwards nothing of the subhost is left, whatever the moment.
 */
class InterruptedBootTest {
    private InterruptedRun run;

    @BeforeEach
    void setUp() throws Exception {
        run = InterruptedRun.create();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (run != null) {
            run.close();
        }
    }

    @Test
    void bootKilledAtAnyMomentIsClearedByStop() throws Exception {
        // One whole boot first: when its steps begin (the LOG's "booting" line) and when it ends.
        Path log = run.base.resolve("log");
        long t0 = System.nanoTime();
        Process first = run.start("overlay-boot", run.conf);
        long stepsBegin = -1;
        while (first.isAlive()) {
            if (stepsBegin < 0 && Files.exists(log) && Files.readString(log).contains("booting " + run.name)) {
                stepsBegin = (System.nanoTime() - t0) / 1_000_000;
            }
            Thread.sleep(1);
        }
        long end = (System.nanoTime() - t0) / 1_000_000;
        assertThat(first.exitValue()).as("the measured boot (output: %s)", run.output()).isZero();
        assertThat(stepsBegin).as("when the boot's steps began").isNotNegative();
        run.stopAndAssertNothingLeft("a whole boot");
        long steps = run.logSince(0).lines().filter(l -> l.matches(".*step \\d+: .*")).count();
        assertThat(steps).as("steps in LOG of the measured boot").isGreaterThan(10);

        int killedInStep = 0;
        List<Long> missedSteps = new ArrayList<>();
        for (int step = 1; step <= steps; step++) {
            long offset = run.logSize();
            Process boot = run.start("overlay-boot", run.conf);
            if (run.killWhenLogged(boot, offset, "step " + step + ": ")) {
                killedInStep++;
            } else {
                missedSteps.add((long) step);
            }
            run.stopAndAssertNothingLeft("overlay-boot killed as step " + step + " began");
        }
        // A step's line is written before the step runs, and every step but the last has
        // another after it: the kill must find those boots running. (The last step may end
        // together with its JVM before the kill lands.)
        assertThat(missedSteps).as("steps whose boot had ended before the kill (of %d)", steps)
                .allMatch(step -> step == steps);

        List<Long> delays = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            delays.add(stepsBegin * i / 3);
        }
        for (int i = 0; i <= 12; i++) {
            delays.add(stepsBegin + (end - stepsBegin) * i / 12);
        }
        for (int i = 0; i < 5; i++) {
            delays.add(ThreadLocalRandom.current().nextLong(stepsBegin, end + 1));
        }
        int killedRunning = 0;
        for (long delay : delays) {
            Process boot = run.start("overlay-boot", run.conf);
            boot.waitFor(delay, java.util.concurrent.TimeUnit.MILLISECONDS);
            if (boot.isAlive()) {
                killedRunning++;
            }
            InterruptedRun.killAfter(boot, 0);
            run.stopAndAssertNothingLeft("overlay-boot killed after " + delay + " ms (steps began at " + stepsBegin
                    + " ms, the boot took " + end + " ms)");
        }
        // The delays before the steps begin fall in the JVM's start, which every boot has; so
        // at least those, and most of the rest, must hit a running boot.
        assertThat(killedRunning).as("boots still running when killed after a delay (of %d; delays %s ms, steps"
                + " from %d ms, boot %d ms)", delays.size(), delays, stepsBegin, end).isGreaterThanOrEqualTo(delays.size() / 2);
        System.out.printf("InterruptedBootTest: %d boots killed with SIGKILL as a step began (%d of %d steps while"
                + " running); %d after a delay (%d while running), delays %s ms, steps from %d ms, boot %d ms%n",
                steps, killedInStep, steps, delays.size(), killedRunning, delays, stepsBegin, end);
    }
}
