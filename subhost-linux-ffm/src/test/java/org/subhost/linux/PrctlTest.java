package org.subhost.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** prctl attributes on the real kernel; no root needed. */
class PrctlTest {
    @Test
    void subreaperAdoptsOrphanedGrandchild() throws Exception {
        boolean before = Prctl.isChildSubreaper();
        int[] pipe = Fds.pipe2(Fds.O_CLOEXEC);
        int orphan = 0;
        Prctl.setChildSubreaper(true);
        try {
            int shell = Spawn.program(Path.of("/bin/sh")).args("-c", "sleep 600 >/dev/null & echo $!")
                    .stdout(Redirect.fd(pipe[1])).spawn();
            Fds.close(pipe[1]);
            pipe[1] = -1;
            orphan = Integer.parseInt(new String(Fds.read(pipe[0], 64), StandardCharsets.US_ASCII).strip());
            assertThat(Spawn.waitFor(shell)).isZero();
            // Its parent shell is gone: the orphan now belongs to this JVM, not to init.
            assertThat(parentOf(orphan)).isEqualTo(ProcessHandle.current().pid());
        } finally {
            Prctl.setChildSubreaper(before);
            if (orphan > 0) {
                try (Pidfd sleeper = Pidfd.open(orphan)) {
                    sleeper.sendSignal(Signals.SIGKILL);
                    assertThat(sleeper.awaitExit(Duration.ofSeconds(30))).hasValue(128 + Signals.SIGKILL);
                }
            }
            Fds.close(pipe[0]);
            if (pipe[1] >= 0) {
                Fds.close(pipe[1]);
            }
        }
        assertThat(Prctl.isChildSubreaper()).isEqualTo(before);
    }

    @Test
    void parentDeathSignalBelongsToTheCallingThread() throws Exception {
        int onThread = NamespaceThread.run("pdeathsig", () -> {
            Prctl.setParentDeathSignal(Signals.SIGTERM);
            return Prctl.parentDeathSignal();
        });
        assertThat(onThread).isEqualTo(Signals.SIGTERM);
        assertThat(Prctl.parentDeathSignal()).isZero();
    }

    private static long parentOf(int pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        return Long.parseLong(stat.substring(stat.lastIndexOf(')') + 2).split(" ")[1]);
    }
}
