package org.subhost.core;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.subhost.linux.AtFiles;
import org.subhost.linux.Errno;
import org.subhost.linux.Fds;
import org.subhost.linux.FileStatus;
import org.subhost.linux.LayerEntries;
import org.subhost.linux.SyscallException;

/**
 * A directory tree that a subhost owns (UPPER, LIVE, or the subhost's "/" after the switch
 * of root), as the host side works in it: every path is resolved inside the tree, as if it
 * were the root, and never leaves it.
 *
 * <p>Example: the built-in PREMOUNT writes {@code etc/network/interfaces} in UPPER; when
 * the subhost's root has made {@code UPPER/etc/network} a symbolic link to {@code
 * /etc/sudoers.d}, the file lands in {@code UPPER/etc/sudoers.d}, inside the subhost, and
 * the host's directory is untouched.
 *
 * <p>Rules (docs/security.md, "What the host side trusts"): the top is opened once; each
 * path below it is resolved with openat2(2) and RESOLVE_IN_ROOT (absolute symbolic links
 * start at the top, {@code ..} stops there) and RESOLVE_NO_MAGICLINKS ({@code
 * /proc/PID/root} and the like are refused); new entries are made by one name relative to
 * the descriptor of their resolved parent, with O_EXCL or mkdirat, which never follow a
 * link; files are read only when statx of an O_PATH descriptor says they are regular, so
 * that a FIFO never blocks and a device node is never opened, and only up to a limit.
 *
 * <p>What it leaves to the caller: mounting on a descriptor ({@link #procPath}), and the
 * trust in the top's own path, which is the host's configuration.
 */
final class SubhostTree implements AutoCloseable, TreeReader {
    /** How every path below the top is resolved. */
    static final long RESOLVE = AtFiles.RESOLVE_IN_ROOT | AtFiles.RESOLVE_NO_MAGICLINKS;
    /** How often a walk that raced with a rename or mount (EAGAIN) is tried again. */
    private static final int RACE_RETRIES = 16;

    private final Path top;
    private int fd;

    private SubhostTree(Path top, int fd) {
        this.top = top;
        this.fd = fd;
    }

    /**
     * Opens the tree at {@code top}, a path of the host's configuration (or {@code /} of the
     * calling thread once its root is the subhost's).
     *
     * @throws IOException when {@code top} is not a directory that can be opened
     */
    static SubhostTree open(Path top) throws IOException {
        try {
            return new SubhostTree(top, Fds.open(top.toString(), Fds.O_PATH | Fds.O_DIRECTORY | Fds.O_CLOEXEC));
        } catch (SyscallException e) {
            throw new IOException(top + ": cannot open as a directory: " + e.errnoText(), e);
        }
    }

    /** {@return the path of the top, for messages} */
    Path top() {
        return top;
    }

    /** {@return the path of {@code relative} below the top, for messages} */
    Path pathOf(String relative) {
        return top.resolve(relative(relative));
    }

    /**
     * Opens {@code relative} resolved inside the tree.
     *
     * @param flags O_* flags; O_CLOEXEC is added
     * @return a descriptor owned by the caller
     * @throws SyscallException when the kernel refuses (ENOENT, ENOTDIR, ELOOP for a magic link)
     */
    int open(String relative, int flags) throws SyscallException {
        return openAt(relative(relative), flags, 0);
    }

    /**
     * Opens {@code relative} inside the tree with no symbolic link anywhere on the way
     * (RESOLVE_NO_SYMLINKS besides the tree's rules): for a path that must be the very
     * directory the host names, never one that a link of the subhost leads to.
     *
     * @param flags O_* flags; O_CLOEXEC and O_NOFOLLOW are added
     * @return a descriptor owned by the caller
     * @throws SyscallException when the kernel refuses (ENOENT, ENOTDIR, ELOOP for a link)
     */
    int openWithoutLinks(String relative, int flags) throws SyscallException {
        int rc = tryOpenWithoutLinks(relative, flags);
        if (rc < 0) {
            throw openWithoutLinksRefusal(relative, flags, -rc);
        }
        return rc;
    }

    /**
     * As {@link #openWithoutLinks}, with the refusal as an answer: for a caller to whom a
     * missing entry or a link on the way is expected, no exception is made.
     *
     * @return a descriptor owned by the caller, or the errno negated ({@code -Errno.ENOENT})
     */
    int tryOpenWithoutLinks(String relative, int flags) {
        return tryOpenat2(relative(relative), flags | Fds.O_NOFOLLOW, 0, RESOLVE | AtFiles.RESOLVE_NO_SYMLINKS);
    }

    /** {@return the refusal {@link #openWithoutLinks} throws for {@code errno}} */
    SyscallException openWithoutLinksRefusal(String relative, int flags, int errno) {
        return refusal(relative(relative), flags | Fds.O_NOFOLLOW, 0, RESOLVE | AtFiles.RESOLVE_NO_SYMLINKS, errno);
    }

    private int openAt(String relative, int flags, int mode) throws SyscallException {
        int rc = tryOpenAt(relative, flags, mode);
        if (rc < 0) {
            throw refusal(relative, flags, mode, RESOLVE, -rc);
        }
        return rc;
    }

    /** {@link #openAt}'s descriptor, or its errno negated: a refusal made no exception yet. */
    private int tryOpenAt(String relative, int flags, int mode) {
        return tryOpenat2(relative, flags, mode, RESOLVE);
    }

    /**
     * openat2 below the top, tried again while a rename or mount races with the walk
     * (EAGAIN); the descriptor, or the last errno negated. O_CLOEXEC is added.
     */
    private int tryOpenat2(String relative, int flags, int mode, long resolve) {
        for (int attempt = 1; ; attempt++) {
            int rc = AtFiles.tryOpenat2(fd, relative.isEmpty() ? "." : relative, flags | Fds.O_CLOEXEC, mode, resolve);
            if (rc != -Errno.EAGAIN || attempt == RACE_RETRIES) {
                return rc;
            }
        }
    }

    /** The exception of a refused {@link #tryOpenat2}, as {@link AtFiles#openat2} makes it. */
    private SyscallException refusal(String relative, int flags, int mode, long resolve, int errno) {
        return AtFiles.openat2Refusal(fd, relative.isEmpty() ? "." : relative, flags | Fds.O_CLOEXEC, mode, resolve,
                errno);
    }

    /** {@link #failure} of a refused {@link #tryOpenAt}: the exception is made only here. */
    private IOException openFailure(String relative, int flags, int errno) {
        return failure(relative, refusal(relative, flags, 0, RESOLVE, errno));
    }

    /**
     * The names in the directory {@code relative} (resolved inside the tree), sorted; empty
     * when there is no such directory. Only names: nothing of the entries is opened.
     *
     * @throws IOException when {@code relative} is something else than a directory, or unreadable
     */
    @Override
    public List<String> list(String relative) throws IOException {
        String rel = relative(relative);
        int dir = tryOpenAt(rel, Fds.O_RDONLY | Fds.O_DIRECTORY, 0);
        if (dir == -Errno.ENOENT) {
            return List.of();
        }
        if (dir < 0) {
            throw openFailure(rel, Fds.O_RDONLY | Fds.O_DIRECTORY, -dir);
        }
        // The magic link leads to the very directory opened above, whatever its path is now.
        try (java.util.stream.Stream<Path> entries = java.nio.file.Files.list(Path.of(procPath(dir)))) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        } finally {
            Descriptor.closeQuietly(dir);
        }
    }

    /**
     * The kind of file {@code relative} is; with {@code follow} false, a symbolic link in its
     * last component is told as such ({@code "symbolic link"}), not followed.
     */
    @Override
    public Optional<String> typeName(String relative, boolean follow) throws IOException {
        String rel = relative(relative);
        int flags = Fds.O_PATH | (follow ? 0 : Fds.O_NOFOLLOW);
        int path = tryOpenAt(rel, flags, 0);
        if (path == -Errno.ENOENT) {
            return Optional.empty();
        }
        if (path < 0) {
            throw openFailure(rel, flags, -path);
        }
        try {
            return Optional.of(AtFiles.fstat(path).typeName());
        } catch (SyscallException e) {
            throw failure(rel, e);
        } finally {
            Descriptor.closeQuietly(path);
        }
    }

    /**
     * The entry {@code relative} itself, as an overlay's layer has it (a link in its last
     * component not followed): its kind, whether it is a whiteout or an opaque directory,
     * and a link's target; empty when nothing is there.
     *
     * @throws IOException when a component is not a directory, or the kernel refuses
     */
    Optional<LayerEntry> layerEntry(String relative) throws IOException {
        String rel = relative(relative);
        int path = tryOpenAt(rel, Fds.O_PATH | Fds.O_NOFOLLOW, 0);
        if (path == -Errno.ENOENT || path == -Errno.ENOTDIR) {
            return Optional.empty();
        }
        if (path < 0) {
            throw openFailure(rel, Fds.O_PATH | Fds.O_NOFOLLOW, -path);
        }
        try {
            FileStatus status = AtFiles.fstat(path);
            boolean link = (status.mode() & FileStatus.S_IFMT) == FileStatus.S_IFLNK;
            return Optional.of(new LayerEntry(status.typeName(), LayerEntries.isWhiteout(path),
                    status.isDirectory() && LayerEntries.isOpaque(path),
                    link ? Optional.of(LayerEntries.readLink(path)) : Optional.empty()));
        } catch (SyscallException e) {
            throw failure(rel, e);
        } finally {
            Descriptor.closeQuietly(path);
        }
    }

    /**
     * An entry of an overlay's layer ({@link #layerEntry}).
     *
     * @param typeName its kind, as {@link FileStatus#typeName()} names it
     * @param whiteout whether it is a whiteout, which hides the lower layers' entry
     * @param opaque whether it is an opaque directory, which hides what the lower layers have below it
     * @param linkTarget a symbolic link's target, as written in it
     */
    record LayerEntry(String typeName, boolean whiteout, boolean opaque, Optional<String> linkTarget) {}

    /**
     * Whether {@code relative} exists inside the tree (following links inside it); a link
     * that leads nowhere inside it does not.
     */
    boolean exists(String relative) throws IOException {
        String rel = relative(relative);
        int path = tryOpenAt(rel, Fds.O_PATH, 0);
        if (path == -Errno.ENOENT) {
            return false;
        }
        if (path < 0) {
            throw failure(relative, refusal(rel, Fds.O_PATH, 0, RESOLVE, -path));
        }
        Descriptor.closeQuietly(path);
        return true;
    }

    /**
     * The directory {@code relative}, with its missing components made (mode {@code mode},
     * exactly), as an O_PATH descriptor owned by the caller.
     *
     * @throws IOException when a component is no directory, or a link leads nowhere
     */
    int directory(String relative, int mode) throws IOException {
        List<String> names = names(relative);
        int current;
        try {
            current = openAt("", Fds.O_PATH | Fds.O_DIRECTORY, 0);
        } catch (SyscallException e) {
            throw failure("", e);
        }
        StringBuilder prefix = new StringBuilder();
        try {
            for (String name : names) {
                prefix.append(prefix.isEmpty() ? "" : "/").append(name);
                int next = tryOpenAt(prefix.toString(), Fds.O_PATH | Fds.O_DIRECTORY, 0);
                if (next < 0) {
                    if (next != -Errno.ENOENT) {
                        throw openFailure(prefix.toString(), Fds.O_PATH | Fds.O_DIRECTORY, -next);
                    }
                    makeDirectory(current, name, mode, prefix.toString());
                    try {
                        next = openAt(prefix.toString(), Fds.O_PATH | Fds.O_DIRECTORY, 0);
                    } catch (SyscallException again) {
                        throw failure(prefix.toString(), again);
                    }
                }
                Descriptor.closeQuietly(current);
                current = next;
            }
            return current;
        } catch (IOException | RuntimeException | Error e) {
            Descriptor.closeQuietly(current);
            throw e;
        }
    }

    private void makeDirectory(int parent, String name, int mode, String relative) throws IOException {
        try {
            AtFiles.mkdirat(parent, name, mode);
            AtFiles.fchmodat(parent, name, mode);
        } catch (SyscallException e) {
            if (e.is(Errno.EEXIST)) {
                // An entry that resolution could not follow: a symbolic link that leads nowhere.
                throw new IOException(pathOf(relative) + ": a symbolic link that leads nowhere inside " + top, e);
            }
            throw failure(relative, e);
        }
    }

    /**
     * Creates the regular file {@code relative} with {@code content} and mode {@code mode}
     * (exactly), making its directory when missing, unless an entry of that name (of any
     * kind, a link too) is there.
     *
     * @return whether it was created
     * @throws IOException when the kernel refuses
     */
    boolean createFile(String relative, byte[] content, int mode) throws IOException {
        String rel = relative(relative);
        int slash = rel.lastIndexOf('/');
        String name = rel.substring(slash + 1);
        int parent = directory(slash < 0 ? "" : rel.substring(0, slash), 0755);
        try {
            int file;
            try {
                // O_EXCL never follows a link in the name; one relative to the resolved parent.
                file = AtFiles.openat2(parent, name, Fds.O_WRONLY | Fds.O_CREAT | Fds.O_EXCL | Fds.O_NOFOLLOW
                        | Fds.O_CLOEXEC, mode, AtFiles.RESOLVE_BENEATH | AtFiles.RESOLVE_NO_SYMLINKS);
            } catch (SyscallException e) {
                if (e.is(Errno.EEXIST)) {
                    return false;
                }
                throw failure(rel, e);
            }
            try {
                AtFiles.fchmod(file, mode);
                writeAll(file, content, rel);
            } finally {
                Descriptor.closeQuietly(file);
            }
            return true;
        } finally {
            Descriptor.closeQuietly(parent);
        }
    }

    /**
     * Removes the entry {@code relative} (a file, or a link itself), resolving only its
     * directory inside the tree; nothing when it is missing.
     */
    void remove(String relative) throws IOException {
        String rel = relative(relative);
        int slash = rel.lastIndexOf('/');
        String directory = slash < 0 ? "" : rel.substring(0, slash);
        int parent = tryOpenAt(directory, Fds.O_PATH | Fds.O_DIRECTORY, 0);
        if (parent == -Errno.ENOENT) {
            return;
        }
        if (parent < 0) {
            throw failure(rel, refusal(directory, Fds.O_PATH | Fds.O_DIRECTORY, 0, RESOLVE, -parent));
        }
        try {
            AtFiles.unlinkat(parent, rel.substring(slash + 1), 0);
        } catch (SyscallException e) {
            if (!e.is(Errno.ENOENT)) {
                throw failure(rel, e);
            }
        } finally {
            Descriptor.closeQuietly(parent);
        }
    }

    /**
     * What the regular file {@code relative} holds, read only after statx of an O_PATH
     * descriptor said it is a regular file of at most {@code limit} bytes; empty when it is
     * missing.
     *
     * @throws IOException when it is another kind of file (a FIFO, a device, a directory),
     *     larger than {@code limit}, or unreadable
     */
    @Override
    public Optional<byte[]> readRegular(String relative, int limit) throws IOException {
        String rel = relative(relative);
        int path = tryOpenAt(rel, Fds.O_PATH, 0);
        if (path == -Errno.ENOENT) {
            return Optional.empty();
        }
        if (path < 0) {
            throw openFailure(rel, Fds.O_PATH, -path);
        }
        FileStatus before;
        try {
            before = AtFiles.fstat(path);
        } catch (SyscallException e) {
            throw failure(rel, e);
        } finally {
            Descriptor.closeQuietly(path);
        }
        checkRegular(rel, before, limit);
        int file;
        try {
            // Opened once more, now for reading: O_NONBLOCK and O_NOCTTY keep an entry swapped
            // in meanwhile from blocking or acting, and the identity check below refuses it.
            file = openAt(rel, Fds.O_RDONLY | Fds.O_NONBLOCK | Fds.O_NOCTTY, 0);
        } catch (SyscallException e) {
            throw failure(rel, e);
        }
        try {
            FileStatus now = AtFiles.fstat(file);
            if (!now.isSameFile(before)) {
                throw new IOException(pathOf(rel) + ": replaced while it was opened; not read");
            }
            checkRegular(rel, now, limit);
            return Optional.of(readAtMost(file, limit, rel));
        } catch (SyscallException e) {
            throw failure(rel, e);
        } finally {
            Descriptor.closeQuietly(file);
        }
    }

    /**
     * Opens the device node {@code relative} with {@code flags} (O_CLOEXEC is added) when it
     * is the character device {@code major:minor}: resolved with no symbolic link at all (a
     * link on the way fails with ELOOP), first with O_PATH, which runs no driver's open, and
     * checked; then opened for use and checked to be the same inode. A link or a FIFO planted
     * there, or a node of another device, is never opened for use.
     *
     * @param what the device in words, for the message ("the null device")
     * @return a descriptor owned by the caller
     * @throws IOException naming what is there instead
     */
    int openDevice(String relative, int flags, int major, int minor, String what) throws IOException {
        String rel = relative(relative);
        long resolve = RESOLVE | AtFiles.RESOLVE_NO_SYMLINKS;
        String wanted = what + " (" + major + ":" + minor + ")";
        FileStatus before;
        int path;
        try {
            path = AtFiles.openat2(fd, rel, Fds.O_PATH | Fds.O_CLOEXEC, 0, resolve);
        } catch (SyscallException e) {
            if (e.is(Errno.ELOOP)) {
                throw new IOException(pathOf(rel) + ": a symbolic link (or one on its way), not " + wanted
                        + "; not opened", e);
            }
            throw failure(rel, e);
        }
        try {
            before = AtFiles.fstat(path);
        } catch (SyscallException e) {
            throw failure(rel, e);
        } finally {
            Descriptor.closeQuietly(path);
        }
        if (!before.isCharacterDevice(major, minor)) {
            String is = (before.mode() & FileStatus.S_IFMT) == FileStatus.S_IFCHR
                    ? "the character device " + before.rdevMajor() + ":" + before.rdevMinor() : "a " + before.typeName();
            throw new IOException(pathOf(rel) + ": " + is + ", not " + wanted + "; not opened");
        }
        int file;
        try {
            file = AtFiles.openat2(fd, rel, flags | Fds.O_CLOEXEC, 0, resolve);
        } catch (SyscallException e) {
            throw failure(rel, e);
        }
        boolean ok = false;
        try {
            FileStatus now = AtFiles.fstat(file);
            if (!now.isSameFile(before)) {
                throw new IOException(pathOf(rel) + ": replaced while it was opened; not used");
            }
            ok = true;
            return file;
        } catch (SyscallException e) {
            throw failure(rel, e);
        } finally {
            if (!ok) {
                Descriptor.closeQuietly(file);
            }
        }
    }

    private void checkRegular(String rel, FileStatus status, int limit) throws IOException {
        if (!status.isRegularFile()) {
            throw new IOException(pathOf(rel) + ": a " + status.typeName() + ", not a regular file; not read");
        }
        if (status.size() > limit) {
            throw new IOException(pathOf(rel) + ": " + status.size() + " bytes, more than the " + limit
                    + " read of it; not read");
        }
    }

    private byte[] readAtMost(int file, int limit, String rel) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (true) {
            byte[] chunk = Fds.read(file, Math.min(65536, limit + 1 - out.size()));
            if (chunk.length == 0) {
                return out.toByteArray();
            }
            out.write(chunk);
            if (out.size() > limit) {
                throw new IOException(pathOf(rel) + ": more than " + limit + " bytes; not read");
            }
        }
    }

    private void writeAll(int file, byte[] content, String rel) throws IOException {
        int done = 0;
        while (done < content.length) {
            byte[] rest = done == 0 ? content : java.util.Arrays.copyOfRange(content, done, content.length);
            int n = Fds.write(file, rest);
            if (n <= 0) {
                throw new IOException(pathOf(rel) + ": write made no progress");
            }
            done += n;
        }
    }

    /**
     * The path through which mount(2) reaches what {@code fd} names: {@code
     * /proc/self/fd/N}, a magic link the kernel follows to the very file, whatever happened
     * to its path since. Needs the host's {@code /proc} in view (before the switch of root).
     */
    static String procPath(int fd) {
        return "/proc/self/fd/" + fd;
    }

    private IOException failure(String relative, SyscallException e) {
        String what = switch (e.errno()) {
            case Errno.ENOTDIR -> "a component is not a directory";
            case Errno.ELOOP -> "a link that must not be followed (a magic link such as /proc/PID/root)";
            default -> e.errnoText();
        };
        return new IOException(pathOf(relative) + " (resolved inside " + top + "): " + what, e);
    }

    /** {@code relative} without leading slashes, empty components and {@code .}. */
    private static String relative(String relative) {
        return String.join("/", names(relative));
    }

    static List<String> names(String relative) {
        List<String> names = new ArrayList<>();
        for (String name : relative.split("/")) {
            if (name.equals("..")) {
                throw new IllegalArgumentException("path (" + relative + ") must not contain ..");
            }
            if (!name.isEmpty() && !name.equals(".")) {
                names.add(name);
            }
        }
        return names;
    }

    @Override
    public void close() {
        Descriptor.closeQuietly(fd);
        fd = -1;
    }
}
