package org.subhost.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.subhost.config.RootKind;
import org.subhost.config.Share;
import org.subhost.config.SubhostConfig;
import org.subhost.linux.AtFiles;
import org.subhost.linux.Errno;
import org.subhost.linux.Fds;
import org.subhost.linux.FileStatus;
import org.subhost.linux.MountTable;
import org.subhost.linux.Mounts;
import org.subhost.linux.SyscallException;
import org.subhost.linux.Namespaces;

/**
 * The subhost's root filesystem and what is mounted in it (docs/spec.md §3.3 to §3.9), as
 * boot steps: the subhost's own mount namespace, the root on LIVE (overlay, bind or the
 * directory itself), the built-in POSTMOUNT ({@code /dev}, {@code /sys}, {@code /run},
 * {@code /etc/adjtime}), the SHARE binds, and the switch of root with {@code pivot_root}.
 *
 * <p>All of these run on the boot's namespace thread, after it has left the host's mount
 * namespace; none of them needs an undo, since the mounts vanish with the namespace.
 */
final class OverlayFs {
    private static final long NODEV_NOSUID_NOEXEC = Mounts.MS_NODEV | Mounts.MS_NOSUID | Mounts.MS_NOEXEC;

    private OverlayFs() {}

    /**
     * Checks the directories of the root before anything is made (docs/spec.md §3.5): each named
     * directory exists; for an overlay LIVE differs from UPPER and LOWER and WORK lies on
     * UPPER's mount; for an overlay or a bind, LIVE is not a mount point already.
     */
    record CheckLayout(RootKind kind, Path live, Path upper, Path work, Path lower) implements BootStep.OnHost<Void> {
        @Override
        public String describe() {
            return "check LIVE, UPPER, WORK, LOWER for a root of kind " + kind.name().toLowerCase(java.util.Locale.ROOT);
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            directory("LIVE", live);
            if (kind == RootKind.PLAIN) {
                return null;
            }
            directory("UPPER", upper);
            if (kind == RootKind.OVERLAY) {
                directory("WORK", work);
                directory("LOWER", lower);
                refuseOverlayLayers(upper, work);
                if (live.equals(lower)) {
                    throw new IOException("LIVE (" + live + ") must differ from LOWER for an overlay root");
                }
                if (!sameMount(upper, work)) {
                    throw new IOException("WORK (" + work + ") must be on the same filesystem as UPPER (" + upper
                            + "), and on the same mount of it");
                }
                if (work.startsWith(upper) || upper.startsWith(work)) {
                    throw new IOException("WORK (" + work + ") and UPPER (" + upper + ") must not contain each other");
                }
            }
            if (hasMount(live.toRealPath())) {
                throw new IOException("LIVE (" + live + ") already has a mount");
            }
            return null;
        }

        /**
         * Whether {@code upper} and {@code work} are on one mount, which overlayfs requires of
         * them ("workdir and upperdir must reside under the same mount"): their statx mount
         * ids. Not their device numbers: a btrfs subvolume has one of its own, though it is
         * the same filesystem and mount as the directory beside it. Before Linux 5.8 (no mount
         * id) the device numbers, as before.
         */
        private static boolean sameMount(Path upper, Path work) throws IOException {
            java.util.OptionalLong upperMount = Mounts.mountId(upper.toString());
            java.util.OptionalLong workMount = Mounts.mountId(work.toString());
            if (upperMount.isPresent() && workMount.isPresent()) {
                return upperMount.getAsLong() == workMount.getAsLong();
            }
            return Files.getAttribute(upper, "unix:dev").equals(Files.getAttribute(work, "unix:dev"));
        }

        /**
         * Overlayfs takes no overlay for its upper layer or work directory: the mount would
         * fail with a bare EINVAL. That happens to a nested subhost (booted inside another)
         * whose BASE lies in the outer subhost's own root, which is an overlay.
         */
        private static void refuseOverlayLayers(Path upper, Path work) throws IOException {
            for (Path dir : List.of(upper, work)) {
                try {
                    if (Mounts.filesystemType(dir.toString()) == Mounts.OVERLAYFS_SUPER_MAGIC) {
                        throw new IOException((dir.equals(upper) ? "UPPER (" : "WORK (") + dir + ") is on an overlay"
                                + " filesystem, which overlayfs cannot take for its upper layer or work directory: put"
                                + " BASE (of a subhost booted inside another) on a SHARE of a host directory, or on a"
                                + " tmpfs such as /run");
                    }
                } catch (SyscallException e) {
                    throw new IOException("statfs " + dir + ": " + e.errnoText(), e);
                }
            }
        }

        /** Whether a mount's root is at {@code dir}: statx, or on kernels before 5.8 the mount table. */
        private static boolean hasMount(Path dir) throws IOException {
            Optional<Boolean> root = Mounts.isMountRoot(dir.toString());
            return root.isPresent() ? root.get() : MountTable.ofThisThread().isMountPoint(dir);
        }

        private static void directory(String variable, Path dir) throws IOException {
            if (!Files.isDirectory(dir)) {
                throw new IOException(variable + " (" + dir + ") " + (Files.exists(dir) ? "is not a directory" : "does not exist"));
            }
        }
    }

    /**
     * A new mount namespace for the thread, with every mount private, then, with {@code
     * enter}, the subhost's network namespace. Order matters: unshare(CLONE_NEWNS)
     * copies the host's mounts with their propagation, so "/" is made recursively private
     * before anything is mounted, or the mounts would propagate back into the host's
     * namespace. The network namespace must be entered before sysfs is mounted, so that it
     * shows the subhost's interfaces: here when a user's hook runs next (it may look at the
     * network), through the descriptor in {@code enter}; else the thread made it for itself
     * before ({@link NetnsCable.CreateNetnsOnBootThread}) and is in it already.
     *
     * <p>With {@code seeded}, the copy is of the {@link MountSeed}'s namespace, which has
     * the host's mounts (checked before each boot) without those under {@code /run/netns}:
     * the host has one there per running subhost, and copying, walking and detaching them
     * all made a boot slower with each subhost running. Not with a user's hook (it may use
     * {@code ip netns}), nor with a SHARE that shows {@code /run/netns} or lies in it, whose
     * {@code shares} are checked again here with their symbolic links resolved: then the
     * host's whole table is copied, as before.
     */
    record NewMountNamespace(String netns, Optional<Slot<Descriptor>> enter, boolean seeded, List<Path> shares)
            implements BootStep.InNamespace<Boolean> {
        @Override
        public String describe() {
            return "new mount namespace with every mount private"
                    + (seeded ? ", without the host's /run/netns" : "")
                    + (enter.isPresent() ? "; enter network namespace " + netns : "");
        }

        @Override
        public List<Slot<?>> consumes() {
            return enter.isPresent() ? List.of(enter.get()) : List.of();
        }

        /** Whether a SHARE of {@code hostPath} would show what the seed leaves out. */
        static boolean showsRunNetns(Path hostPath) {
            Path netns = MountSeed.runNetnsPath();
            Path path = hostPath.normalize();
            return netns.startsWith(path) || path.startsWith(netns);
        }

        /** Whether the boot may copy the seed: no user hook, no SHARE of {@code /run/netns}. */
        static boolean seedable(boolean userHooks, List<Path> shares) {
            return !userHooks && shares.stream().noneMatch(NewMountNamespace::showsRunNetns);
        }

        @Override
        public Boolean apply(StepInputs in) throws Exception {
            if (seeded && sharesResolvedClear(in.log())) {
                return MountSeed.enterCopy();
            }
            Namespaces.unshare(Namespaces.CLONE_NEWNS);
            Mounts.makeRprivate("/");
            if (enter.isPresent()) {
                Namespaces.setns(in.get(enter.get()).fd(), Namespaces.CLONE_NEWNET);
            }
            return false;
        }

        /** Whether no SHARE's real path shows {@code /run/netns}; a path that cannot be resolved counts as clear (its SHARE fails later). */
        private boolean sharesResolvedClear(BootLog log) {
            for (Path share : shares) {
                try {
                    if (showsRunNetns(share.toRealPath())) {
                        log.line("SHARE " + share + " shows /run/netns: the host's whole mount table is copied");
                        return false;
                    }
                } catch (IOException e) {
                    // The SHARE's own step reports it.
                }
            }
            return true;
        }

        /** After the boot, on the caller's thread: the seed goes when no boot has used it for a while. */
        @Override
        public void release(Boolean fromSeed) {
            if (Boolean.TRUE.equals(fromSeed)) {
                MountSeed.expireWhenIdle();
            }
        }
    }

    /**
     * The root filesystem on LIVE. OVERLAY: {@code mount -t overlay NAME -o
     * lowerdir=LOWER,upperdir=UPPER,workdir=WORK LIVE}. BIND: {@code mount --bind UPPER LIVE}
     * (not recursive: nothing mounted below UPPER on the host follows). PLAIN: LIVE bound
     * onto itself, so that it is a mount point for pivot_root whether or not it was one
     * (docs/spec.md §3.5, fix).
     */
    record MountRoot(RootKind kind, String name, Path live, Path upper, Path work, Path lower) implements BootStep.InNamespace<Void> {
        @Override
        public String describe() {
            return switch (kind) {
                case OVERLAY -> "mount overlay " + name + " on " + live + " (lowerdir=" + lower + ", upperdir="
                        + upper + ", workdir=" + work + ", nodev)";
                case BIND -> "bind " + upper + " on " + live + " (nodev)";
                case PLAIN -> "bind " + live + " on itself (nodev; the root is the directory itself)";
            };
        }

        /**
         * Mounts the root nodev: a device node anywhere in LOWER or UPPER (an old chroot or a
         * debootstrap tree carries some, such as 1:11, the host's kernel log) cannot be
         * opened through it; the subhost's devices are those of its own {@code /dev}, a tmpfs
         * mounted on top ({@link MountDev}). A bind takes no per-mount flags, so a bound
         * root gets nodev from mount_setattr afterwards, which leaves its other flags as
         * they are.
         */
        @Override
        public Void apply(StepInputs in) throws Exception {
            switch (kind) {
                case OVERLAY -> Mounts.mount(name, live.toString(), "overlay", Mounts.MS_NODEV,
                        "lowerdir=" + escape(lower) + ",upperdir=" + escape(upper) + ",workdir=" + escape(work));
                case BIND -> {
                    Mounts.bind(upper.toString(), live.toString(), false);
                    Mounts.setAttributes(Mounts.AT_FDCWD, live.toString(), 0, Mounts.MOUNT_ATTR_NODEV, 0);
                }
                case PLAIN -> {
                    Mounts.bind(live.toString(), live.toString(), false);
                    Mounts.setAttributes(Mounts.AT_FDCWD, live.toString(), 0, Mounts.MOUNT_ATTR_NODEV, 0);
                }
            }
            return null;
        }

        /** Overlayfs splits its options at ',' and its layers at ':'; a backslash escapes them. */
        private static String escape(Path path) {
            return path.toString().replace("\\", "\\\\").replace(",", "\\,").replace(":", "\\:");
        }
    }

    /**
     * The built-in POSTMOUNT's {@code /dev}: a tmpfs with the device nodes, links and
     * directories that docs/spec.md §3.6 lists, and a new devpts instance on {@code /dev/pts} whose
     * {@code ptmx} is usable (mode 0666), so that ssh logins and overlay-go get terminals.
     * No {@code console}: the old tool's was the host's own console (5,1), where the
     * subhost read what was typed at the host and could show a fake login there.
     * The character device 5,2 ({@code /dev/ptmx}) opens the devpts instance mounted on the
     * {@code pts} directory beside it (Linux 4.7 and later).
     *
     * <p>{@code dev} is resolved inside LIVE ({@link SubhostTree}) and mounted on through its
     * descriptor; the nodes are made by name in the new tmpfs, through its descriptor too.
     */
    record MountDev(Path live) implements BootStep.InNamespace<Void> {
        private static final int TTY_GID = 5;

        @Override
        public String describe() {
            return "tmpfs on " + live.resolve("dev") + " with null, zero, ptmx, tty, random, urandom, "
                    + "fd, stdin, stdout, stderr, core, shm; devpts (new instance) on " + live.resolve("dev/pts");
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            try (SubhostTree root = SubhostTree.open(live)) {
                int tty = groupId(root, "tty", in.log()).orElse(TTY_GID);
                int dev = mountTmpfs(root, "dev", "mode=755,size=50M", Mounts.MS_NOSUID);
                try {
                    node(dev, "null", 1, 3, 0666, 0);
                    node(dev, "zero", 1, 5, 0666, 0);
                    node(dev, "ptmx", 5, 2, 0666, tty);
                    node(dev, "tty", 5, 0, 0666, tty);
                    node(dev, "random", 1, 8, 0444, 0);
                    node(dev, "urandom", 1, 9, 0444, 0);
                    AtFiles.symlinkat("/proc/self/fd", dev, "fd");
                    AtFiles.symlinkat("/proc/self/fd/0", dev, "stdin");
                    AtFiles.symlinkat("/proc/self/fd/1", dev, "stdout");
                    AtFiles.symlinkat("/proc/self/fd/2", dev, "stderr");
                    AtFiles.symlinkat("/proc/kcore", dev, "core");
                    newDirectory(dev, "shm", 01777);
                    newDirectory(dev, "pts", 0755);
                    int pts = AtFiles.openat2(dev, "pts", Fds.O_PATH | Fds.O_DIRECTORY | Fds.O_CLOEXEC, 0,
                            AtFiles.RESOLVE_BENEATH | AtFiles.RESOLVE_NO_SYMLINKS);
                    try {
                        Mounts.mount("devpts", SubhostTree.procPath(pts), "devpts", Mounts.MS_NOSUID | Mounts.MS_NOEXEC,
                                "newinstance,ptmxmode=0666,mode=0620,gid=" + tty);
                    } finally {
                        Descriptor.closeQuietly(pts);
                    }
                } finally {
                    Descriptor.closeQuietly(dev);
                }
            }
            return null;
        }

        private static void node(int dev, String name, int major, int minor, int mode, int gid) throws IOException {
            try {
                AtFiles.mknodat(dev, name, Mounts.S_IFCHR | mode, Mounts.makedev(major, minor));
            } catch (SyscallException e) {
                if (!e.is(Errno.EPERM)) {
                    throw e;
                }
                // No CAP_MKNOD: a subhost booted inside another one, whose confinement keeps
                // none. The node of the /dev that this thread still sees (the outer one, before
                // the root switch) is bound on an empty file instead, as systemd-nspawn does
                // without the capability; its mode and owner are the outer node's.
                int file = AtFiles.openat2(dev, name, Fds.O_WRONLY | Fds.O_CREAT | Fds.O_EXCL | Fds.O_NOFOLLOW
                        | Fds.O_CLOEXEC, 0600, AtFiles.RESOLVE_BENEATH | AtFiles.RESOLVE_NO_SYMLINKS);
                Descriptor.closeQuietly(file);
                int target = AtFiles.openat2(dev, name, Fds.O_PATH | Fds.O_CLOEXEC, 0,
                        AtFiles.RESOLVE_BENEATH | AtFiles.RESOLVE_NO_SYMLINKS);
                try {
                    Mounts.bind("/dev/" + name, SubhostTree.procPath(target), false);
                } finally {
                    Descriptor.closeQuietly(target);
                }
                return;
            }
            // mknod's mode passes through the umask; set it exactly. By name, never by
            // opening the node (as Java's attribute views do): opening ptmx or a tty acts.
            AtFiles.fchmodat(dev, name, mode);
            if (gid != 0) {
                AtFiles.fchownat(dev, name, 0, gid);
            }
        }
    }

    /** The magic number of tmpfs in statfs(2)'s f_type (linux/magic.h). */
    private static final long TMPFS_MAGIC = 0x01021994L;

    /**
     * Mounts a new tmpfs on the directory {@code name} of {@code root} (made when missing),
     * through its descriptor, and returns a descriptor of the new tmpfs's top, checked to be
     * one: the name is resolved again after the mount, and must lead to what was mounted.
     */
    private static int mountTmpfs(SubhostTree root, String name, String data, long flags) throws IOException {
        int under = root.directory(name, 0755);
        try {
            Mounts.mount("tmpfs", SubhostTree.procPath(under), "tmpfs", flags, data);
        } finally {
            Descriptor.closeQuietly(under);
        }
        int top = root.open(name, Fds.O_PATH | Fds.O_DIRECTORY);
        if (Mounts.filesystemType(SubhostTree.procPath(top)) != TMPFS_MAGIC) {
            Descriptor.closeQuietly(top);
            throw new IOException(root.pathOf(name) + ": changed while a tmpfs was mounted on it");
        }
        return top;
    }

    /** Makes directory {@code name} in {@code dir} with exactly {@code mode}. */
    private static void newDirectory(int dir, String name, int mode) throws IOException {
        AtFiles.mkdirat(dir, name, mode);
        AtFiles.fchmodat(dir, name, mode);
    }

    /** sysfs on LIVE/sys, mounted from inside the subhost's network namespace (docs/spec.md §3.6, fix). */
    record MountSys(Path live) implements BootStep.InNamespace<Void> {
        @Override
        public String describe() {
            return "sysfs on " + live.resolve("sys") + " (showing the subhost's own interfaces)";
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            try (SubhostTree root = SubhostTree.open(live)) {
                int sys = root.directory("sys", 0755);
                try {
                    Mounts.mount("sysfs", SubhostTree.procPath(sys), "sysfs", NODEV_NOSUID_NOEXEC, null);
                } finally {
                    Descriptor.closeQuietly(sys);
                }
            }
            return null;
        }
    }

    /** A tmpfs of RAM_SIZE (mode 755) on LIVE/run, with {@code run/lock} (1777). */
    record MountRun(Path live, String size) implements BootStep.InNamespace<Void> {
        @Override
        public String describe() {
            return "tmpfs of " + size + " on " + live.resolve("run") + " with run/lock";
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            try (SubhostTree root = SubhostTree.open(live)) {
                int run = mountTmpfs(root, "run", "mode=755,size=" + size, Mounts.MS_NOSUID | Mounts.MS_NODEV);
                try {
                    newDirectory(run, "lock", 01777);
                } finally {
                    Descriptor.closeQuietly(run);
                }
            }
            return null;
        }
    }

    /**
     * The host's {@code /etc/adjtime} bound read-only onto the subhost's, when both exist and
     * the subhost's is a regular file: the subhost's hwclock reads the host's clock drift,
     * and cannot change what the host's next {@code hwclock} makes of it. A bind takes no
     * per-mount flags: the read-only one is set by a remount (MS_REMOUNT|MS_BIND|MS_RDONLY)
     * of the new mount, reached by resolving the name once more.
     */
    record BindAdjtime(Path source, Path live) implements BootStep.InNamespace<Void> {
        /** The host's file. */
        static final Path HOST_ADJTIME = Path.of("/etc/adjtime");

        @Override
        public String describe() {
            return "bind " + source + " read-only on " + live.resolve("etc/adjtime") + " when both exist";
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            if (!Files.isRegularFile(source)) {
                return null;
            }
            try (SubhostTree root = SubhostTree.open(live)) {
                int target;
                try {
                    target = root.open("etc/adjtime", Fds.O_PATH);
                } catch (SyscallException e) {
                    if (e.is(Errno.ENOENT)) {
                        return null;
                    }
                    throw e;
                }
                try {
                    FileStatus status = AtFiles.fstat(target);
                    if (!status.isRegularFile()) {
                        in.log().line(root.pathOf("etc/adjtime") + " is a " + status.typeName()
                                + ", not a regular file; the host's /etc/adjtime is not bound on it");
                        return null;
                    }
                    bindOnto(source, target, false);
                } finally {
                    Descriptor.closeQuietly(target);
                }
                int bound = root.open("etc/adjtime", Fds.O_PATH);
                try {
                    Mounts.mount(null, SubhostTree.procPath(bound), null, Mounts.MS_REMOUNT | Mounts.MS_BIND
                            | Mounts.MS_RDONLY | NODEV_NOSUID_NOEXEC, null);
                } finally {
                    Descriptor.closeQuietly(bound);
                }
            }
            return null;
        }
    }

    /**
     * Binds the host's {@code source} (trusted: a path of the host's own) onto the file or
     * directory that {@code target} names: open_tree(OPEN_TREE_CLONE) then move_mount to the
     * descriptor, so that no path under the subhost's root is resolved again.
     */
    private static void bindOnto(Path source, int target, boolean recursive) throws IOException {
        int tree = Mounts.openTree(source.toString(), Mounts.OPEN_TREE_CLONE | Mounts.OPEN_TREE_CLOEXEC
                | (recursive ? Mounts.AT_RECURSIVE : 0));
        try {
            Mounts.moveMount(tree, "", target, "", Mounts.MOVE_MOUNT_F_EMPTY_PATH | Mounts.MOVE_MOUNT_T_EMPTY_PATH);
        } finally {
            Descriptor.closeQuietly(tree);
        }
    }

    /**
     * A SHARE: the host's directory or file bound (recursively, nodev) into the subhost;
     * the mount point is made when the subhost lacks it. The source is opened once ({@link
     * ShareSource}), checked against what every subhost writes ({@code known}), and bound
     * from its descriptor; the mount point is resolved inside LIVE.
     */
    record BindShare(Share share, Path live, Slot<Hiding.Known> known) implements BootStep.InNamespace<Void> {
        @Override
        public String describe() {
            return "share " + share.hostPath() + " on " + target() + " (nodev)";
        }

        private Path target() {
            return live.resolve(share.subhostPath().toString().substring(1));
        }

        @Override
        public List<Slot<?>> consumes() {
            return List.of(known);
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            try (ShareSource source = ShareSource.open(share.hostPath(), in.get(known).written());
                    SubhostTree root = SubhostTree.open(live)) {
                int target = mountPoint(root, share.subhostPath().toString(), source.directory());
                try {
                    source.bindOnto(target);
                } finally {
                    Descriptor.closeQuietly(target);
                }
            }
            return null;
        }
    }

    /**
     * The switch of root: everything of the host's that is mounted in this namespace goes,
     * and LIVE becomes "/". {@code pivot_root(".", ".")} from inside LIVE stacks the old root
     * on top of the new one; {@code umount2(".", MNT_DETACH)} then detaches it with every
     * mount below it, so no path leads back to the host's tree (pivot_root(2), NOTES).
     * The kernel requires LIVE to be a mount point, which {@link MountRoot} ensures.
     */
    record PivotRoot(Path live) implements BootStep.InNamespace<Void> {
        @Override
        public String describe() {
            return "pivot_root into " + live + "; detach the old root with all the host's mounts";
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            Fds.chdir(live.toString());
            Mounts.pivotRoot(".", ".");
            Mounts.umount2(".", Mounts.MNT_DETACH);
            Fds.chdir("/");
            return null;
        }
    }

    /**
     * The steps for the root and its mounts, in the order of docs/spec.md §3, without the
     * PREMOUNT/POSTMOUNT commands.
     */
    static List<BootStep<?>> rootSteps(SubhostConfig config) {
        return List.of(new MountRoot(config.rootKind(), config.name(), config.live(), config.upper(),
                config.work(), config.lower()));
    }

    /** The built-in POSTMOUNT's steps. */
    static List<BootStep<?>> builtinPostmount(SubhostConfig config) {
        List<BootStep<?>> steps = new ArrayList<>();
        steps.add(new MountDev(config.live()));
        steps.add(new MountSys(config.live()));
        config.ramSize().ifPresent(size -> steps.add(new MountRun(config.live(), size)));
        steps.add(new BindAdjtime(BindAdjtime.HOST_ADJTIME, config.live()));
        return steps;
    }

    /** The SHARE steps, which read what is known of the other subhosts. */
    static List<BootStep<?>> shareSteps(SubhostConfig config, Slot<Hiding.Known> known) {
        return config.shares().stream().<BootStep<?>>map(s -> new BindShare(s, config.live(), known)).toList();
    }

    /**
     * The mount point {@code relative} inside {@code root}, as an O_PATH descriptor owned by
     * the caller: a directory, or an empty file (mode 0644) as {@code directory} says,
     * made when missing.
     */
    static int mountPoint(SubhostTree root, String relative, boolean directory) throws IOException {
        if (directory) {
            return root.directory(relative, 0755);
        }
        root.createFile(relative, new byte[0], 0644);
        return root.open(relative, Fds.O_PATH);
    }

    /** How much of the subhost's {@code /etc/group} is read, at most. */
    static final int GROUP_FILE_LIMIT = 1 << 20;

    /**
     * The id of group {@code name} in the subhost's {@code /etc/group}, if it lists one; a
     * group file that is no regular file, or too large, is logged and passed over.
     */
    static Optional<Integer> groupId(SubhostTree root, String name, BootLog log) {
        try {
            Optional<byte[]> bytes = root.readRegular("etc/group", GROUP_FILE_LIMIT);
            if (bytes.isEmpty()) {
                return Optional.empty();
            }
            for (String line : new String(bytes.get(), StandardCharsets.UTF_8).split("\n")) {
                String[] f = line.split(":");
                if (f.length >= 3 && f[0].equals(name)) {
                    return Optional.of(Integer.parseInt(f[2]));
                }
            }
        } catch (IOException e) {
            log.line(PlanExecutor.reason(e) + "; group " + name + " gets its conventional id");
        } catch (NumberFormatException e) {
            // A malformed line: the conventional id applies.
        }
        return Optional.empty();
    }
}
