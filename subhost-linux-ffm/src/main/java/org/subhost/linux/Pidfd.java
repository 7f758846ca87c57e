package org.subhost.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.OptionalInt;
import org.subhost.linux.internal.Downcall;
import org.subhost.linux.internal.Memory;
import org.subhost.linux.internal.Native;

/**
 * A pidfd: a file descriptor that refers to one process, so that signals and waits reach
 * that process even after its pid has been reused (pidfd_open(2), pidfd_send_signal(2),
 * waitid(2) with P_PIDFD, poll(2)).
 *
 * <p>Example: stop a subhost's pid 1, which this JVM spawned:
 * <pre>{@code
 * try (Pidfd init = Pidfd.open(pid)) {
 *     init.sendSignal(Signals.SIGTERM);
 *     OptionalInt status = init.awaitExit(Duration.ofSeconds(10));
 *     if (status.isEmpty()) { init.sendSignal(Signals.SIGKILL); init.awaitExit(Duration.ofSeconds(5)); }
 * }
 * }</pre>
 *
 * <p>Opening by pid has a race the caller must rule out: the pid names the process only
 * while it exists or is an unreaped zombie. For a child of this JVM that holds (nobody else
 * reaps it); for another process, check its start time in /proc/PID/stat after opening.
 * Exit statuses can be collected only for children of this JVM ({@link #awaitExit}); the
 * end of any other process is seen by poll ({@link #awaitTermination}, {@link #isAlive}).
 * The descriptor is close-on-exec. Not safe for use by several threads at once.
 */
public final class Pidfd implements AutoCloseable {
    /** waitid(2) id type: the id is a pidfd (Linux 5.4). */
    static final int P_PIDFD = 3;
    /** waitid(2): wait for children that have terminated. */
    static final int WEXITED = 4;
    /** waitid(2): return at once if no child has changed state. */
    static final int WNOHANG = 1;
    /** siginfo_t si_code for a child: exited normally, killed, killed with a core dump. */
    static final int CLD_EXITED = 1;
    static final int CLD_KILLED = 2;
    static final int CLD_DUMPED = 3;
    /**
     * siginfo_t as filled by waitid(2) for SIGCHLD on 64-bit Linux: 128 bytes, si_signo at
     * 0, si_code at 8, si_pid at 16, si_status at 24.
     */
    static final long SIGINFO_SIZE = 128;
    static final long SI_CODE = 8;
    static final long SI_PID = 16;
    static final long SI_STATUS = 24;
    /** siginfo_t's si_signo, si_uid and, for SI_QUEUE, the value's int (sigval at 24). */
    static final long SI_SIGNO = 0;
    static final long SI_UID = 20;
    static final long SI_VALUE = 24;
    /** si_code of a signal sent with a value, as sigqueue(3) sends it. */
    static final int SI_QUEUE = -1;

    // int pidfd_open(pid_t pid, unsigned int flags): glibc >= 2.36 (syscall 434)
    private static final Downcall PIDFD_OPEN = Native.lazyDowncall("pidfd_open",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    // int pidfd_send_signal(int pidfd, int sig, siginfo_t *info, unsigned int flags):
    // glibc >= 2.36 (syscall 424)
    private static final Downcall PIDFD_SEND_SIGNAL = Native.lazyDowncall("pidfd_send_signal",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    // int pidfd_getfd(int pidfd, int targetfd, unsigned int flags): glibc >= 2.36 (syscall 438)
    private static final Downcall PIDFD_GETFD = Native.lazyDowncall("pidfd_getfd",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    // int waitid(idtype_t idtype, id_t id, siginfo_t *info, int options)
    private static final Downcall WAITID = Native.lazyDowncall("waitid",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));

    private final int pid;
    private final int fd;
    private boolean closed;
    private OptionalInt exitStatus = OptionalInt.empty();

    private Pidfd(int pid, int fd) {
        this.pid = pid;
        this.fd = fd;
    }

    /**
     * A pidfd for the process {@code pid} (in the caller's pid namespace): pidfd_open(2)
     * (system call 434, Linux 5.3), close-on-exec.
     *
     * <p>Errnos to expect: ESRCH (no such process, or already reaped), EINVAL ({@code pid}
     * is not a thread-group leader), EMFILE.
     *
     * @param pid the process id
     * @return the pidfd, to be closed by the caller
     * @throws SyscallException when the kernel refuses
     */
    public static Pidfd open(int pid) throws SyscallException {
        if (pid <= 0) {
            throw new IllegalArgumentException("pid (" + pid + ") must be positive");
        }
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) PIDFD_OPEN.call(errnoSegment, pid, 0);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("pidfd_open", "pid " + pid, errno);
        }
        return new Pidfd(pid, rc);
    }

    /** {@return the pid this pidfd was opened for, in the pid namespace of the opener} */
    public int pid() {
        return pid;
    }

    /**
     * {@return the descriptor, for setns(2) ({@link NamespaceRequest.Builder#enterPidfd}); owned by this object}
     */
    public int fd() {
        requireOpen();
        return fd;
    }

    /**
     * Sends {@code signal} with the value {@code value}, as sigqueue(3) does (si_code
     * SI_QUEUE, the value in si_value's int): pidfd_send_signal(2) with a siginfo_t. The
     * receiver reads it with sigtimedwait(2) or a SA_SIGINFO handler; to a receiver in a
     * pid namespace below ours the kernel shows si_pid as 0. Otherwise as {@link
     * #sendSignal(int)}; the kernel takes a siginfo_t from another process only with a
     * negative si_code such as SI_QUEUE (EPERM otherwise).
     *
     * @param signal the signal's number, such as {@link Signals#SIGTERM}
     * @param value the value the receiver gets with it
     * @throws SyscallException when the kernel refuses
     */
    public void sendSignal(int signal, int value) throws SyscallException {
        requireOpen();
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            MemorySegment info = arena.allocate(SIGINFO_SIZE, 8);
            Memory.setInt(info, SI_SIGNO, signal);
            Memory.setInt(info, SI_CODE, SI_QUEUE);
            Memory.setInt(info, SI_PID, (int) ProcessHandle.current().pid());
            // Not checked by the kernel for a negative si_code; a stop is root's.
            Memory.setInt(info, SI_UID, 0);
            Memory.setInt(info, SI_VALUE, value);
            rc = (int) PIDFD_SEND_SIGNAL.call(errnoSegment, fd, signal, Native.address(info), 0);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("pidfd_send_signal", "pid " + pid + ", " + Signals.name(signal) + " with value "
                    + value, errno);
        }
    }

    /**
     * A copy of the process's descriptor {@code targetFd} in this process, close-on-exec:
     * pidfd_getfd(2) (system call 438, Linux 5.6). Like a descriptor passed over a socket, it
     * shares the open file description with the process's own.
     *
     * <p>The kernel allows it only to a caller that may ptrace the process
     * (PTRACE_MODE_ATTACH_REALCREDS): for a process that is not dumpable, only one with
     * CAP_SYS_PTRACE. Errnos to expect: EBADF (no such descriptor in the process), EPERM,
     * ESRCH (the process has exited), EMFILE.
     *
     * @param targetFd the descriptor's number in the process
     * @return the copy, to be closed by the caller
     * @throws SyscallException when the kernel refuses
     */
    public int getFd(int targetFd) throws SyscallException {
        requireOpen();
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) PIDFD_GETFD.call(errnoSegment, fd, targetFd, 0);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("pidfd_getfd", "pid " + pid + ", fd " + targetFd, errno);
        }
        return rc;
    }

    /**
     * Sends {@code signal} to the process: pidfd_send_signal(2) (system call 424), like
     * {@code kill -SIG PID} without the risk of hitting a process that reused the pid.
     *
     * <p>Errnos to expect: ESRCH (the process has exited, even if not reaped yet), EPERM,
     * EINVAL (bad signal number).
     *
     * @param signal the signal's number, such as {@link Signals#SIGTERM}
     * @throws SyscallException when the kernel refuses
     */
    public void sendSignal(int signal) throws SyscallException {
        requireOpen();
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) PIDFD_SEND_SIGNAL.call(errnoSegment, fd, signal, Native.address(MemorySegment.NULL), 0);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("pidfd_send_signal", "pid " + pid + ", " + Signals.name(signal), errno);
        }
    }

    /**
     * Waits at most {@code timeout} for the process, a child of this JVM, to end, and reaps
     * it: poll(2) on the pidfd, then waitid(P_PIDFD, fd, WEXITED) (Linux 5.4).
     *
     * <p>The status is the exit code for a normal exit, and 128 + the signal number for a
     * process killed by a signal (as a shell reports it: 143 for SIGTERM). Once reaped,
     * later calls return the same status at once.
     *
     * <p>Errnos to expect: ECHILD (not a child of this JVM, or reaped elsewhere; use {@link
     * #awaitTermination} for such processes).
     *
     * @param timeout how long to wait; zero to only look
     * @return the exit status, or empty if the process still runs after {@code timeout}
     * @throws SyscallException when the kernel refuses
     */
    public OptionalInt awaitExit(Duration timeout) throws SyscallException {
        requireOpen();
        if (exitStatus.isPresent()) {
            return exitStatus;
        }
        if (!awaitTermination(timeout)) {
            return OptionalInt.empty();
        }
        int rc;
        int errno;
        int code;
        int status;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            MemorySegment info = arena.allocate(SIGINFO_SIZE, 8);
            do {
                // The process has ended (poll said so), so this does not block.
                rc = (int) WAITID.call(errnoSegment, P_PIDFD, fd, Native.address(info), WEXITED);
                errno = Native.errno(errnoSegment);
            } while (rc == -1 && errno == Errno.EINTR);
            code = Memory.getInt(info, SI_CODE);
            status = Memory.getInt(info, SI_STATUS);
        }
        if (rc == -1) {
            throw new SyscallException("waitid", "P_PIDFD, pid " + pid + ", WEXITED", errno);
        }
        exitStatus = OptionalInt.of(decode(code, status));
        return exitStatus;
    }

    /** The shell's exit status for a waitid(2) result: the code, or 128 + signal. */
    static int decode(int siCode, int siStatus) {
        return switch (siCode) {
            case CLD_EXITED -> siStatus;
            case CLD_KILLED, CLD_DUMPED -> 128 + siStatus;
            default -> throw new IllegalStateException("waitid si_code (" + siCode + ") is not an exit");
        };
    }

    /**
     * Waits at most {@code timeout} for the process to end, without reaping it: poll(2)
     * for POLLIN on the pidfd, which the kernel reports once the process has exited (a
     * zombie or gone). Works for any process, not only children.
     *
     * @param timeout how long to wait; zero to only look
     * @return whether the process has ended
     * @throws SyscallException when the kernel refuses
     */
    public boolean awaitTermination(Duration timeout) throws SyscallException {
        requireOpen();
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout (" + timeout + ") must not be negative");
        }
        return Fds.awaitReadable(fd, "pidfd of pid " + pid, timeout);
    }

    /**
     * Whether the process still runs: poll(2) without waiting. A zombie (ended, not yet
     * reaped) does not run.
     *
     * @return true while the process runs
     * @throws SyscallException when the kernel refuses
     */
    public boolean isAlive() throws SyscallException {
        return !awaitTermination(Duration.ZERO);
    }

    /** Closes the descriptor; the process is not affected. Closing twice does nothing. */
    @Override
    public void close() throws SyscallException {
        if (!closed) {
            closed = true;
            Fds.close(fd);
        }
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("pidfd of pid " + pid + " is closed");
        }
    }

    /** {@code pidfd N of pid P}. */
    @Override
    public String toString() {
        return "pidfd " + fd + " of pid " + pid + (closed ? " (closed)" : "");
    }
}
