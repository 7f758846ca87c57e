package org.subhost.linux.disk;


import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.OptionalLong;
import org.subhost.linux.Fds;
import org.subhost.linux.Mounts;
import org.subhost.linux.SyscallException;
import org.subhost.linux.internal.Memory;

/**
 * The btrfs ioctls of subvolumes and quota groups (btrfs-progs' {@code btrfs subvolume} and
 * {@code btrfs qgroup}): what a size limit on one subvolume takes. Like {@code btrfs quota
 * enable MNT}, {@code btrfs qgroup limit SIZE SUBVOL}, {@code btrfs subvolume create DIR}.
 *
 * <p>Kernel rules: every subvolume has a level-0 quota group {@code 0/ID} (ID its tree id,
 * {@link #subvolumeId}) once quotas are on for the filesystem, which {@link #enableQuota}
 * turns on for the whole filesystem (with a rescan of what it holds). A limit on the
 * referenced bytes of {@code 0/ID} makes a write that would go past it fail with EDQUOT.
 * The quota ioctls need CAP_SYS_ADMIN; QGROUP_LIMIT answers ENOTCONN while quotas are off
 * and ENOENT when the group does not exist. The kernel makes the level-0 groups itself (and
 * refuses to make one by BTRFS_IOC_QGROUP_CREATE, EINVAL on 6.18). A subvolume's root directory has inode number
 * 256 and a device number of its own ({@code st_dev} differs from its parent's), though it
 * is the same filesystem and the same mount.
 */
public final class Btrfs {
    /** statfs(2) f_type of btrfs (linux/magic.h). */
    public static final long SUPER_MAGIC = 0x9123683EL;
    /** BTRFS_FIRST_FREE_OBJECTID: the inode number of every subvolume's root directory. */
    public static final long SUBVOLUME_ROOT_INODE = 256;

    // _IOWR/_IOW/_IOR(BTRFS_IOCTL_MAGIC 0x94, nr, struct) (linux/btrfs.h).
    private static final long IOC_SUBVOL_CREATE = 0x5000940EL; // _IOW(0x94, 14, btrfs_ioctl_vol_args: 4096)
    private static final long IOC_INO_LOOKUP = 0xD0009412L; // _IOWR(0x94, 18, btrfs_ioctl_ino_lookup_args: 4096)
    private static final long IOC_FS_INFO = 0x8400941FL; // _IOR(0x94, 31, btrfs_ioctl_fs_info_args: 1024)
    private static final long IOC_QUOTA_CTL = 0xC0109428L; // _IOWR(0x94, 40, btrfs_ioctl_quota_ctl_args: 16)
    private static final long IOC_QGROUP_LIMIT = 0x8030942BL; // _IOR(0x94, 43, btrfs_ioctl_qgroup_limit_args: 48)

    private static final long QUOTA_CTL_ENABLE = 1;
    private static final long QGROUP_LIMIT_MAX_RFER = 1;
    /** The value that clears a limit (the kernel's CLEAR_VALUE). */
    private static final long CLEAR = -1L;
    private static final int VOL_NAME_MAX = 4087;

    private Btrfs() {}

    /**
     * Whether {@code dir} is the root of a btrfs subvolume: on btrfs (statfs) with inode
     * number 256.
     *
     * @param dir a directory
     * @return whether it is a subvolume
     * @throws IOException when it cannot be looked at (ENOENT)
     */
    public static boolean isSubvolume(Path dir) throws IOException {
        return Mounts.filesystemType(dir.toString()) == SUPER_MAGIC
                && ((Number) Files.getAttribute(dir, "unix:ino", java.nio.file.LinkOption.NOFOLLOW_LINKS)).longValue()
                        == SUBVOLUME_ROOT_INODE;
    }

    /**
     * The tree id of the subvolume that {@code path} is in, which names its quota group
     * {@code 0/ID}: BTRFS_IOC_INO_LOOKUP with tree id 0, like {@code btrfs inspect-internal
     * rootid PATH}.
     *
     * @param path a file or directory on btrfs
     * @return the subvolume's id (5 for the top-level subvolume)
     * @throws SyscallException ENOTTY when {@code path} is not on btrfs
     */
    public static long subvolumeId(Path path) throws SyscallException {
        int fd = openDirectory(path);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment args = arena.allocate(4096, 8);
            Memory.setLong(args, 8, SUBVOLUME_ROOT_INODE); // objectid; treeid 0: the fd's own tree
            Ioctl.call(fd, IOC_INO_LOOKUP, args, path + ", BTRFS_IOC_INO_LOOKUP");
            return Memory.getLong(args, 0);
        } finally {
            closeQuietly(fd);
        }
    }

    /**
     * Makes subvolume {@code name} in directory {@code parent}: BTRFS_IOC_SUBVOL_CREATE,
     * like {@code btrfs subvolume create PARENT/NAME}.
     *
     * @param parent a directory on btrfs
     * @param name the new subvolume's name, no slash
     * @return its path
     * @throws SyscallException EEXIST, ENOTTY when {@code parent} is not on btrfs
     */
    public static Path createSubvolume(Path parent, String name) throws SyscallException {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        if (bytes.length == 0 || bytes.length > VOL_NAME_MAX || name.contains("/") || name.equals(".")
                || name.equals("..")) {
            throw new IllegalArgumentException("subvolume name (" + name + ") must be a file name of at most "
                    + VOL_NAME_MAX + " bytes");
        }
        int fd = openDirectory(parent);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment args = arena.allocate(4096, 8);
            MemorySegment.copy(bytes, 0, args, java.lang.foreign.ValueLayout.JAVA_BYTE, 8, bytes.length);
            Ioctl.call(fd, IOC_SUBVOL_CREATE, args, parent + ", BTRFS_IOC_SUBVOL_CREATE " + name);
            return parent.resolve(name);
        } finally {
            closeQuietly(fd);
        }
    }

    /**
     * Turns quotas on for the whole filesystem that {@code path} is on:
     * BTRFS_IOC_QUOTA_CTL with BTRFS_QUOTA_CTL_ENABLE, like {@code btrfs quota enable}. The
     * kernel makes a quota group for every subvolume and rescans what the filesystem holds
     * in the background; turning them on again is no error.
     *
     * @param path a file or directory of the filesystem
     * @throws SyscallException EPERM without CAP_SYS_ADMIN
     */
    public static void enableQuota(Path path) throws SyscallException {
        int fd = openDirectory(path);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment args = arena.allocate(16, 8);
            Memory.setLong(args, 0, QUOTA_CTL_ENABLE);
            Ioctl.call(fd, IOC_QUOTA_CTL, args, path + ", BTRFS_IOC_QUOTA_CTL BTRFS_QUOTA_CTL_ENABLE");
        } finally {
            closeQuietly(fd);
        }
    }

    /**
     * Limits the bytes that subvolume {@code subvolume} refers to, or lifts the limit:
     * BTRFS_IOC_QGROUP_LIMIT on its quota group {@code 0/ID} with BTRFS_QGROUP_LIMIT_MAX_RFER,
     * like {@code btrfs qgroup limit SIZE|none SUBVOL}. Writes past the limit fail with EDQUOT.
     *
     * @param subvolume the subvolume's root directory
     * @param bytes the limit, or empty to lift it
     * @throws SyscallException ENOTCONN while quotas are off, ENOENT when the quota group is missing
     */
    public static void limitReferenced(Path subvolume, OptionalLong bytes) throws SyscallException {
        int fd = openDirectory(subvolume);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment args = arena.allocate(48, 8);
            // qgroupid 0: the quota group of the subvolume that fd is in.
            Memory.setLong(args, 8, QGROUP_LIMIT_MAX_RFER);
            Memory.setLong(args, 16, bytes.orElse(CLEAR));
            Ioctl.call(fd, IOC_QGROUP_LIMIT, args, subvolume + ", BTRFS_IOC_QGROUP_LIMIT max_rfer "
                    + (bytes.isPresent() ? bytes.getAsLong() : "none"));
        } finally {
            closeQuietly(fd);
        }
    }

    /**
     * The filesystem's UUID, as {@code /sys/fs/btrfs/UUID} names it: BTRFS_IOC_FS_INFO.
     *
     * @param path a file or directory of the filesystem
     * @return the UUID, such as {@code 1c0bd7a6-...}
     * @throws SyscallException ENOTTY when {@code path} is not on btrfs
     */
    public static String filesystemId(Path path) throws SyscallException {
        int fd = openDirectory(path);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment args = arena.allocate(1024, 8);
            Ioctl.call(fd, IOC_FS_INFO, args, path + ", BTRFS_IOC_FS_INFO");
            byte[] id = args.asSlice(16, 16).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            String hex = HexFormat.of().formatHex(id);
            return hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-"
                    + hex.substring(16, 20) + "-" + hex.substring(20);
        } finally {
            closeQuietly(fd);
        }
    }

    /**
     * The bytes that subvolume {@code subvolume} refers to, as its quota group counts them:
     * {@code /sys/fs/btrfs/UUID/qgroups/0_ID/referenced} (Linux 5.9 and later).
     *
     * @param subvolume the subvolume's root directory
     * @return the bytes; empty while quotas are off or on an older kernel
     * @throws IOException when the subvolume cannot be asked
     */
    public static OptionalLong referencedBytes(Path subvolume) throws IOException {
        Path file = Path.of("/sys/fs/btrfs", filesystemId(subvolume), "qgroups", "0_" + subvolumeId(subvolume),
                "referenced");
        try {
            return OptionalLong.of(Long.parseLong(Files.readString(file).strip()));
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
    }

    private static int openDirectory(Path path) throws SyscallException {
        return Fds.open(path.toString(), Fds.O_RDONLY | Fds.O_CLOEXEC);
    }

    private static void closeQuietly(int fd) {
        try {
            Fds.close(fd);
        } catch (SyscallException e) {
            // EBADF only, a bug elsewhere; nothing to undo.
        }
    }
}
