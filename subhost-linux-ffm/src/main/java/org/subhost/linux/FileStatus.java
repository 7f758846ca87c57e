package org.subhost.linux;

/**
 * What statx(2) says of an open file: its type and permission bits, owner, size and
 * identity. Made by {@link AtFiles#fstat}; the values are the kernel's at the moment of the
 * call.
 *
 * <p>Example: refuse anything but a regular file of root's before reading it:
 * <pre>{@code
 * FileStatus s = AtFiles.fstat(fd);
 * if (!s.isRegularFile() || s.uid() != 0) throw new IOException(...);
 * }</pre>
 *
 * @param mode the file type (S_IFMT bits) and permission bits, as {@code st_mode}
 * @param uid the owner's user id
 * @param gid the group id
 * @param size the size in bytes (of a regular file; other types report other things)
 * @param deviceMajor the major number of the device the file lives on
 * @param deviceMinor the minor number of the device the file lives on
 * @param inode the inode number on that device
 * @param links the number of hard links (names) the file has
 * @param rdevMajor the major number of the device that a device node stands for (0 for other files)
 * @param rdevMinor the minor number of the device that a device node stands for (0 for other files)
 */
public record FileStatus(int mode, int uid, int gid, long size, int deviceMajor, int deviceMinor, long inode,
        int links, int rdevMajor, int rdevMinor) {
    /** st_mode: the bits of the file type. */
    public static final int S_IFMT = 0170000;
    /** st_mode: a regular file. */
    public static final int S_IFREG = 0100000;
    /** st_mode: a directory. */
    public static final int S_IFDIR = 0040000;
    /** st_mode: a symbolic link. */
    public static final int S_IFLNK = 0120000;

    /**
     * {@return whether {@code other} is the status of the same file: the same inode on the same
     * device} (what a check that a name still leads to an open file compares).
     *
     * @param other the status of another descriptor or name
     */
    public boolean isSameFile(FileStatus other) {
        return inode == other.inode && deviceMajor == other.deviceMajor && deviceMinor == other.deviceMinor;
    }

    /** {@return whether the file is a regular file} */
    public boolean isRegularFile() {
        return (mode & S_IFMT) == S_IFREG;
    }

    /** st_mode: a character device. */
    public static final int S_IFCHR = 0020000;

    /**
     * Whether the file is the character device {@code major:minor}.
     *
     * @param major the device's major number
     * @param minor the device's minor number
     * @return whether it is that device's node
     */
    public boolean isCharacterDevice(int major, int minor) {
        return (mode & S_IFMT) == S_IFCHR && rdevMajor == major && rdevMinor == minor;
    }

    /** {@return whether the file is a directory} */
    public boolean isDirectory() {
        return (mode & S_IFMT) == S_IFDIR;
    }

    /** {@return the permission bits, with set-user-id, set-group-id and sticky} */
    public int permissions() {
        return mode & 07777;
    }

    /** {@return the file type as {@code ls -l} and error messages name it: "regular file", "FIFO", ...} */
    public String typeName() {
        return switch (mode & S_IFMT) {
            case S_IFREG -> "regular file";
            case S_IFDIR -> "directory";
            case S_IFLNK -> "symbolic link";
            case 0010000 -> "FIFO";
            case 0020000 -> "character device";
            case 0060000 -> "block device";
            case 0140000 -> "socket";
            default -> "file of type 0" + Integer.toOctalString(mode & S_IFMT);
        };
    }
}
