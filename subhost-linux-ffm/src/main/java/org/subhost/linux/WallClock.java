package org.subhost.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import org.subhost.linux.internal.Downcall;
import org.subhost.linux.internal.Memory;
import org.subhost.linux.internal.Native;

/**
 * The local date and time as the C library tells it, for time stamps in log files.
 *
 * <p>Why not {@code java.time}: the first {@code LocalDateTime.now()} of a JVM loads the
 * JDK's whole time-zone database to find the rules of the default zone, which took 20-27
 * ms of a cold {@code overlay-boot} here, longer than the boot itself. localtime_r(3) reads
 * the host's {@code /etc/localtime} (or the zone that {@code TZ} names) once per process
 * and then only computes, so the time stamps are the same as the C library's programs
 * write, such as pid 1's.
 *
 * <p>Example: {@code WallClock.timestamp()} gives {@code "2026-11-26 13:22:52.061"}.
 */
public final class WallClock {
    // struct tm *localtime_r(const time_t *timep, struct tm *result)
    private static final Downcall LOCALTIME_R = Native.lazyPlain("localtime_r",
            FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS));

    // struct tm begins with nine ints: tm_sec, tm_min, tm_hour, tm_mday, tm_mon (0-11),
    // tm_year (since 1900), tm_wday, tm_yday, tm_isdst; then, in glibc, a long and a
    // pointer. 64 bytes hold it on both 64-bit architectures we support.
    private static final long TM_SIZE = 64;
    private static final long TM_SEC = 0;
    private static final long TM_MIN = 4;
    private static final long TM_HOUR = 8;
    private static final long TM_MDAY = 12;
    private static final long TM_MON = 16;
    private static final long TM_YEAR = 20;

    private WallClock() {}

    /**
     * The local date and time now, to the millisecond: {@code yyyy-MM-dd HH:mm:ss.SSS}.
     *
     * @return the time stamp
     * @throws IllegalStateException when the C library cannot convert the time (a year
     *     beyond its range; not for any clock of today)
     */
    public static String timestamp() {
        return timestamp(System.currentTimeMillis());
    }

    /**
     * The local date and time of {@code epochMillis} (milliseconds since 1970-01-01 UTC), as
     * {@link #timestamp()} writes it.
     *
     * @param epochMillis the moment
     * @return the time stamp
     * @throws IllegalStateException when the C library cannot convert the time
     */
    public static String timestamp(long epochMillis) {
        long seconds = Math.floorDiv(epochMillis, 1000L);
        int millis = (int) Math.floorMod(epochMillis, 1000L);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment time = arena.allocate(JAVA_LONG);
            Memory.setLong(time, 0, seconds);
            MemorySegment tm = arena.allocate(TM_SIZE, 8);
            if (LOCALTIME_R.invoke(Native.address(time), Native.address(tm)) == 0) {
                throw new IllegalStateException("localtime_r cannot convert " + seconds + " s since 1970");
            }
            StringBuilder s = new StringBuilder(23);
            s.append(Memory.getInt(tm, TM_YEAR) + 1900).append('-');
            twoDigits(s, Memory.getInt(tm, TM_MON) + 1).append('-');
            twoDigits(s, Memory.getInt(tm, TM_MDAY)).append(' ');
            twoDigits(s, Memory.getInt(tm, TM_HOUR)).append(':');
            twoDigits(s, Memory.getInt(tm, TM_MIN)).append(':');
            twoDigits(s, Memory.getInt(tm, TM_SEC)).append('.');
            if (millis < 100) {
                s.append('0');
            }
            return twoDigits(s, millis).toString();
        }
    }

    private static StringBuilder twoDigits(StringBuilder s, int value) {
        if (value < 10) {
            s.append('0');
        }
        return s.append(value);
    }
}
