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
import java.util.List;

/**
 * The one place where downcall handles to the C library are made.
 *
 * <p>Bindings hold {@link Downcall}s ({@link #lazyDowncall}), made on first use: making a
 * handle is what a cold JVM of ours spends most of its time on.
 *
 * <p>Every handle made by {@link #downcall} captures {@code errno} right after the call
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
 *     int rc = (int) UMOUNT2.handle().invokeExact(errno, arena.allocateFrom(target), flags);
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
    private static final Downcall STRERRORNAME = lazyPlain("strerrorname_np",
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    private static final Downcall STRERRORDESC = lazyPlain("strerrordesc_np",
            FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_INT));

    /** x86_64 or aarch64, the two architectures whose system call numbers we carry. */
    public static final boolean AARCH64 = "aarch64".equals(System.getProperty("os.arch"));

    private Native() {}

    /**
     * A downcall handle to the C function {@code name} that captures errno: the handle
     * takes the errno segment ({@link #errnoSegment}) as its first argument, before the
     * function's own.
     *
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
     */
    public static MethodHandle syscall(java.lang.foreign.MemoryLayout... arguments) {
        java.lang.foreign.MemoryLayout[] all = new java.lang.foreign.MemoryLayout[arguments.length + 1];
        all[0] = ValueLayout.JAVA_LONG;
        System.arraycopy(arguments, 0, all, 1, arguments.length);
        return downcall("syscall", FunctionDescriptor.of(ValueLayout.JAVA_LONG, all),
                Linker.Option.firstVariadicArg(1));
    }

    /** Integer and pointer arguments of a C function, as the shared handles pass them. */
    private static final int SHARED_ARGUMENTS = 7;
    /** One shared handle per first variadic argument (0: none), made on first use. */
    private static final MethodHandle[] SHARED = new MethodHandle[SHARED_ARGUMENTS + 1];
    /** Where the errno of functions whose errno is of no interest goes; never read. */
    private static final MemorySegment IGNORED_ERRNO = Arena.global().allocate(CAPTURE_LAYOUT);
    private static final MethodHandle ADDRESS_OF;
    private static final MethodHandle LONG_TO_INT;
    private static final MethodHandle LONG_TO_ADDRESS;

    static {
        try {
            var lookup = java.lang.invoke.MethodHandles.lookup();
            ADDRESS_OF = lookup.findStatic(Native.class, "addressOf",
                    java.lang.invoke.MethodType.methodType(long.class, MemorySegment.class));
            LONG_TO_INT = lookup.findStatic(Native.class, "lowInt",
                    java.lang.invoke.MethodType.methodType(int.class, long.class));
            LONG_TO_ADDRESS = lookup.findStatic(MemorySegment.class, "ofAddress",
                    java.lang.invoke.MethodType.methodType(MemorySegment.class, long.class));
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /**
     * The handle of C function {@code name} with the Java type of {@code descriptor} (and
     * the errno segment first when {@code captureErrno}), made from a handle shared by all
     * functions: {@code long f(long, long, long, long, long, long, long)} that takes the
     * function's address.
     *
     * <p>Why: the JDK generates a class for every distinct descriptor it links, which took
     * some 5 ms each in a cold JVM, most of what a short command spent on system calls. On
     * x86_64 and aarch64 every integer and pointer argument travels in a 64-bit register or
     * stack slot, a callee reads only the low half of an int argument and ignores registers
     * it does not take, and an int result is the low half of the result register: so every
     * function of integers and pointers can be called through one shape, with the
     * arguments widened, pointers passed as addresses and the result narrowed. Variadic
     * functions keep their first variadic index, which decides how the call is made.
     */
    static MethodHandle adapted(String name, FunctionDescriptor descriptor, boolean captureErrno,
            Linker.Option... options) {
        int firstVariadic = 0;
        for (Linker.Option option : options) {
            firstVariadic = variadicIndex(option);
        }
        List<java.lang.foreign.MemoryLayout> arguments = descriptor.argumentLayouts();
        if (arguments.size() > SHARED_ARGUMENTS) {
            throw new IllegalArgumentException(name + ": more than " + SHARED_ARGUMENTS + " arguments");
        }
        MethodHandle h = java.lang.invoke.MethodHandles.insertArguments(shared(firstVariadic), 0, symbol(name));
        int first = 1; // the errno segment comes first
        if (!captureErrno) {
            h = java.lang.invoke.MethodHandles.insertArguments(h, 0, IGNORED_ERRNO);
            first = 0;
        }
        Object[] zeros = new Object[SHARED_ARGUMENTS - arguments.size()];
        java.util.Arrays.fill(zeros, 0L);
        h = java.lang.invoke.MethodHandles.insertArguments(h, first + arguments.size(), zeros);
        List<Class<?>> types = new java.util.ArrayList<>();
        if (captureErrno) {
            types.add(MemorySegment.class);
        }
        for (int i = 0; i < arguments.size(); i++) {
            java.lang.foreign.MemoryLayout layout = arguments.get(i);
            if (layout instanceof java.lang.foreign.AddressLayout) {
                h = java.lang.invoke.MethodHandles.filterArguments(h, first + i, ADDRESS_OF);
                types.add(MemorySegment.class);
            } else if (layout instanceof ValueLayout.OfInt || layout instanceof ValueLayout.OfShort
                    || layout instanceof ValueLayout.OfLong) {
                types.add(((ValueLayout) layout).carrier()); // int and short widen to long
            } else {
                throw new IllegalArgumentException(name + ": argument " + i + " (" + layout
                        + ") is no integer or pointer");
            }
        }
        Class<?> result = descriptor.returnLayout().isPresent()
                ? ((ValueLayout) descriptor.returnLayout().get()).carrier()
                : void.class;
        h = h.asType(java.lang.invoke.MethodType.methodType(long.class, types));
        if (result == int.class) {
            h = java.lang.invoke.MethodHandles.filterReturnValue(h, LONG_TO_INT);
        } else if (result == MemorySegment.class) {
            h = java.lang.invoke.MethodHandles.filterReturnValue(h, LONG_TO_ADDRESS);
        } else if (result == void.class) {
            h = h.asType(h.type().changeReturnType(void.class));
        } else if (result != long.class) {
            throw new IllegalArgumentException(name + ": result " + result + " is no integer or pointer");
        }
        return h;
    }

    private static int variadicIndex(Linker.Option option) {
        for (int i = 0; i <= SHARED_ARGUMENTS; i++) {
            if (option.equals(Linker.Option.firstVariadicArg(i))) {
                return i;
            }
        }
        throw new IllegalArgumentException("option " + option + " is not supported by the shared handles");
    }

    private static synchronized MethodHandle shared(int firstVariadic) {
        if (SHARED[firstVariadic] == null) {
            java.lang.foreign.MemoryLayout[] longs = new java.lang.foreign.MemoryLayout[SHARED_ARGUMENTS];
            java.util.Arrays.fill(longs, ValueLayout.JAVA_LONG);
            FunctionDescriptor shape = FunctionDescriptor.of(ValueLayout.JAVA_LONG, longs);
            SHARED[firstVariadic] = firstVariadic == 0
                    ? LINKER.downcallHandle(shape, CAPTURE_ERRNO)
                    : LINKER.downcallHandle(shape, CAPTURE_ERRNO, Linker.Option.firstVariadicArg(firstVariadic));
        }
        return SHARED[firstVariadic];
    }

    /** The address of a native segment, as a pointer argument. */
    private static long addressOf(MemorySegment segment) {
        if (!segment.isNative()) {
            // A heap segment's address() is an offset into its array, not a pointer.
            throw new IllegalArgumentException("a heap segment cannot be passed to C: " + segment);
        }
        return segment.address();
    }

    private static int lowInt(long value) {
        return (int) value;
    }

    /** A {@link #downcall} made on first use; see {@link Downcall} for why. */
    public static Downcall lazyDowncall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return new Downcall(name, descriptor, true, options);
    }

    /** A {@link #syscall} made on first use; see {@link Downcall} for why. */
    public static Downcall lazySyscall(java.lang.foreign.MemoryLayout... arguments) {
        java.lang.foreign.MemoryLayout[] all = new java.lang.foreign.MemoryLayout[arguments.length + 1];
        all[0] = ValueLayout.JAVA_LONG;
        System.arraycopy(arguments, 0, all, 1, arguments.length);
        return new Downcall("syscall", FunctionDescriptor.of(ValueLayout.JAVA_LONG, all), true,
                Linker.Option.firstVariadicArg(1));
    }

    /** A {@link #plain} made on first use; see {@link Downcall} for why. */
    public static Downcall lazyPlain(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return new Downcall(name, descriptor, false, options);
    }

    /** A downcall handle to a C function whose errno is of no interest (it cannot fail). */
    public static MethodHandle plain(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return LINKER.downcallHandle(symbol(name), descriptor, options);
    }

    private static MemorySegment symbol(String name) {
        return LIBC.find(name).orElseThrow(() -> new LinkageError(
                "the C library has no function " + name + " (glibc 2.36 or newer is needed)"));
    }

    /** A fresh errno capture segment in {@code arena}; one per call. */
    public static MemorySegment errnoSegment(Arena arena) {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    /** The errno captured into {@code segment} by the last call that used it. */
    public static int errno(MemorySegment segment) {
        return (int) ERRNO_HANDLE.get(segment, 0L);
    }

    /** The symbolic name of an errno value, such as {@code EINVAL}; {@code errno N} if unknown. */
    public static String errnoName(int errno) {
        String name = cString(STRERRORNAME, errno);
        return name != null ? name : "errno " + errno;
    }

    /** The text of an errno value, such as {@code Invalid argument}. */
    public static String errnoText(int errno) {
        String text = cString(STRERRORDESC, errno);
        return text != null ? text : "Unknown error " + errno;
    }

    /**
     * A C string in {@code arena} holding {@code s}, or {@code NULL} when {@code s} is null
     * (for the optional arguments of mount(2) and the like).
     */
    public static MemorySegment cString(Arena arena, String s) {
        return s == null ? MemorySegment.NULL : arena.allocateFrom(s);
    }

    /**
     * What a downcall threw, for rethrowing: {@code invokeExact} declares Throwable, but a
     * downcall with the right types throws nothing of its own, so whatever comes is a
     * programming error and is not to be confused with a kernel refusal.
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
            MemorySegment s = (MemorySegment) function.handle().invokeExact(errno);
            return s.equals(MemorySegment.NULL) ? null : s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            throw new AssertionError("strerror lookup failed", t);
        }
    }
}
