package org.subhost.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import org.subhost.linux.internal.Downcall;
import org.subhost.linux.internal.FlagNames;
import org.subhost.linux.internal.Memory;
import org.subhost.linux.internal.Native;

/**
 * File system calls relative to a directory descriptor: openat2(2) with its {@code
 * RESOLVE_*} rules, mkdirat(2), mknodat(2), symlinkat(2), unlinkat(2), renameat(2),
 * fchmodat(2), fchownat(2), fchmod(2) and statx(2) of a descriptor, without policy.
 *
 * <p>They are how the host side works in a tree that someone else owns (a subhost's root)
 * without being led out of it: open the tree's top once, resolve each path below it with
 * {@link #openat2} and {@link #RESOLVE_IN_ROOT} (symbolic links, absolute ones and
 * {@code ..} included, stay inside), then create, read or mount through the descriptor or
 * through a single name relative to it. Example:
 * <pre>{@code
 * int root = Fds.open("/ex1/root", O_PATH | O_DIRECTORY | O_CLOEXEC);
 * int etc = AtFiles.openat2(root, "etc/network", O_PATH | O_DIRECTORY | O_CLOEXEC, 0,
 *         RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
 * AtFiles.mkdirat(etc, "if-up.d", 0755);
 * }</pre>
 *
 * <p>Descriptors are plain ints owned by the caller (see {@link Fds}); pass O_CLOEXEC.
 * openat2 needs Linux 5.6; an older kernel answers ENOSYS.
 */
public final class AtFiles {
    /** openat2(2) resolve: fail with EXDEV when resolution would cross a mount. */
    public static final long RESOLVE_NO_XDEV = 0x01;
    /** openat2(2) resolve: fail with ELOOP on a magic link such as {@code /proc/PID/fd/N} or {@code /proc/PID/root}. */
    public static final long RESOLVE_NO_MAGICLINKS = 0x02;
    /** openat2(2) resolve: fail with ELOOP on any symbolic link, magic links included. */
    public static final long RESOLVE_NO_SYMLINKS = 0x04;
    /** openat2(2) resolve: fail with EXDEV when resolution would leave the directory (absolute links, {@code ..}). */
    public static final long RESOLVE_BENEATH = 0x08;
    /**
     * openat2(2) resolve: resolve as if the directory were the root ({@code chroot}): an
     * absolute symbolic link starts at it and {@code ..} stops at it.
     */
    public static final long RESOLVE_IN_ROOT = 0x10;

    /** unlinkat(2): remove a directory (as rmdir does) instead of a file. */
    public static final int AT_REMOVEDIR = 0x200;

    static final FlagNames RESOLVE_FLAGS = FlagNames.builder()
            .add("RESOLVE_NO_XDEV", RESOLVE_NO_XDEV).add("RESOLVE_NO_MAGICLINKS", RESOLVE_NO_MAGICLINKS)
            .add("RESOLVE_NO_SYMLINKS", RESOLVE_NO_SYMLINKS).add("RESOLVE_BENEATH", RESOLVE_BENEATH)
            .add("RESOLVE_IN_ROOT", RESOLVE_IN_ROOT).build();

    /** openat2 has no glibc wrapper; its number is the same on x86_64 and aarch64. */
    static final long SYS_OPENAT2 = 437;
    /** sizeof(struct open_how): u64 flags, u64 mode, u64 resolve. */
    static final int OPEN_HOW_SIZE = 24;

    // long syscall(SYS_openat2, int dirfd, const char *path, struct open_how *how, size_t size)
    private static final Downcall OPENAT2 = Native.lazySyscall(JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG);
    // int mkdirat(int dirfd, const char *path, mode_t mode)
    private static final Downcall MKDIRAT = Native.lazyDowncall("mkdirat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    // int mknodat(int dirfd, const char *path, mode_t mode, dev_t dev): glibc >= 2.33
    private static final Downcall MKNODAT = Native.lazyDowncall("mknodat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));
    // int symlinkat(const char *target, int dirfd, const char *path)
    private static final Downcall SYMLINKAT = Native.lazyDowncall("symlinkat",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
    // int unlinkat(int dirfd, const char *path, int flags)
    private static final Downcall UNLINKAT = Native.lazyDowncall("unlinkat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    // int renameat(int olddirfd, const char *old, int newdirfd, const char *new)
    private static final Downcall RENAMEAT = Native.lazyDowncall("renameat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS));
    // int renameat2(int olddirfd, const char *old, int newdirfd, const char *new, unsigned int flags)
    private static final Downcall RENAMEAT2 = Native.lazyDowncall("renameat2",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
    // int ftruncate(int fd, off_t length)
    private static final Downcall FTRUNCATE = Native.lazyDowncall("ftruncate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));
    /** renameat2(2) flag: the two names change places, in one step; both must exist. */
    private static final int RENAME_EXCHANGE = 2;
    // int fchmodat(int dirfd, const char *path, mode_t mode, int flags)
    private static final Downcall FCHMODAT = Native.lazyDowncall("fchmodat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    // int fchownat(int dirfd, const char *path, uid_t owner, gid_t group, int flags)
    private static final Downcall FCHOWNAT = Native.lazyDowncall("fchownat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT));
    // int fchmod(int fd, mode_t mode)
    private static final Downcall FCHMOD = Native.lazyDowncall("fchmod",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    // int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf)
    private static final Downcall STATX = Native.lazyDowncall("statx",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));

    // mode_t umask(mode_t mask): cannot fail
    private static final Downcall UMASK = Native.lazyPlain("umask", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    /** statx(2) mask: the fields of struct stat. */
    private static final int STATX_BASIC_STATS = 0x7ff;
    /** struct statx: 256 bytes; the offsets of the members we read. */
    private static final long STATX_SIZE = 256;
    private static final long STX_NLINK = 16;
    private static final long STX_UID = 20;
    private static final long STX_GID = 24;
    private static final long STX_MODE = 28;
    private static final long STX_INO = 32;
    private static final long STX_SIZE = 40;
    private static final long STX_RDEV_MAJOR = 128;
    private static final long STX_RDEV_MINOR = 132;
    private static final long STX_DEV_MAJOR = 136;
    private static final long STX_DEV_MINOR = 140;

    private AtFiles() {}

    /**
     * The bytes of {@code struct open_how} for openat2(2): {@code flags}, {@code mode} and
     * {@code resolve}, each a native-endian u64. The kernel refuses (EINVAL) a mode without
     * O_CREAT or O_TMPFILE, and unknown resolve bits.
     *
     * @param flags O_* flags
     * @param mode the permission bits for O_CREAT, else 0
     * @param resolve RESOLVE_* flags
     * @return 24 bytes
     */
    static byte[] openHow(int flags, int mode, long resolve) {
        return ByteBuffer.allocate(OPEN_HOW_SIZE).order(ByteOrder.nativeOrder())
                .putLong(flags & 0xffffffffL).putLong(mode).putLong(resolve).array();
    }

    /**
     * Opens {@code path} relative to {@code dirFd} under the rules of {@code resolve}:
     * openat2(2) (system call 437, Linux 5.6). The permission bits of {@code mode} (only
     * with O_CREAT) are reduced by the umask.
     *
     * <p>Errnos to expect: ENOENT, EEXIST (O_CREAT|O_EXCL), ENOTDIR, ELOOP (a symbolic link
     * that {@code resolve} or O_NOFOLLOW forbids), EXDEV (RESOLVE_BENEATH: an escape;
     * RESOLVE_NO_XDEV: a mount crossed), EAGAIN (RESOLVE_IN_ROOT or RESOLVE_BENEATH: a
     * rename or mount raced with the walk; try again), ENOSYS (before Linux 5.6).
     *
     * @param dirFd the directory that relative paths (and RESOLVE_IN_ROOT's root) start at
     * @param path the path
     * @param flags O_* flags; O_CLOEXEC wanted
     * @param mode the permission bits for O_CREAT, else 0
     * @param resolve RESOLVE_* flags, or-ed
     * @return the new descriptor, owned by the caller
     * @throws SyscallException when the kernel refuses
     */
    public static int openat2(int dirFd, String path, int flags, int mode, long resolve) throws SyscallException {
        int rc = tryOpenat2(dirFd, path, flags, mode, resolve);
        if (rc < 0) {
            throw openat2Refusal(dirFd, path, flags, mode, resolve, -rc);
        }
        return rc;
    }

    /**
     * As {@link #openat2}, for a caller to whom a refusal is an answer (ENOENT where absence
     * is expected, EAGAIN to try again): the refusal comes back as a negative errno, and no
     * exception, with its stack trace and message, is made for it. A refusal the caller does
     * not expect goes to {@link #openat2Refusal}, which makes the exception {@link #openat2}
     * throws.
     *
     * @param dirFd the directory that relative paths (and RESOLVE_IN_ROOT's root) start at
     * @param path the path
     * @param flags O_* flags; O_CLOEXEC wanted
     * @param mode the permission bits for O_CREAT, else 0
     * @param resolve RESOLVE_* flags, or-ed
     * @return the new descriptor, owned by the caller; or the errno negated, such as
     *     {@code -Errno.ENOENT}
     */
    public static int tryOpenat2(int dirFd, String path, int flags, int mode, long resolve) {
        long rc;
        int errno;
        byte[] how = openHow(flags, (flags & Fds.O_CREAT) != 0 ? mode : 0, resolve);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            MemorySegment howSegment = arena.allocate(OPEN_HOW_SIZE, 8);
            MemorySegment.copy(how, 0, howSegment, JAVA_BYTE, 0, OPEN_HOW_SIZE);
            rc = (long) OPENAT2.call(errnoSegment, SYS_OPENAT2, dirFd,
                    Native.address(Memory.cString(arena, path)), Native.address(howSegment), (long) OPEN_HOW_SIZE);
            errno = Native.errno(errnoSegment);
        }
        return rc == -1 ? -errno : (int) rc;
    }

    /**
     * The refusal of an openat2 with these arguments, as {@link #openat2} throws it: for a
     * caller of {@link #tryOpenat2} whose refusal is a failure after all.
     *
     * @param dirFd the directory the path started at
     * @param path the path
     * @param flags the O_* flags of the call
     * @param mode the permission bits of the call
     * @param resolve the RESOLVE_* flags of the call
     * @param errno the errno (positive)
     * @return the exception, naming the call, its arguments and the errno
     */
    public static SyscallException openat2Refusal(int dirFd, String path, int flags, int mode, long resolve,
            int errno) {
        return new SyscallException("openat2", describeOpenat2(dirFd, path, flags, mode, resolve), errno);
    }

    /** The arguments of openat2 as its error message shows them. */
    static String describeOpenat2(int dirFd, String path, int flags, int mode, long resolve) {
        return Mounts.at(dirFd, path) + ", " + Fds.describeOpenFlags(flags)
                + ((flags & Fds.O_CREAT) != 0 ? ", 0" + Integer.toOctalString(mode) : "")
                + (resolve == 0 ? "" : ", " + RESOLVE_FLAGS.format(resolve));
    }

    /**
     * Makes directory {@code name} in {@code dirFd}: mkdirat(2); the mode is reduced by the
     * umask (follow with {@link #fchmodat} where it matters). A symbolic link named {@code
     * name} is not followed: it gives EEXIST.
     *
     * @param dirFd the parent directory
     * @param name the new directory's name (one component, to stay where {@code dirFd} is)
     * @param mode the permission bits
     * @throws SyscallException when the kernel refuses (EEXIST, ENOENT, EROFS)
     */
    public static void mkdirat(int dirFd, String name, int mode) throws SyscallException {
        call(MKDIRAT, "mkdirat", Mounts.at(dirFd, name) + ", 0" + Integer.toOctalString(mode), dirFd, name, mode);
    }

    /**
     * Makes a device node, FIFO or empty file {@code name} in {@code dirFd}: mknodat(2),
     * like {@code mknod NAME c MAJOR MINOR}; the mode is reduced by the umask.
     *
     * @param dirFd the parent directory
     * @param name the node's name
     * @param mode the file type (S_IFCHR, ...) or-ed with the permission bits
     * @param device the device number ({@link Mounts#makedev})
     * @throws SyscallException when the kernel refuses (EEXIST, EPERM)
     */
    public static void mknodat(int dirFd, String name, int mode, long device) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) MKNODAT.call(errnoSegment, dirFd, Native.address(Memory.cString(arena, name)), mode, device);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("mknodat", Mounts.at(dirFd, name) + ", 0" + Integer.toOctalString(mode), errno);
        }
    }

    /**
     * Makes symbolic link {@code name} in {@code dirFd} pointing at {@code target}:
     * symlinkat(2), like {@code ln -s TARGET NAME}.
     *
     * @param target what the link points at (not resolved now)
     * @param dirFd the parent directory
     * @param name the link's name
     * @throws SyscallException when the kernel refuses (EEXIST)
     */
    public static void symlinkat(String target, int dirFd, String name) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) SYMLINKAT.call(errnoSegment, Native.address(Memory.cString(arena, target)), dirFd,
                    Native.address(Memory.cString(arena, name)));
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("symlinkat", target + ", " + Mounts.at(dirFd, name), errno);
        }
    }

    /**
     * Removes {@code name} from {@code dirFd}: unlinkat(2); a symbolic link itself is
     * removed, never what it points at.
     *
     * @param dirFd the parent directory
     * @param name the entry's name
     * @param flags 0, or {@link #AT_REMOVEDIR} for an empty directory
     * @throws SyscallException when the kernel refuses (ENOENT, EISDIR, ENOTEMPTY)
     */
    public static void unlinkat(int dirFd, String name, int flags) throws SyscallException {
        call(UNLINKAT, "unlinkat", Mounts.at(dirFd, name) + (flags == AT_REMOVEDIR ? ", AT_REMOVEDIR" : ""), dirFd,
                name, flags);
    }

    /**
     * Renames {@code from} in {@code fromDirFd} to {@code to} in {@code toDirFd}: renameat(2),
     * replacing {@code to} in one step; a symbolic link named {@code from} or {@code to} is itself moved or replaced, never followed.
     *
     * @param fromDirFd the directory of the entry to rename
     * @param from its name
     * @param toDirFd the directory it goes to (on the same file system)
     * @param to its new name
     * @throws SyscallException when the kernel refuses (ENOENT, EXDEV, EISDIR)
     */
    public static void renameat(int fromDirFd, String from, int toDirFd, String to) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) RENAMEAT.call(errnoSegment, fromDirFd, Native.address(Memory.cString(arena, from)), toDirFd,
                    Native.address(Memory.cString(arena, to)));
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("renameat", Mounts.at(fromDirFd, from) + " to " + Mounts.at(toDirFd, to), errno);
        }
    }

    /**
     * Swaps two names of one directory in one step: renameat2(2) with RENAME_EXCHANGE, like
     * {@code mv --exchange A B}. Both must exist; nothing is made, removed or followed, so a
     * name that someone else could take in a shared directory is never left free. Used to
     * rotate a log: the old file and the current one change places.
     *
     * <p>Errnos to expect: ENOENT (one of them is missing), EINVAL (a file system without
     * RENAME_EXCHANGE), EPERM (a sticky directory and files of another user), EXDEV.
     *
     * @param dirFd the directory, an O_PATH descriptor will do
     * @param a one name in it
     * @param b the other name in it
     * @throws SyscallException when the kernel refuses
     */
    public static void exchange(int dirFd, String a, String b) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) RENAMEAT2.call(errnoSegment, dirFd, Native.address(Memory.cString(arena, a)), dirFd,
                    Native.address(Memory.cString(arena, b)), RENAME_EXCHANGE);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("renameat2", Mounts.at(dirFd, a) + " and " + b + ", RENAME_EXCHANGE", errno);
        }
    }

    /**
     * Cuts the open file {@code fd} to {@code length} bytes: ftruncate(2).
     *
     * @param fd a descriptor open for writing
     * @param length the new size
     * @throws SyscallException when the kernel refuses (EINVAL: not a regular file, EBADF)
     */
    public static void truncate(int fd, long length) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) FTRUNCATE.call(errnoSegment, fd, length);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("ftruncate", "fd " + fd + ", " + length, errno);
        }
    }

    /**
     * Sets the permission bits of {@code name} in {@code dirFd}: fchmodat(2) without flags,
     * never opening the file (device nodes act when opened). It follows a symbolic link in
     * {@code name}: call it only on an entry the caller just made in a directory it owns.
     *
     * @param dirFd the parent directory
     * @param name the entry's name
     * @param mode the permission bits, set exactly (no umask)
     * @throws SyscallException when the kernel refuses (ENOENT, EPERM)
     */
    public static void fchmodat(int dirFd, String name, int mode) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) FCHMODAT.call(errnoSegment, dirFd, Native.address(Memory.cString(arena, name)), mode, 0);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("fchmodat", Mounts.at(dirFd, name) + ", 0" + Integer.toOctalString(mode), errno);
        }
    }

    /**
     * Sets the owner and group of {@code name} in {@code dirFd} without following a symbolic
     * link: fchownat(2) with AT_SYMLINK_NOFOLLOW; -1 leaves an id as it is.
     *
     * @param dirFd the parent directory
     * @param name the entry's name; a symbolic link itself is changed
     * @param uid the new owner, or -1
     * @param gid the new group, or -1
     * @throws SyscallException when the kernel refuses (ENOENT, EPERM)
     */
    public static void fchownat(int dirFd, String name, int uid, int gid) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) FCHOWNAT.call(errnoSegment, dirFd, Native.address(Memory.cString(arena, name)), uid, gid,
                    Mounts.AT_SYMLINK_NOFOLLOW);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("fchownat", Mounts.at(dirFd, name) + ", " + uid + ":" + gid, errno);
        }
    }

    /**
     * Sets the permission bits of the open file {@code fd}: fchmod(2). Not for an O_PATH
     * descriptor (EBADF).
     *
     * @param fd a descriptor opened for reading or writing
     * @param mode the permission bits, set exactly (no umask)
     * @throws SyscallException when the kernel refuses (EBADF, EPERM)
     */
    public static void fchmod(int fd, int mode) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) FCHMOD.call(errnoSegment, fd, mode);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("fchmod", "fd " + fd + ", 0" + Integer.toOctalString(mode), errno);
        }
    }

    /**
     * What the open file {@code fd} is: statx(2) with an empty path and AT_EMPTY_PATH, which
     * works on O_PATH descriptors too and never opens anything.
     *
     * @param fd an open descriptor
     * @return its type, mode, owner, size and identity
     * @throws SyscallException when the kernel refuses (EBADF)
     */
    public static FileStatus fstat(int fd) throws SyscallException {
        int[] errno = new int[1];
        FileStatus status = statx(fd, "", Mounts.AT_EMPTY_PATH | Mounts.AT_SYMLINK_NOFOLLOW, errno);
        if (status == null) {
            throw new SyscallException("statx", "fd " + fd + ", AT_EMPTY_PATH", errno[0]);
        }
        return status;
    }

    /**
     * The status of {@code path} itself, a symbolic link not followed: statx(2) with
     * AT_SYMLINK_NOFOLLOW, as lstat(2). Empty when there is no such entry (ENOENT): for a
     * caller to whom absence is an answer, no exception is made for it.
     *
     * <p>Errnos to expect: ENOTDIR (a component is no directory), EACCES, ELOOP (too many
     * links on the way to the last component).
     *
     * @param path the path (a relative one from the working directory)
     * @return its status, or empty when it is missing
     * @throws SyscallException when the kernel refuses with another errno than ENOENT
     */
    public static Optional<FileStatus> lstatIfPresent(String path) throws SyscallException {
        int[] errno = new int[1];
        FileStatus status = statx(Mounts.AT_FDCWD, path, Mounts.AT_SYMLINK_NOFOLLOW, errno);
        if (status != null) {
            return Optional.of(status);
        }
        if (errno[0] == Errno.ENOENT) {
            return Optional.empty();
        }
        throw new SyscallException("statx", path + ", AT_SYMLINK_NOFOLLOW", errno[0]);
    }

    /** statx(2) of the basic stats; null when refused, with the errno in {@code errno[0]}. */
    private static FileStatus statx(int dirFd, String path, int flags, int[] errno) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            MemorySegment buffer = arena.allocate(STATX_SIZE, 8);
            int rc = (int) STATX.call(errnoSegment, dirFd, Native.address(Memory.cString(arena, path)), flags,
                    STATX_BASIC_STATS, Native.address(buffer));
            if (rc == -1) {
                errno[0] = Native.errno(errnoSegment);
                return null;
            }
            return new FileStatus(Memory.getShort(buffer, STX_MODE) & 0xffff, Memory.getInt(buffer, STX_UID),
                    Memory.getInt(buffer, STX_GID), Memory.getLong(buffer, STX_SIZE),
                    Memory.getInt(buffer, STX_DEV_MAJOR), Memory.getInt(buffer, STX_DEV_MINOR),
                    Memory.getLong(buffer, STX_INO), Memory.getInt(buffer, STX_NLINK),
                    Memory.getInt(buffer, STX_RDEV_MAJOR), Memory.getInt(buffer, STX_RDEV_MINOR));
        }
    }

    /**
     * Sets the file mode creation mask: umask(2). The mask belongs to the fs_struct, which
     * all threads of the JVM share, except a thread that unshared CLONE_FS (a {@link
     * NamespaceThread}): it got a copy of the mask of that moment.
     *
     * @param mask the permission bits to clear from the modes of new files and directories
     * @return the mask before
     */
    public static int umask(int mask) {
        return (int) UMASK.invoke(mask);
    }

    /** Calls {@code f(dirFd, name, number)}, a function that returns -1 with errno set. */
    private static void call(Downcall f, String call, String arguments, int dirFd, String name, int number)
            throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) f.call(errnoSegment, dirFd, Native.address(Memory.cString(arena, name)), number);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException(call, arguments, errno);
        }
    }
}
