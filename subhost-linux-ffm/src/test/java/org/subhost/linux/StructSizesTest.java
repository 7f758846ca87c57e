package org.subhost.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import org.junit.jupiter.api.Test;

/**
 * The sizes of the C structures we allocate, checked against glibc itself: its init
 * functions zero exactly the whole structure, so the first untouched byte after a
 * canary-filled buffer gives the size.
 */
@SuppressWarnings("restricted")
class StructSizesTest {
    private static final byte CANARY = (byte) 0xA5;

    @Test
    void posixSpawnFileActionsIs80Bytes() throws Throwable {
        assertThat(bytesZeroedBy("posix_spawn_file_actions_init", "posix_spawn_file_actions_destroy"))
                .isEqualTo(Spawn.FILE_ACTIONS_SIZE).isEqualTo(80);
    }

    @Test
    void posixSpawnAttrIs336Bytes() throws Throwable {
        assertThat(bytesZeroedBy("posix_spawnattr_init", "posix_spawnattr_destroy"))
                .isEqualTo(Spawn.ATTR_SIZE).isEqualTo(336);
    }

    @Test
    void sigsetIs128Bytes() throws Throwable {
        // sigemptyset touches only the words the kernel uses; posix_spawnattr_getsigdefault
        // copies the whole sigset_t (zeroed by posix_spawnattr_init) out of the attributes.
        Linker linker = Linker.nativeLinker();
        MethodHandle init = linker.downcallHandle(linker.defaultLookup().find("posix_spawnattr_init").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        MethodHandle get = linker.downcallHandle(
                linker.defaultLookup().find("posix_spawnattr_getsigdefault").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(1024, 16);
            assertThat((int) init.invokeExact(attr)).isZero();
            MemorySegment set = arena.allocate(1024, 16);
            set.fill(CANARY);
            assertThat((int) get.invokeExact(attr, set)).isZero();
            assertThat(zeroBytes(set)).isEqualTo(Spawn.SIGSET_SIZE).isEqualTo(128);
        }
    }

    @Test
    void pollfdIs8BytesWithReventsAt6() {
        assertThat(Fds.POLLFD.byteSize()).isEqualTo(8);
        assertThat(Fds.POLLFD.byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("revents")))
                .isEqualTo(6);
    }

    private static long zeroBytes(MemorySegment buffer) {
        long size = 0;
        while (buffer.get(ValueLayout.JAVA_BYTE, size) == 0) {
            size++;
        }
        assertThat(buffer.get(ValueLayout.JAVA_BYTE, size)).as("byte after the structure").isEqualTo(CANARY);
        return size;
    }

    private static long bytesZeroedBy(String init, String destroy) throws Throwable {
        Linker linker = Linker.nativeLinker();
        FunctionDescriptor oneAddress = FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS);
        MethodHandle initHandle = linker.downcallHandle(linker.defaultLookup().find(init).orElseThrow(), oneAddress);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(1024, 16);
            buffer.fill(CANARY);
            assertThat((int) initHandle.invokeExact(buffer)).isZero();
            long size = zeroBytes(buffer);
            if (destroy != null) {
                MethodHandle destroyHandle = linker.downcallHandle(
                        linker.defaultLookup().find(destroy).orElseThrow(), oneAddress);
                int ignored = (int) destroyHandle.invokeExact(buffer);
            }
            return size;
        }
    }
}
