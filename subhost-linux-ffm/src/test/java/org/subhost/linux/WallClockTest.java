package org.subhost.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import org.junit.jupiter.api.Test;

/** Time stamps of LOG lines: as the host's C programs and java.time see the local time. */
class WallClockTest {
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    @Test
    void isTheLocalTimeThatDateWritesForTheSameSecond() throws Exception {
        // Winter, summer and now: a zone with daylight saving time shows both offsets.
        for (long seconds : new long[] {1_767_225_600L, 1_782_864_000L, System.currentTimeMillis() / 1000}) {
            String ours = WallClock.timestamp(seconds * 1000 + 7);
            assertThat(ours).isEqualTo(dateOf(seconds) + ".007");
        }
    }

    /**
     * Without {@code TZ}, java.time's default zone and the C library both read {@code
     * /etc/localtime}, and must agree. With {@code TZ} set, the JVM may spell an unusual value
     * differently from the C library (a POSIX rule such as {@code EST5EDT,M3.2.0,M11.1.0}), so
     * the reference is then {@code date}, which reads TZ as our C call does.
     */
    @Test
    void agreesWithJavaTimeInTheDefaultZone() throws Exception {
        boolean tzSet = System.getenv("TZ") != null;
        for (long millis : new long[] {0L, 999L, 1_000L, 1_767_225_600_050L, 1_782_864_000_123L}) {
            String expected = tzSet ? dateOf(millis / 1000) + String.format(".%03d", millis % 1000)
                    : STAMP.format(LocalDateTime.ofInstant(Instant.ofEpochMilli(millis), ZoneId.systemDefault()));
            assertThat(WallClock.timestamp(millis)).as("%d ms (TZ %s)", millis, System.getenv("TZ")).isEqualTo(expected);
        }
    }

    @Test
    void nowHasTheFormatOfLogLinesAndIsNow() {
        long before = System.currentTimeMillis();
        String now = WallClock.timestamp();
        long after = System.currentTimeMillis();
        assertThat(now).matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}");
        assertThat(now).isBetween(WallClock.timestamp(before), WallClock.timestamp(after));
    }

    /** {@code date -d @SECONDS '+%F %T'}: the C library's local time, as a program of the host prints it. */
    private static String dateOf(long seconds) throws Exception {
        int[] pipe = Fds.pipe2(Fds.O_CLOEXEC);
        try {
            int date = Spawn.program(Path.of("/bin/date")).args("-d", "@" + seconds, "+%F %T")
                    .stdout(Redirect.fd(pipe[1])).spawn();
            Fds.close(pipe[1]);
            pipe[1] = -1;
            String out = new String(Fds.read(pipe[0], 64), StandardCharsets.US_ASCII).strip();
            assertThat(Spawn.waitFor(date)).isZero();
            return out;
        } finally {
            for (int fd : pipe) {
                if (fd >= 0) {
                    Fds.close(fd);
                }
            }
        }
    }
}
