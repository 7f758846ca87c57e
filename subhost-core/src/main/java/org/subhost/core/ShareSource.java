package org.subhost.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.subhost.linux.AtFiles;
import org.subhost.linux.Errno;
import org.subhost.linux.Fds;
import org.subhost.linux.FileStatus;
import org.subhost.linux.Mounts;
import org.subhost.linux.SyscallException;

/**
 * A SHARE's host directory or file, opened once (O_PATH, no link followed) so that what is
 * bound into the subhost is what was checked, whatever happens to its path afterwards.
 *
 * <p>Example: {@code SHARE=/srv/mail:/var/mail} opens {@code /srv/mail}; {@link #bindOnto}
 * then clones the tree of that descriptor ({@code open_tree} with AT_EMPTY_PATH), makes the
 * clone nodev and moves it onto the mount point's descriptor.
 *
 * <p>Refused, each with a message that says which and why (docs/security.md):
 * <ul>
 * <li>a source that lies in what a subhost writes: the UPPER, WORK or LIVE of any subhost
 *     (booting, running, or listed in {@code /etc/subhosts.conf}), or below the source of
 *     another SHARE (the same source again is let through: a subhost that writes in it
 *     cannot swap the directory itself). Root inside could otherwise replace the shared
 *     directory between two boots, and the next boot would bind what it put there;
 * <li>a path with a symbolic link anywhere on it: it is resolved from {@code /} with
 *     openat2's RESOLVE_NO_SYMLINKS, since a link that a subhost (or another user)
 *     planted could lead to any directory of the host, {@code /} included;
 * <li>a path that another user than root could change: a directory on the way that
 *     belongs to another user, or that others than its owner may write without the sticky
 *     bit, or a sticky one whose entry on the way belongs to another user.
 * </ul>
 * The source itself may belong to anyone: its contents are what is shared.
 */
final class ShareSource implements AutoCloseable {
    private final Path path;
    private final boolean directory;
    private int fd;

    private ShareSource(Path path, int fd, boolean directory) {
        this.path = path;
        this.fd = fd;
        this.directory = directory;
    }

    /**
     * Checks {@code hostPath} and opens it.
     *
     * @param hostPath an absolute, normalised path on the host
     * @param written what the subhosts of this host write (their UPPER, WORK, LIVE and
     *     shared sources, {@link SubhostTrees#written()}), the sharing subhost's own
     *     included
     * @return the open source
     * @throws IOException when it is missing or refused (the message says why)
     */
    static ShareSource open(Path hostPath, List<SubhostTrees.Written> written) throws IOException {
        if (!Files.exists(hostPath, LinkOption.NOFOLLOW_LINKS)) {
            throw new IOException("SHARE " + hostPath + ": no such file or directory on the host");
        }
        checkWritten(hostPath, written);
        checkSwappable(hostPath, hostPath);
        int fd;
        try {
            fd = AtFiles.openat2(Mounts.AT_FDCWD, hostPath.toString(), Fds.O_PATH | Fds.O_NOFOLLOW | Fds.O_CLOEXEC, 0,
                    AtFiles.RESOLVE_NO_SYMLINKS);
        } catch (SyscallException e) {
            if (e.is(Errno.ELOOP)) {
                throw refusal(hostPath, firstLink(hostPath) + " is a symbolic link; a SHARE source is resolved from /"
                        + " with no symbolic link on the way, since a planted link could lead to any directory of the"
                        + " host, / included", "name the directory itself");
            }
            throw new IOException("SHARE " + hostPath + ": " + e.getMessage(), e);
        }
        try {
            FileStatus status = AtFiles.fstat(fd);
            return new ShareSource(hostPath, fd, status.isDirectory());
        } catch (IOException | RuntimeException e) {
            Descriptor.closeQuietly(fd);
            throw e;
        }
    }

    /** Refuses {@code shared} when it lies in what a subhost writes (see the class comment). */
    static void checkWritten(Path shared, List<SubhostTrees.Written> written) throws IOException {
        for (SubhostTrees.Written w : written) {
            if (!shared.startsWith(w.path()) || w.share() && shared.equals(w.path())) {
                continue;
            }
            String where = shared.equals(w.path()) ? "it is " + Printable.of(w.what())
                    : "it lies in " + w.path() + ", " + Printable.of(w.what());
            throw refusal(shared, where + ", where root inside that subhost can write: it could swap " + shared
                    + " for a symbolic link or another directory between two boots",
                    "share a directory that no subhost writes");
        }
    }

    /** The first component of {@code path} (from {@code /}) that is a symbolic link, or the path itself. */
    private static Path firstLink(Path path) {
        Path p = path.getRoot();
        for (Path name : path) {
            p = p.resolve(name);
            if (Files.isSymbolicLink(p)) {
                return p;
            }
        }
        return path;
    }

    /**
     * Checks each directory from {@code /} down to the parent of {@code path}: see the class
     * comment for the rule.
     */
    private static void checkSwappable(Path shared, Path path) throws IOException {
        List<Path> chain = new ArrayList<>();
        for (Path p = path; p != null; p = p.getParent()) {
            chain.add(0, p);
        }
        for (int i = 0; i + 1 < chain.size(); i++) {
            Path dir = chain.get(i);
            Path entry = chain.get(i + 1);
            int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int mode = (Integer) Files.getAttribute(dir, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if (owner != 0) {
                throw refusal(shared, dir + " belongs to uid " + owner + ", who could swap " + entry
                        + " for a symbolic link", "chown root " + dir + " or share a directory of root's");
            }
            // A link's own mode bits mean nothing; a link on the way is refused when the path is opened.
            if ((mode & 0022) != 0 && !Files.isSymbolicLink(dir)) {
                int entryOwner = (Integer) Files.getAttribute(entry, "unix:uid", LinkOption.NOFOLLOW_LINKS);
                if ((mode & 01000) == 0) {
                    throw refusal(shared, dir + " is writable by others than root (mode 0"
                            + Integer.toOctalString(mode & 07777) + "), who could swap " + entry,
                            "chmod go-w " + dir);
                }
                if (entryOwner != 0) {
                    throw refusal(shared, entry + " in the sticky directory " + dir + " belongs to uid " + entryOwner
                            + ", who could swap it for a symbolic link", "share a directory of root's");
                }
            }
        }
    }

    private static IOException refusal(Path shared, String why, String fix) {
        return new IOException("SHARE " + shared + " refused: " + why + "; " + fix);
    }

    /** {@return the source's path, as configured} */
    Path path() {
        return path;
    }

    /** {@return whether the source is a directory (else a file, bound onto a file)} */
    boolean directory() {
        return directory;
    }

    /**
     * Binds the source, with the mounts below it, onto the file or directory that {@code
     * target} names: open_tree(fd, "", OPEN_TREE_CLONE|AT_RECURSIVE|AT_EMPTY_PATH), made
     * nodev ({@link #cloneTree}), then move_mount to {@code target} with both paths empty.
     * The clone is made in the calling thread's mount namespace (the host's view of the
     * source must be in it) and attached in that of the thread that calls {@code
     * move_mount}: the same thread here.
     *
     * @param target an O_PATH descriptor of the mount point
     * @throws IOException when the kernel refuses
     */
    void bindOnto(int target) throws IOException {
        int tree = cloneTree();
        try {
            Mounts.moveMount(tree, "", target, "", Mounts.MOVE_MOUNT_F_EMPTY_PATH | Mounts.MOVE_MOUNT_T_EMPTY_PATH);
        } finally {
            Descriptor.closeQuietly(tree);
        }
    }

    /**
     * A detached recursive clone of the source's tree, every mount of it nodev (mount_setattr
     * before it is attached: a device node in a shared directory is never opened through
     * the share), for a caller that attaches it elsewhere (a live share: cloned in the
     * host's mount namespace, moved in the subhost's); the caller closes it.
     */
    int cloneTree() throws IOException {
        int tree = Mounts.openTree(fd, "", Mounts.OPEN_TREE_CLONE | Mounts.OPEN_TREE_CLOEXEC | Mounts.AT_RECURSIVE
                | Mounts.AT_EMPTY_PATH);
        try {
            Mounts.setAttributes(tree, "", Mounts.AT_EMPTY_PATH | Mounts.AT_RECURSIVE, Mounts.MOUNT_ATTR_NODEV, 0);
            return tree;
        } catch (SyscallException e) {
            Descriptor.closeQuietly(tree);
            throw e;
        }
    }

    @Override
    public void close() {
        Descriptor.closeQuietly(fd);
        fd = -1;
    }
}
