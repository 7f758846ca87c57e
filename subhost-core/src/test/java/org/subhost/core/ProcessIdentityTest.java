package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A process's identity read from {@code /proc/PID/stat}, on the real kernel. */
class ProcessIdentityTest {

    @Test
    void aProcessWhoseCommandNameIsNotUtf8IsKnownAndAlive(@TempDir Path dir) throws Exception {
        // The command name is the name of the file run: here the byte 0xff, not UTF-8. Such
        // a pid 1 must not look gone to a stop (which would clear its record while it runs).
        Process sleep = new ProcessBuilder("bash", "-c",
                "cp /bin/sleep \"$1\"/$'\\xff' && exec \"$1\"/$'\\xff' 60", "bash", dir.toString()).start();
        try {
            int pid = (int) sleep.pid();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!Files.readString(Path.of("/proc/" + pid + "/comm"), java.nio.charset.StandardCharsets.ISO_8859_1)
                    .equals("\u00ff\n") && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }

            assertThat(ProcessIdentity.of(pid)).isPresent();
            assertThat(ProcessIdentity.of(pid).orElseThrow().isAlive()).isTrue();
        } finally {
            sleep.destroyForcibly().waitFor();
        }
    }
}
