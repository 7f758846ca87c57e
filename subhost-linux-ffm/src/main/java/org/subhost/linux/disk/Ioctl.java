package org.subhost.linux.disk;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import org.subhost.linux.SyscallException;
import org.subhost.linux.internal.Downcall;
import org.subhost.linux.internal.Native;

/**
 * ioctl(2) for the disk code (loop devices, btrfs, project quotas): one binding, failures
 * as a {@link SyscallException} that names the request ({@code what}).
 */
final class Ioctl {
    // int ioctl(int fd, unsigned long request, ...): the argument is variadic, a pointer or a
    // long; both travel as a long (see Downcall).
    private static final Downcall IOCTL = Native.lazyDowncall("ioctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(2));

    private Ioctl() {}

    /** ioctl(fd, request, argument); {@return what it returned, never -1} */
    static int call(int fd, long request, long argument, String what) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) IOCTL.call(errnoSegment, fd, request, argument);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("ioctl", what, errno);
        }
        return rc;
    }

    /** ioctl(fd, request, argument), {@code argument} a structure the kernel reads or fills. */
    static void call(int fd, long request, MemorySegment argument, String what) throws SyscallException {
        call(fd, request, Native.address(argument), what);
    }
}
