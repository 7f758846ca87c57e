package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code overlay-stop CONF} killed with SIGKILL at moments spread over a whole stop, then
 * {@code overlay-stop CONF} again: afterwards nothing of the subhost is left.
 */
class InterruptedStopTest {
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
    void stopKilledAtAnyMomentIsFinishedByASecondStop() throws Exception {
        boot();
        long t0 = System.nanoTime();
        assertThat(run.runJvm("overlay-stop", "--grace", "2", run.conf)).as("the measured stop (output: %s)", run.output()).isZero();
        long end = (System.nanoTime() - t0) / 1_000_000;
        assertThat(run.leftovers()).isEmpty();

        List<Long> delays = new ArrayList<>();
        for (int i = 0; i <= 8; i++) {
            delays.add(end * i / 8);
        }
        for (int i = 0; i < 3; i++) {
            delays.add(ThreadLocalRandom.current().nextLong(end / 2, end + 1));
        }
        int killedRunning = 0;
        // And once exactly as pid 1 is being stopped (LOG says so before the signal).
        boot();
        long offset = run.logSize();
        Process stopping = run.start("overlay-stop", "--grace", "2", run.conf);
        boolean killedAtPid1 = run.killWhenLogged(stopping, offset, "stopping pid 1 (");
        // The line comes before the signal and the wait for pid 1's end: the stop still runs.
        assertThat(killedAtPid1).as("overlay-stop running when LOG said it was stopping pid 1").isTrue();
        run.stopAndAssertNothingLeft("overlay-stop killed as it stopped pid 1");
        for (long delay : delays) {
            boot();
            Process stop = run.start("overlay-stop", "--grace", "2", run.conf);
            stop.waitFor(delay, TimeUnit.MILLISECONDS);
            if (stop.isAlive()) {
                killedRunning++;
            }
            InterruptedRun.killAfter(stop, 0);
            run.stopAndAssertNothingLeft("overlay-stop killed after " + delay + " ms (a stop took " + end + " ms)");
        }
        // Every stop starts a JVM first, which takes longer than the shortest delays.
        assertThat(killedRunning).as("stops still running when killed after a delay (of %d; delays %s ms, stop %d ms)",
                delays.size(), delays, end).isGreaterThanOrEqualTo(delays.size() / 2);
        System.out.printf("InterruptedStopTest: 1 stop killed with SIGKILL as it stopped pid 1 (while running: %b);"
                + " %d after a delay (%d while running), delays %s ms, stop %d ms%n", killedAtPid1, delays.size(),
                killedRunning, delays, end);
    }

    private void boot() throws Exception {
        assertThat(run.runJvm("overlay-boot", run.conf)).as("overlay-boot (output: %s)", run.output())
                .isZero();
    }
}
