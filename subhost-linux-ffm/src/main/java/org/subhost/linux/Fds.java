package org.subhost.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.time.Duration;
import java.util.Arrays;
import org.subhost.linux.internal.FlagNames;
import org.subhost.linux.internal.Downcall;
import org.subhost.linux.internal.Memory;
import org.subhost.linux.internal.Native;

/**
 * File descriptor system calls: open(2), close(2), pipe2(2), read(2), write(2), dup(2),
 * poll(2) and gettid(2), without policy.
 *
 * <p>Example: a namespace file to pass to {@link Namespaces#setns}:
 * <pre>{@code
 * int fd = Fds.open("/run/netns/ex1", O_RDONLY | O_CLOEXEC);
 * try { Namespaces.setns(fd, CLONE_NEWNET); } finally { Fds.close(fd); }
 * }</pre>
 *
 * <p>Descriptors are plain ints owned by the caller, who closes them. The descriptor table
 * is shared by all threads of the JVM, so open everything with {@link #O_CLOEXEC}: a
 * program spawned by another thread at the same moment would otherwise inherit it ({@code
 * Spawn} closes all but the descriptors it was given in its child anyway). Paths resolve
 * against the calling thread's root and working directory, which differ on a {@link
 * NamespaceThread} that changed them.
 */
public final class Fds {
    /** open(2): read only. */
    public static final int O_RDONLY = 0;
    /** open(2): write only. */
    public static final int O_WRONLY = 1;
    /** open(2): read and write. */
    public static final int O_RDWR = 2;
    /** open(2): create the file if missing (with the mode given). */
    public static final int O_CREAT = 0100;
    /** open(2): with O_CREAT, fail with EEXIST if the file exists. */
    public static final int O_EXCL = 0200;
    /** open(2): a terminal does not become the controlling terminal. */
    public static final int O_NOCTTY = 0400;
    /** open(2): truncate to length 0. */
    public static final int O_TRUNC = 01000;
    /** open(2): every write goes to the end, also when several processes write (log files). */
    public static final int O_APPEND = 02000;
    /** open(2), pipe2(2): non-blocking reads and writes. */
    public static final int O_NONBLOCK = 04000;
    /** open(2): fail with ENOTDIR unless a directory (the value differs on aarch64). */
    public static final int O_DIRECTORY = Native.AARCH64 ? 040000 : 0200000;
    /** open(2): fail with ELOOP if the last component is a symbolic link (differs on aarch64). */
    public static final int O_NOFOLLOW = Native.AARCH64 ? 0100000 : 0400000;
    /** open(2), pipe2(2): close on execve(2), so that spawned programs do not inherit it. */
    public static final int O_CLOEXEC = 02000000;
    /** open(2): a descriptor that only names a place in the tree (for *at calls, fchdir). */
    public static final int O_PATH = 010000000;

    private static final int O_ACCMODE = 3;
    static final FlagNames OPEN_FLAGS = FlagNames.builder()
            .add("O_CREAT", O_CREAT).add("O_EXCL", O_EXCL).add("O_NOCTTY", O_NOCTTY)
            .add("O_TRUNC", O_TRUNC).add("O_APPEND", O_APPEND).add("O_NONBLOCK", O_NONBLOCK)
            .add("O_DIRECTORY", O_DIRECTORY).add("O_NOFOLLOW", O_NOFOLLOW)
            .add("O_CLOEXEC", O_CLOEXEC).add("O_PATH", O_PATH).build();

    // int open(const char *path, int flags, ...): mode_t is variadic
    private static final Downcall OPEN = Native.lazyDowncall("open",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    // int close(int fd)
    private static final Downcall CLOSE = Native.lazyDowncall("close",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    // int pipe2(int fds[2], int flags)
    private static final Downcall PIPE2 = Native.lazyDowncall("pipe2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    // ssize_t read(int fd, void *buf, size_t count)
    private static final Downcall READ = Native.lazyDowncall("read",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    // ssize_t pread(int fd, void *buf, size_t count, off_t offset)
    private static final Downcall PREAD = Native.lazyDowncall("pread",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG));
    // ssize_t write(int fd, const void *buf, size_t count)
    private static final Downcall WRITE = Native.lazyDowncall("write",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    // int fcntl(int fd, int cmd, ...): F_DUPFD_CLOEXEC takes an int
    private static final Downcall FCNTL_INT = Native.lazyDowncall("fcntl",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
    // pid_t gettid(void): cannot fail
    private static final Downcall CHDIR = Native.lazyDowncall("chdir",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final Downcall CHMOD = Native.lazyDowncall("chmod",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final Downcall LCHOWN = Native.lazyDowncall("lchown",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final Downcall GETTID = Native.lazyPlain("gettid", FunctionDescriptor.of(JAVA_INT));
    // int isatty(int fd): 1 or 0, never an error worth reporting
    private static final Downcall ISATTY = Native.lazyPlain("isatty", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    // int memfd_create(const char *name, unsigned int flags)
    private static final Downcall MEMFD_CREATE = Native.lazyDowncall("memfd_create",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));

    // int poll(struct pollfd *fds, nfds_t nfds, int timeout)
    private static final Downcall POLL = Native.lazyDowncall("poll",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));

    private static final int F_DUPFD_CLOEXEC = 1030;
    private static final int F_ADD_SEALS = 1033;
    /** F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE: the content is final. */
    private static final int ALL_SEALS = 0x1 | 0x2 | 0x4 | 0x8;
    private static final int F_GET_SEALS = 1034;
    private static final int MFD_CLOEXEC = 0x1;
    private static final int MFD_ALLOW_SEALING = 0x2;
    /** memfd_create: executable (Linux 6.3; older kernels refuse the flag, and allow exec). */
    private static final int MFD_EXEC = 0x10;
    private static final short POLLIN = 0x1;
    private static final short POLLNVAL = 0x20;

    /** struct pollfd: { int fd; short events; short revents; }. */
    static final MemoryLayout POLLFD = MemoryLayout.structLayout(
            JAVA_INT.withName("fd"), JAVA_SHORT.withName("events"), JAVA_SHORT.withName("revents"));

    private Fds() {}

    /**
     * Opens {@code path}: open(2), with no mode (for flags without O_CREAT).
     *
     * @param path the file's path
     * @param flags exactly one of O_RDONLY, O_WRONLY, O_RDWR, or-ed with other O_* flags
     * @return the new descriptor, owned by the caller
     * @throws SyscallException when the kernel refuses
     * @see #open(String, int, int)
     */
    public static int open(String path, int flags) throws SyscallException {
        return open(path, flags, 0);
    }

    /**
     * Opens or creates {@code path}: open(2). The permission bits of {@code mode} (used
     * only with O_CREAT) are reduced by the process's umask.
     *
     * <p>Errnos to expect: ENOENT, EACCES, EEXIST (O_CREAT|O_EXCL), ENOTDIR, EISDIR, ELOOP
     * (O_NOFOLLOW), EMFILE.
     *
     * @param flags exactly one of O_RDONLY, O_WRONLY, O_RDWR, or-ed with other O_* flags
     * @param path the file's path
     * @param mode the permission bits for a file that O_CREAT creates
     * @return the new descriptor, owned by the caller
     * @throws SyscallException when the kernel refuses
     */
    public static int open(String path, int flags, int mode) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) OPEN.call(errnoSegment, Native.address(Memory.cString(arena, path)), flags, mode);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            String arguments = path + ", " + describeOpenFlags(flags)
                    + ((flags & O_CREAT) != 0 ? ", 0" + Integer.toOctalString(mode) : "");
            throw new SyscallException("open", arguments, errno);
        }
        return rc;
    }

    /** open(2) flags as an error message shows them: {@code O_RDONLY|O_CLOEXEC}. */
    static String describeOpenFlags(int flags) {
        String access = switch (flags & O_ACCMODE) {
            case O_RDONLY -> "O_RDONLY";
            case O_WRONLY -> "O_WRONLY";
            case O_RDWR -> "O_RDWR";
            default -> "O_ACCMODE";
        };
        int rest = flags & ~O_ACCMODE;
        return rest == 0 ? access : access + "|" + OPEN_FLAGS.format(rest);
    }

    /**
     * Closes {@code fd}: close(2). Not retried on EINTR: on Linux the descriptor is gone
     * even then, and a retry could close a descriptor that another thread just opened.
     *
     * <p>Errnos to expect: EBADF (not open: a double close, a bug of the caller), EIO.
     *
     * @param fd the descriptor to close
     * @throws SyscallException when the kernel reports an error
     */
    public static void close(int fd) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) CLOSE.call(errnoSegment, fd);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1 && errno != Errno.EINTR) {
            throw new SyscallException("close", "fd " + fd, errno);
        }
    }

    /**
     * A pipe: pipe2(2). Element 0 is the read end, element 1 the write end.
     *
     * <p>Pass O_CLOEXEC: an end meant for a child is handed over explicitly (see {@code
     * Spawn.Builder.keepFd}), which clears the flag on the child's copy only.
     *
     * @param flags O_CLOEXEC, O_NONBLOCK, or 0
     * @return the read end and the write end, both owned by the caller
     * @throws SyscallException when the kernel refuses (EMFILE, ENFILE)
     */
    public static int[] pipe2(int flags) throws SyscallException {
        int rc;
        int errno;
        int[] fds = new int[2];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            MemorySegment pair = arena.allocate(JAVA_INT, 2);
            rc = (int) PIPE2.call(errnoSegment, Native.address(pair), flags);
            errno = Native.errno(errnoSegment);
            MemorySegment.copy(pair, JAVA_INT, 0, fds, 0, 2);
        }
        if (rc == -1) {
            throw new SyscallException("pipe2", OPEN_FLAGS.format(flags), errno);
        }
        return fds;
    }

    /**
     * Writes {@code bytes} to {@code fd}: write(2), retried on EINTR. Returns how many bytes
     * were written, which may be fewer than given (a full pipe, a non-blocking descriptor).
     *
     * <p>Errnos to expect: EPIPE (no reader; the JVM does not die of SIGPIPE), EAGAIN
     * (non-blocking and full), EBADF.
     *
     * @param fd an open descriptor
     * @param bytes what to write
     * @return the number of bytes written
     * @throws SyscallException when the kernel refuses
     */
    public static int write(int fd, byte[] bytes) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            MemorySegment buffer = arena.allocate(Math.max(1, bytes.length));
            MemorySegment.copy(bytes, 0, buffer, JAVA_BYTE, 0, bytes.length);
            while (true) {
                long rc;
                rc = (long) WRITE.call(errnoSegment, fd, Native.address(buffer), (long) bytes.length);
                if (rc >= 0) {
                    return (int) rc;
                }
                int errno = Native.errno(errnoSegment);
                if (errno != Errno.EINTR) {
                    throw new SyscallException("write", "fd " + fd + ", " + bytes.length + " bytes", errno);
                }
            }
        }
    }

    /**
     * Reads at most {@code max} bytes from {@code fd}: read(2), retried on EINTR. An empty
     * array means end of file (all write ends of a pipe closed).
     *
     * <p>Errnos to expect: EAGAIN (non-blocking and nothing there), EBADF, EISDIR.
     *
     * @param fd an open descriptor
     * @param max the most bytes to read
     * @return the bytes read; empty at end of file
     * @throws SyscallException when the kernel refuses
     */
    public static byte[] read(int fd, int max) throws SyscallException {
        return read(fd, max, false);
    }

    /**
     * As {@link #read}, for a non-blocking descriptor whose reader reads until there is
     * nothing left (an inotify queue): EAGAIN, nothing there now, is an answer (empty), for
     * which no exception is made.
     *
     * @param fd an open descriptor, non-blocking
     * @param max the most bytes to read
     * @return the bytes read (an empty array at end of file); empty when nothing is there now
     * @throws SyscallException when the kernel refuses with another errno
     */
    public static java.util.Optional<byte[]> readIfReady(int fd, int max) throws SyscallException {
        return java.util.Optional.ofNullable(read(fd, max, true));
    }

    /** read(2), retried on EINTR; null for EAGAIN when {@code againIsAnswer}. */
    private static byte[] read(int fd, int max, boolean againIsAnswer) throws SyscallException {
        if (max < 0) {
            throw new IllegalArgumentException("max (" + max + ") must not be negative");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            MemorySegment buffer = arena.allocate(Math.max(1, max));
            while (true) {
                long rc;
                rc = (long) READ.call(errnoSegment, fd, Native.address(buffer), (long) max);
                if (rc >= 0) {
                    return Arrays.copyOf(buffer.toArray(JAVA_BYTE), (int) rc);
                }
                int errno = Native.errno(errnoSegment);
                if (errno == Errno.EAGAIN && againIsAnswer) {
                    return null;
                }
                if (errno != Errno.EINTR) {
                    throw new SyscallException("read", "fd " + fd + ", " + max + " bytes", errno);
                }
            }
        }
    }

    /**
     * Reads at most {@code max} bytes of {@code fd} from {@code offset}: pread(2), retried on
     * EINTR and on a short read until {@code max} bytes or the end of the file, so that a
     * file that others append to is read from where a reader stopped without moving (or
     * sharing) a file position.
     *
     * <p>Errnos to expect: EBADF, EISDIR, ESPIPE (a pipe or socket), EINVAL (a negative offset).
     *
     * @param fd an open descriptor of a regular file
     * @param max the most bytes to read
     * @param offset where to start
     * @return the bytes read; fewer than {@code max} at the end of the file
     * @throws SyscallException when the kernel refuses
     */
    public static byte[] pread(int fd, int max, long offset) throws SyscallException {
        if (max < 0) {
            throw new IllegalArgumentException("max (" + max + ") must not be negative");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            MemorySegment buffer = arena.allocate(Math.max(1, max));
            int done = 0;
            while (done < max) {
                long rc = (long) PREAD.call(errnoSegment, fd, Native.address(buffer.asSlice(done)), (long) (max - done),
                        offset + done);
                if (rc == 0) {
                    break;
                }
                if (rc > 0) {
                    done += (int) rc;
                    continue;
                }
                int errno = Native.errno(errnoSegment);
                if (errno != Errno.EINTR) {
                    throw new SyscallException("pread", "fd " + fd + ", " + max + " bytes at " + offset, errno);
                }
            }
            return Arrays.copyOf(buffer.toArray(JAVA_BYTE), done);
        }
    }

    /**
     * Waits at most {@code timeout} until {@code fd} can be read without blocking: poll(2)
     * for POLLIN, retried on EINTR. A pipe whose write ends are all closed counts as
     * readable (the read then gives end of file), as does a pidfd whose process has ended.
     *
     * @param fd an open descriptor
     * @param timeout how long to wait; zero to only look
     * @return whether it became readable in time
     * @throws SyscallException when the kernel refuses (EBADF for a closed descriptor)
     */
    public static boolean awaitReadable(int fd, Duration timeout) throws SyscallException {
        return awaitReadable(fd, "fd " + fd, timeout);
    }

    /** {@link #awaitReadable(int, Duration)}, with {@code what} naming the descriptor in errors. */
    static boolean awaitReadable(int fd, String what, Duration timeout) throws SyscallException {
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout (" + timeout + ") must not be negative");
        }
        if (!timeout.isZero() && OffCarrier.needed()) {
            return OffCarrier.run(() -> awaitReadable(fd, what, timeout));
        }
        long deadline = System.nanoTime() + saturatedNanos(timeout);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            MemorySegment pollfd = arena.allocate(POLLFD);
            Memory.setInt(pollfd, 0, fd);
            Memory.setShort(pollfd, 4, POLLIN);
            while (true) {
                long left = Math.max(0, deadline - System.nanoTime());
                // Round up, so that a wait shorter than a millisecond is not a mere look.
                int millis = (int) Math.min(Integer.MAX_VALUE, (left + 999_999) / 1_000_000);
                int rc = (int) POLL.call(errnoSegment, Native.address(pollfd), 1L, millis);
                if (rc > 0) {
                    if ((Memory.getShort(pollfd, 6) & POLLNVAL) != 0) {
                        throw new SyscallException("poll", what, Errno.EBADF);
                    }
                    return true;
                }
                if (rc == 0) {
                    if (deadline - System.nanoTime() <= 0) {
                        return false;
                    }
                    continue;
                }
                int errno = Native.errno(errnoSegment);
                if (errno != Errno.EINTR) {
                    throw new SyscallException("poll", what + ", " + millis + " ms", errno);
                }
            }
        }
    }

    private static long saturatedNanos(Duration timeout) {
        try {
            return timeout.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 2;
        }
    }

    /**
     * A second descriptor for what {@code fd} refers to, close-on-exec: fcntl(2) with
     * F_DUPFD_CLOEXEC (like dup(2), without the window in which another thread's spawn could
     * inherit it).
     *
     * @param fd an open descriptor
     * @return the lowest free descriptor number, owned by the caller
     * @throws SyscallException when the kernel refuses (EBADF, EMFILE)
     */
    public static int dup(int fd) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) FCNTL_INT.call(errnoSegment, fd, F_DUPFD_CLOEXEC, 0);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("fcntl", "fd " + fd + ", F_DUPFD_CLOEXEC", errno);
        }
        return rc;
    }

    /**
     * Whether {@code fd} is a terminal: isatty(3), which asks the terminal for its settings
     * (TCGETS); a file, a pipe or a closed descriptor is not one.
     *
     * @param fd a descriptor
     * @return true for a terminal
     */
    public static boolean isTerminal(int fd) {
        return (int) ISATTY.invoke(fd) == 1;
    }

    /**
     * A file in memory holding {@code content}, sealed against any change (memfd_create(2)
     * with MFD_ALLOW_SEALING, then F_ADD_SEALS: seal, shrink, grow, write), executable and
     * close-on-exec. A program in it can be run as {@code /proc/self/fd/N} by a child that
     * has it as descriptor N (as fexecve(3) does), with no file anywhere in a tree.
     *
     * @param name the name the kernel shows for it ({@code /memfd:NAME})
     * @param content what it holds
     * @return the descriptor, owned by the caller
     * @throws SyscallException when the kernel refuses (EMFILE, ENOMEM)
     */
    public static int sealedMemfd(String name, byte[] content) throws SyscallException {
        int fd;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            MemorySegment cname = Memory.cString(arena, name);
            fd = (int) MEMFD_CREATE.call(errnoSegment, Native.address(cname), MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
            errno = Native.errno(errnoSegment);
            if (fd == -1 && errno == Errno.EINVAL) {
                fd = (int) MEMFD_CREATE.call(errnoSegment, Native.address(cname), MFD_CLOEXEC | MFD_ALLOW_SEALING);
                errno = Native.errno(errnoSegment);
            }
        }
        if (fd == -1) {
            throw new SyscallException("memfd_create", name, errno);
        }
        try {
            int written = 0;
            while (written < content.length) {
                written += write(fd, Arrays.copyOfRange(content, written, content.length));
            }
            int rc;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment errnoSegment = Native.errnoSegment(arena);
                rc = (int) FCNTL_INT.call(errnoSegment, fd, F_ADD_SEALS, ALL_SEALS);
                errno = Native.errno(errnoSegment);
            }
            if (rc == -1) {
                throw new SyscallException("fcntl", "memfd " + name + ", F_ADD_SEALS", errno);
            }
            return fd;
        } catch (SyscallException | RuntimeException e) {
            close(fd);
            throw e;
        }
    }

    /**
     * Whether {@code fd} is a memfd with every seal that {@link #sealedMemfd} sets (seal,
     * shrink, grow, write): its content can never change again, through any descriptor.
     *
     * @param fd an open descriptor
     * @return false for another file, or a memfd that lacks one of those seals
     */
    public static boolean isSealedMemfd(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            int seals = (int) FCNTL_INT.call(errnoSegment, fd, F_GET_SEALS, 0);
            return seals != -1 && (seals & ALL_SEALS) == ALL_SEALS;
        }
    }

    /**
     * The kernel's id of the calling thread: gettid(2). It names the thread in /proc
     * ({@code /proc/TID/ns/net}, {@code /proc/TID/mountinfo}), which shows the thread's own
     * namespaces where {@code /proc/self} shows those of the JVM's main thread.
     *
     * @return the thread id
     */
    public static int gettid() {
        return (int) GETTID.invoke();
    }

    /**
     * Changes the calling thread's working directory: chdir(2). It acts on the thread alone
     * only after the thread has unshared CLONE_FS (as every {@link NamespaceThread} has);
     * otherwise it moves the whole JVM, so call it on such a thread only.
     *
     * <p>Errnos to expect: ENOENT, ENOTDIR, EACCES.
     *
     * @param path the new working directory
     * @throws SyscallException when the kernel refuses
     */
    public static void chdir(String path) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) CHDIR.call(errnoSegment, Native.address(Native.cString(arena, path)));
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("chdir", path, errno);
        }
    }

    /**
     * Sets the mode of {@code path}: chmod(2). Unlike Java's file attribute views, this never
     * opens the file, which matters for device nodes: opening {@code /dev/ptmx} allocates a
     * terminal, opening a tty may make it the caller's controlling terminal.
     *
     * <p>Errnos to expect: ENOENT, EPERM, EROFS.
     *
     * @param path the file's path
     * @param mode the permission bits, such as {@code 0666}
     * @throws SyscallException when the kernel refuses
     */
    public static void chmod(String path, int mode) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) CHMOD.call(errnoSegment, Native.address(Native.cString(arena, path)), mode);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("chmod", path + ", 0" + Integer.toOctalString(mode), errno);
        }
    }

    /**
     * Sets the owner and group of {@code path} without following a symbolic link and
     * without opening it: lchown(2). -1 leaves the id as it is.
     *
     * <p>Errnos to expect: ENOENT, EPERM, EROFS.
     *
     * @param path the file's path; a symbolic link itself is changed
     * @param uid the new owner, or -1
     * @param gid the new group, or -1
     * @throws SyscallException when the kernel refuses
     */
    public static void lchown(String path, int uid, int gid) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) LCHOWN.call(errnoSegment, Native.address(Native.cString(arena, path)), uid, gid);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("lchown", path + ", " + uid + ":" + gid, errno);
        }
    }
}
