package org.subhost.linux.disk;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.OptionalLong;
import org.subhost.linux.SyscallException;
import org.subhost.linux.internal.Downcall;
import org.subhost.linux.internal.Native;

/**
 * Project quotas of ext4 and XFS through system calls, like {@code chattr +P -p ID DIR} and
 * {@code setquota -P ID 0 BLOCKS 0 0 MNT} (or {@code xfs_quota -x -c 'project ...'}): the
 * project id and its inherit flag of a directory (FS_IOC_FSGETXATTR / FS_IOC_FSSETXATTR,
 * {@code struct fsxattr} of linux/fs.h), and a project's block limit and usage by
 * quotactl_fd(2) with PRJQUOTA ({@code struct if_dqblk} and {@code struct if_dqinfo} of
 * linux/quota.h), which takes a descriptor of any file on the filesystem instead of its
 * block device.
 *
 * <p>Kernel rules: project quotas exist on a filesystem only when it was mounted with
 * {@code prjquota} (ext4 made with the {@code quota} and {@code project} features, and a
 * kernel with CONFIG_QUOTA and CONFIG_QFMT_V2; XFS with CONFIG_XFS_QUOTA); otherwise
 * Q_GETINFO answers ESRCH, and a kernel without quotactl_fd (before 5.14, or without
 * CONFIG_QUOTACTL) ENOSYS. A new file takes the project id of its directory when the
 * directory has FS_XFLAG_PROJINHERIT (which subdirectories inherit too); ext4 and XFS
 * refuse a rename into such a directory from another project with EXDEV. Only the initial
 * user namespace may change a project id. The block limits of if_dqblk are in 1 KiB blocks,
 * the usage (dqb_curspace) in bytes; a write past the hard limit fails with EDQUOT.
 */
public final class ProjectQuota {
    /** statfs(2) f_type of ext2/3/4 (linux/magic.h EXT4_SUPER_MAGIC). */
    public static final long EXT4_SUPER_MAGIC = 0xEF53L;
    /** statfs(2) f_type of XFS (linux/magic.h XFS_SUPER_MAGIC, "XFSB"). */
    public static final long XFS_SUPER_MAGIC = 0x58465342L;

    /** quotactl_fd has no glibc wrapper; its number is the same on x86_64 and aarch64. */
    static final long SYS_QUOTACTL_FD = 443;
    /** linux/quota.h: the quota type of projects. */
    static final int PRJQUOTA = 2;
    static final int Q_GETINFO = 0x800005;
    static final int Q_GETQUOTA = 0x800007;
    static final int Q_SETQUOTA = 0x800008;
    /** if_dqblk.dqb_valid: the block limits (hard and soft) are set. */
    static final int QIF_BLIMITS = 1;
    /** sizeof(struct if_dqblk): eight u64 and a u32, padded to 8. */
    static final int IF_DQBLK_SIZE = 72;
    static final int DQB_BHARDLIMIT = 0;
    static final int DQB_BSOFTLIMIT = 8;
    static final int DQB_CURSPACE = 16;
    static final int DQB_VALID = 64;
    /** sizeof(struct if_dqinfo): two u64 and two u32. */
    static final int IF_DQINFO_SIZE = 24;
    /** The unit of if_dqblk's block limits (QIF_DQBLKSIZE). */
    static final long QUOTA_BLOCK = 1024;

    /** _IOR('X', 31, struct fsxattr). */
    static final long FS_IOC_FSGETXATTR = 0x801C581FL;
    /** _IOW('X', 32, struct fsxattr). */
    static final long FS_IOC_FSSETXATTR = 0x401C5820L;
    /** sizeof(struct fsxattr): five u32 and 8 bytes of padding. */
    static final int FSXATTR_SIZE = 28;
    static final int FSX_XFLAGS = 0;
    static final int FSX_PROJID = 12;
    /** fsx_xflags: new files take the directory's project id. */
    public static final int FS_XFLAG_PROJINHERIT = 0x200;

    // long syscall(SYS_quotactl_fd, unsigned int fd, unsigned int cmd, qid_t id, void *addr)
    private static final Downcall QUOTACTL_FD = Native.lazySyscall(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS);
    private ProjectQuota() {}

    /**
     * A directory's project: fsx_projid and whether fsx_xflags has FS_XFLAG_PROJINHERIT.
     *
     * @param id the project id (0: none)
     * @param inherit whether new files in the directory take {@code id}
     */
    public record Project(long id, boolean inherit) {}

    /**
     * {@return whether a filesystem of statfs type {@code magic} can have project quotas (ext4, XFS)}
     *
     * @param magic statfs(2) f_type
     */
    public static boolean isProjectQuotaFilesystem(long magic) {
        return magic == EXT4_SUPER_MAGIC || magic == XFS_SUPER_MAGIC;
    }

    /** {@return QCMD(cmd, PRJQUOTA): {@code (cmd << 8) | type}} */
    static int command(int cmd) {
        return (cmd << 8) | (PRJQUOTA & 0xff);
    }

    /**
     * Fails unless project quotas are on for the filesystem of {@code fd}: quotactl_fd
     * Q_GETINFO PRJQUOTA.
     *
     * @param fd a descriptor of a file or directory on the filesystem
     * @param what the path, for an error
     * @throws SyscallException ESRCH when project quotas are off (no {@code prjquota} mount
     *     option, or a kernel without quota support), ENOSYS without quotactl_fd
     */
    public static void requireOn(int fd, String what) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            quotactl(fd, Q_GETINFO, 0, arena.allocate(IF_DQINFO_SIZE, 8), what + ", Q_GETINFO PRJQUOTA");
        }
    }

    /**
     * The if_dqblk of Q_SETQUOTA that sets a project's block limits: the hard limit
     * {@code bytes} rounded up to 1 KiB blocks (0, no limit, when empty), no soft limit,
     * dqb_valid QIF_BLIMITS.
     *
     * @param bytes the limit, or empty to lift it
     * @return the structure's bytes in the machine's order
     */
    static byte[] blockLimit(OptionalLong bytes) {
        ByteBuffer b = ByteBuffer.allocate(IF_DQBLK_SIZE).order(ByteOrder.nativeOrder());
        long blocks = bytes.isPresent() ? Math.ceilDiv(bytes.getAsLong(), QUOTA_BLOCK) : 0;
        b.putLong(DQB_BHARDLIMIT, blocks);
        b.putLong(DQB_BSOFTLIMIT, 0);
        b.putInt(DQB_VALID, QIF_BLIMITS);
        return b.array();
    }

    /**
     * Limits the blocks of project {@code projectId} on the filesystem of {@code fd}, or
     * lifts the limit: quotactl_fd Q_SETQUOTA PRJQUOTA with {@link #blockLimit}.
     *
     * @param fd a descriptor of a file or directory on the filesystem
     * @param projectId the project
     * @param bytes the limit, or empty to lift it
     * @param what the path, for an error
     * @throws SyscallException ESRCH when project quotas are off
     */
    public static void limitBlocks(int fd, long projectId, OptionalLong bytes, String what) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dqblk = arena.allocate(IF_DQBLK_SIZE, 8);
            MemorySegment.copy(blockLimit(bytes), 0, dqblk, ValueLayout.JAVA_BYTE, 0, IF_DQBLK_SIZE);
            quotactl(fd, Q_SETQUOTA, projectId, dqblk, what + ", Q_SETQUOTA PRJQUOTA " + projectId + " bhardlimit "
                    + Math.ceilDiv(bytes.orElse(0), QUOTA_BLOCK));
        }
    }

    /**
     * The bytes that project {@code projectId} holds on the filesystem of {@code fd}:
     * dqb_curspace of quotactl_fd Q_GETQUOTA PRJQUOTA.
     *
     * @param fd a descriptor of a file or directory on the filesystem
     * @param projectId the project
     * @param what the path, for an error
     * @return the bytes
     * @throws SyscallException ESRCH when project quotas are off
     */
    public static long usedBytes(int fd, long projectId, String what) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment dqblk = arena.allocate(IF_DQBLK_SIZE, 8);
            quotactl(fd, Q_GETQUOTA, projectId, dqblk, what + ", Q_GETQUOTA PRJQUOTA " + projectId);
            return dqblk.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.nativeOrder()), DQB_CURSPACE);
        }
    }

    /**
     * The project of the file {@code fd}: FS_IOC_FSGETXATTR.
     *
     * @param fd a descriptor opened for reading (not O_PATH)
     * @param what the path, for an error
     * @return its project id and inherit flag
     * @throws SyscallException ENOTTY on a filesystem without the ioctl
     */
    public static Project project(int fd, String what) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fsx = arena.allocate(FSXATTR_SIZE, 8);
            Ioctl.call(fd, FS_IOC_FSGETXATTR, fsx, what + ", FS_IOC_FSGETXATTR");
            return decode(fsx.toArray(ValueLayout.JAVA_BYTE));
        }
    }

    /**
     * Gives the directory {@code fd} project {@code project.id()} and sets or clears its
     * FS_XFLAG_PROJINHERIT: FS_IOC_FSGETXATTR, then FS_IOC_FSSETXATTR with the other fields
     * as they were ({@link #withProject}).
     *
     * @param fd a descriptor of the directory, opened for reading
     * @param project the project id and the inherit flag to set
     * @param what the path, for an error
     * @throws SyscallException EPERM outside the initial user namespace, EINVAL for an id
     *     the filesystem cannot keep
     */
    public static void setProject(int fd, Project project, String what) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment fsx = arena.allocate(FSXATTR_SIZE, 8);
            Ioctl.call(fd, FS_IOC_FSGETXATTR, fsx, what + ", FS_IOC_FSGETXATTR");
            byte[] next = withProject(fsx.toArray(ValueLayout.JAVA_BYTE), project);
            MemorySegment.copy(next, 0, fsx, ValueLayout.JAVA_BYTE, 0, FSXATTR_SIZE);
            Ioctl.call(fd, FS_IOC_FSSETXATTR, fsx, what + ", FS_IOC_FSSETXATTR fsx_projid " + project.id()
                    + (project.inherit() ? " +" : " -") + "FS_XFLAG_PROJINHERIT");
        }
    }

    /** {@return the project in a struct fsxattr's bytes} */
    static Project decode(byte[] fsxattr) {
        ByteBuffer b = ByteBuffer.wrap(fsxattr).order(ByteOrder.nativeOrder());
        return new Project(Integer.toUnsignedLong(b.getInt(FSX_PROJID)),
                (b.getInt(FSX_XFLAGS) & FS_XFLAG_PROJINHERIT) != 0);
    }

    /** {@return a struct fsxattr's bytes with fsx_projid and FS_XFLAG_PROJINHERIT from {@code project}, the rest kept} */
    static byte[] withProject(byte[] fsxattr, Project project) {
        ByteBuffer b = ByteBuffer.wrap(fsxattr.clone()).order(ByteOrder.nativeOrder());
        int flags = b.getInt(FSX_XFLAGS);
        b.putInt(FSX_XFLAGS, project.inherit() ? flags | FS_XFLAG_PROJINHERIT : flags & ~FS_XFLAG_PROJINHERIT);
        b.putInt(FSX_PROJID, (int) project.id());
        return b.array();
    }

    private static void quotactl(int fd, int cmd, long id, MemorySegment addr, String what) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Native.errnoSegment(arena);
            long rc = (long) QUOTACTL_FD.call(errno, SYS_QUOTACTL_FD, fd, command(cmd), (int) id, Native.address(addr));
            if (rc == -1) {
                throw new SyscallException("quotactl_fd", what, Native.errno(errno));
            }
        }
    }

}
