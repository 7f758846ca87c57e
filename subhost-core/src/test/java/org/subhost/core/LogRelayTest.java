package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.linux.Fds;

/**
 * The log relay (subhost-init --log-relay, {@code relay.c}) on its own, with no subhost: what
 * a subhost writes into its pipe, longer than the relay's buffers (a read of 1 kB, escaped text
 * written in pieces of 1 kB), reaches LOG whole and escaped, and LOG_MAX holds for each file.
 */
class LogRelayTest {
    @TempDir
    Path dir;

    /** Runs a relay with {@code logMax}, writes {@code output} into its pipe, closes it and waits for its end. */
    private Path relay(byte[] output, long logMax) throws Exception {
        Path log = dir.resolve("log");
        Path state = Files.createDirectories(dir.resolve("state"));
        LogRelay.Ends ends;
        try (Descriptor logFd = new Descriptor(LogFile.openForAppend(log))) {
            ends = LogRelay.start(state, "relaytest", logFd.fd(), log, logMax, BirthGroups.NONE);
        }
        try (Descriptor out = ends.output(); Descriptor status = ends.status()) {
            assertThat(ends.started().pid()).as("the relay's pid").isPositive();
            for (int done = 0; done < output.length;) {
                done += Fds.write(out.fd(), java.util.Arrays.copyOfRange(output, done, output.length));
            }
        }
        assertThat(LogRelay.awaitEnd(state, Duration.ofSeconds(20))).as("the relay ended").isTrue();
        return log;
    }

    /** The pids of this thread's children, reaped or not ({@code /proc/thread-self/children}). */
    private static List<String> children() throws Exception {
        String text = Files.readString(Path.of("/proc/thread-self/children")).strip();
        return text.isEmpty() ? List.of() : List.of(text.split(" "));
    }

    @Test
    void theRelaysStartReturnsBeforeItsFirstProcessIsWaitedForWhichTheFirstAskingForItsPidReaps() throws Exception {
        Path log = dir.resolve("log");
        Path state = Files.createDirectories(dir.resolve("state"));
        List<String> before = children();
        LogRelay.Ends ends;
        try (Descriptor logFd = new Descriptor(LogFile.openForAppend(log))) {
            ends = LogRelay.start(state, "relaytest", logFd.fd(), log, 10 << 20, BirthGroups.NONE);
        }
        try (Descriptor out = ends.output(); Descriptor status = ends.status()) {
            // The first process (it forks the relay and exits) is still this thread's child,
            // running or a zombie: start did not wait for it.
            List<String> first = new java.util.ArrayList<>(children());
            first.removeAll(before);
            assertThat(first).hasSize(1);
            int relay = ends.started().pid();
            assertThat(Files.readString(Path.of("/proc/" + relay + "/comm")).strip()).isEqualTo("subhost-init");
            assertThat(children()).as("the first process, reaped").doesNotContain(first.get(0));
            assertThat(ends.started().pid()).as("asked again").isEqualTo(relay);
        }
        assertThat(LogRelay.awaitEnd(state, Duration.ofSeconds(20))).as("the relay ended").isTrue();
    }

    @Test
    void aLineLongerThanTheRelaysBuffersReachesLogWholeAndEscaped() throws Exception {
        // 3 kB of ASCII, characters of two and three bytes that reads cut in two, 1500 control
        // characters (6000 bytes escaped), U+2028 and bytes that are no UTF-8: some 14 kB in
        // all, escaped more than four times the relay's buffers, as one line.
        String ascii = "0123456789abcdef".repeat(192);
        String line = ascii + "é".repeat(701) + "\u0001".repeat(1500) + "日本".repeat(333) + "\u2028".repeat(300)
                + "\u0085x".repeat(200) + "end";
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        output.writeBytes(line.getBytes(StandardCharsets.UTF_8));
        output.writeBytes(new byte[] {(byte) 0xff, (byte) 0xc0, '\n', 'n', 'e', 'x', 't', '\n'});

        Path log = relay(output.toByteArray(), 10 << 20);

        String expected = ascii + "é".repeat(701) + "\\x01".repeat(1500) + "日本".repeat(333) + "\\u2028".repeat(300)
                + "\\u0085x".repeat(200) + "end\\xff\\xc0\nnext\n";
        assertThat(Files.readString(log, StandardCharsets.UTF_8)).isEqualTo(expected);
    }

    @Test
    void eachOfLogAndItsRotatedFileStaysWithinLogMaxWhateverTheEscapesMakeOfTheOutput() throws Exception {
        // Every byte becomes four in LOG: a read of the pipe is more than LOG_MAX once escaped.
        long logMax = 4096;
        byte[] output = new byte[64 << 10];
        java.util.Arrays.fill(output, (byte) 0x07);
        output[output.length - 1] = '\n';

        Path log = relay(output, logMax);

        Path rotated = LogFile.rotated(log);
        assertThat(Files.size(log)).isLessThanOrEqualTo(logMax);
        assertThat(Files.size(rotated)).isLessThanOrEqualTo(logMax);
        // The newest part is kept: LOG.1 then LOG end with the end of the output, and no
        // escape is parted between the two files.
        String kept = Files.readString(rotated) + Files.readString(log);
        assertThat(kept).endsWith("\\x07".repeat(1000) + "\n").matches("(\\\\x07)+\n");
    }
}
