package org.subhost.linux.internal;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A C function of up to seven integer or pointer arguments, called through a handle that
 * all such functions share.
 *
 * <p>Why not a handle per function: for every distinct descriptor it links, the JDK
 * generates and loads a class, and adapting one shared handle with method-handle
 * combinators generates classes as well. A JFR profile of a cold {@code overlay-boot} had
 * more than half of its samples there, some 5 ms per C signature. On x86_64 and aarch64
 * every integer and pointer argument travels in a 64-bit register or stack slot, a callee
 * reads only the low half of an {@code int} argument and ignores registers it does not
 * take, and an {@code int} result is the low half of the result register. So every such
 * function can be called through one handle, {@code long f(long x 7)}, that takes the
 * function's address: arguments widened to {@code long}, pointers passed as addresses
 * ({@link Native#address}), the result narrowed by the caller. Variadic functions (the
 * {@code syscall} wrapper, {@code prctl}, {@code open}) too: see {@link Native#shared()}.
 *
 * <p>Usage, with the C prototype as the descriptor:
 * <pre>{@code
 * // int umount2(const char *target, int flags)
 * private static final Downcall UMOUNT2 = Native.lazyDowncall("umount2",
 *         FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
 * int rc = (int) UMOUNT2.call(errno, Native.address(target), flags);
 * }</pre>
 * The descriptor is checked (integer and pointer layouts only) and gives the number of
 * arguments that each call must pass. The function's address is looked up on first use.
 */
public final class Downcall {
    /** Every Downcall made so far, for {@link #all()}. */
    private static final ConcurrentLinkedQueue<Downcall> ALL = new ConcurrentLinkedQueue<>();

    private final String name;
    private final FunctionDescriptor descriptor;
    private volatile MemorySegment address;

    Downcall(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        this.name = Objects.requireNonNull(name, "name");
        this.descriptor = Objects.requireNonNull(descriptor, "descriptor");
        for (Linker.Option option : options) {
            // Only firstVariadicArg, as a record of the C prototype: the shared handle
            // calls variadic functions correctly as it is (see Native#shared()).
            Native.variadicIndex(option);
        }
        List<MemoryLayout> arguments = descriptor.argumentLayouts();
        if (arguments.size() > Native.SHARED_ARGUMENTS) {
            throw new IllegalArgumentException(name + ": more than " + Native.SHARED_ARGUMENTS + " arguments");
        }
        for (MemoryLayout layout : arguments) {
            checkIntegerOrPointer(layout);
        }
        descriptor.returnLayout().ifPresent(this::checkIntegerOrPointer);
        ALL.add(this);
    }

    private void checkIntegerOrPointer(MemoryLayout layout) {
        if (!(layout instanceof AddressLayout || layout instanceof ValueLayout.OfInt
                || layout instanceof ValueLayout.OfLong || layout instanceof ValueLayout.OfShort)) {
            throw new IllegalArgumentException(name + ": " + layout + " is no integer or pointer");
        }
    }

    /**
     * Every Downcall of the binding classes initialised so far.
     *
     * @return them, in the order they were made
     */
    public static List<Downcall> all() {
        return List.copyOf(ALL);
    }

    /** {@return the C function's name ({@code syscall} for a system call without a libc wrapper)} */
    public String name() {
        return name;
    }

    /**
     * Calls the function, capturing errno into {@code errno} ({@link Native#errnoSegment}).
     *
     * @param errno where errno goes, one segment per call
     * @param arguments exactly as many as the descriptor has; pointers as {@link
     *     Native#address}
     * @return the result register: cast to {@code int} for an {@code int} result, {@link
     *     MemorySegment#ofAddress} for a pointer
     */
    public long call(MemorySegment errno, long... arguments) {
        return callWith(errno, arguments);
    }

    /**
     * Calls a function made by {@link Native#lazyPlain}, whose errno is of no interest.
     *
     * @param arguments as for {@link #call}
     * @return the result register, as for {@link #call}
     */
    public long invoke(long... arguments) {
        return callWith(Native.ignoredErrno(), arguments);
    }

    /** Links the handle that all Downcalls share, now; what {@code Bindings} starts early. */
    public static void prelink() {
        Native.shared();
    }

    /** Looks up the function and links the shared handle now; see {@link #all()}. */
    public void link() {
        address();
        Native.shared();
    }

    private long callWith(MemorySegment errno, long[] a) {
        if (a.length != descriptor.argumentLayouts().size()) {
            throw new IllegalArgumentException(name + " takes " + descriptor.argumentLayouts().size()
                    + " arguments, not " + a.length);
        }
        MethodHandle shared = Native.shared();
        try {
            return (long) shared.invokeExact(address(), errno, at(a, 0), at(a, 1), at(a, 2), at(a, 3), at(a, 4),
                    at(a, 5), at(a, 6));
        } catch (Throwable t) {
            throw Native.unexpected(t);
        }
    }

    private static long at(long[] arguments, int i) {
        return i < arguments.length ? arguments[i] : 0L;
    }

    private MemorySegment address() {
        MemorySegment a = address;
        if (a == null) {
            a = Native.function(name);
            address = a;
        }
        return a;
    }

    /** {@code name(descriptor)}, for messages and debugging. */
    @Override
    public String toString() {
        return name + descriptor;
    }
}
