package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.SubhostException;

/** How many boots a JVM runs at once, from its open-files limit, and how the others wait. */
class BootAdmissionTest {
    @TempDir
    Path tmp;

    @Test
    void theTurnsAreThreeQuartersOfTheLimitAtThirtyTwoDescriptorsEach() {
        assertThat(BootAdmission.turnsFor(20000)).isEqualTo(468);
        assertThat(BootAdmission.turnsFor(1024)).isEqualTo(24);
        assertThat(BootAdmission.turnsFor(1 << 20)).isEqualTo(24576);
        assertThat(BootAdmission.turnsFor(16)).as("at least one").isEqualTo(1);
        assertThat(BootAdmission.turnsFor(Long.MAX_VALUE)).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void theSoftLimitIsReadFromTheLimitsFile() throws Exception {
        Path limits = Files.writeString(tmp.resolve("limits"), """
                Limit                     Soft Limit           Hard Limit           Units
                Max processes             95421                95421                processes
                Max open files            4096                 524288               files
                Max locked memory         8388608              8388608              bytes
                """);
        assertThat(BootAdmission.openFilesLimit(limits)).hasValue(4096);
        Files.writeString(limits, "Max open files            unlimited            unlimited            files\n");
        assertThat(BootAdmission.openFilesLimit(limits)).hasValue(Long.MAX_VALUE);
        Files.writeString(limits, "Max open files            many                 many                 files\n");
        assertThat(BootAdmission.openFilesLimit(limits)).isEmpty();
        assertThat(BootAdmission.openFilesLimit(tmp.resolve("missing"))).isEqualTo(OptionalLong.empty());
    }

    @Test
    void thisProcessesTurnsComeFromItsOwnLimit() {
        long limit = BootAdmission.openFilesLimit(Path.of("/proc/self/limits")).orElseThrow();
        assertThat(BootAdmission.thisProcess().turns()).isEqualTo(BootAdmission.turnsFor(limit));
    }

    @Test
    void aBootBeyondTheTurnsWaitsUntilOneIsGivenBack() throws Exception {
        BootAdmission admission = new BootAdmission(1);
        BootAdmission.Turn first = admission.take("ex1");
        CountDownLatch second = new CountDownLatch(1);
        Thread waiting = Thread.ofVirtual().start(() -> {
            try (BootAdmission.Turn turn = admission.take("ex2")) {
                second.countDown();
            } catch (SubhostException e) {
                throw new AssertionError(e);
            }
        });
        assertThat(second.await(200, TimeUnit.MILLISECONDS)).as("no turn is free").isFalse();
        first.close();
        first.close();
        assertThat(second.await(10, TimeUnit.SECONDS)).as("the turn given back").isTrue();
        waiting.join();
        // Closed twice, given back once: one turn, free again.
        try (BootAdmission.Turn again = admission.take("ex3")) {
            assertThat(again).isNotNull();
        }
    }

    @Test
    void anInterruptedWaitFailsTheBootWithAMessageAndKeepsTheInterrupt() throws Exception {
        BootAdmission admission = new BootAdmission(1);
        try (BootAdmission.Turn held = admission.take("ex1")) {
            AtomicReference<SubhostException> failure = new AtomicReference<>();
            AtomicReference<Boolean> interrupted = new AtomicReference<>();
            Thread waiting = Thread.ofPlatform().start(() -> {
                failure.set(catchThrowableOfType(SubhostException.class, () -> admission.take("ex2")));
                interrupted.set(Thread.currentThread().isInterrupted());
            });
            while (waiting.getState() != Thread.State.WAITING) {
                Thread.sleep(1);
            }
            waiting.interrupt();
            waiting.join();
            assertThat(failure.get()).hasMessage("boot ex2: interrupted while waiting for a turn (this JVM boots at"
                    + " most 1 subhosts at once, for its limit on open files)");
            assertThat(interrupted.get()).isTrue();
        }
    }
}
