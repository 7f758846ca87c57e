package org.subhost.core.disk;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;
import org.subhost.config.DiskAttachment;
import org.subhost.linux.Credentials;
import org.subhost.linux.Errno;
import org.subhost.linux.MountTable;
import org.subhost.linux.Mounts;
import org.subhost.linux.SyscallException;
import org.subhost.linux.disk.DiskFormatException;
import org.subhost.linux.disk.FilesystemType;
import org.subhost.linux.disk.LoopBacking;
import org.subhost.linux.disk.LoopDevice;
import org.subhost.linux.disk.Partition;
import org.subhost.linux.disk.PartitionTable;

/**
 * The mount of a filesystem from a disk image (a partition of it, or the whole image) so
 * that MOUNTPATH lies in it, unless it is mounted already: what overlay-diskfile does at
 * boot. Who asked for it hands the mount on (overlay-diskfile reports it to the reading of
 * the configuration, which hands it to the boot); {@link DiskImageRelease} undoes it.
 *
 * <p>The rules, as the manual page gives them:
 * <ul>
 * <li>The mount point is the longest prefix of MOUNTPATH that exists as a directory before
 *     mounting (MOUNTPATH itself when it exists). After mounting, MOUNTPATH must exist in
 *     the mounted filesystem; otherwise the mount is undone and that is the error.
 * <li>Already mounted: some prefix of MOUNTPATH is a mount point whose topmost mount is a
 *     loop device bound to DISKFILE at the partition's offset (from {@code
 *     /proc/thread-self/mountinfo} and {@code /sys/block/loopN/loop/}). Then nothing is
 *     mounted and nothing is returned: the mount belongs to whoever made it.
 * <li>The loop device is read-only when the image may not be written or the filesystem is
 *     a read-only format (squashfs, erofs); the filesystem is then mounted read-only too.
 * </ul>
 *
 * <p>Mounts act in the mount namespace of the calling thread, which for the command is that
 * of the process that read the configuration.
 */
final class DiskImageMount {
    private final Path cwd;
    private final String mountPathText;
    private final String diskfileText;
    private final OptionalInt index;

    /**
     * The mount of {@code diskfileText} (partition {@code index}, or the whole image) that
     * holds {@code mountPathText}; relative paths are taken from {@code cwd}.
     */
    DiskImageMount(Path cwd, String mountPathText, String diskfileText, OptionalInt index) {
        this.cwd = cwd;
        this.mountPathText = mountPathText;
        this.diskfileText = diskfileText;
        this.index = index;
    }

    /**
     * Mounts the filesystem unless it is mounted already, in the calling thread's mount
     * namespace.
     *
     * @return the mount made, or empty when it was mounted already
     * @throws DiskImageException saying what is wrong, with nothing left mounted or attached by us
     */
    Optional<DiskAttachment> mount() throws DiskImageException {
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
            throw new DiskImageException(diskfileText + ": cannot be read: " + DiskImages.reason(e));
        }
        Optional<Path> mountedOn = alreadyMountedOn(mountPath, image, offset);
        if (mountedOn.isPresent()) {
            if (!Files.exists(mountPath)) {
                throw new DiskImageException("MOUNTPATH (" + mountPathText + ") does not exist in " + what() + " ("
                        + type.kernelName() + ", mounted on " + mountedOn.get() + ")");
            }
            return Optional.empty();
        }
        Path mountDir = existingDirectory(mountPath);
        boolean readOnly = type.readOnly() || !Files.isWritable(image);
        DiskAttachment attachment = attach(image, offset, size, readOnly, type, mountDir);
        if (!Files.exists(mountPath)) {
            unmount(mountDir);
            throw new DiskImageException("MOUNTPATH (" + mountPathText + ") does not exist in " + what() + " ("
                    + type.kernelName() + ", mounted on " + mountDir + " and unmounted again)");
        }
        return Optional.of(attachment);
    }

    /** DISKFILE as a real path: an existing regular file. */
    private Path image() throws DiskImageException {
        Path image = cwd.resolve(diskfileText);
        if (!Files.exists(image)) {
            throw new DiskImageException(diskfileText + ": no such file");
        }
        if (!Files.isRegularFile(image)) {
            throw new DiskImageException(diskfileText + ": not a regular file (DISKFILE must be a disk image file)");
        }
        try {
            Path real = image.toRealPath();
            if (real.toString().indexOf('\t') >= 0 || real.toString().indexOf('\n') >= 0) {
                throw new DiskImageException(diskfileText + ": its path (" + real + ") must not contain a tab or a line break");
            }
            return real;
        } catch (IOException e) {
            throw new DiskImageException(diskfileText + ": cannot be resolved: " + DiskImages.reason(e));
        }
    }

    /** The partition INDEX, or null for the whole image. */
    private Partition partition(FileChannel channel) throws IOException, DiskImageException {
        if (index.isEmpty()) {
            return null;
        }
        try {
            Optional<PartitionTable> table = PartitionTable.read(channel);
            if (table.isEmpty()) {
                throw new DiskImageException(diskfileText + ": no partition table (neither MBR nor GPT), so no partition "
                        + index.getAsInt() + "; without INDEX the whole image is taken as one filesystem");
            }
            return table.get().partition(index.getAsInt());
        } catch (DiskFormatException e) {
            throw new DiskImageException(diskfileText + ": " + e.getMessage());
        }
    }

    private FilesystemType probe(FileChannel channel, long offset) throws IOException, DiskImageException {
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
        throw new DiskImageException(message);
    }

    /** Partition INDEX of DISKFILE, or DISKFILE, as messages name it. */
    private String what() {
        return index.isPresent() ? "partition " + index.getAsInt() + " of " + diskfileText : diskfileText;
    }

    /**
     * Where a prefix of {@code mountPath} has, on top, a loop device bound to {@code image}
     * at {@code offset}.
     */
    private static Optional<Path> alreadyMountedOn(Path mountPath, Path image, long offset) throws DiskImageException {
        MountTable mounts;
        try {
            mounts = MountTable.ofThisThread();
        } catch (IOException e) {
            throw new DiskImageException("cannot read /proc/thread-self/mountinfo: " + DiskImages.reason(e));
        }
        for (Path prefix = mountPath; prefix != null; prefix = prefix.getParent()) {
            String source = mounts.topmost(prefix).map(MountTable.Entry::source).orElse(null);
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
                throw new DiskImageException("cannot read what " + source + " is bound to: " + DiskImages.reason(e));
            }
        }
        return Optional.empty();
    }

    /** {@code path} with the symbolic links of its existing part resolved, as mountinfo shows it. */
    private static Path realPrefix(Path path) throws DiskImageException {
        Path existing = path;
        while (existing.getParent() != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(path));
        } catch (IOException e) {
            throw new DiskImageException("cannot resolve " + existing + ": " + DiskImages.reason(e));
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
    private DiskAttachment attach(Path image, long offset, long size, boolean readOnly, FilesystemType type,
            Path mountDir) throws DiskImageException {
        // Asked before attaching, so that a user without root hears what is needed rather than
        // the loop device's EACCES.
        if (!Credentials.isRoot()) {
            throw new DiskImageException("must be run as root to mount " + what() + " (loop devices and mount need it)");
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
            throw new DiskImageException(what() + " (" + type.kernelName() + ") could not be mounted on " + mountDir + ": "
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
}
