package org.subhost.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Pidfds of children started by the test; no root needed. */
class PidfdTest {
    private static final Path SLEEP = Path.of("/bin/sleep");

    @Test
    void sigtermEndsChildWithStatus143() throws Exception {
        int pid = Spawn.program(SLEEP).args("600").spawn();
        try (Pidfd child = Pidfd.open(pid)) {
            try {
                assertThat(child.isAlive()).isTrue();
                child.sendSignal(Signals.SIGTERM);
                assertThat(child.awaitExit(Duration.ofSeconds(30))).hasValue(128 + Signals.SIGTERM);
                assertThat(child.isAlive()).isFalse();
                assertThat(child.awaitExit(Duration.ZERO)).as("remembered after reaping").hasValue(143);
                assertThat(Path.of("/proc/" + pid)).doesNotExist();
            } finally {
                killAndReap(child);
            }
        }
    }

    @Test
    void awaitOfSleepingChildTimesOutEmpty() throws Exception {
        int pid = Spawn.program(SLEEP).args("600").spawn();
        try (Pidfd child = Pidfd.open(pid)) {
            try {
                assertThat(child.awaitExit(Duration.ofMillis(50))).isEmpty();
                assertThat(child.awaitTermination(Duration.ZERO)).isFalse();
                assertThat(child.isAlive()).isTrue();
            } finally {
                killAndReap(child);
            }
        }
    }

    @Test
    void exitCodeOfChildIsReported() throws Exception {
        int pid = Spawn.program(Path.of("/bin/sh")).args("-c", "exit 7").spawn();
        try (Pidfd child = Pidfd.open(pid)) {
            assertThat(child.awaitExit(Duration.ofSeconds(30))).hasValue(7);
        }
    }

    @Test
    void signalToEndedProcessIsESRCH() throws Exception {
        int pid = Spawn.program(Path.of("/bin/true")).spawn();
        try (Pidfd child = Pidfd.open(pid)) {
            assertThat(child.awaitExit(Duration.ofSeconds(30))).hasValue(0);
            assertThatThrownBy(() -> child.sendSignal(Signals.SIGTERM))
                    .isInstanceOf(SyscallException.class)
                    .hasMessage("pidfd_send_signal(pid " + pid + ", SIGTERM): ESRCH (No such process)");
        }
    }

    @Test
    void openOfReapedPidIsESRCH() throws Exception {
        int pid = Spawn.program(Path.of("/bin/true")).spawn();
        assertThat(Spawn.waitFor(pid)).isZero();
        assertThatThrownBy(() -> Pidfd.open(pid))
                .hasMessage("pidfd_open(pid " + pid + "): ESRCH (No such process)");
    }

    @Test
    void closedPidfdRefusesUse() throws Exception {
        int pid = Spawn.program(Path.of("/bin/true")).spawn();
        Pidfd child = Pidfd.open(pid);
        child.awaitExit(Duration.ofSeconds(30));
        child.close();
        child.close();
        assertThatThrownBy(child::isAlive).isInstanceOf(IllegalStateException.class)
                .hasMessage("pidfd of pid " + pid + " is closed");
    }

    private static void killAndReap(Pidfd child) throws SyscallException {
        if (child.isAlive()) {
            child.sendSignal(Signals.SIGKILL);
        }
        child.awaitExit(Duration.ofSeconds(30));
    }
}
