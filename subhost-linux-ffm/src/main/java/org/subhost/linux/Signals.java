package org.subhost.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import org.subhost.linux.internal.Downcall;
import org.subhost.linux.internal.Native;

/**
 * Signal numbers that callers send by name (signal(7); the same on x86_64 and aarch64),
 * and the names of all signals for messages.
 *
 * <p>Example: {@code pidfd.sendSignal(Signals.SIGTERM)}; {@code Signals.name(15)} is
 * {@code SIGTERM}.
 */
public final class Signals {
    /** Hangup. */
    public static final int SIGHUP = 1;
    /** Interrupt from the keyboard. */
    public static final int SIGINT = 2;
    /** Quit from the keyboard. */
    public static final int SIGQUIT = 3;
    /** Kill: cannot be caught or ignored. */
    public static final int SIGKILL = 9;
    /** User-defined signal 1. */
    public static final int SIGUSR1 = 10;
    /** User-defined signal 2. */
    public static final int SIGUSR2 = 12;
    /** Broken pipe. */
    public static final int SIGPIPE = 13;
    /** Termination request: what a stop sends first (tini forwards it to its child). */
    public static final int SIGTERM = 15;
    /** A child stopped or terminated. */
    public static final int SIGCHLD = 17;
    /** Continue if stopped. */
    public static final int SIGCONT = 18;
    /** Stop: cannot be caught or ignored. */
    public static final int SIGSTOP = 19;

    // const char *sigabbrev_np(int): glibc >= 2.32, NULL for an unknown number
    private static final Downcall SIGABBREV = Native.lazyPlain("sigabbrev_np",
            FunctionDescriptor.of(ADDRESS, JAVA_INT));

    // int kill(pid_t pid, int sig)
    private static final Downcall KILL = Native.lazyDowncall("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));

    private Signals() {}

    /**
     * Sends {@code signal} to process {@code pid}, or to the process group {@code -pid}:
     * kill(2). Prefer {@link Pidfd#sendSignal} for one process, which cannot hit a reused
     * pid; a process group has no pidfd, so a group of our own child (made with a new
     * session, so that its id is the child's pid) is signalled here.
     *
     * <p>Errnos to expect: ESRCH (no such process or group any more), EPERM.
     *
     * @param pid a process id, or minus a process group id
     * @param signal the signal's number, such as {@link #SIGTERM}
     * @throws SyscallException when the kernel refuses
     */
    public static void kill(int pid, int signal) throws SyscallException {
        int rc;
        int errno;
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) KILL.call(errnoSegment, pid, signal);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("kill", (pid < 0 ? "process group " + -pid : "pid " + pid) + ", " + name(signal),
                    errno);
        }
    }

    /**
     * The name of signal {@code signal} such as {@code SIGTERM}, or {@code signal N} if unknown.
     *
     * @param signal the signal's number
     * @return the signal's name
     */
    @SuppressWarnings("restricted") // reading glibc's static C string
    public static String name(int signal) {
        MemorySegment abbrev;
        abbrev = MemorySegment.ofAddress(SIGABBREV.invoke(signal));
        return abbrev.equals(MemorySegment.NULL) ? "signal " + signal : "SIG" + abbrev.reinterpret(32).getString(0);
    }
}
