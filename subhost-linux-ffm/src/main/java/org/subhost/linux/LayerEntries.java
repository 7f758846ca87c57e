package org.subhost.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import org.subhost.linux.internal.Downcall;
import org.subhost.linux.internal.Memory;
import org.subhost.linux.internal.Native;

/**
 * What an entry of an overlay's layer directory is, read from an {@code O_PATH|O_NOFOLLOW}
 * descriptor of it, without opening it: the marks overlayfs leaves in an upper layer
 * (Documentation/filesystems/overlayfs.rst) and a symbolic link's target.
 *
 * <ul>
 * <li>A whiteout: a character device with device number 0/0; it hides the lower layers' entry
 *     of its name.
 * <li>An opaque directory: the extended attribute {@code trusted.overlay.opaque} (or {@code
 *     user.overlay.opaque} of a mount with userxattr) is {@code y}; it hides what the lower
 *     layers have below its path. Reading a trusted attribute needs CAP_SYS_ADMIN: for
 *     another caller every directory reads as not opaque.
 * </ul>
 */
public final class LayerEntries {
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int STATX_TYPE = 0x1;
    private static final long STATX_SIZE = 256;
    private static final long STX_MODE = 28;
    private static final long STX_RDEV_MAJOR = 128;
    private static final long STX_RDEV_MINOR = 132;
    private static final int S_IFCHR = 0020000;
    private static final int PATH_MAX = 4096;

    // int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf)
    private static final Downcall STATX = Native.lazyDowncall("statx",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    // ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t size)
    private static final Downcall READLINKAT = Native.lazyDowncall("readlinkat",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG));
    // ssize_t getxattr(const char *path, const char *name, void *value, size_t size)
    private static final Downcall GETXATTR = Native.lazyDowncall("getxattr",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG));

    private LayerEntries() {}

    /**
     * Whether the entry {@code fd} refers to is a whiteout: statx(2) of the descriptor itself.
     *
     * @param fd a descriptor of the entry (O_PATH, O_NOFOLLOW)
     * @return whether it is a character device numbered 0/0
     * @throws SyscallException when the kernel refuses
     */
    public static boolean isWhiteout(int fd) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Native.errnoSegment(arena);
            MemorySegment buffer = arena.allocate(STATX_SIZE, 8);
            int rc = (int) STATX.call(errno, fd, Native.address(Memory.cString(arena, "")),
                    AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_TYPE, Native.address(buffer));
            if (rc == -1) {
                throw new SyscallException("statx", "fd " + fd + ", AT_EMPTY_PATH", Native.errno(errno));
            }
            return (Memory.getShort(buffer, STX_MODE) & 0170000) == S_IFCHR && Memory.getInt(buffer, STX_RDEV_MAJOR) == 0
                    && Memory.getInt(buffer, STX_RDEV_MINOR) == 0;
        }
    }

    /**
     * Whether the directory {@code fd} refers to is opaque: getxattr(2) of its {@code
     * /proc/self/fd/N}, which the kernel resolves to the very directory.
     *
     * @param fd a descriptor of the directory (O_PATH will do)
     * @return whether {@code trusted.overlay.opaque} or {@code user.overlay.opaque} is {@code y}
     * @throws SyscallException when the kernel refuses for another reason than a missing
     *     attribute (ENODATA) or none at all on this filesystem (EOPNOTSUPP)
     */
    public static boolean isOpaque(int fd) throws SyscallException {
        return attributeIsY(fd, "trusted.overlay.opaque") || attributeIsY(fd, "user.overlay.opaque");
    }

    private static boolean attributeIsY(int fd, String name) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Native.errnoSegment(arena);
            MemorySegment value = arena.allocate(8);
            String path = "/proc/self/fd/" + fd;
            long n = (long) GETXATTR.call(errno, Native.address(Memory.cString(arena, path)),
                    Native.address(Memory.cString(arena, name)), Native.address(value), 8L);
            if (n == -1) {
                int error = Native.errno(errno);
                if (error == Errno.ENODATA || error == Errno.EOPNOTSUPP || error == 34 /* ERANGE: longer than y */) {
                    return false;
                }
                throw new SyscallException("getxattr", path + ", " + name, error);
            }
            return n == 1 && value.get(JAVA_BYTE, 0) == 'y';
        }
    }

    /**
     * The target of the symbolic link {@code fd} refers to: readlinkat(2) with an empty path.
     *
     * @param fd a descriptor of the link (O_PATH, O_NOFOLLOW)
     * @return the target, as written in the link
     * @throws SyscallException when the kernel refuses (ENOENT or EINVAL: no link)
     */
    public static String readLink(int fd) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Native.errnoSegment(arena);
            MemorySegment buffer = arena.allocate(PATH_MAX);
            long n = (long) READLINKAT.call(errno, fd, Native.address(Memory.cString(arena, "")), Native.address(buffer),
                    (long) PATH_MAX);
            if (n == -1) {
                throw new SyscallException("readlinkat", "fd " + fd, Native.errno(errno));
            }
            byte[] bytes = new byte[(int) n];
            MemorySegment.copy(buffer, JAVA_BYTE, 0, bytes, 0, bytes.length);
            return new String(bytes, StandardCharsets.UTF_8);
        }
    }
}
