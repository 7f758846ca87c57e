package org.subhost.cli;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.subhost.config.DiskAttachment;
import org.subhost.linux.Errno;
import org.subhost.linux.Mounts;
import org.subhost.linux.SyscallException;
import org.subhost.linux.disk.DiskFormatException;
import org.subhost.linux.disk.FilesystemType;
import org.subhost.linux.disk.LoopBacking;
import org.subhost.linux.disk.LoopDevice;
import org.subhost.linux.disk.Partition;
import org.subhost.linux.disk.PartitionTable;

/**
 * What overlay-diskfile does at boot: mounts a filesystem from a disk image (a partition of
 * it, or the whole image) so that MOUNTPATH lies in it, unless it is mounted already, and
 * reports the mount in the reading's attachment file.
 *
 * <p>The rules, as the manual page gives them:
 * <ul>
 * <li>The mount point is the longest prefix of MOUNTPATH that exists as a directory before
 *     mounting (MOUNTPATH itself when it exists). After mounting, MOUNTPATH must exist in
 *     the mounted filesystem; otherwise the mount is undone and that is the error.
 * <li>Already mounted: some prefix of MOUNTPATH is a mount point whose topmost mount is a
 *     loop device bound to DISKFILE at the partition's offset (from {@code
 *     /proc/thread-self/mountinfo} and {@code /sys/block/loopN/loop/}). Then nothing is
 *     mounted and nothing is reported: the mount belongs to whoever made it.
 * <li>The loop device is read-only when the image may not be written or the filesystem is
 *     a read-only format (squashfs, erofs); the filesystem is then mounted read-only too.
 * </ul>
 *
 * <p>Mounts act in the mount namespace of the calling thread, which for the command is that
 * of the process that read the configuration.
 */
final class DiskfileMount {
    /** A failure for the user, with a complete message (without the command's name). */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;

        Failure(String message) {
            super(message);
        }
    }

    private final Path cwd;
    private final String mountPathText;
    private final String diskfileText;
    private final OptionalInt index;

    /**
     * The mount of {@code diskfileText} (partition {@code index}, or the whole image) that
     * holds {@code mountPathText}; relative paths are taken from {@code cwd}.
     */
    DiskfileMount(Path cwd, String mountPathText, String diskfileText, OptionalInt index) {
        this.cwd = cwd;
        this.mountPathText = mountPathText;
        this.diskfileText = diskfileText;
        this.index = index;
    }

    /**
     * Mounts the filesystem unless it is mounted already; reports a mount made to {@code
     * report} (one {@link DiskAttachment} line appended) when that is not null.
     *
     * @return the mount made, or empty when it was mounted already
     * @throws Failure saying what is wrong, with nothing left mounted or attached by us
     */
    Optional<DiskAttachment> mountAndReport(Path report) throws Failure {
        Path image = image();
        Path mountPath = realPrefix(cwd.resolve(mountPathText).normalize());
        long offset;
        long size;
        FilesystemType type;
        try (FileChannel channel = FileChannel.open(image)) {
            Partition partition = partition(channel);
            offset = partition == null ? 0 : partition.offsetBytes();
            size = partition == null ? 0 : partition.sizeBytes();
            type = probe(channel, offset);
        } catch (IOException e) {
            throw new Failure(diskfileText + ": cannot be read: " + reason(e));
        }
        Optional<Path> mountedOn = alreadyMountedOn(mountPath, image, offset);
        if (mountedOn.isPresent()) {
            if (!Files.exists(mountPath)) {
                throw new Failure("MOUNTPATH (" + mountPathText + ") does not exist in " + what() + " ("
                        + type.kernelName() + ", mounted on " + mountedOn.get() + ")");
            }
            return Optional.empty();
        }
        Path mountDir = existingDirectory(mountPath);
        boolean readOnly = type.readOnly() || !Files.isWritable(image);
        DiskAttachment attachment = mount(image, offset, size, readOnly, type, mountDir);
        try {
            if (!Files.exists(mountPath)) {
                throw new Failure("MOUNTPATH (" + mountPathText + ") does not exist in " + what() + " ("
                        + type.kernelName() + ", mounted on " + mountDir + " and unmounted again)");
            }
            if (report != null) {
                Files.writeString(report, attachment + "\n", StandardCharsets.UTF_8, StandardOpenOption.WRITE,
                        StandardOpenOption.APPEND);
            }
        } catch (IOException | Failure e) {
            unmount(mountDir);
            if (e instanceof Failure f) {
                throw f;
            }
            throw new Failure("cannot report the mount of " + what() + " on " + mountDir + " in " + report + ": "
                    + reason(e) + " (unmounted again)");
        }
        return Optional.of(attachment);
    }

    /** DISKFILE as a real path: an existing regular file. */
    private Path image() throws Failure {
        Path image = cwd.resolve(diskfileText);
        if (!Files.exists(image)) {
            throw new Failure(diskfileText + ": no such file");
        }
        if (!Files.isRegularFile(image)) {
            throw new Failure(diskfileText + ": not a regular file (DISKFILE must be a disk image file)");
        }
        try {
            Path real = image.toRealPath();
            if (real.toString().indexOf('\t') >= 0 || real.toString().indexOf('\n') >= 0) {
                throw new Failure(diskfileText + ": its path (" + real + ") must not contain a tab or a line break");
            }
            return real;
        } catch (IOException e) {
            throw new Failure(diskfileText + ": cannot be resolved: " + reason(e));
        }
    }

    /** The partition INDEX, or null for the whole image. */
    private Partition partition(FileChannel channel) throws IOException, Failure {
        if (index.isEmpty()) {
            return null;
        }
        try {
            Optional<PartitionTable> table = PartitionTable.read(channel);
            if (table.isEmpty()) {
                throw new Failure(diskfileText + ": no partition table (neither MBR nor GPT), so no partition "
                        + index.getAsInt() + "; without INDEX the whole image is taken as one filesystem");
            }
            return table.get().partition(index.getAsInt());
        } catch (DiskFormatException e) {
            throw new Failure(diskfileText + ": " + e.getMessage());
        }
    }

    private FilesystemType probe(FileChannel channel, long offset) throws IOException, Failure {
        Optional<FilesystemType> type = FilesystemType.probe(channel, offset);
        if (type.isPresent()) {
            return type.get();
        }
        String message = diskfileText + ": no filesystem that overlay-diskfile knows (ext2, ext3, ext4, xfs, btrfs,"
                + " vfat, squashfs, erofs) in " + (index.isPresent() ? "partition " + index.getAsInt() + " (at byte "
                + offset + ")" : "the whole image") + ": " + FilesystemType.describeStart(channel, offset);
        if (index.isEmpty()) {
            try {
                Optional<PartitionTable> table = PartitionTable.read(channel);
                if (table.isPresent()) {
                    message += "; " + table.get().describe() + ": give INDEX";
                }
            } catch (DiskFormatException e) {
                message += "; a broken partition table is there: " + e.getMessage();
            }
        }
        throw new Failure(message);
    }

    /** Partition INDEX of DISKFILE, or DISKFILE, as messages name it. */
    private String what() {
        return index.isPresent() ? "partition " + index.getAsInt() + " of " + diskfileText : diskfileText;
    }

    /**
     * Where a prefix of {@code mountPath} has, on top, a loop device bound to {@code image}
     * at {@code offset}.
     */
    private static Optional<Path> alreadyMountedOn(Path mountPath, Path image, long offset) throws Failure {
        List<String[]> mounts = mountInfo();
        for (Path prefix = mountPath; prefix != null; prefix = prefix.getParent()) {
            String source = null;
            for (String[] m : mounts) {
                if (m[0].equals(prefix.toString())) {
                    source = m[1]; // the last listed is on top
                }
            }
            if (source == null || !source.startsWith("/dev/loop")) {
                continue;
            }
            try {
                Optional<LoopBacking> backing = LoopDevice.backing(Path.of(source));
                if (backing.isPresent() && backing.get().offset() == offset
                        && (backing.get().file().equals(image)
                                || backing.get().file().toString().equals(image + " (deleted)"))) {
                    return Optional.of(prefix);
                }
            } catch (IOException e) {
                throw new Failure("cannot read what " + source + " is bound to: " + reason(e));
            }
        }
        return Optional.empty();
    }

    /** Mount point and source of each line of {@code /proc/thread-self/mountinfo}, octal escapes decoded. */
    private static List<String[]> mountInfo() throws Failure {
        List<String[]> out = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/thread-self/mountinfo"))) {
                // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
                String[] fields = line.split(" ");
                int dash = line.indexOf(" - ");
                if (fields.length < 5 || dash < 0) {
                    continue;
                }
                String[] tail = line.substring(dash + 3).split(" ");
                out.add(new String[] {unescape(fields[4]), tail.length > 1 ? unescape(tail[1]) : ""});
            }
        } catch (IOException e) {
            throw new Failure("cannot read /proc/thread-self/mountinfo: " + reason(e));
        }
        return out;
    }

    private static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(s.charAt(i));
            }
        }
        return b.toString();
    }

    /** {@code path} with the symbolic links of its existing part resolved, as mountinfo shows it. */
    private static Path realPrefix(Path path) throws Failure {
        Path existing = path;
        while (existing.getParent() != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(path));
        } catch (IOException e) {
            throw new Failure("cannot resolve " + existing + ": " + reason(e));
        }
    }

    /** The longest prefix of {@code path} that is a directory. */
    private static Path existingDirectory(Path path) {
        Path dir = path;
        while (dir.getParent() != null && !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            dir = dir.getParent();
        }
        return dir;
    }

    /** Attaches a loop device and mounts it on {@code mountDir}; gives up the device on failure. */
    private DiskAttachment mount(Path image, long offset, long size, boolean readOnly, FilesystemType type,
            Path mountDir) throws Failure {
        if (!CliSupport.isRoot()) {
            throw new Failure("must be run as root to mount " + what() + " (loop devices and mount need it)");
        }
        try (LoopDevice loop = LoopDevice.attach(image, offset, size, readOnly)) {
            long flags = readOnly ? Mounts.MS_RDONLY : 0;
            try {
                Mounts.mount(loop.path().toString(), mountDir.toString(), type.kernelName(), flags, null);
            } catch (SyscallException e) {
                // A kernel without the ext2/ext3 drivers mounts both with its ext4 driver.
                if (!e.is(Errno.ENODEV) || (type != FilesystemType.EXT2 && type != FilesystemType.EXT3)) {
                    throw e;
                }
                Mounts.mount(loop.path().toString(), mountDir.toString(), "ext4", flags, null);
            }
            // Closing our descriptor now leaves the device to the mount (LO_FLAGS_AUTOCLEAR).
            return new DiskAttachment(mountDir, loop.path(), image);
        } catch (SyscallException e) {
            throw new Failure(what() + " (" + type.kernelName() + ") could not be mounted on " + mountDir + ": "
                    + e.getMessage());
        }
    }

    private static void unmount(Path mountDir) {
        try {
            Mounts.umount2(mountDir.toString(), Mounts.UMOUNT_NOFOLLOW);
        } catch (SyscallException e) {
            try {
                Mounts.umount2(mountDir.toString(), Mounts.MNT_DETACH | Mounts.UMOUNT_NOFOLLOW);
            } catch (SyscallException again) {
                // Nothing more can be done from here; the caller's error names the mount point.
            }
        }
    }

    private static String reason(Exception e) {
        if (e instanceof java.nio.file.NoSuchFileException n) {
            return n.getFile() + ": no such file or directory";
        }
        if (e instanceof java.nio.file.AccessDeniedException a) {
            return a.getFile() + ": permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
