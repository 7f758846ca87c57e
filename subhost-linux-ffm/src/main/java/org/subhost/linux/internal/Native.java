package org.subhost.linux.internal;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The one place where the downcall handle to the C library is made, and the helpers that
 * bindings call it with.
 *
 * <p>Bindings hold {@link Downcall}s ({@link #lazyDowncall}), which all go through one
 * shared handle ({@link #shared()}): making handles is what a cold JVM of ours spent most
 * of its time on.
 *
 * <p>The shared handle captures {@code errno} right after the call
 * ({@link Linker.Option#captureCallState}), into a segment that the caller allocates per
 * call in its own confined arena: errno is per thread in C, and our namespace work runs on
 * many threads, so a segment shared by a class would mix up their errors.
 *
 * <p>Example, in a binding class:
 * <pre>{@code
 * private static final Downcall UMOUNT2 = Native.lazyDowncall("umount2",
 *         FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
 * ...
 * try (Arena arena = Arena.ofConfined()) {
 *     MemorySegment errno = Native.errnoSegment(arena);
 *     int rc = (int) UMOUNT2.call(errno, Native.address(Native.cString(arena, target)), flags);
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
    // errno is read at its offset with a plain get, not through a layout path (varHandle,
    // byteOffset): the JDK's class for paths generates 7 method-handle classes when it is
    // initialised, and here that would happen on the prelinking thread, which a cold
    // command waits for. (The first C string a command allocates initialises it too, but
    // on the main thread, while the linking goes on.)
    private static final long ERRNO_OFFSET = memberOffset(CAPTURE_LAYOUT, "errno");
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");

    // const char *strerrorname_np(int), const char *strerrordesc_np(int): glibc >= 2.32,
    // thread-safe, unlike strerror(3).
    private static final Downcall STRERRORNAME = lazyPlain("strerrorname_np",
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final Downcall STRERRORDESC = lazyPlain("strerrordesc_np",
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    /** x86_64 or aarch64, the two architectures whose system call numbers we carry. */
    public static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));

    private Native() {}

    /** Integer and pointer arguments of a C function, as the shared handles pass them. */
    static final int SHARED_ARGUMENTS = 7;
    /** Where the errno of functions whose errno is of no interest goes; never read. */
    private static final MemorySegment IGNORED_ERRNO = Arena.global().allocate(CAPTURE_LAYOUT);

    /**
     * The handle shared by every C function of up to seven integer or pointer arguments:
     * {@code long f(long, long, long, long, long, long, long)}, taking the function's
     * address and the errno segment first. See {@link Downcall} for why.
     *
     * <p>Variadic functions ({@code syscall}, {@code open}, {@code fcntl}, {@code prctl})
     * go through it too: on Linux aarch64 variadic arguments are passed as any others, and
     * on x86_64 the only difference is that AL must bound the number of vector registers
     * used, which the JDK's System V call arranger sets (to 0 here) for every downcall.
     */
    static MethodHandle shared() {
        return SharedHandle.HANDLE;
    }

    /** Holder of {@link #shared()}: linked when first asked for, by whichever thread. */
    private static final class SharedHandle {
        static final MethodHandle HANDLE;

        static {
            java.lang.foreign.MemoryLayout[] longs = new java.lang.foreign.MemoryLayout[SHARED_ARGUMENTS];
            java.util.Arrays.fill(longs, ValueLayout.JAVA_LONG);
            HANDLE = LINKER.downcallHandle(FunctionDescriptor.of(ValueLayout.JAVA_LONG, longs), CAPTURE_ERRNO);
        }
    }

    /**
     * The offset of member {@code name} of {@code struct}: the sizes of the members before
     * it added up (a struct layout lists its padding as members too).
     */
    private static long memberOffset(StructLayout struct, String name) {
        long offset = 0;
        for (java.lang.foreign.MemoryLayout member : struct.memberLayouts()) {
            if (member.name().filter(name::equals).isPresent()) {
                return offset;
            }
            offset += member.byteSize();
        }
        throw new IllegalStateException("the layout " + struct + " has no member " + name);
    }

    /** The errno segment for functions whose errno is of no interest; written, never read. */
    static MemorySegment ignoredErrno() {
        return IGNORED_ERRNO;
    }

    /** The address of C function {@code name} in the C library. */
    static MemorySegment function(String name) {
        return symbol(name);
    }

    /**
     * The address of a native segment, to pass as a pointer argument of a {@link Downcall}.
     *
     * @param segment a segment allocated in an arena, or {@link MemorySegment#NULL}
     * @return its address
     * @throws IllegalArgumentException for a heap segment, whose address is an offset into
     *     its array, not a pointer
     */
    public static long address(MemorySegment segment) {
        if (!segment.isNative()) {
            throw new IllegalArgumentException("a heap segment cannot be passed to C: " + segment);
        }
        return segment.address();
    }

    /** The index that {@code option}, a {@link Linker.Option#firstVariadicArg}, names. */
    static int variadicIndex(Linker.Option option) {
        for (int i = 0; i <= SHARED_ARGUMENTS; i++) {
            if (option.equals(Linker.Option.firstVariadicArg(i))) {
                return i;
            }
        }
        throw new IllegalArgumentException("option " + option + " is not supported by the shared handles");
    }

    /**
     * A C function that sets errno, called with {@link Downcall#call}; see {@link Downcall}.
     *
     * @param name the C function's name
     * @param descriptor its C prototype, integers and pointers only
     * @param options {@link Linker.Option#firstVariadicArg} for a variadic function
     * @return the function, linked on its first call
     */
    public static Downcall lazyDowncall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return new Downcall(name, descriptor, options);
    }

    /**
     * A system call through {@code long syscall(long number, ...)}, the number being the
     * first argument of each {@link Downcall#call}; {@code arguments} are the layouts of the
     * call's own arguments.
     *
     * @param arguments the layouts of the system call's arguments, after its number
     * @return the system call, linked on its first call
     */
    public static Downcall lazySyscall(java.lang.foreign.MemoryLayout... arguments) {
        java.lang.foreign.MemoryLayout[] all = new java.lang.foreign.MemoryLayout[arguments.length + 1];
        all[0] = ValueLayout.JAVA_LONG;
        System.arraycopy(arguments, 0, all, 1, arguments.length);
        return new Downcall("syscall", FunctionDescriptor.of(ValueLayout.JAVA_LONG, all),
                Linker.Option.firstVariadicArg(1));
    }

    /**
     * A C function whose errno is of no interest, called with {@link Downcall#invoke}.
     *
     * @param name the C function's name
     * @param descriptor its C prototype, integers and pointers only
     * @param options {@link Linker.Option#firstVariadicArg} for a variadic function
     * @return the function, linked on its first call
     */
    public static Downcall lazyPlain(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return new Downcall(name, descriptor, options);
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
        return Memory.getInt(segment, ERRNO_OFFSET);
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
        return s == null ? MemorySegment.NULL : Memory.cString(arena, s);
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

    private static String cString(Downcall function, int errno) {
        try {
            MemorySegment s = MemorySegment.ofAddress(function.invoke(errno));
            return s.equals(MemorySegment.NULL) ? null : s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw new AssertionError("strerror lookup failed", t);
        }
    }
}
