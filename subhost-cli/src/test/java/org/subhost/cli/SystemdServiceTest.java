package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.ProgressListener;
import org.subhost.linux.Fds;
import org.subhost.linux.UnixDatagram;

/**
 * The notifications overlay-boot sends to systemd, received on a socket of the test's own
 * (a path, and an abstract name), as systemd's notify socket receives them; and the
 * priorities of its journal lines.
 */
class SystemdServiceTest {
    @TempDir
    Path tmp;

    @Test
    void statusLinesThenReadyWithMainPidReachAPathSocket() throws Exception {
        receives(tmp.resolve("notify").toString());
    }

    @Test
    void anAbstractNameStartsWithAnAt() throws Exception {
        receives("@subhost-test-notify-" + ProcessHandle.current().pid() + "-" + ThreadLocalRandom.current().nextInt());
    }

    private void receives(String address) throws Exception {
        int fd = UnixDatagram.socket();
        try {
            UnixDatagram.bind(fd, address);
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            SystemdService systemd = SystemdService.of(Map.of("NOTIFY_SOCKET", address), "overlay-boot", "ex1",
                    new PrintStream(err, true, StandardCharsets.UTF_8));
            assertThat(systemd.notifies()).isTrue();
            assertThat(systemd.journal()).as("no JOURNAL_STREAM").isFalse();
            systemd.connect();
            assertThat(next(fd)).isEqualTo("STATUS=starting");
            systemd.line(ProgressListener.Severity.INFO, "step 10: mount overlay ex1 on /ex1/live");
            systemd.ready(4242, "running; pid 1 is 4242");
            assertThat(next(fd)).isEqualTo("STATUS=step 10: mount overlay ex1 on /ex1/live");
            assertThat(next(fd)).isEqualTo("READY=1\nSTATUS=running; pid 1 is 4242\nMAINPID=4242");
            assertThat(err.toString(StandardCharsets.UTF_8)).as("nothing on stderr outside the journal").isEmpty();
        } finally {
            Fds.close(fd);
        }
    }

    private static String next(int fd) throws Exception {
        assertThat(Fds.awaitReadable(fd, Duration.ofSeconds(5))).as("a datagram within 5 s").isTrue();
        return new String(UnixDatagram.receive(fd, 4096), StandardCharsets.UTF_8);
    }

    @Test
    void aSocketNobodyListensAtIsSaidOnceAndTheBootGoesOn() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        SystemdService systemd = SystemdService.of(Map.of("NOTIFY_SOCKET", tmp.resolve("nobody").toString()),
                "overlay-boot", "ex1", new PrintStream(err, true, StandardCharsets.UTF_8));
        systemd.status("one");
        systemd.ready(1, "two");
        assertThat(err.toString(StandardCharsets.UTF_8).lines()).singleElement().asString()
                .startsWith("overlay-boot[ex1]: cannot notify systemd at NOTIFY_SOCKET " + tmp.resolve("nobody"))
                .contains("ENOENT");
    }

    @Test
    void withoutSystemdNothingIsSentOrPrefixed() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        SystemdService systemd = SystemdService.of(Map.of("JOURNAL_STREAM", "1:1", "NOTIFY_SOCKET", "relative"),
                "overlay-boot", "ex1", new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(systemd.notifies()).as("a NOTIFY_SOCKET neither a path nor @name").isFalse();
        assertThat(systemd.journal()).as("a JOURNAL_STREAM that is not this stderr").isFalse();
        systemd.line(ProgressListener.Severity.ERROR, "boot ex1: step 3 failed");
        assertThat(systemd.errorLine("x")).isEqualTo("x");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void journalLinesCarryTheirPriority() throws Exception {
        // This process's stderr, named as systemd names the journal's stream.
        Map<String, Object> attributes = java.nio.file.Files.readAttributes(Path.of("/proc/self/fd/2"), "unix:dev,ino");
        String stream = Long.toUnsignedString((Long) attributes.get("dev")) + ":" + attributes.get("ino");
        assertThat(SystemdService.isJournalStream(stream)).isTrue();
        assertThat(SystemdService.isJournalStream(stream + "1")).isFalse();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        SystemdService systemd = SystemdService.of(Map.of("JOURNAL_STREAM", stream), "overlay-stop", "ex1",
                new PrintStream(err, true, StandardCharsets.UTF_8));
        systemd.line(ProgressListener.Severity.INFO, "stopping pid 1 (12)");
        systemd.line(ProgressListener.Severity.WARNING, "undo failed");
        systemd.line(ProgressListener.Severity.ERROR, "stop ex1: could not remove everything");
        assertThat(systemd.errorLine("overlay-stop: x")).isEqualTo("<3>overlay-stop: x");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("<6>overlay-stop[ex1]: stopping pid 1 (12)\n"
                + "<4>overlay-stop[ex1]: undo failed\n<3>overlay-stop[ex1]: stop ex1: could not remove everything\n");
    }
}
