package org.subhost.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import org.subhost.linux.internal.FlagNames;
import org.subhost.linux.internal.Downcall;
import org.subhost.linux.internal.Native;

/**
 * The namespace system calls: unshare(2), setns(2) and sethostname(2), without policy.
 *
 * <p>Example, on a {@link NamespaceThread}:
 * <pre>{@code
 * Namespaces.unshare(CLONE_NEWUTS);
 * Namespaces.sethostname("ex1");
 * }</pre>
 *
 * <p>Linux keeps most namespaces per task, that is per thread: unshare and setns change the
 * calling thread only, never the rest of the JVM. So call them only on a thread of
 * one's own ({@link NamespaceThread} does, and first unshares {@link #CLONE_FS}, without
 * which the kernel refuses a new or entered mount namespace). Which namespaces act on the
 * thread itself and which only on its children is told at {@link NamespaceThread}.
 *
 * <p>Each refusal is a {@link SyscallException} naming the call and the flags by name, such as
 * {@code unshare(CLONE_NEWNS|CLONE_NEWPID): EPERM (Operation not permitted)}.
 */
public final class Namespaces {
    /**
     * unshare(2): a new time namespace, for children only (time_for_children), Linux 5.6;
     * posix_spawn'ed children enter it at exec on kernels since about 6.1 (EINVAL before).
     */
    public static final int CLONE_NEWTIME = 0x00000080;
    /** unshare(2): stop sharing root, working directory and umask with the other threads. */
    public static final int CLONE_FS = 0x00000200;
    /** unshare(2): stop sharing the file descriptor table with the other threads. */
    public static final int CLONE_FILES = 0x00000400;
    /** unshare(2), setns(2): a mount namespace (a copy of the current one). */
    public static final int CLONE_NEWNS = 0x00020000;
    /** unshare(2), setns(2): a cgroup namespace (the current cgroup becomes its root). */
    public static final int CLONE_NEWCGROUP = 0x02000000;
    /** unshare(2), setns(2): a UTS namespace (host name and domain name). */
    public static final int CLONE_NEWUTS = 0x04000000;
    /** unshare(2), setns(2): an IPC namespace (System V IPC, POSIX message queues). */
    public static final int CLONE_NEWIPC = 0x08000000;
    /** unshare(2), setns(2): a user namespace; refused in a multi-threaded process, such as a JVM. */
    public static final int CLONE_NEWUSER = 0x10000000;
    /** unshare(2), setns(2): a pid namespace, for children only (pid_for_children). */
    public static final int CLONE_NEWPID = 0x20000000;
    /** unshare(2), setns(2): a network namespace (an empty one, with only a down {@code lo}). */
    public static final int CLONE_NEWNET = 0x40000000;

    static final FlagNames CLONE_FLAGS = FlagNames.builder()
            .add("CLONE_FS", CLONE_FS).add("CLONE_FILES", CLONE_FILES).add("CLONE_NEWNS", CLONE_NEWNS)
            .add("CLONE_NEWNET", CLONE_NEWNET).add("CLONE_NEWPID", CLONE_NEWPID)
            .add("CLONE_NEWIPC", CLONE_NEWIPC).add("CLONE_NEWUTS", CLONE_NEWUTS)
            .add("CLONE_NEWTIME", CLONE_NEWTIME).add("CLONE_NEWCGROUP", CLONE_NEWCGROUP)
            .add("CLONE_NEWUSER", CLONE_NEWUSER).build();

    // int unshare(int flags)
    private static final Downcall UNSHARE = Native.lazyDowncall("unshare",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    // int setns(int fd, int nstype)
    private static final Downcall SETNS = Native.lazyDowncall("setns",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    // int sethostname(const char *name, size_t len)
    private static final Downcall SETHOSTNAME = Native.lazyDowncall("sethostname",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));

    private Namespaces() {}

    /**
     * Moves the calling thread into new namespaces, or stops sharing its root, working
     * directory and umask: unshare(2), like {@code unshare --mount --net ...} for one thread.
     *
     * <p>The kernel adds CLONE_FS to CLONE_NEWNS by itself. A new mount namespace is a copy
     * of the current one with the same propagation (make it private before mounting: {@link
     * Mounts#makeRprivate}); a new network namespace has only a loopback device, down. With
     * CLONE_NEWPID and CLONE_NEWTIME the thread itself stays where it is; its next child
     * (a {@code Spawn}) is pid 1 of the new pid namespace.
     *
     * <p>Changes only the calling thread: call it on a {@link NamespaceThread}.
     *
     * <p>Errnos to expect: EPERM (no CAP_SYS_ADMIN), EINVAL (CLONE_NEWUSER or an unknown
     * flag in a multi-threaded process), ENOSPC (a namespace limit in
     * /proc/sys/user/max_*_namespaces), ENOMEM.
     *
     * @param flags CLONE_* flags, or-ed
     * @throws SyscallException when the kernel refuses
     */
    public static void unshare(int flags) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) UNSHARE.call(errnoSegment, flags);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("unshare", CLONE_FLAGS.format(flags), errno);
        }
    }

    /**
     * Moves the calling thread into the namespace that {@code fd} refers to: setns(2), like
     * {@code nsenter}.
     *
     * <p>{@code fd} is either a namespace file ({@code /proc/PID/ns/net},
     * {@code /run/netns/NAME}; {@code nstype} is then one CLONE_NEW* flag the file must be
     * of, or 0 for any) or a pidfd (Linux 5.8; {@code nstype} is then several CLONE_NEW*
     * flags, and the thread enters those namespaces of that process at once, all or none).
     * Entering a mount namespace also sets root and working directory to its root, and needs
     * an unshared fs_struct (CLONE_FS); entering a pid namespace sets pid_for_children only;
     * entering a time namespace needs a single-threaded process (EUSERS), so a JVM cannot.
     *
     * <p>Changes only the calling thread: call it on a {@link NamespaceThread}.
     *
     * <p>Errnos to expect: EINVAL ({@code fd} is of another type than {@code nstype}, or the
     * fs_struct is shared), EBADF, EPERM, ESRCH (the process of the pidfd has exited), EUSERS.
     *
     * @param fd a namespace file's descriptor or a pidfd
     * @param nstype the kind or kinds to enter, see above
     * @throws SyscallException when the kernel refuses
     */
    public static void setns(int fd, int nstype) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) SETNS.call(errnoSegment, fd, nstype);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("setns", "fd " + fd + ", " + CLONE_FLAGS.format(nstype), errno);
        }
    }

    /**
     * Gives the calling thread's next children a new pid namespace again, after the one it
     * unshared has become unusable: once the first process of a pid namespace (its pid 1)
     * has ended, the kernel refuses every further process in it (fork and posix_spawn fail
     * with ENOMEM), and a second {@code unshare(CLONE_NEWPID)} is refused with EINVAL while
     * pid_for_children differs from the thread's own pid namespace. So this first points
     * pid_for_children back at the process's own pid namespace (setns through a pidfd of
     * this process, Linux 5.8), then unshares a fresh one.
     *
     * <p>A spawn whose exec failed leaves a namespace in that state: the child was its pid
     * 1, and it exited. Call this before trying again.
     *
     * @throws SyscallException when the kernel refuses either step
     */
    public static void renewPidNamespaceForChildren() throws SyscallException {
        try (Pidfd self = Pidfd.open((int) ProcessHandle.current().pid())) {
            setns(self.fd(), CLONE_NEWPID);
        }
        unshare(CLONE_NEWPID);
    }

    /**
     * Sets the host name of the calling thread's UTS namespace: sethostname(2), like
     * {@code hostname NAME}. Call it on a {@link NamespaceThread} that unshared {@link
     * #CLONE_NEWUTS}, or the host's name changes.
     *
     * <p>Errnos to expect: EINVAL (longer than 64 bytes), EPERM.
     *
     * @param name the new host name, at most 64 bytes
     * @throws SyscallException when the kernel refuses
     */
    public static void sethostname(String name) throws SyscallException {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            MemorySegment buffer = arena.allocate(Math.max(1, bytes.length));
            MemorySegment.copy(bytes, 0, buffer, JAVA_BYTE, 0, bytes.length);
            rc = (int) SETHOSTNAME.call(errnoSegment, Native.address(buffer), (long) bytes.length);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("sethostname", name, errno);
        }
    }

    /**
     * {@code flags} as CLONE_* names joined by {@code |}, as error messages show them.
     *
     * @param flags CLONE_* flags, or-ed
     * @return the names, such as {@code CLONE_NEWNS|CLONE_NEWPID}
     */
    public static String describe(int flags) {
        return CLONE_FLAGS.format(flags);
    }
}
