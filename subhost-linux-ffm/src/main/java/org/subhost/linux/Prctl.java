package org.subhost.linux;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import org.subhost.linux.internal.Downcall;
import org.subhost.linux.internal.Memory;
import org.subhost.linux.internal.Native;

/**
 * The process attributes we set with prctl(2): child subreaper, parent-death signal.
 *
 * <p>Example: {@code Prctl.setChildSubreaper(true)} makes orphans of this JVM's children
 * its own children (rather than those of the host's init), so that it can reap them.
 *
 * <p>Some attributes belong to the process and some to the calling thread; each method says
 * which.
 */
public final class Prctl {
    /** prctl(2) option: the parent-death signal of the calling thread. */
    static final int PR_SET_PDEATHSIG = 1;
    /** prctl(2) option: read the parent-death signal. */
    static final int PR_GET_PDEATHSIG = 2;
    /** prctl(2) option: the child-subreaper attribute of the process. */
    static final int PR_SET_CHILD_SUBREAPER = 36;
    /** prctl(2) option: read the child-subreaper attribute. */
    static final int PR_GET_CHILD_SUBREAPER = 37;

    // int prctl(int option, ...): the arguments after option are variadic unsigned longs
    private static final Downcall PRCTL = Native.lazyDowncall("prctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1));
    // int prctl(int option, int *value): the getters write through a pointer
    private static final Downcall PRCTL_GET = Native.lazyDowncall("prctl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, java.lang.foreign.ValueLayout.ADDRESS, JAVA_LONG, JAVA_LONG,
                    JAVA_LONG),
            Linker.Option.firstVariadicArg(1));

    private Prctl() {}

    /**
     * Makes the process (the whole JVM) a child subreaper, or not: prctl(PR_SET_CHILD_SUBREAPER).
     * Orphaned descendants are then reparented to this process instead of to the init of
     * its pid namespace, and this process must reap them (waitid), or they stay zombies.
     *
     * @param on true to become a subreaper, false to stop being one
     * @throws SyscallException when the kernel refuses
     */
    public static void setChildSubreaper(boolean on) throws SyscallException {
        set(PR_SET_CHILD_SUBREAPER, "PR_SET_CHILD_SUBREAPER", on ? 1 : 0);
    }

    /**
     * Whether the process is a child subreaper: prctl(PR_GET_CHILD_SUBREAPER).
     *
     * @return true if the process is a child subreaper
     * @throws SyscallException when the kernel refuses
     */
    public static boolean isChildSubreaper() throws SyscallException {
        return get(PR_GET_CHILD_SUBREAPER, "PR_GET_CHILD_SUBREAPER") != 0;
    }

    /**
     * Sets the signal the calling thread gets when its parent thread ends (0 for none):
     * prctl(PR_SET_PDEATHSIG). Linux sends it when the parent <em>thread</em> exits, not the
     * parent process, and clears it on a set-user-id exec; posix_spawn cannot set it for a
     * child, so it serves only a process that sets it for itself.
     *
     * @param signal the signal's number, or 0 for none
     * @throws SyscallException when the kernel refuses (EINVAL: not a signal number)
     */
    public static void setParentDeathSignal(int signal) throws SyscallException {
        set(PR_SET_PDEATHSIG, "PR_SET_PDEATHSIG", signal);
    }

    /**
     * The parent-death signal of the calling thread, 0 for none: prctl(PR_GET_PDEATHSIG).
     *
     * @return the signal's number, or 0
     * @throws SyscallException when the kernel refuses
     */
    public static int parentDeathSignal() throws SyscallException {
        return get(PR_GET_PDEATHSIG, "PR_GET_PDEATHSIG");
    }

    private static void set(int option, String name, long value) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) PRCTL.call(errnoSegment, option, value, 0L, 0L, 0L);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("prctl", name + ", " + value, errno);
        }
    }

    private static int get(int option, String name) throws SyscallException {
        int rc;
        int errno;
        int value;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            MemorySegment out = arena.allocate(JAVA_INT);
            rc = (int) PRCTL_GET.call(errnoSegment, option, Native.address(out), 0L, 0L, 0L);
            errno = Native.errno(errnoSegment);
            value = Memory.getInt(out, 0);
        }
        if (rc == -1) {
            throw new SyscallException("prctl", name, errno);
        }
        return value;
    }
}
