package org.subhost.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.subhost.config.RootKind;
import org.subhost.config.Share;
import org.subhost.config.SubhostConfig;
import org.subhost.linux.Fds;
import org.subhost.linux.Mounts;
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
     * UPPER's filesystem; for an overlay or a bind, LIVE is not a mount point already.
     */
    record CheckLayout(RootKind kind, Path live, Path upper, Path work, Path lower) implements BootStep.OnHost {
        @Override
        public String describe() {
            return "check LIVE, UPPER, WORK, LOWER for a root of kind " + kind.name().toLowerCase(java.util.Locale.ROOT);
        }

        @Override
        public void apply(BootContext context) throws Exception {
            directory("LIVE", live);
            if (kind == RootKind.PLAIN) {
                return;
            }
            directory("UPPER", upper);
            if (kind == RootKind.OVERLAY) {
                directory("WORK", work);
                directory("LOWER", lower);
                if (live.equals(lower)) {
                    throw new IOException("LIVE (" + live + ") must differ from LOWER for an overlay root");
                }
                Object upperDev = Files.getAttribute(upper, "unix:dev");
                Object workDev = Files.getAttribute(work, "unix:dev");
                if (!upperDev.equals(workDev)) {
                    throw new IOException("WORK (" + work + ") must be on the same filesystem as UPPER (" + upper + ")");
                }
                if (work.startsWith(upper) || upper.startsWith(work)) {
                    throw new IOException("WORK (" + work + ") and UPPER (" + upper + ") must not contain each other");
                }
            }
            if (hasMount(live.toRealPath())) {
                throw new IOException("LIVE (" + live + ") already has a mount");
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
     * enterNetns}, the subhost's network namespace. Order matters: unshare(CLONE_NEWNS)
     * copies the host's mounts with their propagation, so "/" is made recursively private
     * before anything is mounted, or the mounts would propagate back into the host's
     * namespace. The network namespace must be entered before sysfs is mounted, so that it
     * shows the subhost's interfaces: here when a user's hook runs next (it may look at the
     * network); else the thread made it for itself before ({@link
     * NetnsCable.CreateNetnsOnBootThread}) and is in it already.
     */
    record NewMountNamespace(String netns, boolean enterNetns) implements BootStep.InNamespace {
        @Override
        public String describe() {
            return "new mount namespace with every mount private"
                    + (enterNetns ? "; enter network namespace " + netns : "");
        }

        @Override
        public void apply(BootContext context) throws Exception {
            Namespaces.unshare(Namespaces.CLONE_NEWNS);
            Mounts.makeRprivate("/");
            if (enterNetns) {
                Namespaces.setns(context.netnsFd, Namespaces.CLONE_NEWNET);
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
    record MountRoot(RootKind kind, String name, Path live, Path upper, Path work, Path lower) implements BootStep.InNamespace {
        @Override
        public String describe() {
            return switch (kind) {
                case OVERLAY -> "mount overlay " + name + " on " + live + " (lowerdir=" + lower + ", upperdir="
                        + upper + ", workdir=" + work + ")";
                case BIND -> "bind " + upper + " on " + live;
                case PLAIN -> "bind " + live + " on itself (the root is the directory itself)";
            };
        }

        @Override
        public void apply(BootContext context) throws Exception {
            switch (kind) {
                case OVERLAY -> Mounts.mount(name, live.toString(), "overlay", 0,
                        "lowerdir=" + escape(lower) + ",upperdir=" + escape(upper) + ",workdir=" + escape(work));
                case BIND -> Mounts.bind(upper.toString(), live.toString(), false);
                case PLAIN -> Mounts.bind(live.toString(), live.toString(), false);
            }
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
     * The character device 5,2 ({@code /dev/ptmx}) opens the devpts instance mounted on the
     * {@code pts} directory beside it (Linux 4.7 and later).
     */
    record MountDev(Path live) implements BootStep.InNamespace {
        private static final int TTY_GID = 5;

        @Override
        public String describe() {
            return "tmpfs on " + live.resolve("dev") + " with console, null, zero, ptmx, tty, random, urandom, "
                    + "fd, stdin, stdout, stderr, core, shm; devpts (new instance) on " + live.resolve("dev/pts");
        }

        @Override
        public void apply(BootContext context) throws Exception {
            Path dev = live.resolve("dev");
            Files.createDirectories(dev);
            Mounts.mount("tmpfs", dev.toString(), "tmpfs", Mounts.MS_NOSUID, "mode=755,size=50M");
            int tty = groupId(live, "tty").orElse(TTY_GID);
            node(dev, "console", 5, 1, 0622, tty);
            node(dev, "null", 1, 3, 0666, 0);
            node(dev, "zero", 1, 5, 0666, 0);
            node(dev, "ptmx", 5, 2, 0666, tty);
            node(dev, "tty", 5, 0, 0666, tty);
            node(dev, "random", 1, 8, 0444, 0);
            node(dev, "urandom", 1, 9, 0444, 0);
            Files.createSymbolicLink(dev.resolve("fd"), Path.of("/proc/self/fd"));
            Files.createSymbolicLink(dev.resolve("stdin"), Path.of("/proc/self/fd/0"));
            Files.createSymbolicLink(dev.resolve("stdout"), Path.of("/proc/self/fd/1"));
            Files.createSymbolicLink(dev.resolve("stderr"), Path.of("/proc/self/fd/2"));
            Files.createSymbolicLink(dev.resolve("core"), Path.of("/proc/kcore"));
            directory(dev.resolve("shm"), 01777);
            Path pts = directory(dev.resolve("pts"), 0755);
            Mounts.mount("devpts", pts.toString(), "devpts", Mounts.MS_NOSUID | Mounts.MS_NOEXEC,
                    "newinstance,ptmxmode=0666,mode=0620,gid=" + tty);
        }

        private static void node(Path dev, String name, int major, int minor, int mode, int gid) throws IOException {
            Path p = dev.resolve(name);
            Mounts.mknod(p.toString(), Mounts.S_IFCHR | mode, major, minor);
            // mknod's mode passes through the umask; set it exactly. By path, never by
            // opening the node (as Java's attribute views do): opening ptmx or a tty acts.
            Fds.chmod(p.toString(), mode);
            if (gid != 0) {
                Fds.lchown(p.toString(), 0, gid);
            }
        }
    }

    /** sysfs on LIVE/sys, mounted from inside the subhost's network namespace (docs/spec.md §3.6, fix). */
    record MountSys(Path live) implements BootStep.InNamespace {
        @Override
        public String describe() {
            return "sysfs on " + live.resolve("sys") + " (showing the subhost's own interfaces)";
        }

        @Override
        public void apply(BootContext context) throws Exception {
            Path sys = live.resolve("sys");
            Files.createDirectories(sys);
            Mounts.mount("sysfs", sys.toString(), "sysfs", NODEV_NOSUID_NOEXEC, null);
        }
    }

    /** A tmpfs of RAM_SIZE (mode 755) on LIVE/run, with {@code run/lock} (1777). */
    record MountRun(Path live, String size) implements BootStep.InNamespace {
        @Override
        public String describe() {
            return "tmpfs of " + size + " on " + live.resolve("run") + " with run/lock";
        }

        @Override
        public void apply(BootContext context) throws Exception {
            Path run = live.resolve("run");
            Files.createDirectories(run);
            Mounts.mount("tmpfs", run.toString(), "tmpfs", Mounts.MS_NOSUID | Mounts.MS_NODEV,
                    "mode=755,size=" + size);
            directory(run.resolve("lock"), 01777);
        }
    }

    /** The host's {@code /etc/adjtime} bound onto the subhost's, when both exist. */
    record BindAdjtime(Path live) implements BootStep.InNamespace {
        @Override
        public String describe() {
            return "bind /etc/adjtime on " + live.resolve("etc/adjtime") + " when both exist";
        }

        @Override
        public void apply(BootContext context) throws Exception {
            Path target = live.resolve("etc/adjtime");
            if (Files.exists(Path.of("/etc/adjtime")) && Files.exists(target)) {
                Mounts.bind("/etc/adjtime", target.toString(), false);
            }
        }
    }

    /**
     * A SHARE: the host's directory or file bound (recursively) into the subhost; the mount
     * point is made when the subhost lacks it.
     */
    record BindShare(Share share, Path live) implements BootStep.InNamespace {
        @Override
        public String describe() {
            return "share " + share.hostPath() + " on " + target();
        }

        private Path target() {
            return live.resolve(share.subhostPath().toString().substring(1));
        }

        @Override
        public void apply(BootContext context) throws Exception {
            Path host = share.hostPath();
            if (!Files.exists(host)) {
                throw new IOException("SHARE " + host + ": no such file or directory on the host");
            }
            makeMountPoint(host, target());
            Mounts.bind(host.toString(), target().toString(), true);
        }
    }

    /**
     * The switch of root: everything of the host's that is mounted in this namespace goes,
     * and LIVE becomes "/". {@code pivot_root(".", ".")} from inside LIVE stacks the old root
     * on top of the new one; {@code umount2(".", MNT_DETACH)} then detaches it with every
     * mount below it, so no path leads back to the host's tree (pivot_root(2), NOTES).
     * The kernel requires LIVE to be a mount point, which {@link MountRoot} ensures.
     */
    record PivotRoot(Path live) implements BootStep.InNamespace {
        @Override
        public String describe() {
            return "pivot_root into " + live + "; detach the old root with all the host's mounts";
        }

        @Override
        public void apply(BootContext context) throws Exception {
            Fds.chdir(live.toString());
            Mounts.pivotRoot(".", ".");
            Mounts.umount2(".", Mounts.MNT_DETACH);
            Fds.chdir("/");
        }
    }

    /**
     * The steps for the root and its mounts, in the order of docs/spec.md §3, without the
     * PREMOUNT/POSTMOUNT commands.
     */
    static List<BootStep> rootSteps(SubhostConfig config) {
        return List.of(new MountRoot(config.rootKind(), config.name(), config.live(), config.upper(),
                config.work(), config.lower()));
    }

    /** The built-in POSTMOUNT's steps. */
    static List<BootStep> builtinPostmount(SubhostConfig config) {
        List<BootStep> steps = new ArrayList<>();
        steps.add(new MountDev(config.live()));
        steps.add(new MountSys(config.live()));
        config.ramSize().ifPresent(size -> steps.add(new MountRun(config.live(), size)));
        steps.add(new BindAdjtime(config.live()));
        return steps;
    }

    /** The SHARE steps. */
    static List<BootStep> shareSteps(SubhostConfig config) {
        return config.shares().stream().map(s -> (BootStep) new BindShare(s, config.live())).toList();
    }

    /** Makes {@code target} a directory or an empty file, as {@code source} is, when missing. */
    static void makeMountPoint(Path source, Path target) throws IOException {
        if (Files.isDirectory(source)) {
            Files.createDirectories(target);
        } else if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(target.getParent());
            Files.createFile(target);
        }
    }

    private static Path directory(Path dir, int mode) throws IOException {
        Files.createDirectories(dir);
        Files.setAttribute(dir, "unix:mode", mode);
        return dir;
    }

    /** The id of group {@code name} in the subhost's {@code /etc/group}, if it lists one. */
    static Optional<Integer> groupId(Path root, String name) {
        try {
            for (String line : Files.readAllLines(root.resolve("etc/group"))) {
                String[] f = line.split(":");
                if (f.length >= 3 && f[0].equals(name)) {
                    return Optional.of(Integer.parseInt(f[2]));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // No readable group file: the conventional id applies.
        }
        return Optional.empty();
    }
}
