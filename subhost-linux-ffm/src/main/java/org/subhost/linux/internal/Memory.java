package org.subhost.linux.internal;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;

/**
 * The fields of C structs, and C strings, read and written by bulk copies between a
 * segment and a Java array rather than through a layout's var handle.
 *
 * <p>Why: {@code MemorySegment.get} and {@code set} with a value layout, and {@code
 * Arena.allocateFrom}, go through that layout's var handle, and a cold JVM generates the
 * method-handle classes behind each kind of var handle when it is first used: the start-up
 * cache cannot hold them. A cold {@code overlay-boot} generated nine such classes on its
 * main thread (about 9 ms, with {@code -Djava.lang.invoke.MethodHandle.TRACE_RESOLVE=true}
 * naming each). {@code MemorySegment.copy} between a segment and an array is plain memory
 * access, with the same bounds and alignment checks, and makes no handle.
 *
 * <p>Offsets are in bytes from the segment's start; values are in the machine's byte
 * order, as C has them.
 */
public final class Memory {
    private Memory() {}

    /**
     * The {@code int} at {@code offset}.
     *
     * @param segment the struct
     * @param offset where the field starts, aligned to 4
     * @return its value
     */
    public static int getInt(MemorySegment segment, long offset) {
        int[] value = new int[1];
        MemorySegment.copy(segment, JAVA_INT, offset, value, 0, 1);
        return value[0];
    }

    /**
     * The {@code long} at {@code offset}.
     *
     * @param segment the struct
     * @param offset where the field starts, aligned to 8
     * @return its value
     */
    public static long getLong(MemorySegment segment, long offset) {
        long[] value = new long[1];
        MemorySegment.copy(segment, JAVA_LONG, offset, value, 0, 1);
        return value[0];
    }

    /**
     * The {@code short} at {@code offset}.
     *
     * @param segment the struct
     * @param offset where the field starts, aligned to 2
     * @return its value
     */
    public static short getShort(MemorySegment segment, long offset) {
        short[] value = new short[1];
        MemorySegment.copy(segment, JAVA_SHORT, offset, value, 0, 1);
        return value[0];
    }

    /**
     * Writes the {@code int} at {@code offset}.
     *
     * @param segment the struct
     * @param offset where the field starts, aligned to 4
     * @param value what to write
     */
    public static void setInt(MemorySegment segment, long offset, int value) {
        MemorySegment.copy(new int[] {value}, 0, segment, JAVA_INT, offset, 1);
    }

    /**
     * Writes the {@code long} at {@code offset}.
     *
     * @param segment the struct
     * @param offset where the field starts, aligned to 8
     * @param value what to write
     */
    public static void setLong(MemorySegment segment, long offset, long value) {
        MemorySegment.copy(new long[] {value}, 0, segment, JAVA_LONG, offset, 1);
    }

    /**
     * Writes the {@code short} at {@code offset}.
     *
     * @param segment the struct
     * @param offset where the field starts, aligned to 2
     * @param value what to write
     */
    public static void setShort(MemorySegment segment, long offset, short value) {
        MemorySegment.copy(new short[] {value}, 0, segment, JAVA_SHORT, offset, 1);
    }

    /**
     * A NUL-terminated UTF-8 copy of {@code s} in {@code arena}, as {@code
     * arena.allocateFrom(s)} makes it. A NUL inside {@code s} ends the string for C there,
     * as it does for {@code allocateFrom}.
     *
     * @param arena the arena that holds the string
     * @param s the string
     * @return the C string
     */
    public static MemorySegment cString(Arena arena, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        // allocate zeroes the memory, so the last byte is the terminating NUL already.
        MemorySegment string = arena.allocate(bytes.length + 1L);
        MemorySegment.copy(bytes, 0, string, JAVA_BYTE, 0, bytes.length);
        return string;
    }
}
