package org.subhost.core;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;
import org.subhost.config.Limits;
import org.subhost.linux.AtFiles;
import org.subhost.linux.Errno;
import org.subhost.linux.Fds;
import org.subhost.linux.Mounts;
import org.subhost.linux.SyscallException;
import org.subhost.linux.disk.Btrfs;
import org.subhost.linux.disk.ProjectQuota;

/**
 * DISK_MAX: how much a subhost may write into UPPER, kept by the quota of UPPER's own
 * filesystem, so that a subhost cannot fill the host's filesystem (UPPER usually sits on
 * the host's {@code /}). {@link #choose} picks the way by UPPER's filesystem:
 *
 * <ul>
 *   <li>a btrfs subvolume: the limit is on the referenced bytes of its quota group {@code
 *       0/ID} ({@link Btrfs#limitReferenced}). Quotas are turned on for the filesystem when
 *       they are off, which the boot says in LOG; they stay on (other subvolumes may use
 *       them).
 *   <li>ext4 or XFS mounted with {@code prjquota}: a project quota. The subhost's project id
 *       is the inode number of UPPER's root directory, unique on its filesystem while UPPER
 *       exists and the same at every boot, so the stop and {@code overlay-limit} find it again
 *       without a record; UPPER's and WORK's root directories get it with
 *       FS_XFLAG_PROJINHERIT (overlayfs copies a file up through WORK and renames it into
 *       UPPER, which ext4 and XFS refuse across projects with EXDEV), then the project's
 *       block hard limit is set ({@link ProjectQuota#limitBlocks}). An UPPER that has another
 *       project already, or an id that holds blocks on the filesystem without
 *       UPPER having it, is refused: it is someone else's project. Files that UPPER held
 *       before the first such boot keep their project and do not count.
 * </ul>
 *
 * Writes past the limit fail inside with EDQUOT ("Disk quota exceeded"). The stop lifts the
 * limit again (and clears the inherit flag of UPPER's root); the data, the subvolume and the
 * project ids of the files stay.
 *
 * <p>Elsewhere DISK_MAX is refused with what to do: UPPER on an image of its own ({@code
 * overlay-diskfile}, whose size bounds it), on a btrfs subvolume, or on ext4 or XFS mounted
 * with {@code prjquota} by a kernel with quota support.
 */
final class DiskQuota {
    private DiskQuota() {}

    /** How DISK_MAX is kept on UPPER's filesystem. */
    enum Keeper {
        /** The quota group of a btrfs subvolume. */
        BTRFS_QGROUP,
        /** A project quota of ext4 or XFS. */
        PROJECT_QUOTA
    }

    /** What {@link #choose} looks at, the kernel's answers; a test's fake stands in for them. */
    interface Filesystems {
        /**
         * {@return statfs f_type of the filesystem that {@code dir} is on}
         *
         * @param dir the directory
         * @throws IOException when the kernel refuses (ENOENT)
         */
        long type(Path dir) throws IOException;

        /**
         * {@return whether {@code dir} is a btrfs subvolume's root}
         *
         * @param dir the directory
         * @throws IOException when it cannot be looked at
         */
        boolean isSubvolume(Path dir) throws IOException;

        /**
         * {@return the kernel's refusal of Q_GETINFO PRJQUOTA on {@code dir}'s filesystem,
         * empty when project quotas are on for it}
         *
         * @param dir the directory
         * @throws IOException when {@code dir} cannot be opened
         */
        Optional<SyscallException> projectQuotaRefusal(Path dir) throws IOException;
    }

    /** The kernel's answers, by system calls. */
    static final Filesystems KERNEL = new Filesystems() {
        @Override
        public long type(Path dir) throws IOException {
            return Mounts.filesystemType(dir.toString());
        }

        @Override
        public boolean isSubvolume(Path dir) throws IOException {
            return Btrfs.isSubvolume(dir);
        }

        @Override
        public Optional<SyscallException> projectQuotaRefusal(Path dir) throws IOException {
            int fd = openRoot(dir);
            try {
                ProjectQuota.requireOn(fd, dir.toString());
                return Optional.empty();
            } catch (SyscallException e) {
                return Optional.of(e);
            } finally {
                closeQuietly(fd);
            }
        }
    };

    /**
     * Sets DISK_MAX on UPPER (and WORK's project) before the root is mounted. Undo: the limit lifted.
     *
     * @param upper UPPER
     * @param work WORK, which takes UPPER's project where a project quota keeps DISK_MAX
     * @param bytes DISK_MAX
     */
    record Limit(Path upper, Path work, long bytes) implements BootStep.OnHost<Void> {
        @Override
        public String describe() {
            return "DISK_MAX " + Limits.sizeText(bytes) + " on UPPER " + upper
                    + " (its btrfs quota group, or its ext4/XFS project quota)";
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            set(upper, Optional.of(work), OptionalLong.of(bytes), in.log()::line);
            return null;
        }

        @Override
        public void undo(Void nothing, StepInputs in) throws Exception {
            set(upper, Optional.empty(), OptionalLong.empty(), line -> { });
        }
    }

    /**
     * How DISK_MAX ({@code limit}, for messages) can be kept on {@code upper}'s filesystem.
     *
     * @param upper UPPER
     * @param limit {@code DISK_MAX (16M)}, how messages name the limit
     * @param fs the kernel's answers
     * @return the way
     * @throws IOException when there is none, saying what to do (the three ways)
     */
    static Keeper choose(Path upper, String limit, Filesystems fs) throws IOException {
        long type = fs.type(upper);
        String ways = "put UPPER on an image of its own with overlay-diskfile, whose size bounds it; make UPPER a"
                + " btrfs subvolume (btrfs subvolume create); or put it on ext4 or XFS mounted with prjquota (ext4"
                + " made with mkfs.ext4 -O quota,project) by a kernel with quota support (CONFIG_QUOTA and"
                + " CONFIG_QFMT_V2, or CONFIG_XFS_QUOTA)";
        if (type == Btrfs.SUPER_MAGIC) {
            if (!fs.isSubvolume(upper)) {
                throw new IOException(limit + " cannot be applied to UPPER (" + upper + "): it is a directory of a"
                        + " btrfs subvolume, not a subvolume of its own, and a quota group limits whole subvolumes;"
                        + " make UPPER a subvolume (btrfs subvolume create " + upper + ", with its files moved in)");
            }
            return Keeper.BTRFS_QGROUP;
        }
        if (ProjectQuota.isProjectQuotaFilesystem(type)) {
            Optional<SyscallException> refusal = fs.projectQuotaRefusal(upper);
            if (refusal.isEmpty()) {
                return Keeper.PROJECT_QUOTA;
            }
            SyscallException e = refusal.get();
            String why = e.is(Errno.ENOSYS) ? "this kernel has no quotactl_fd (Linux 5.14 and CONFIG_QUOTACTL)"
                    : e.is(Errno.ESRCH) ? "project quotas are off for that filesystem (it is not mounted with"
                            + " prjquota, or the kernel has no quota support)"
                    : "the kernel refused to say whether project quotas are on";
            throw new IOException(limit + " cannot be applied to UPPER (" + upper + "), which is on "
                    + typeName(type) + ": " + why + " (" + e.getMessage() + "); " + ways);
        }
        throw new IOException(limit + " cannot be applied to UPPER (" + upper + "), which is on " + typeName(type)
                + ": DISK_MAX is kept by a btrfs quota group or an ext4/XFS project quota; " + ways);
    }

    /**
     * Limits UPPER to {@code bytes}, or lifts its limit.
     *
     * @param upper UPPER
     * @param work WORK, given UPPER's project at a boot; empty on a live change and at the stop
     * @param bytes DISK_MAX, or empty to lift it
     * @param log where a line goes when quotas are turned on for UPPER's filesystem
     * @throws IOException when UPPER's filesystem cannot keep DISK_MAX (saying what to do), or
     *     the kernel refuses
     */
    static void set(Path upper, Optional<Path> work, OptionalLong bytes, Consumer<String> log) throws IOException {
        String limit = "DISK_MAX (" + (bytes.isPresent() ? Limits.sizeText(bytes.getAsLong()) : "none") + ")";
        Keeper keeper;
        try {
            keeper = choose(upper, limit, KERNEL);
        } catch (IOException e) {
            if (bytes.isEmpty()) {
                return; // nothing can have been set
            }
            throw e;
        }
        if (keeper == Keeper.PROJECT_QUOTA) {
            setProjectQuota(upper, work, bytes);
            return;
        }
        try {
            Btrfs.limitReferenced(upper, bytes);
        } catch (SyscallException e) {
            if (!e.is(Errno.ENOTCONN)) {
                throw e;
            }
            if (bytes.isEmpty()) {
                return; // quotas are off: no limit to lift
            }
            Btrfs.enableQuota(upper);
            log.accept("turned btrfs quotas on for the filesystem of UPPER (" + upper + "), which DISK_MAX needs");
            Btrfs.limitReferenced(upper, bytes);
        }
    }

    private static void setProjectQuota(Path upper, Optional<Path> work, OptionalLong bytes) throws IOException {
        int fd = openRoot(upper);
        try {
            long id = projectId(fd, upper);
            ProjectQuota.Project now = ProjectQuota.project(fd, upper.toString());
            if (bytes.isEmpty()) {
                if (now.id() == id) {
                    ProjectQuota.limitBlocks(fd, id, bytes, upper.toString());
                    ProjectQuota.setProject(fd, new ProjectQuota.Project(id, false), upper.toString());
                }
                return;
            }
            if (now.id() != id) {
                if (now.id() != 0) {
                    throw new IOException("DISK_MAX cannot be applied to UPPER (" + upper + "): it belongs to project "
                            + now.id() + " already, not the subhost's own (" + id + ", its inode number); give it"
                            + " project 0 again (chattr -p 0 " + upper + ") or put the subhost's UPPER elsewhere");
                }
                if (work.isEmpty()) {
                    throw new IOException("DISK_MAX cannot be set on the running subhost: UPPER (" + upper
                            + ") is kept by a project quota, which WORK must share from the boot on; stop it and"
                            + " boot it with DISK_MAX");
                }
                long used = ProjectQuota.usedBytes(fd, id, upper.toString());
                if (used != 0) {
                    throw new IOException("DISK_MAX cannot be applied to UPPER (" + upper + "): its project id " + id
                            + " (its inode number) holds " + used + " bytes of other files on that filesystem;"
                            + " it is someone else's project: put the subhost's UPPER in another directory");
                }
            }
            if (work.isPresent()) {
                int workFd = openRoot(work.get());
                try {
                    ProjectQuota.setProject(workFd, new ProjectQuota.Project(id, true), work.get().toString());
                } finally {
                    closeQuietly(workFd);
                }
            }
            ProjectQuota.setProject(fd, new ProjectQuota.Project(id, true), upper.toString());
            ProjectQuota.limitBlocks(fd, id, bytes, upper.toString());
        } finally {
            closeQuietly(fd);
        }
    }

    /** The subhost's project id: UPPER's inode number, which must fit in a 32-bit qid_t. */
    private static long projectId(int fd, Path upper) throws IOException {
        long inode = AtFiles.fstat(fd).inode();
        if (inode <= 0 || inode > 0xFFFFFFFEL) {
            throw new IOException("DISK_MAX cannot be applied to UPPER (" + upper + "): its inode number (" + inode
                    + "), which names its project, does not fit a project id (32 bits); make a new directory for"
                    + " UPPER (XFS: a filesystem mounted with inode32)");
        }
        return inode;
    }

    /**
     * The bytes that UPPER holds, as its quota group or project counts them; empty where
     * DISK_MAX is not kept by a quota.
     *
     * @param upper UPPER
     * @return the bytes, or empty
     */
    static OptionalLong used(Path upper) {
        try {
            Keeper keeper = choose(upper, "DISK_MAX", KERNEL);
            if (keeper == Keeper.BTRFS_QGROUP) {
                return Btrfs.referencedBytes(upper);
            }
            int fd = openRoot(upper);
            try {
                long id = projectId(fd, upper);
                return ProjectQuota.project(fd, upper.toString()).id() == id
                        ? OptionalLong.of(ProjectQuota.usedBytes(fd, id, upper.toString())) : OptionalLong.empty();
            } finally {
                closeQuietly(fd);
            }
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    /** UPPER's (or WORK's) root directory, the last name not followed: the subhost owns UPPER. */
    private static int openRoot(Path dir) throws SyscallException {
        return Fds.open(dir.toString(), Fds.O_RDONLY | Fds.O_DIRECTORY | Fds.O_NOFOLLOW | Fds.O_CLOEXEC);
    }

    private static void closeQuietly(int fd) {
        try {
            Fds.close(fd);
        } catch (SyscallException e) {
            // EBADF only, a bug elsewhere; nothing to undo.
        }
    }

    static String typeName(long magic) {
        if (magic == 0xEF53L) {
            return "ext2/3/4";
        }
        if (magic == 0x58465342L) {
            return "XFS";
        }
        if (magic == 0x01021994L) {
            return "tmpfs";
        }
        if (magic == 0x794c7630L) {
            return "overlayfs";
        }
        return "a filesystem of type 0x" + Long.toHexString(magic);
    }
}
