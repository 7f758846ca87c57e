package org.subhost.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import org.subhost.linux.internal.FlagNames;
import org.subhost.linux.internal.Downcall;
import org.subhost.linux.internal.Memory;
import org.subhost.linux.internal.Native;

/**
 * The mount system calls: mount(2), umount2(2), pivot_root(2), open_tree(2), move_mount(2)
 * and mknod(2), without policy; and what statx(2) and statfs(2) say of a mount.
 *
 * <p>Example, on a {@link NamespaceThread} that unshared {@link Namespaces#CLONE_NEWNS}:
 * <pre>{@code
 * Mounts.makeRprivate("/");
 * Mounts.mount("tmpfs", "/ex1/live/run", "tmpfs", MS_NOSUID | MS_NODEV, "size=50M,mode=755");
 * }</pre>
 *
 * <p>Every call acts in the mount namespace of the calling thread, and relative paths
 * resolve against that thread's working directory. Mounting in the host's own mount
 * namespace is the caller's decision: this class does not check where it runs. Paths are
 * passed as they are; the kernel resolves symbolic links in them (except in the last
 * component for {@link #umount2} with {@link #UMOUNT_NOFOLLOW}).
 *
 * <p>Each refusal is a {@link SyscallException} whose message names the call, the paths and
 * the flags by name, such as
 * {@code mount(overlay on /opt/mta/live, type overlay, MS_NOSUID): EINVAL (Invalid argument)}.
 */
public final class Mounts {
    /** mount(2): mount read-only. */
    public static final long MS_RDONLY = 1;
    /** mount(2): ignore set-user-id and set-group-id bits and file capabilities. */
    public static final long MS_NOSUID = 2;
    /** mount(2): no access to device special files. */
    public static final long MS_NODEV = 4;
    /** mount(2): no program may be executed from this mount. */
    public static final long MS_NOEXEC = 8;
    /** mount(2): writes are synchronous. */
    public static final long MS_SYNCHRONOUS = 16;
    /** mount(2): change the flags (and data) of an existing mount. */
    public static final long MS_REMOUNT = 32;
    /** mount(2): directory changes are synchronous. */
    public static final long MS_DIRSYNC = 128;
    /** mount(2): do not follow symbolic links when resolving paths on this mount. */
    public static final long MS_NOSYMFOLLOW = 256;
    /** mount(2): do not update access times. */
    public static final long MS_NOATIME = 1024;
    /** mount(2): do not update access times of directories. */
    public static final long MS_NODIRATIME = 2048;
    /** mount(2): bind mount: make {@code source} visible at {@code target} too. */
    public static final long MS_BIND = 4096;
    /** mount(2): move the mount at {@code source} to {@code target}. */
    public static final long MS_MOVE = 8192;
    /** mount(2): with MS_BIND, take the mounts below too; with a propagation type, apply it to them. */
    public static final long MS_REC = 16384;
    /** mount(2): suppress some kernel log messages. */
    public static final long MS_SILENT = 32768;
    /** mount(2) propagation: the mount cannot be bind-mounted. */
    public static final long MS_UNBINDABLE = 1 << 17;
    /** mount(2) propagation: mount events neither reach nor come from peers. */
    public static final long MS_PRIVATE = 1 << 18;
    /** mount(2) propagation: events come from the master, none go back. */
    public static final long MS_SLAVE = 1 << 19;
    /** mount(2) propagation: events are shared with the peer group. */
    public static final long MS_SHARED = 1 << 20;
    /** mount(2): update access times relative to modification times. */
    public static final long MS_RELATIME = 1 << 21;
    /** mount(2): always update access times. */
    public static final long MS_STRICTATIME = 1 << 24;
    /** mount(2): keep time updates in memory only. */
    public static final long MS_LAZYTIME = 1 << 25;

    /** umount2(2): force unmount even if busy (only some network file systems honour it). */
    public static final int MNT_FORCE = 1;
    /** umount2(2): lazy unmount: detach now, release when no longer busy. */
    public static final int MNT_DETACH = 2;
    /** umount2(2): mark the mount as expired. */
    public static final int MNT_EXPIRE = 4;
    /** umount2(2): do not follow a symbolic link in the last component of the target. */
    public static final int UMOUNT_NOFOLLOW = 8;

    /** open_tree(2): clone the mount (a detached bind mount) instead of opening it. */
    public static final int OPEN_TREE_CLONE = 1;
    /** open_tree(2): the returned descriptor is close-on-exec (the value of O_CLOEXEC). */
    public static final int OPEN_TREE_CLOEXEC = 0x80000;
    /** open_tree(2), *at(2): with OPEN_TREE_CLONE, clone the mounts below too. */
    public static final int AT_RECURSIVE = 0x8000;
    /** *at(2): an empty path means the directory descriptor itself. */
    public static final int AT_EMPTY_PATH = 0x1000;
    /** *at(2): do not follow a symbolic link in the last component. */
    public static final int AT_SYMLINK_NOFOLLOW = 0x100;
    /** *at(2): do not trigger an automount on the last component. */
    public static final int AT_NO_AUTOMOUNT = 0x800;
    /** *at(2): the directory descriptor meaning "the working directory of the thread". */
    public static final int AT_FDCWD = -100;

    /** move_mount(2): follow symbolic links in the source path. */
    public static final int MOVE_MOUNT_F_SYMLINKS = 1;
    /** move_mount(2): follow automounts in the source path. */
    public static final int MOVE_MOUNT_F_AUTOMOUNTS = 2;
    /** move_mount(2): an empty source path means the source descriptor itself. */
    public static final int MOVE_MOUNT_F_EMPTY_PATH = 4;
    /** move_mount(2): follow symbolic links in the target path. */
    public static final int MOVE_MOUNT_T_SYMLINKS = 0x10;
    /** move_mount(2): follow automounts in the target path. */
    public static final int MOVE_MOUNT_T_AUTOMOUNTS = 0x20;
    /** move_mount(2): an empty target path means the target descriptor itself. */
    public static final int MOVE_MOUNT_T_EMPTY_PATH = 0x40;

    /** mount_setattr(2) attribute: the mount is read-only. */
    public static final long MOUNT_ATTR_RDONLY = 0x1;
    /** mount_setattr(2) attribute: set-user-id and set-group-id bits and file capabilities are ignored. */
    public static final long MOUNT_ATTR_NOSUID = 0x2;
    /** mount_setattr(2) attribute: device nodes on the mount cannot be opened. */
    public static final long MOUNT_ATTR_NODEV = 0x4;
    /** mount_setattr(2) attribute: no program on the mount can be executed. */
    public static final long MOUNT_ATTR_NOEXEC = 0x8;

    /** fsopen(2) flag: the file system context's descriptor is close-on-exec. */
    public static final int FSOPEN_CLOEXEC = 1;
    /** fsmount(2) flag: the mount's descriptor is close-on-exec. */
    public static final int FSMOUNT_CLOEXEC = 1;
    private static final int FSCONFIG_SET_STRING = 1;
    private static final int FSCONFIG_CMD_CREATE = 6;

    /** mknod(2) file type: character device. */
    public static final int S_IFCHR = 0020000;
    /** mknod(2) file type: block device. */
    public static final int S_IFBLK = 0060000;
    /** mknod(2) file type: named pipe. */
    public static final int S_IFIFO = 0010000;
    /** mknod(2) file type: regular file. */
    public static final int S_IFREG = 0100000;
    private static final int S_IFMT = 0170000;

    static final FlagNames MOUNT_FLAGS = FlagNames.builder()
            .add("MS_REMOUNT", MS_REMOUNT).add("MS_BIND", MS_BIND).add("MS_MOVE", MS_MOVE)
            .add("MS_REC", MS_REC).add("MS_PRIVATE", MS_PRIVATE).add("MS_SLAVE", MS_SLAVE)
            .add("MS_SHARED", MS_SHARED).add("MS_UNBINDABLE", MS_UNBINDABLE)
            .add("MS_RDONLY", MS_RDONLY).add("MS_NOSUID", MS_NOSUID).add("MS_NODEV", MS_NODEV)
            .add("MS_NOEXEC", MS_NOEXEC).add("MS_SYNCHRONOUS", MS_SYNCHRONOUS)
            .add("MS_DIRSYNC", MS_DIRSYNC).add("MS_NOSYMFOLLOW", MS_NOSYMFOLLOW)
            .add("MS_NOATIME", MS_NOATIME).add("MS_NODIRATIME", MS_NODIRATIME)
            .add("MS_SILENT", MS_SILENT).add("MS_RELATIME", MS_RELATIME)
            .add("MS_STRICTATIME", MS_STRICTATIME).add("MS_LAZYTIME", MS_LAZYTIME)
            .build();
    static final FlagNames UMOUNT_FLAGS = FlagNames.builder()
            .add("MNT_FORCE", MNT_FORCE).add("MNT_DETACH", MNT_DETACH).add("MNT_EXPIRE", MNT_EXPIRE)
            .add("UMOUNT_NOFOLLOW", UMOUNT_NOFOLLOW).build();
    static final FlagNames OPEN_TREE_FLAGS = FlagNames.builder()
            .add("OPEN_TREE_CLONE", OPEN_TREE_CLONE).add("OPEN_TREE_CLOEXEC", OPEN_TREE_CLOEXEC)
            .add("AT_RECURSIVE", AT_RECURSIVE).add("AT_EMPTY_PATH", AT_EMPTY_PATH)
            .add("AT_SYMLINK_NOFOLLOW", AT_SYMLINK_NOFOLLOW).add("AT_NO_AUTOMOUNT", AT_NO_AUTOMOUNT)
            .build();
    static final FlagNames MOVE_MOUNT_FLAGS = FlagNames.builder()
            .add("MOVE_MOUNT_F_SYMLINKS", MOVE_MOUNT_F_SYMLINKS)
            .add("MOVE_MOUNT_F_AUTOMOUNTS", MOVE_MOUNT_F_AUTOMOUNTS)
            .add("MOVE_MOUNT_F_EMPTY_PATH", MOVE_MOUNT_F_EMPTY_PATH)
            .add("MOVE_MOUNT_T_SYMLINKS", MOVE_MOUNT_T_SYMLINKS)
            .add("MOVE_MOUNT_T_AUTOMOUNTS", MOVE_MOUNT_T_AUTOMOUNTS)
            .add("MOVE_MOUNT_T_EMPTY_PATH", MOVE_MOUNT_T_EMPTY_PATH)
            .build();
    static final FlagNames MOUNT_ATTRIBUTES = FlagNames.builder()
            .add("MOUNT_ATTR_RDONLY", MOUNT_ATTR_RDONLY).add("MOUNT_ATTR_NOSUID", MOUNT_ATTR_NOSUID)
            .add("MOUNT_ATTR_NODEV", MOUNT_ATTR_NODEV).add("MOUNT_ATTR_NOEXEC", MOUNT_ATTR_NOEXEC).build();
    static final FlagNames FILE_TYPES = FlagNames.builder()
            .add("S_IFCHR", S_IFCHR).add("S_IFBLK", S_IFBLK).add("S_IFIFO", S_IFIFO)
            .add("S_IFREG", S_IFREG).build();

    /** pivot_root(2) has no glibc declaration; its number differs between the two architectures. */
    static final long SYS_PIVOT_ROOT = Native.AARCH64 ? 41 : 155;

    // int mount(const char *source, const char *target, const char *fstype,
    //           unsigned long flags, const void *data)
    private static final Downcall MOUNT = Native.lazyDowncall("mount",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS));
    // int umount2(const char *target, int flags)
    private static final Downcall UMOUNT2 = Native.lazyDowncall("umount2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    // long syscall(SYS_pivot_root, const char *new_root, const char *put_old)
    private static final Downcall PIVOT_ROOT = Native.lazySyscall(ADDRESS, ADDRESS);
    // int open_tree(int dfd, const char *path, unsigned int flags): glibc >= 2.36 (syscall 428)
    private static final Downcall OPEN_TREE = Native.lazyDowncall("open_tree",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    // int move_mount(int from_dfd, const char *from_path, int to_dfd, const char *to_path,
    //                unsigned int flags): glibc >= 2.36 (syscall 429)
    private static final Downcall MOVE_MOUNT = Native.lazyDowncall("move_mount",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT));
    // int mount_setattr(int dfd, const char *path, unsigned int flags, struct mount_attr *attr,
    //                   size_t size): glibc >= 2.36 (syscall 442)
    private static final Downcall MOUNT_SETATTR = Native.lazyDowncall("mount_setattr",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG));
    /** struct mount_attr: attr_set, attr_clr, propagation, userns_fd, each a u64 (MOUNT_ATTR_SIZE_VER0). */
    private static final long MOUNT_ATTR_SIZE = 32;
    // int fsopen(const char *fstype, unsigned int flags): glibc >= 2.36 (syscall 430)
    private static final Downcall FSOPEN = Native.lazyDowncall("fsopen",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    // int fsconfig(int fd, unsigned int cmd, const char *key, const void *value, int aux):
    // glibc >= 2.36 (syscall 431)
    private static final Downcall FSCONFIG = Native.lazyDowncall("fsconfig",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT));
    // int fsmount(int fd, unsigned int flags, unsigned int attr_flags): glibc >= 2.36 (syscall 432)
    private static final Downcall FSMOUNT = Native.lazyDowncall("fsmount",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    // int mknod(const char *path, mode_t mode, dev_t dev): glibc >= 2.33 exports it
    private static final Downcall MKNOD = Native.lazyDowncall("mknod",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG));

    // int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf)
    private static final Downcall STATX = Native.lazyDowncall("statx",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    // int statfs(const char *path, struct statfs *buf)
    private static final Downcall STATFS = Native.lazyDowncall("statfs",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));

    // long syscall(SYS_listmount, const struct mnt_id_req *req, u64 *mnt_ids, size_t nr, unsigned int flags)
    private static final Downcall LISTMOUNT = Native.lazySyscall(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT);
    // long syscall(SYS_statmount, const struct mnt_id_req *req, struct statmount *buf, size_t size,
    //              unsigned int flags)
    private static final Downcall STATMOUNT = Native.lazySyscall(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT);
    /** listmount(2) and statmount(2) (Linux 6.8): the same number on x86_64 and aarch64. */
    static final long SYS_STATMOUNT = 457;
    static final long SYS_LISTMOUNT = 458;
    /** struct mnt_id_req, first version: size, spare (u32 each), mnt_id, param (u64 each). */
    private static final long MNT_ID_REQ_SIZE_VER0 = 24;
    /** statmount(2)'s mask: the mount's ids, attributes and propagation; its mount point. */
    private static final long STATMOUNT_MNT_BASIC = 0x2;
    private static final long STATMOUNT_MNT_POINT = 0x10;
    /** struct statmount: the fixed part is 512 bytes, then the strings (Linux 6.18). */
    private static final long STATMOUNT_STRINGS = 512;
    private static final long SM_MASK = 8;
    private static final long SM_MNT_ID = 40;
    private static final long SM_MNT_PARENT_ID = 48;
    private static final long SM_MNT_ATTR = 64;
    private static final long SM_MNT_PROPAGATION = 72;
    private static final long SM_MNT_POINT = 108;
    /** listmount(2): the mounts of the calling thread's namespace, from its root. */
    public static final long LSMT_ROOT = -1L;
    /** statx(2): the 64-bit mount id that is never reused (Linux 6.8). */
    private static final int STATX_MNT_ID_UNIQUE = 0x4000;

    /** statfs(2) f_type of a cgroup v2 hierarchy (linux/magic.h). */
    public static final long CGROUP2_SUPER_MAGIC = 0x63677270L;
    /** statfs(2) f_type of an overlay filesystem (linux/magic.h). */
    public static final long OVERLAYFS_SUPER_MAGIC = 0x794c7630L;

    // int fstatfs(int fd, struct statfs *buf)
    private static final Downcall FSTATFS = Native.lazyDowncall("fstatfs",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));

    /** struct statx: 256 bytes; stx_attributes at 8, stx_attributes_mask at 56 (both u64). */
    private static final long STATX_SIZE = 256;
    private static final long STX_ATTRIBUTES = 8;
    private static final long STX_ATTRIBUTES_MASK = 56;
    private static final long STX_MNT_ID = 144;
    private static final int STATX_MNT_ID = 0x1000;
    /** The path is the root of a mount (Linux 5.8 and later report it). */
    private static final long STATX_ATTR_MOUNT_ROOT = 0x2000;
    /** struct statfs: 120 bytes on 64-bit Linux, f_type (a long) first. */
    private static final long STATFS_SIZE = 128;

    private Mounts() {}

    /**
     * Attaches a file system, or changes a mount: mount(2), like {@code mount -t FSTYPE -o
     * DATA SOURCE TARGET}.
     *
     * <p>The kind of call follows from {@code flags}, in the kernel's order: MS_REMOUNT
     * changes the flags of the mount at {@code target} (with MS_BIND: only the per-mount
     * flags such as MS_RDONLY, MS_NOSUID); MS_BIND makes {@code source} visible at
     * {@code target} (MS_REC: with the mounts below it; the per-mount flags given here are
     * ignored, a read-only bind needs a second call with MS_REMOUNT|MS_BIND|MS_RDONLY);
     * MS_SHARED, MS_PRIVATE, MS_SLAVE or MS_UNBINDABLE change the propagation of the mount
     * at {@code target} (MS_REC: of all below); MS_MOVE moves a mount; anything else mounts a
     * new file system of type {@code fstype}.
     *
     * <p>Acts in the calling thread's mount namespace: call it on a {@link NamespaceThread}
     * that unshared or entered one, never on the host's.
     *
     * <p>Errnos to expect: EINVAL (a bad option in {@code data}, a remount or propagation
     * change of a path that is no mount point, MS_MOVE of a shared mount), ENODEV (no such
     * file system type), ENOENT or ENOTDIR (a path is missing), EBUSY (the source is already
     * mounted), EPERM (not root, or a locked mount).
     *
     * @param source what to mount: a device, a path for MS_BIND, a name shown in
     *     /proc/self/mountinfo for virtual file systems; null for none
     * @param target where, a directory or (for a bind of a file) a file
     * @param fstype the file system type such as {@code tmpfs}; null for binds and changes
     * @param flags MS_* flags, or-ed
     * @param data file system options such as {@code size=50M}; null for none
     * @throws SyscallException when the kernel refuses
     */
    public static void mount(String source, String target, String fstype, long flags, String data)
            throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) MOUNT.call(errnoSegment, Native.address(Native.cString(arena, source)),
                    Native.address(Native.cString(arena, target)), Native.address(Native.cString(arena, fstype)),
                    flags, Native.address(Native.cString(arena, data)));
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("mount", describeMount(source, target, fstype, flags, data), errno);
        }
    }

    /** The arguments of mount(2) as its error message shows them. */
    static String describeMount(String source, String target, String fstype, long flags, String data) {
        StringBuilder out = new StringBuilder();
        out.append(source == null ? "none" : source).append(" on ").append(target);
        if (fstype != null) {
            out.append(", type ").append(fstype);
        }
        if (flags != 0) {
            out.append(", ").append(MOUNT_FLAGS.format(flags));
        }
        if (data != null && !data.isEmpty()) {
            out.append(", ").append(data);
        }
        return out.toString();
    }

    /**
     * Detaches the mount at {@code target}: umount2(2), like {@code umount TARGET} (with
     * MNT_DETACH: {@code umount -l TARGET}).
     *
     * <p>Without MNT_DETACH the kernel refuses a mount that is in use (EBUSY: an open file,
     * a working directory, a mount below it). MNT_DETACH removes the mount from the tree at
     * once and frees it when its last user is gone; we pass it for the old root after
     * pivot_root, whose mounts are still referenced.
     *
     * <p>Acts in the calling thread's mount namespace: call it on a {@link NamespaceThread}
     * that unshared or entered one, never on the host's.
     *
     * <p>Errnos to expect: EINVAL ({@code target} is not a mount point), EBUSY, ENOENT.
     *
     * @param flags MNT_* and UMOUNT_NOFOLLOW, or-ed; 0 for a plain unmount
     * @param target the mount point
     * @throws SyscallException when the kernel refuses
     */
    public static void umount2(String target, int flags) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) UMOUNT2.call(errnoSegment, Native.address(Memory.cString(arena, target)), flags);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("umount2", flags == 0 ? target : target + ", " + UMOUNT_FLAGS.format(flags), errno);
        }
    }

    /**
     * Makes {@code newRoot} the root of the calling thread's mount namespace and moves the
     * old root to {@code putOld}: pivot_root(2) (system call 155 on x86_64, 41 on aarch64),
     * like {@code pivot_root NEW PUT_OLD}.
     *
     * <p>Kernel rules: {@code newRoot} must be a mount point (bind it onto itself first if it
     * is a plain directory) other than the current root; {@code putOld} must be at or below
     * {@code newRoot}; neither the new root's mount nor its parent may have shared
     * propagation (make "/" private with {@link #makeRprivate} first); the calling thread's
     * fs_struct must not be shared (a {@link NamespaceThread} has its own). Every thread
     * and process of the mount namespace whose root or working directory was the old root
     * gets the new one. Afterwards {@code chdir("/")} is the caller's business, and the old
     * root is usually detached with {@code umount2(putOld, MNT_DETACH)}.
     *
     * <p>Acts in the calling thread's mount namespace: call it on a {@link NamespaceThread}
     * that unshared or entered one, never on the host's.
     *
     * <p>Errnos to expect: EINVAL ({@code newRoot} is not a mount point, {@code putOld} is
     * not below it, or a mount is shared), EBUSY ({@code newRoot} or {@code putOld} is the
     * current root), ENOTDIR, EPERM.
     *
     * @param newRoot the mount point that becomes the root
     * @param putOld where the old root goes, at or below {@code newRoot}
     * @throws SyscallException when the kernel refuses
     */
    public static void pivotRoot(String newRoot, String putOld) throws SyscallException {
        long rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (long) PIVOT_ROOT.call(errnoSegment, SYS_PIVOT_ROOT,
                    Native.address(Memory.cString(arena, newRoot)), Native.address(Memory.cString(arena, putOld)));
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("pivot_root", newRoot + ", " + putOld, errno);
        }
    }

    /**
     * Opens the mount tree at {@code path} as a file descriptor: open_tree(2) (system call
     * 428), relative to the working directory.
     *
     * <p>With OPEN_TREE_CLONE the descriptor holds a new detached copy of the mount (with
     * AT_RECURSIVE: of the whole tree below it, like {@code mount --rbind}); it belongs to
     * no mount namespace until {@link #moveMount} attaches it, so it can carry a host
     * directory into another mount namespace: open the tree in the host's namespace, then
     * move it from a thread that entered the target namespace (live shares). A detached
     * tree that is never attached is freed when the descriptor is closed. We pass
     * OPEN_TREE_CLOEXEC so that no spawned program inherits it.
     *
     * <p>Errnos to expect: ENOENT, EINVAL (a bad flag, or OPEN_TREE_CLONE of an unbindable
     * mount), EPERM (OPEN_TREE_CLONE needs CAP_SYS_ADMIN).
     *
     * @param flags OPEN_TREE_CLONE, OPEN_TREE_CLOEXEC, AT_RECURSIVE and AT_* flags, or-ed
     * @param path the mount point (or a directory in the mount) to open
     * @return the new descriptor, owned by the caller ({@link Fds#close})
     * @throws SyscallException when the kernel refuses
     */
    public static int openTree(String path, int flags) throws SyscallException {
        return openTree(AT_FDCWD, path, flags);
    }

    /**
     * {@link #openTree(String, int)} relative to {@code dirFd}: with an empty {@code path}
     * and AT_EMPTY_PATH, the tree at the file that {@code dirFd} (an O_PATH descriptor will
     * do) names, with no path resolved again: what was checked when it was opened is what
     * gets bound.
     *
     * @param dirFd a directory descriptor, the file to clone (with AT_EMPTY_PATH), or AT_FDCWD
     * @param path the path relative to {@code dirFd}, or "" with AT_EMPTY_PATH
     * @param flags OPEN_TREE_CLONE, OPEN_TREE_CLOEXEC, AT_RECURSIVE and AT_* flags, or-ed
     * @return the new descriptor, owned by the caller ({@link Fds#close})
     * @throws SyscallException when the kernel refuses
     */
    public static int openTree(int dirFd, String path, int flags) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) OPEN_TREE.call(errnoSegment, dirFd, Native.address(Memory.cString(arena, path)), flags);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("open_tree", at(dirFd, path) + ", " + OPEN_TREE_FLAGS.format(flags), errno);
        }
        return rc;
    }

    /**
     * Attaches or moves a mount: move_mount(2) (system call 429).
     *
     * <p>For a tree from {@link #openTree}: {@code moveMount(fd, "", AT_FDCWD, target,
     * MOVE_MOUNT_F_EMPTY_PATH)} attaches it at {@code target} in the calling thread's mount
     * namespace, like {@code mount --bind}; the mount takes the propagation of its new
     * parent.
     *
     * <p>Acts in the calling thread's mount namespace: call it on a {@link NamespaceThread}
     * that unshared or entered one, never on the host's.
     *
     * <p>Errnos to expect: ENOENT ({@code toPath} missing), EINVAL (the source is not a
     * mount, or is already attached elsewhere), ELOOP, EPERM.
     *
     * @param fromDirFd descriptor of the source (an open_tree descriptor), or AT_FDCWD
     * @param fromPath path relative to {@code fromDirFd}; "" with MOVE_MOUNT_F_EMPTY_PATH
     * @param toDirFd descriptor the target path is relative to, or AT_FDCWD
     * @param toPath the mount point
     * @param flags MOVE_MOUNT_* flags, or-ed
     * @throws SyscallException when the kernel refuses
     */
    public static void moveMount(int fromDirFd, String fromPath, int toDirFd, String toPath, int flags)
            throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) MOVE_MOUNT.call(errnoSegment, fromDirFd, Native.address(Memory.cString(arena, fromPath)),
                    toDirFd, Native.address(Memory.cString(arena, toPath)), flags);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("move_mount", at(fromDirFd, fromPath) + " onto " + at(toDirFd, toPath)
                    + ", " + MOVE_MOUNT_FLAGS.format(flags), errno);
        }
    }

    /**
     * Sets and clears per-mount attributes of one mount, or with AT_RECURSIVE of every
     * mount of a tree: mount_setattr(2) (system call 442), like {@code mount -o
     * remount,bind,nodev} but without restating the attributes that stay.
     *
     * <p>Unlike a remount with MS_REMOUNT|MS_BIND, which replaces all per-mount flags with
     * the ones given, it changes only the bits in {@code set} and {@code clear}, so that a
     * read-only or nosuid mount below stays so. It also works on a detached tree from
     * {@link #openTree} with OPEN_TREE_CLONE (Linux 5.12 and later), before the tree is
     * attached anywhere: a share is made nodev before the subhost can see it.
     *
     * <p>Acts on the mount that {@code dirFd} and {@code path} name, whichever mount
     * namespace it is in (a detached tree is in none).
     *
     * <p>Errnos to expect: EINVAL (a flag or attribute the kernel does not know, or a path
     * that is no mount's root), EPERM (no CAP_SYS_ADMIN, or an attribute locked by a less
     * privileged mount namespace), ENOSYS (before Linux 5.12).
     *
     * @param dirFd a descriptor of the mount (with AT_EMPTY_PATH and an empty path), of a
     *     directory {@code path} is relative to, or AT_FDCWD
     * @param path the mount point, or "" with AT_EMPTY_PATH
     * @param flags AT_EMPTY_PATH, AT_RECURSIVE, AT_SYMLINK_NOFOLLOW, or-ed
     * @param set MOUNT_ATTR_* attributes to set
     * @param clear MOUNT_ATTR_* attributes to clear
     * @throws SyscallException when the kernel refuses
     */
    public static void setAttributes(int dirFd, String path, int flags, long set, long clear) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            MemorySegment attr = arena.allocate(MOUNT_ATTR_SIZE, 8);
            Memory.setLong(attr, 0, set);
            Memory.setLong(attr, 8, clear);
            rc = (int) MOUNT_SETATTR.call(errnoSegment, dirFd, Native.address(Memory.cString(arena, path)), flags,
                    Native.address(attr), MOUNT_ATTR_SIZE);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("mount_setattr", describeSetAttributes(dirFd, path, flags, set, clear), errno);
        }
    }

    /** The arguments of mount_setattr(2) as its error message shows them. */
    static String describeSetAttributes(int dirFd, String path, int flags, long set, long clear) {
        StringBuilder out = new StringBuilder(at(dirFd, path));
        if (flags != 0) {
            out.append(", ").append(OPEN_TREE_FLAGS.format(flags));
        }
        if (set != 0) {
            out.append(", set ").append(MOUNT_ATTRIBUTES.format(set));
        }
        if (clear != 0) {
            out.append(", clear ").append(MOUNT_ATTRIBUTES.format(clear));
        }
        return out.toString();
    }

    /**
     * A new file system of type {@code fstype}, mounted nowhere yet: fsopen(2), fsconfig(2)
     * with each option of {@code options} ({@code key=value}, set as strings) and
     * FSCONFIG_CMD_CREATE, then fsmount(2) with {@code attributes} (Linux 5.2 and later).
     * Attach it with {@link #moveMount} (from the returned descriptor, with
     * MOVE_MOUNT_F_EMPTY_PATH), also onto a descriptor: no path is needed, so that it can
     * go into a mount namespace whose {@code /proc} is another pid namespace's. Closing
     * the descriptor of a mount never attached frees it.
     *
     * <p>Errnos to expect: ENODEV (no such file system type), EINVAL (an option the file
     * system does not take: the kernel's own words are not read back here), EPERM.
     *
     * @param fstype the file system type, such as {@code tmpfs}
     * @param options its options as {@code key=value}, such as {@code mode=000}
     * @param attributes MOUNT_ATTR_* of the new mount
     * @return the mount's descriptor (close-on-exec), owned by the caller
     * @throws SyscallException when the kernel refuses
     */
    public static int detachedMount(String fstype, java.util.List<String> options, long attributes)
            throws SyscallException {
        int context;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            context = (int) FSOPEN.call(errnoSegment, Native.address(Memory.cString(arena, fstype)), FSOPEN_CLOEXEC);
            errno = Native.errno(errnoSegment);
        }
        if (context == -1) {
            throw new SyscallException("fsopen", fstype + ", FSOPEN_CLOEXEC", errno);
        }
        try {
            for (String option : options) {
                int eq = option.indexOf('=');
                fsconfig(context, FSCONFIG_SET_STRING, fstype, eq < 0 ? option : option.substring(0, eq),
                        eq < 0 ? null : option.substring(eq + 1));
            }
            fsconfig(context, FSCONFIG_CMD_CREATE, fstype, null, null);
            int mount;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment errnoSegment = Native.errnoSegment(arena);
                mount = (int) FSMOUNT.call(errnoSegment, context, FSMOUNT_CLOEXEC, (int) attributes);
                errno = Native.errno(errnoSegment);
            }
            if (mount == -1) {
                throw new SyscallException("fsmount", fstype + ", FSMOUNT_CLOEXEC, " + MOUNT_ATTRIBUTES.format(attributes),
                        errno);
            }
            return mount;
        } finally {
            try {
                Fds.close(context);
            } catch (SyscallException e) {
                // EBADF only, a bug: the mount, if made, stands on its own descriptor.
            }
        }
    }

    private static void fsconfig(int context, int command, String fstype, String key, String value)
            throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) FSCONFIG.call(errnoSegment, context, command, Native.address(Native.cString(arena, key)),
                    Native.address(Native.cString(arena, value)), 0);
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("fsconfig", fstype + ", " + (command == FSCONFIG_CMD_CREATE ? "FSCONFIG_CMD_CREATE"
                    : "FSCONFIG_SET_STRING " + key + "=" + value), errno);
        }
    }

    /**
     * Whether the file that {@code fd} names is the root of a mount, as statx(2) with
     * AT_EMPTY_PATH reports it (STATX_ATTR_MOUNT_ROOT): {@link #isMountRoot(String)} for a
     * descriptor, where no {@code /proc/self/fd} path would do (another pid namespace's
     * {@code /proc}).
     *
     * @param fd an open descriptor, O_PATH will do
     * @return whether a mount's root is there; empty before Linux 5.8
     * @throws SyscallException when statx is refused (EBADF)
     */
    public static java.util.Optional<Boolean> isMountRoot(int fd) throws SyscallException {
        int rc;
        int errno;
        long attributes;
        long known;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            MemorySegment buffer = arena.allocate(STATX_SIZE, 8);
            rc = (int) STATX.call(errnoSegment, fd, Native.address(Memory.cString(arena, "")),
                    AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, 0, Native.address(buffer));
            errno = Native.errno(errnoSegment);
            attributes = Memory.getLong(buffer, STX_ATTRIBUTES);
            known = Memory.getLong(buffer, STX_ATTRIBUTES_MASK);
        }
        if (rc == -1) {
            throw new SyscallException("statx", "fd " + fd + ", AT_EMPTY_PATH", errno);
        }
        if ((known & STATX_ATTR_MOUNT_ROOT) == 0) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of((attributes & STATX_ATTR_MOUNT_ROOT) != 0);
    }

    /** A path relative to a directory descriptor as an error message shows it. */
    static String at(int dirFd, String path) {
        if (dirFd == AT_FDCWD) {
            return path;
        }
        if (path.isEmpty()) {
            return "fd " + dirFd;
        }
        return path.startsWith("/") ? path : "fd " + dirFd + "/" + path;
    }

    /**
     * Creates a device node, named pipe or empty file: mknod(2), like {@code mknod PATH c
     * MAJOR MINOR}.
     *
     * <p>The permission bits of {@code mode} are reduced by the process's umask (shared by
     * all threads of the JVM); chmod afterwards where exact modes matter. A device node on a
     * mount with MS_NODEV exists but cannot be opened.
     *
     * <p>Errnos to expect: EEXIST, ENOENT (parent missing), EPERM (a device node without
     * CAP_MKNOD), EROFS.
     *
     * @param mode file type (S_IFCHR, S_IFBLK, S_IFIFO, S_IFREG) or-ed with permission bits
     * @param major device major number (ignored by the kernel for pipes and files)
     * @param minor device minor number
     * @param path the node's path
     * @throws SyscallException when the kernel refuses
     */
    public static void mknod(String path, int mode, int major, int minor) throws SyscallException {
        int rc;
        int errno;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            rc = (int) MKNOD.call(errnoSegment, Native.address(Memory.cString(arena, path)), mode, makedev(major,
                    minor));
            errno = Native.errno(errnoSegment);
        }
        if (rc == -1) {
            throw new SyscallException("mknod", describeMknod(path, mode, major, minor), errno);
        }
    }

    /** The arguments of mknod(2) as its error message shows them: {@code /dev/null, S_IFCHR 0666, 1:3}. */
    static String describeMknod(String path, int mode, int major, int minor) {
        return path + ", " + FILE_TYPES.format(mode & S_IFMT) + " 0" + Integer.toOctalString(mode & 07777)
                + ((mode & S_IFMT) == S_IFCHR || (mode & S_IFMT) == S_IFBLK ? ", " + major + ":" + minor : "");
    }

    /**
     * The device number of {@code major} and {@code minor}: glibc's makedev(3) encoding
     * (12 + 20 bits of major, 8 + 24 bits of minor, interleaved for compatibility).
     *
     * @param major the device's major number
     * @param minor the device's minor number
     * @return the {@code dev_t} value
     */
    public static long makedev(int major, int minor) {
        long ma = Integer.toUnsignedLong(major);
        long mi = Integer.toUnsignedLong(minor);
        return ((ma & 0x00000fffL) << 8) | ((ma & 0xfffff000L) << 32)
                | (mi & 0x000000ffL) | ((mi & 0xffffff00L) << 12);
    }

    /**
     * Makes the mount at {@code target} and every mount below it private: mount(2) with
     * MS_REC|MS_PRIVATE, like {@code mount --make-rprivate TARGET}.
     *
     * <p>Done first in a new mount namespace, so that no mount made there propagates back to
     * the namespace it was copied from (the host's mounts are usually shared, and a copy
     * keeps them in the same peer groups). Acts on the calling thread's mount namespace: on
     * the host's own it would change the host, which is never what we want.
     *
     * @param target the mount point at the top of the tree, usually {@code "/"}
     * @throws SyscallException when the kernel refuses (EINVAL: {@code target} is no mount point)
     */
    public static void makeRprivate(String target) throws SyscallException {
        mount(null, target, null, MS_REC | MS_PRIVATE, null);
    }

    /**
     * Makes {@code source} visible at {@code target} as well: mount(2) with MS_BIND, and
     * MS_REC when {@code recursive}, like {@code mount --bind} or {@code mount --rbind}.
     *
     * @param source the directory or file to bind
     * @param target the mount point, an existing directory (or file, for a file)
     * @param recursive true to bind the mounts below {@code source} too
     * @throws SyscallException when the kernel refuses
     */
    public static void bind(String source, String target, boolean recursive) throws SyscallException {
        mount(source, target, null, MS_BIND | (recursive ? MS_REC : 0), null);
    }

    /**
     * Whether {@code path} is the root of a mount, as statx(2) reports it
     * (STATX_ATTR_MOUNT_ROOT), like {@code mountpoint -q PATH}; the last component's
     * symbolic link is not followed. One system call, where reading the mount table costs
     * time that grows with the number of mounts.
     *
     * @param path the path
     * @return whether a mount's root is there; empty when the kernel does not report the
     *     attribute (before Linux 5.8)
     * @throws SyscallException when statx is refused, such as ENOENT
     */
    public static java.util.Optional<Boolean> isMountRoot(String path) throws SyscallException {
        int rc;
        int errno;
        long attributes;
        long known;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            MemorySegment buffer = arena.allocate(STATX_SIZE, 8);
            // mask 0: only the fields always given, stx_attributes among them.
            rc = (int) STATX.call(errnoSegment, AT_FDCWD, Native.address(Memory.cString(arena, path)),
                    AT_SYMLINK_NOFOLLOW, 0, Native.address(buffer));
            errno = Native.errno(errnoSegment);
            attributes = Memory.getLong(buffer, STX_ATTRIBUTES);
            known = Memory.getLong(buffer, STX_ATTRIBUTES_MASK);
        }
        if (rc == -1) {
            throw new SyscallException("statx", path, errno);
        }
        if ((known & STATX_ATTR_MOUNT_ROOT) == 0) {
            return java.util.Optional.empty();
        }
        return java.util.Optional.of((attributes & STATX_ATTR_MOUNT_ROOT) != 0);
    }

    /**
     * The id of the mount that {@code path} is on, as statx(2) reports it (STATX_MNT_ID,
     * Linux 5.8 and later), the same number as the first field of {@code
     * /proc/self/mountinfo}; the last component's symbolic link is followed. Two paths on one
     * mount have the same id even where their device numbers differ (btrfs subvolumes).
     *
     * @param path the path
     * @return the mount id; empty when the kernel does not report it
     * @throws SyscallException when statx is refused, such as ENOENT
     */
    public static java.util.OptionalLong mountId(String path) throws SyscallException {
        return statxMountId(path, 0, STATX_MNT_ID, "STATX_MNT_ID");
    }

    /**
     * The type of the file system that {@code path} is on: statfs(2)'s f_type, a magic
     * number such as {@link #CGROUP2_SUPER_MAGIC}, like {@code stat -f -c %t PATH}.
     *
     * @param path the path
     * @return the magic number
     * @throws SyscallException when statfs is refused, such as ENOENT
     */
    public static long filesystemType(String path) throws SyscallException {
        int rc;
        int errno;
        long type;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            MemorySegment buffer = arena.allocate(STATFS_SIZE, 8);
            rc = (int) STATFS.call(errnoSegment, Native.address(Memory.cString(arena, path)), Native.address(buffer));
            errno = Native.errno(errnoSegment);
            type = Memory.getLong(buffer, 0);
        }
        if (rc == -1) {
            throw new SyscallException("statfs", path, errno);
        }
        return type;
    }

    /**
     * The type of the file system that the file {@code fd} names is on: fstatfs(2)'s
     * f_type, as {@link #filesystemType(String)} for a descriptor (O_PATH will do).
     *
     * @param fd an open descriptor
     * @return the magic number, such as 0x01021994 for tmpfs
     * @throws SyscallException when fstatfs is refused (EBADF)
     */
    public static long filesystemType(int fd) throws SyscallException {
        int rc;
        int errno;
        long type;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            MemorySegment buffer = arena.allocate(STATFS_SIZE, 8);
            rc = (int) FSTATFS.call(errnoSegment, fd, Native.address(buffer));
            errno = Native.errno(errnoSegment);
            type = Memory.getLong(buffer, 0);
        }
        if (rc == -1) {
            throw new SyscallException("fstatfs", "fd " + fd, errno);
        }
        return type;
    }

    /**
     * Detaches the mount at {@code target} lazily: umount2(2) with MNT_DETACH, like
     * {@code umount -l TARGET}.
     *
     * @param target the mount point
     * @throws SyscallException when the kernel refuses (EINVAL: no mount point)
     */
    public static void detach(String target) throws SyscallException {
        umount2(target, MNT_DETACH);
    }

    /**
     * The unique id of the mount that {@code path} is on, as statx(2) reports it
     * (STATX_MNT_ID_UNIQUE, Linux 6.8): the id that {@link #listMounts} and {@link
     * #statMount} take, never reused while the system runs. The last component's symbolic
     * link is not followed.
     *
     * @param path the path
     * @return the mount id; empty when the kernel does not report it
     * @throws SyscallException when statx is refused, such as ENOENT
     */
    public static java.util.OptionalLong uniqueMountId(String path) throws SyscallException {
        return statxMountId(path, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID_UNIQUE, "STATX_MNT_ID_UNIQUE");
    }

    /**
     * statx(2) of {@code path} with {@code flags}, asking for the mount id {@code mask}
     * names: the kernel writes either kind into stx_mnt_id, and sets that bit in stx_mask
     * when it reported it.
     */
    private static java.util.OptionalLong statxMountId(String path, int flags, int mask, String maskName)
            throws SyscallException {
        int rc;
        int errno;
        long reported;
        long id;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            MemorySegment buffer = arena.allocate(STATX_SIZE, 8);
            rc = (int) STATX.call(errnoSegment, AT_FDCWD, Native.address(Memory.cString(arena, path)), flags,
                    mask, Native.address(buffer));
            errno = Native.errno(errnoSegment);
            reported = Memory.getInt(buffer, 0) & 0xffffffffL;
            id = Memory.getLong(buffer, STX_MNT_ID);
        }
        if (rc == -1) {
            throw new SyscallException("statx", path + ", " + maskName, errno);
        }
        return (reported & mask) == 0 ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(id);
    }

    /**
     * The unique ids of the mounts below the mount {@code mountId} in the calling thread's
     * mount namespace, at any depth, in ascending order: listmount(2) (Linux 6.8), like the
     * first column of {@code findmnt -R} below it. {@link #LSMT_ROOT} lists every mount the
     * thread's root reaches, the root's own too. One system call per 4096 mounts: the cost
     * of reading {@code /proc/self/mountinfo} without its text.
     *
     * <p>Errnos to expect: ENOENT (no such mount in this namespace), ENOSYS (before 6.8).
     *
     * @param mountId a unique mount id ({@link #uniqueMountId}) or {@link #LSMT_ROOT}
     * @return the ids
     * @throws SyscallException when the kernel refuses
     */
    public static long[] listMounts(long mountId) throws SyscallException {
        final int batch = 4096;
        long[] ids = new long[0];
        long last = 0;
        while (true) {
            long rc;
            int errno;
            long[] got;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment errnoSegment = Native.errnoSegment(arena);
                MemorySegment request = arena.allocate(MNT_ID_REQ_SIZE_VER0, 8);
                Memory.setInt(request, 0, (int) MNT_ID_REQ_SIZE_VER0);
                Memory.setLong(request, 8, mountId);
                Memory.setLong(request, 16, last);
                MemorySegment buffer = arena.allocate(8L * batch, 8);
                rc = (long) LISTMOUNT.call(errnoSegment, SYS_LISTMOUNT, Native.address(request),
                        Native.address(buffer), batch, 0);
                errno = Native.errno(errnoSegment);
                got = new long[(int) Math.max(rc, 0)];
                MemorySegment.copy(buffer, JAVA_LONG, 0, got, 0, got.length);
            }
            if (rc == -1) {
                throw new SyscallException("listmount", "mount " + idText(mountId), errno);
            }
            long[] joined = java.util.Arrays.copyOf(ids, ids.length + got.length);
            System.arraycopy(got, 0, joined, ids.length, got.length);
            ids = joined;
            if (got.length < batch) {
                return ids;
            }
            last = got[got.length - 1];
        }
    }

    private static String idText(long mountId) {
        return mountId == LSMT_ROOT ? "LSMT_ROOT" : Long.toUnsignedString(mountId);
    }

    /**
     * What statmount(2) (Linux 6.8) says of the mount {@code mountId} in the calling
     * thread's mount namespace: its parent, its per-mount attributes, its propagation and
     * where it is mounted.
     *
     * <p>Errnos to expect: ENOENT (no such mount, or gone meanwhile), ENOSYS (before 6.8).
     *
     * @param mountId a unique mount id
     * @return the mount's status
     * @throws SyscallException when the kernel refuses
     */
    public static MountStatus statMount(long mountId) throws SyscallException {
        long size = STATMOUNT_STRINGS + 4096;
        while (true) {
            long rc;
            int errno;
            MountStatus status = null;
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment errnoSegment = Native.errnoSegment(arena);
                MemorySegment request = arena.allocate(MNT_ID_REQ_SIZE_VER0, 8);
                Memory.setInt(request, 0, (int) MNT_ID_REQ_SIZE_VER0);
                Memory.setLong(request, 8, mountId);
                Memory.setLong(request, 16, STATMOUNT_MNT_BASIC | STATMOUNT_MNT_POINT);
                MemorySegment buffer = arena.allocate(size, 8);
                rc = (long) STATMOUNT.call(errnoSegment, SYS_STATMOUNT, Native.address(request),
                        Native.address(buffer), size, 0);
                errno = Native.errno(errnoSegment);
                if (rc == 0) {
                    long mask = Memory.getLong(buffer, SM_MASK);
                    String point = (mask & STATMOUNT_MNT_POINT) == 0 ? ""
                            : buffer.getString(STATMOUNT_STRINGS + (Memory.getInt(buffer, SM_MNT_POINT) & 0xffffffffL));
                    status = new MountStatus(Memory.getLong(buffer, SM_MNT_ID), Memory.getLong(buffer, SM_MNT_PARENT_ID),
                            Memory.getLong(buffer, SM_MNT_ATTR), Memory.getLong(buffer, SM_MNT_PROPAGATION), point);
                }
            }
            if (rc == 0) {
                return status;
            }
            if (errno == Errno.EOVERFLOW && size < (1 << 20)) {
                size *= 4;
                continue;
            }
            throw new SyscallException("statmount", "mount " + idText(mountId), errno);
        }
    }
}
