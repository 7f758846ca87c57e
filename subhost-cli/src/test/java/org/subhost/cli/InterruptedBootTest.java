package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code overlay-boot CONF} killed with SIGKILL at moments spread over a whole boot: as
 * each step of the plan begins (when LOG says "step N:"), and after delays spread over a
 * warm boot (its JVM's start included); each time followed by {@code overlay-stop CONF}:
 * afterwards nothing of the subhost is left, whatever the moment.
 *
 * <p>The delays are aimed at the boots they kill: warm ones (the first boot of a run is
 * cold, its JVM and jars not yet in the page cache, and takes several times as long), so
 * the window is the median of several warm boots, measured before the kills and again
 * between them, so that a machine whose load changes meanwhile still has its kills land
 * in running boots.
 */
class InterruptedBootTest {
    /** Warm boots measured before the kills after a delay; one more after every {@value #REMEASURE_EVERY} kills. */
    private static final int MEASURED = 5;
    private static final int REMEASURE_EVERY = 4;

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

    /** When a whole boot's steps began (LOG's "booting" line) and when it ended, in ms from its JVM's start. */
    record Timing(long stepsBegin, long end) {
        static Timing median(List<Timing> timings) {
            List<Timing> last = timings.subList(Math.max(0, timings.size() - MEASURED), timings.size());
            return new Timing(medianOf(last.stream().map(Timing::stepsBegin).toList()),
                    medianOf(last.stream().map(Timing::end).toList()));
        }

        @Override
        public String toString() {
            return "steps from " + stepsBegin + ", end " + end + " ms";
        }

        private static long medianOf(List<Long> values) {
            List<Long> sorted = values.stream().sorted().toList();
            return sorted.get(sorted.size() / 2);
        }
    }

    @Test
    void bootKilledAtAnyMomentIsClearedByStop() throws Exception {
        // A whole boot, cold: its steps are counted; then warm ones, timed.
        Timing cold = wholeBoot("the first, cold, boot");
        long steps = run.logSince(0).lines().filter(l -> l.matches(".*step \\d+: .*")).count();
        assertThat(steps).as("steps in LOG of the first boot").isGreaterThan(10);
        List<Timing> timings = new ArrayList<>();
        for (int i = 0; i < MEASURED; i++) {
            timings.add(wholeBoot("warm boot " + (i + 1)));
        }

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

        // Where in the window of a warm boot each kill lands, as a fraction: three in the JVM's
        // start (before the steps), thirteen spread over the steps, five at random among them.
        // The steps' share stops short of the median end: a kill at the very end finds half
        // of the boots ended, whatever the machine.
        List<Double> inStart = List.of(0.0, 1 / 3.0, 2 / 3.0);
        List<Double> inSteps = new ArrayList<>();
        for (int i = 0; i < 13; i++) {
            inSteps.add(i / 13.0);
        }
        for (int i = 0; i < 5; i++) {
            inSteps.add(ThreadLocalRandom.current().nextDouble(0, 12 / 13.0));
        }
        List<String> kills = new ArrayList<>();
        int killedRunning = 0;
        for (int k = 0; k < inStart.size() + inSteps.size(); k++) {
            if (k > 0 && k % REMEASURE_EVERY == 0) {
                timings.add(wholeBoot("warm boot " + (timings.size() + 1) + ", between the kills"));
            }
            Timing window = Timing.median(timings);
            long delay = k < inStart.size()
                    ? Math.round(window.stepsBegin() * inStart.get(k))
                    : window.stepsBegin() + Math.round((window.end() - window.stepsBegin()) * inSteps.get(k - inStart.size()));
            Process boot = run.start("overlay-boot", run.conf);
            boot.waitFor(delay, TimeUnit.MILLISECONDS);
            boolean running = boot.isAlive();
            if (running) {
                killedRunning++;
            }
            InterruptedRun.killAfter(boot, 0);
            kills.add(delay + (running ? "" : " (ended)"));
            run.stopAndAssertNothingLeft("overlay-boot killed after " + delay + " ms (a warm boot's steps begin at "
                    + window.stepsBegin() + " ms, it takes " + window.end() + " ms)");
        }
        // Every delay lies before the median warm boot's end, and those before its steps in
        // the JVM's start, which every boot has: most must hit a running boot (half at least,
        // for a machine whose load changes between the measured boots and the kills).
        assertThat(killedRunning).as("boots still running when killed after a delay (of %d; delays %s ms; cold boot"
                + " %s, warm boots %s)", kills.size(), kills, cold, timings).isGreaterThanOrEqualTo(kills.size() / 2);
        System.out.printf("InterruptedBootTest: %d boots killed with SIGKILL as a step began (%d of %d steps while"
                + " running); %d after a delay (%d while running), delays %s ms; cold boot %s; warm boots %s%n",
                steps, killedInStep, steps, kills.size(), killedRunning, kills, cold, timings);
    }

    /** One boot to its end, timed, and its stop, after which nothing of the subhost may be left. */
    private Timing wholeBoot(String what) throws Exception {
        Path log = run.base.resolve("log");
        long offset = run.logSize();
        long t0 = System.nanoTime();
        Process boot = run.start("overlay-boot", run.conf);
        long stepsBegin = -1;
        while (boot.isAlive()) {
            if (stepsBegin < 0 && Files.exists(log) && run.logSince(offset).contains("booting " + run.name)) {
                stepsBegin = (System.nanoTime() - t0) / 1_000_000;
            }
            Thread.sleep(1);
        }
        long end = (System.nanoTime() - t0) / 1_000_000;
        assertThat(boot.exitValue()).as("%s (output: %s)", what, run.output()).isZero();
        assertThat(stepsBegin).as("when the steps of %s began", what).isNotNegative();
        run.stopAndAssertNothingLeft(what);
        return new Timing(stepsBegin, end);
    }
}
