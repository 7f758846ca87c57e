package org.subhost.core;

import java.util.concurrent.atomic.AtomicInteger;
import org.subhost.linux.Fds;

/**
 * A file descriptor that one boot step opens and later steps use, closed exactly once:
 * such as the write end of the pipe to the log relay, which pid 1's spawn closes once pid
 * 1 holds its own copy, and which the undo of the step that opened it, and the end of the
 * boot, close again only if it is still open. An int closed twice could close a number
 * the kernel had meanwhile given to another file of the JVM.
 *
 * <p>Safe for use by several threads: the steps of a boot run on two.
 */
final class Descriptor implements AutoCloseable {
    private final AtomicInteger fd;

    /**
     * Takes ownership of {@code fd}.
     *
     * @throws IllegalArgumentException when {@code fd} is negative
     */
    Descriptor(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("descriptor (" + fd + ") must not be negative");
        }
        this.fd = new AtomicInteger(fd);
    }

    /**
     * {@return the descriptor's number}
     *
     * @throws IllegalStateException when it was closed: a step that uses a descriptor after
     *     another step handed it on is a bug of the plan
     */
    int fd() {
        int value = fd.get();
        if (value < 0) {
            throw new IllegalStateException("descriptor used after it was closed");
        }
        return value;
    }

    /** {@return whether it is still open} */
    boolean isOpen() {
        return fd.get() >= 0;
    }

    /** Closes it, unless it was closed before. */
    @Override
    public void close() {
        closeQuietly(fd.getAndSet(-1));
    }

    /** Closes {@code fd} when it is one (not negative); a failure to close is ignored. */
    static void closeQuietly(int fd) {
        if (fd >= 0) {
            try {
                Fds.close(fd);
            } catch (Exception e) {
                // Closing a descriptor we own fails only for EBADF, a bug elsewhere; nothing to undo.
            }
        }
    }
}
