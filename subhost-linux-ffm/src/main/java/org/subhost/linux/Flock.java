package org.subhost.linux;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import org.subhost.linux.internal.FlagNames;
import org.subhost.linux.internal.Downcall;
import org.subhost.linux.internal.Native;

/**
 * Advisory whole-file locks: flock(2), like {@code flock FILE}.
 *
 * <p>Example: one boot or stop of a subhost at a time:
 * <pre>{@code
 * int fd = Fds.open("/run/subhost/ex1.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
 * if (!Flock.tryLockExclusive(fd)) { ... another process is booting or stopping ex1 ... }
 * }</pre>
 *
 * <p>A lock belongs to the open file description: two opens of one file (by any process
 * or thread) conflict, while descriptors duplicated from one open share its lock. Closing
 * the last descriptor of the description releases the lock, also when the process dies.
 * Locks are advisory: they stop only those who also take them.
 */
public final class Flock {
    /** flock(2): a shared lock. */
    public static final int LOCK_SH = 1;
    /** flock(2): an exclusive lock. */
    public static final int LOCK_EX = 2;
    /** flock(2): fail with EWOULDBLOCK (EAGAIN) instead of waiting. */
    public static final int LOCK_NB = 4;
    /** flock(2): release the lock. */
    public static final int LOCK_UN = 8;

    static final FlagNames FLOCK_OPERATIONS = FlagNames.builder()
            .add("LOCK_SH", LOCK_SH).add("LOCK_EX", LOCK_EX).add("LOCK_NB", LOCK_NB).add("LOCK_UN", LOCK_UN)
            .build();

    // int flock(int fd, int operation)
    private static final Downcall FLOCK = Native.lazyDowncall("flock",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    private Flock() {}

    /**
     * Takes, converts or releases the lock on {@code fd}: flock(2). A blocking lock is
     * retried when a signal interrupts the wait (EINTR).
     *
     * <p>Errnos to expect: EWOULDBLOCK, which is EAGAIN on Linux (LOCK_NB and the lock is
     * held elsewhere), EBADF, ENOLCK.
     *
     * @param operation LOCK_SH, LOCK_EX or LOCK_UN, optionally or-ed with LOCK_NB
     * @param fd an open descriptor of the lock file
     * @throws SyscallException when the kernel refuses
     */
    public static void flock(int fd, int operation) throws SyscallException {
        if ((operation & LOCK_NB) == 0 && (operation & LOCK_UN) == 0 && OffCarrier.needed()) {
            // A lock that is free is taken on this thread, without the hand-over to a
            // platform thread and back, whose wait for a carrier, with thousands of virtual
            // threads runnable, the holder would spend holding the lock.
            // Any refusal (held elsewhere, or an error the blocking call names) goes on to it.
            try {
                flock(fd, operation | LOCK_NB);
                return;
            } catch (SyscallException held) {
                // Taken below, waiting off the carrier.
            }
            OffCarrier.run(() -> {
                flock(fd, operation);
                return null;
            });
            return;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            while (true) {
                int rc;
                rc = (int) FLOCK.call(errnoSegment, fd, operation);
                if (rc == 0) {
                    return;
                }
                int errno = Native.errno(errnoSegment);
                if (errno != Errno.EINTR) {
                    throw new SyscallException("flock", "fd " + fd + ", " + FLOCK_OPERATIONS.format(operation), errno);
                }
            }
        }
    }

    /**
     * Takes the exclusive lock on {@code fd} if no one else holds it: flock(LOCK_EX|LOCK_NB).
     *
     * @param fd an open descriptor of the lock file
     * @return true if taken, false if held through another open file description
     * @throws SyscallException for any other refusal
     */
    public static boolean tryLockExclusive(int fd) throws SyscallException {
        try {
            flock(fd, LOCK_EX | LOCK_NB);
            return true;
        } catch (SyscallException e) {
            if (e.is(Errno.EAGAIN)) {
                return false;
            }
            throw e;
        }
    }
}
