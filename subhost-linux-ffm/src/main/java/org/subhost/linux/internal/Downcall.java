package org.subhost.linux.internal;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A downcall handle that is made when it is first called, not when its binding class is
 * initialised.
 *
 * <p>Making a downcall handle is the most expensive thing a short-lived JVM of ours does:
 * the JDK generates and loads a class per function shape (a JFR profile of a cold {@code
 * overlay-boot} had more than half of its samples in making handles). A command uses a
 * few of the fifty bindings, so each is made on first use. Calls go through {@link
 * #handle()}: {@code (int) UMOUNT2.handle().invokeExact(errno, target, flags)}.
 *
 * <p>Thread-safe: two threads that make the same handle at once get equal handles; one of
 * them is kept.
 */
public final class Downcall {
    /** Every Downcall made so far, for {@link #all()}. */
    private static final ConcurrentLinkedQueue<Downcall> ALL = new ConcurrentLinkedQueue<>();

    private final String name;
    private final FunctionDescriptor descriptor;
    private final boolean captureErrno;
    private final Linker.Option[] options;
    private volatile MethodHandle handle;

    Downcall(String name, FunctionDescriptor descriptor, boolean captureErrno, Linker.Option... options) {
        this.name = Objects.requireNonNull(name, "name");
        this.descriptor = Objects.requireNonNull(descriptor, "descriptor");
        this.captureErrno = captureErrno;
        this.options = options.clone();
        ALL.add(this);
    }

    /** Every Downcall of the binding classes initialised so far. */
    public static List<Downcall> all() {
        return List.copyOf(ALL);
    }

    /**
     * The handle, made on the first call: with the errno segment as its first argument when
     * made by {@link Native#lazyDowncall} or {@link Native#lazySyscall}.
     *
     * @throws LinkageError naming the symbol when the C library does not have it
     */
    public MethodHandle handle() {
        MethodHandle h = handle;
        if (h == null) {
            h = Native.adapted(name, descriptor, captureErrno, options);
            handle = h;
        }
        return h;
    }

    /** The C function's name ({@code syscall} for a system call without a libc wrapper). */
    public String name() {
        return name;
    }

    /** {@code name(descriptor)}, for messages and debugging. */
    @Override
    public String toString() {
        return name + descriptor;
    }
}
