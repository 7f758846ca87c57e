package org.subhost.linux.internal;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * {@link Memory} reads and writes exactly what the layouts' own accessors do, at every
 * aligned offset, and its C strings are byte for byte those of {@code allocateFrom}.
 */
class MemoryTest {
    private static final int STRUCT = 64;

    @Property
    void intsAreWhatTheLayoutReadsAndWrites(@ForAll int value, @ForAll @IntRange(max = STRUCT / 4 - 1) int slot) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(STRUCT, 8);
            Memory.setInt(s, slot * 4L, value);
            assertThat(s.get(JAVA_INT, slot * 4L)).isEqualTo(value);
            s.set(JAVA_INT, slot * 4L, ~value);
            assertThat(Memory.getInt(s, slot * 4L)).isEqualTo(~value);
            assertOnlyBytesChanged(s, slot * 4L, 4);
        }
    }

    @Property
    void longsAreWhatTheLayoutReadsAndWrites(@ForAll long value, @ForAll @IntRange(max = STRUCT / 8 - 1) int slot) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(STRUCT, 8);
            Memory.setLong(s, slot * 8L, value);
            assertThat(s.get(JAVA_LONG, slot * 8L)).isEqualTo(value);
            s.set(JAVA_LONG, slot * 8L, ~value);
            assertThat(Memory.getLong(s, slot * 8L)).isEqualTo(~value);
            assertOnlyBytesChanged(s, slot * 8L, 8);
        }
    }

    @Property
    void shortsAreWhatTheLayoutReadsAndWrites(@ForAll short value, @ForAll @IntRange(max = STRUCT / 2 - 1) int slot) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(STRUCT, 8);
            Memory.setShort(s, slot * 2L, value);
            assertThat(s.get(JAVA_SHORT, slot * 2L)).isEqualTo(value);
            s.set(JAVA_SHORT, slot * 2L, (short) ~value);
            assertThat(Memory.getShort(s, slot * 2L)).isEqualTo((short) ~value);
            assertOnlyBytesChanged(s, slot * 2L, 2);
        }
    }

    /** A write touches its field's bytes and no others (the rest of a fresh segment stays zero). */
    private static void assertOnlyBytesChanged(MemorySegment s, long offset, int size) {
        for (long i = 0; i < s.byteSize(); i++) {
            if (i < offset || i >= offset + size) {
                assertThat(s.get(JAVA_BYTE, i)).as("byte %d", i).isZero();
            }
        }
    }

    @Test
    void fieldsOutsideTheSegmentOrMisalignedAreRefusedAsByTheLayouts() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(8, 8);
            assertThatThrownBy(() -> Memory.getLong(s, 8)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> Memory.setInt(s, 8, 1)).isInstanceOf(IndexOutOfBoundsException.class);
            assertThatThrownBy(() -> Memory.getInt(s, 2)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> Memory.setLong(s, 4, 1)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Property
    void cStringsAreThoseOfAllocateFrom(@ForAll String s) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ours = Memory.cString(arena, s);
            MemorySegment jdks = arena.allocateFrom(s);
            assertThat(ours.toArray(JAVA_BYTE)).isEqualTo(jdks.toArray(JAVA_BYTE));
        }
    }

    @Test
    void aCStringIsUtf8EndedByNulAndReadsBack() {
        try (Arena arena = Arena.ofConfined()) {
            String path = "/srv/größe/☃";
            MemorySegment c = Memory.cString(arena, path);
            byte[] utf8 = path.getBytes(StandardCharsets.UTF_8);
            assertThat(c.byteSize()).isEqualTo(utf8.length + 1L);
            assertThat(c.get(JAVA_BYTE, utf8.length)).isZero();
            assertThat(c.getString(0)).isEqualTo(path);
            assertThat(Memory.cString(arena, "").toArray(JAVA_BYTE)).containsExactly((byte) 0);
        }
    }
}
