package org.subhost.linux;

/**
 * The errno values that callers of this layer handle by name (asm-generic/errno-base.h
 * and errno.h; the same on x86_64 and aarch64).
 */
public final class Errno {
    private Errno() {}

    /** Operation not permitted: the caller lacks a capability. */
    public static final int EPERM = 1;
    /** No such file or directory. */
    public static final int ENOENT = 2;
    /** No such process: it has exited, or was never there. */
    public static final int ESRCH = 3;
    /** Interrupted system call: a signal arrived while the call waited. */
    public static final int EINTR = 4;
    /** Input/output error. */
    public static final int EIO = 5;
    /** A loop device that is not bound to a file (LOOP_CLR_FD, LOOP_GET_STATUS64). */
    public static final int ENXIO = 6;
    /** Bad file descriptor: not open, or not open for this use. */
    public static final int EBADF = 9;
    /** No child processes: nothing left to wait for. */
    public static final int ECHILD = 10;
    /** Resource temporarily unavailable: try again (non-blocking call that would block). */
    public static final int EAGAIN = 11;
    /** Same value as EAGAIN on Linux: flock(2) with LOCK_NB on a held lock. */
    public static final int EWOULDBLOCK = EAGAIN;
    /** Cannot allocate memory. */
    public static final int ENOMEM = 12;
    /** Permission denied. */
    public static final int EACCES = 13;
    /** Device or resource busy: a mount point in use or already mounted. */
    public static final int EBUSY = 16;
    /** File exists: a name already taken. */
    public static final int EEXIST = 17;
    /** No such device: no link of that name, or no such filesystem type. */
    public static final int ENODEV = 19;
    /** Cross-device link; openat2's RESOLVE_BENEATH or RESOLVE_IN_ROOT when a path would leave the root. */
    public static final int EXDEV = 18;
    /** Not a directory. */
    public static final int ENOTDIR = 20;
    /** Is a directory. */
    public static final int EISDIR = 21;
    /** Invalid argument: a flag, a type or a state the call does not accept. */
    public static final int EINVAL = 22;
    /** An ioctl(2) request that the device does not know (an older kernel). */
    public static final int ENOTTY = 25;
    /**
     * Text file busy: exec of a file that some process has open for writing, such as a
     * child of a concurrent fork that still holds a copy of the writer's descriptor.
     */
    public static final int ETXTBSY = 26;
    /** No space left on device. */
    public static final int ENOSPC = 28;
    /** Read-only file system. */
    public static final int EROFS = 30;
    /** Function not implemented: the kernel lacks the system call. */
    public static final int ENOSYS = 38;
    /** Too many levels of symbolic links: O_NOFOLLOW or a RESOLVE_* rule met a link. */
    public static final int ELOOP = 40;
    /** Directory not empty. */
    public static final int ENOTEMPTY = 39;
    /** No data available: an attribute or value is absent. */
    public static final int ENODATA = 61;
    /** setns(2) into a time namespace from a multi-threaded process. */
    public static final int EUSERS = 87;
    /** Operation not supported: such as a link kind the kernel has no module for. */
    public static final int EOPNOTSUPP = 95;
    /** Broken pipe: the other end of a pipe or socket is closed. */
    public static final int EPIPE = 32;
    /** Transport endpoint is not connected: btrfs answers it to a quota ioctl while quotas are off. */
    public static final int ENOTCONN = 107;
    /** Disk quota exceeded. */
    public static final int EDQUOT = 122;
    /** Address already in use. */
    public static final int EADDRINUSE = 98;
    /** Connection reset by peer: the other end of a socket went away. */
    public static final int ECONNRESET = 104;
    /** Connection timed out. */
    public static final int ETIMEDOUT = 110;
    /** Value too large for defined data type: a result that does not fit the buffer given. */
    public static final int EOVERFLOW = 75;
}
