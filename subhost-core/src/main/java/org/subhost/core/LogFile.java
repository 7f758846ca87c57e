package org.subhost.core;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.subhost.linux.AtFiles;
import org.subhost.linux.Credentials;
import org.subhost.linux.Errno;
import org.subhost.linux.Fds;
import org.subhost.linux.FileStatus;
import org.subhost.linux.SyscallException;

/**
 * A subhost's LOG file as the host side opens and reads it, safe against the other users
 * of the host: the default LOG is {@code /tmp/oly-NAME.log}, where any user can make a file,
 * a FIFO or a symbolic link of that name before the first boot.
 *
 * <p>Opening: never through a symbolic link (O_NOFOLLOW), never blocking (O_NONBLOCK: a
 * FIFO without a reader fails at once), created with mode 0600 whatever the umask;
 * refused unless it is a regular file of the user the SDK runs as (root) with one name (a
 * second name, a hard link, could be a file of the host's that writing and rotating LOG
 * would change), and an old one readable or writable by others keeps at most 0640.
 *
 * <p>Bounding (LOG_MAX): LOG and its rotated file {@link #rotated LOG.1} change names in one
 * step when LOG is full (renameat2 with RENAME_EXCHANGE), and the file that is LOG now is
 * emptied: by the log relay while the subhost runs ({@code relay.c}), and here when a boot
 * starts ({@link #rotateIfFull}). No name is ever made anew but the first time, where
 * another user could have put a file first. Reading: only a regular file, and at
 * most {@link #READ_LIMIT} bytes, the last ones: a subhost writes to its LOG as much as it
 * likes, and a status must not read gigabytes.
 */
final class LogFile {
    /** The mode of a new LOG. */
    static final int MODE = 0600;
    /** The most a LOG ever keeps: owner read and write, group read. */
    static final int MOST = 0640;
    /** The most of a LOG read at once, the last bytes of the range asked for. */
    static final int READ_LIMIT = 1 << 20;

    private LogFile() {}

    /** {@code bytes} as LOG_MAX writes it: {@code 10M}, {@code 512K}, or bytes. */
    static String sizeText(long bytes) {
        for (int shift : new int[] {30, 20, 10}) {
            if (bytes % (1L << shift) == 0) {
                return (bytes >> shift) + (shift == 30 ? "G" : shift == 20 ? "M" : "K");
            }
        }
        return bytes + " bytes";
    }

    /** {@return the rotated file of {@code log}: {@code LOG.1}, which keeps LOG's newest part before the current one} */
    static Path rotated(Path log) {
        return log.resolveSibling(log.getFileName() + ".1");
    }

    /**
     * Opens {@code log} for appending, creating it (mode 0600) when missing; its directory is
     * made when missing (0755, as {@code /var/log} is).
     *
     * @return a descriptor owned by the caller, close-on-exec
     * @throws IOException when it is a link, not a regular file, or not ours, with the fix
     */
    static int openForAppend(Path log) throws IOException {
        int fd;
        try {
            fd = openAppending(log);
        } catch (SyscallException e) {
            if (!e.is(Errno.ENOENT)) {
                throw refusal(log, e);
            }
            // O_CREAT and ENOENT: a directory on the way is missing; made, then LOG opened once
            // more. Not looked for before: LOG's directory is there at every boot but the first.
            makeDirectories(log.toAbsolutePath().getParent());
            try {
                fd = openAppending(log);
            } catch (SyscallException again) {
                throw refusal(log, again);
            }
        }
        return checkedOrClosed(log, fd, java.util.OptionalInt.empty());
    }

    /**
     * Opens LOG again for appending as {@link #openForAppend} does, but by its {@code name} in
     * its {@code directory} (a descriptor opened on the host), not by its path: for the lines
     * a boot writes after the namespace thread switched its root, where LOG's path leads into
     * the subhost's tree, whose links and files a subhost's root owns. No link is followed
     * (RESOLVE_NO_SYMLINKS) and nothing outside the directory is reached (RESOLVE_BENEATH).
     *
     * @param us the user the SDK runs as ({@link Credentials#effectiveUid}), known before the
     *     root switch
     * @return a descriptor owned by the caller, close-on-exec
     * @throws IOException when it is a link, not a regular file, or not ours, with the fix
     */
    static int openForAppendIn(int directory, String name, Path log, int us) throws IOException {
        int fd;
        try {
            fd = AtFiles.openat2(directory, name, Fds.O_WRONLY | Fds.O_APPEND | Fds.O_CREAT | Fds.O_NOFOLLOW
                    | Fds.O_NONBLOCK | Fds.O_NOCTTY | Fds.O_CLOEXEC, MODE,
                    AtFiles.RESOLVE_BENEATH | AtFiles.RESOLVE_NO_SYMLINKS);
        } catch (SyscallException e) {
            throw refusal(log, e);
        }
        return checkedOrClosed(log, fd, java.util.OptionalInt.of(us));
    }

    /**
     * {@code fd}, LOG just opened, once {@link #check checked} to be a regular file with one
     * name of {@code us} (empty: of {@link Credentials#effectiveUid}, asked now), and narrowed
     * to at most {@link #MOST}; closed when it is not.
     */
    private static int checkedOrClosed(Path log, int fd, java.util.OptionalInt us) throws IOException {
        try {
            FileStatus status = check(log, fd, us.isPresent() ? us.getAsInt() : Credentials.effectiveUid());
            int permissions = status.permissions();
            // A new file got MODE (a umask only takes bits away); an older one keeps at most MOST.
            if ((permissions & ~MOST) != 0) {
                AtFiles.fchmod(fd, permissions & MOST);
            }
            return fd;
        } catch (IOException | RuntimeException e) {
            Descriptor.closeQuietly(fd);
            throw e;
        }
    }

    private static int openAppending(Path log) throws SyscallException {
        return Fds.open(log.toString(), Fds.O_WRONLY | Fds.O_APPEND | Fds.O_CREAT | Fds.O_NOFOLLOW | Fds.O_NONBLOCK
                | Fds.O_NOCTTY | Fds.O_CLOEXEC, MODE);
    }

    /**
     * What the log relay needs to rotate LOG: its rotated file, opened as {@link
     * #openForAppend} opens LOG (made when missing, with the same checks), and LOG's
     * directory, checked to hold as LOG the very file that {@code logFd} is.
     *
     * @param rotated LOG.1, open for appending
     * @param directory LOG's directory (O_PATH)
     * @param name LOG's name in it
     */
    record Rotation(Descriptor rotated, Descriptor directory, String name) implements AutoCloseable {
        @Override
        public void close() {
            rotated.close();
            directory.close();
        }
    }

    /**
     * Opens what the rotation of {@code log}, open as {@code logFd}, needs.
     *
     * @throws IOException when LOG.1 is refused (as LOG would be), or LOG is no longer
     *     the file at its path
     */
    static Rotation openRotation(Path log, int logFd) throws IOException {
        Path absolute = log.toAbsolutePath();
        Descriptor rotated = new Descriptor(openForAppend(rotated(absolute)));
        try {
            int dir = Fds.open(absolute.getParent().toString(), Fds.O_PATH | Fds.O_DIRECTORY | Fds.O_CLOEXEC);
            Descriptor directory = new Descriptor(dir);
            try {
                String name = absolute.getFileName().toString();
                int named = AtFiles.openat2(dir, name, Fds.O_PATH | Fds.O_NOFOLLOW | Fds.O_CLOEXEC, 0,
                        AtFiles.RESOLVE_BENEATH | AtFiles.RESOLVE_NO_SYMLINKS);
                try {
                    FileStatus there = AtFiles.fstat(named);
                    FileStatus open = AtFiles.fstat(logFd);
                    if (!there.isSameFile(open)) {
                        throw new IOException("LOG (" + log + ") was replaced while it was opened; refused");
                    }
                } finally {
                    Descriptor.closeQuietly(named);
                }
                return new Rotation(rotated, directory, name);
            } catch (IOException | RuntimeException e) {
                directory.close();
                throw e;
            }
        } catch (IOException | RuntimeException e) {
            rotated.close();
            throw e;
        }
    }

    /**
     * Rotates {@code log} when it holds {@code max} bytes or more, as the log relay does: LOG
     * and LOG.1 change names and the new LOG is emptied. For the lines that the SDK writes
     * itself (a boot's and a stop's): a subhost that prints nothing never makes its relay
     * rotate. Nothing when LOG is missing or smaller.
     *
     * @return whether it rotated
     * @throws IOException when LOG or LOG.1 is refused, or the kernel refuses the exchange
     */
    static boolean rotateIfFull(Path log, long max) throws IOException {
        // LOG is missing at a first boot: an answer, for which no exception is made.
        Optional<FileStatus> status = AtFiles.lstatIfPresent(log.toString());
        if (status.isEmpty() || status.get().size() < max) {
            return false;
        }
        int fd = openForAppend(log);
        try (Rotation rotation = openRotation(log, fd)) {
            AtFiles.exchange(rotation.directory().fd(), rotation.name(), rotation.name() + ".1");
            AtFiles.truncate(rotation.rotated().fd(), 0);
            return true;
        } finally {
            Descriptor.closeQuietly(fd);
        }
    }

    /**
     * What {@code log} holds from byte {@code offset} on, at most the last {@link
     * #READ_LIMIT} bytes of it; a line cut at the start of what is read is dropped.
     *
     * @throws IOException when LOG is missing, a link, not a regular file, or unreadable
     */
    static String readSince(Path log, long offset) throws IOException {
        return readSince(log, offset, READ_LIMIT);
    }

    static String readSince(Path log, long offset, int limit) throws IOException {
        int fd;
        try {
            fd = Fds.open(log.toString(), Fds.O_RDONLY | Fds.O_NOFOLLOW | Fds.O_NONBLOCK | Fds.O_NOCTTY | Fds.O_CLOEXEC);
        } catch (SyscallException e) {
            throw refusal(log, e);
        }
        try {
            FileStatus status = check(log, fd);
            long from = Math.min(Math.max(offset, 0), status.size());
            boolean cut = status.size() - from > limit;
            if (cut) {
                from = status.size() - limit;
            }
            // The descriptor's file, checked above, opened again by Java through its magic link.
            try (FileChannel channel = FileChannel.open(Path.of(SubhostTree.procPath(fd)))) {
                ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(limit, status.size() - from));
                channel.position(from);
                while (buffer.hasRemaining() && channel.read(buffer) > 0) {
                    // read until full or at the end
                }
                String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8);
                int newline = text.indexOf('\n');
                return cut && newline >= 0 ? text.substring(newline + 1) : text;
            }
        } finally {
            Descriptor.closeQuietly(fd);
        }
    }

    /** Makes {@code dir} and its missing parents with mode 0755 exactly (a umask of 000 would give 0777). */
    private static void makeDirectories(Path dir) throws IOException {
        if (dir == null || Files.isDirectory(dir)) {
            return;
        }
        makeDirectories(dir.getParent());
        try {
            Files.createDirectory(dir);
        } catch (java.nio.file.FileAlreadyExistsException e) {
            return; // made meanwhile by another boot
        }
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    /** Checks that {@code fd} is a regular file of ours with one name; returns what statx says of it. */
    private static FileStatus check(Path log, int fd) throws IOException {
        return check(log, fd, Credentials.effectiveUid());
    }

    /** As {@link #check(Path, int)}, for a LOG that must belong to {@code us}. */
    private static FileStatus check(Path log, int fd, int us) throws IOException {
        FileStatus status = AtFiles.fstat(fd);
        if (!status.isRegularFile()) {
            throw new IOException("LOG (" + log + ") is a " + status.typeName() + ", not a regular file; refused: "
                    + "remove it, or set LOG to another path");
        }
        if (status.links() != 1) {
            throw new IOException("LOG (" + log + ") has " + status.links() + " names (hard links); refused: another"
                    + " name could be a file of the host's, which writing and rotating LOG would change; remove it,"
                    + " or set LOG to another path");
        }
        if (status.uid() != us) {
            throw new IOException("LOG (" + log + ") belongs to uid " + status.uid() + ", not to " + (us == 0 ? "root"
                    : "uid " + us) + "; refused: another user made it and could read or forge it; remove it, "
                    + "or set LOG to a path in a directory of root's");
        }
        return status;
    }

    private static IOException refusal(Path log, SyscallException e) {
        if (e.is(Errno.ELOOP)) {
            return new IOException("LOG (" + log + ") is a symbolic link; refused: remove it, or set LOG to "
                    + "another path", e);
        }
        if (e.is(Errno.ENXIO)) {
            return new IOException("LOG (" + log + ") is a FIFO; refused: remove it, or set LOG to another path", e);
        }
        return new IOException("LOG (" + log + "): " + e.errnoText(), e);
    }
}
