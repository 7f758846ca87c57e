package org.subhost.linux;

/**
 * The errno values that callers of this layer handle by name (asm-generic/errno-base.h
 * and errno.h; the same on x86_64 and aarch64).
 */
public final class Errno {
    private Errno() {}

    public static final int EPERM = 1;
    public static final int ENOENT = 2;
    public static final int ESRCH = 3;
    public static final int EINTR = 4;
    public static final int EIO = 5;
    /** A loop device that is not bound to a file (LOOP_CLR_FD, LOOP_GET_STATUS64). */
    public static final int ENXIO = 6;
    public static final int EBADF = 9;
    public static final int ECHILD = 10;
    public static final int EAGAIN = 11;
    /** Same value as EAGAIN on Linux: flock(2) with LOCK_NB on a held lock. */
    public static final int EWOULDBLOCK = EAGAIN;
    public static final int ENOMEM = 12;
    public static final int EACCES = 13;
    public static final int EBUSY = 16;
    public static final int EEXIST = 17;
    public static final int ENODEV = 19;
    public static final int ENOTDIR = 20;
    public static final int EISDIR = 21;
    public static final int EINVAL = 22;
    /** An ioctl(2) request that the device does not know (an older kernel). */
    public static final int ENOTTY = 25;
    public static final int ENOSPC = 28;
    public static final int EROFS = 30;
    public static final int ENOSYS = 38;
    public static final int ENOTEMPTY = 39;
    public static final int ENODATA = 61;
    /** setns(2) into a time namespace from a multi-threaded process. */
    public static final int EUSERS = 87;
    public static final int EOPNOTSUPP = 95;
    public static final int EADDRINUSE = 98;
    public static final int ETIMEDOUT = 110;
}
