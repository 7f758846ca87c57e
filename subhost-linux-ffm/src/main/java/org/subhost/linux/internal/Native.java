package org.subhost.linux.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The one place where downcall handles to the C library are made.
 *
 * <p>Every handle made by {@link #downcall} captures {@code errno} right after the call
 * ({@link Linker.Option#captureCallState}), into a segment that the caller allocates per
 * call in its own confined arena: errno is per thread in C, and our namespace work runs on
 * many threads, so a segment shared by a class would mix up their errors.
 *
 * <p>Example, in a binding class:
 * <pre>{@code
 * private static final MethodHandle UMOUNT2 = Native.downcall("umount2",
 *         FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
 * ...
 * try (Arena arena = Arena.ofConfined()) {
 *     MemorySegment errno = Native.errnoSegment(arena);
 *     int rc = (int) UMOUNT2.invokeExact(errno, arena.allocateFrom(target), flags);
 *     if (rc == -1) throw new SyscallException("umount2", target, Native.errno(errno));
 * }
 * }</pre>
 */
// Restricted FFM methods (downcallHandle, reinterpret) are this class's purpose; the module
// declares native access.
@SuppressWarnings("restricted")
public final class Native {
    private static final Linker LINKER = Linker.nativeLinker();
    private static final SymbolLookup LIBC = LINKER.defaultLookup();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO_HANDLE =
            CAPTURE_LAYOUT.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    // const char *strerrorname_np(int), const char *strerrordesc_np(int): glibc >= 2.32,
    // thread-safe, unlike strerror(3).
    private static final MethodHandle STRERRORNAME = plain("strerrorname_np",
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final MethodHandle STRERRORDESC = plain("strerrordesc_np",
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    /** x86_64 or aarch64, the two architectures whose system call numbers we carry. */
    public static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));

    private Native() {}

    /**
     * A downcall handle to the C function {@code name} that captures errno: the handle
     * takes the errno segment ({@link #errnoSegment}) as its first argument, before the
     * function's own.
     *
     * @param name the C function's name
     * @param descriptor its signature, without the errno segment
     * @param options further linker options, such as {@code firstVariadicArg}
     * @return the handle
     * @throws LinkageError naming the symbol when the C library does not have it
     */
    public static MethodHandle downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = CAPTURE_ERRNO;
        System.arraycopy(options, 0, all, 1, options.length);
        return LINKER.downcallHandle(symbol(name), descriptor, all);
    }

    /**
     * A downcall handle to {@code long syscall(long number, ...)} for a system call that
     * the C library does not wrap, with {@code arguments} as the layouts of the variadic
     * arguments. Like {@link #downcall}, the handle takes the errno segment first.
     *
     * <p>Pass integer arguments as {@code JAVA_LONG}: glibc's {@code syscall} reads every
     * argument as a {@code long}, and the upper half of a register holding a C {@code int}
     * is not defined.
     *
     * @param arguments the layouts of the arguments after the system call's number
     * @return the handle, taking the errno segment, the number ({@code long}) and the arguments
     */
    public static MethodHandle syscall(java.lang.foreign.MemoryLayout... arguments) {
        java.lang.foreign.MemoryLayout[] all = new java.lang.foreign.MemoryLayout[arguments.length + 1];
        all[0] = ValueLayout.JAVA_LONG;
        System.arraycopy(arguments, 0, all, 1, arguments.length);
        return downcall("syscall", FunctionDescriptor.of(ValueLayout.JAVA_LONG, all),
                Linker.Option.firstVariadicArg(1));
    }

    /**
     * A downcall handle to a C function whose errno is of no interest (it cannot fail).
     *
     * @param name the C function's name
     * @param descriptor its signature
     * @param options further linker options
     * @return the handle
     */
    public static MethodHandle plain(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return LINKER.downcallHandle(symbol(name), descriptor, options);
    }

    private static MemorySegment symbol(String name) {
        return LIBC.find(name).orElseThrow(() -> new LinkageError(
                "the C library has no function " + name + " (glibc 2.36 or newer is needed)"));
    }

    /**
     * A fresh errno capture segment in {@code arena}; one per call.
     *
     * @param arena the call's confined arena
     * @return the segment
     */
    public static MemorySegment errnoSegment(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    /**
     * The errno captured into {@code segment} by the last call that used it.
     *
     * @param segment the segment that the call captured errno into
     * @return the errno value
     */
    public static int errno(MemorySegment segment) {
        return (int) ERRNO_HANDLE.get(segment, 0L);
    }

    /**
     * The symbolic name of an errno value, such as {@code EINVAL}; {@code errno N} if unknown.
     *
     * @param errno the errno value
     * @return the name
     */
    public static String errnoName(int errno) {
        String name = cString(STRERRORNAME, errno);
        return name != null ? name : "errno " + errno;
    }

    /**
     * The text of an errno value, such as {@code Invalid argument}.
     *
     * @param errno the errno value
     * @return the text, as strerror(3) gives it
     */
    public static String errnoText(int errno) {
        String text = cString(STRERRORDESC, errno);
        return text != null ? text : "Unknown error " + errno;
    }

    /**
     * A C string in {@code arena} holding {@code s}, or {@code NULL} when {@code s} is null
     * (for the optional arguments of mount(2) and the like).
     *
     * @param arena the arena that holds the string
     * @param s the string, or null
     * @return the NUL-terminated string, or {@code MemorySegment.NULL}
     */
    public static MemorySegment cString(Arena arena, String s) {
        return s == null ? MemorySegment.NULL : arena.allocateFrom(s);
    }

    /**
     * What a downcall threw, for rethrowing: {@code invokeExact} declares Throwable, but a
     * downcall with the right types throws nothing of its own, so whatever comes is a
     * programming error and is not to be confused with a kernel refusal.
     *
     * @param t what the downcall threw
     * @return {@code t} itself when it is a RuntimeException, else an IllegalStateException
     *     wrapping it (an Error is thrown at once)
     */
    public static RuntimeException unexpected(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException("downcall failed: " + t, t);
    }

    private static String cString(MethodHandle handle, int errno) {
        try {
            MemorySegment s = (MemorySegment) handle.invokeExact(errno);
            return s.equals(MemorySegment.NULL) ? null : s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw new AssertionError("strerror lookup failed", t);
        }
    }
}
