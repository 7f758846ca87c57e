package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.subhost.linux.Fds;

/**
 * A hook (PREMOUNT, POSTMOUNT, INIT, ifup, a service's stop) that hangs is cut off at its
 * time limit by {@link Commands#run}, the call every hook goes through, and its whole
 * process group goes with it, children included. Here {@link Commands#run} is called
 * directly with a one-second limit; RollbackTest boots with hanging hooks and services.
 */
class InterruptedHookTest {

    @Test
    void hangingCommandIsKilledWithItsChildrenAtItsLimit() throws Exception {
        // Two sleeps of an unusual length, so that they can be told from any other process.
        long mark = 100_000 + ThreadLocalRandom.current().nextLong(100_000);
        String script = "sleep " + mark + " & sleep " + (mark + 1);
        int devNull = Fds.open("/dev/null", Fds.O_RDWR | Fds.O_CLOEXEC);
        try {
            Commands.Outcome outcome = Commands.run(List.of("/bin/sh", "-c", script), Map.of("PATH", "/usr/bin:/bin"),
                    "/", devNull, devNull, devNull, Duration.ofSeconds(1));

            assertThat(outcome).isEqualTo(new Commands.Outcome(128 + 9, true));
            assertThat(Commands.failure("PREMOUNT", script, outcome, Duration.ofSeconds(1)))
                    .isEqualTo("PREMOUNT (" + script + ") did not finish within 1 s and was killed");
            // SIGKILL to the group is sent, not yet carried out, when kill(2) returns: the
            // background sleep, not our child, may take a moment to go.
            List<String> left = sleepsOf(mark);
            for (int i = 0; i < 500 && !left.isEmpty(); i++) {
                Thread.sleep(10);
                left = sleepsOf(mark);
            }
            assertThat(left).as("the hook's processes after the cut-off").isEmpty();
        } finally {
            Fds.close(devNull);
        }
    }

    @Test
    void commandThatEndsInTimeIsNotCutOff() throws Exception {
        int devNull = Fds.open("/dev/null", Fds.O_RDWR | Fds.O_CLOEXEC);
        try {
            Commands.Outcome outcome = Commands.run(List.of("/bin/sh", "-c", "exit 3"), Map.of(), "/", devNull,
                    devNull, devNull, Duration.ofSeconds(30));
            assertThat(outcome).isEqualTo(new Commands.Outcome(3, false));
            assertThat(Commands.failure("PREMOUNT", "exit 3", outcome, Duration.ofSeconds(30)))
                    .isEqualTo("PREMOUNT (exit 3) exited with status 3");
        } finally {
            Fds.close(devNull);
        }
    }

    /** The processes whose command line is {@code sleep MARK} or {@code sleep MARK+1}. */
    private static List<String> sleepsOf(long mark) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8)
                            .replace('\0', ' ').trim();
                    if (cmdline.equals("sleep " + mark) || cmdline.equals("sleep " + (mark + 1))) {
                        found.add(p.getFileName() + " (" + cmdline + ")");
                    }
                } catch (IOException e) {
                    // The process ended while we looked.
                }
            }
        }
        return found;
    }
}
