package org.subhost.config;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A disk image that a {@code !} command mounted for the subhost while its configuration was
 * read (such as {@code LOWER=!overlay-diskfile mnt/ disk.img 2}), and that the subhost's
 * stop must release again: the mount point, the loop device mounted there, and the image.
 *
 * <p>Its text form, which {@link #toString()} writes and {@link #parse} reads back, is one
 * line of three tab-separated paths:
 * <pre>{@code
 * /ex1/mnt<TAB>/dev/loop3<TAB>/ex1/disk.img
 * }</pre>
 * It is the line that {@code !} commands write to report a mount ({@link
 * DiskAttachmentReport}) and the one a subhost's state record keeps. A pure value: reading
 * and writing the files is theirs.
 *
 * <p>All three paths are absolute and hold neither a tab nor a line break. Not checked here:
 * that the mount exists and is of that loop device (the stop looks before it unmounts).
 *
 * @param mountPoint where the image's filesystem is mounted, in the reader's mount namespace
 * @param loopDevice the loop device mounted there, such as {@code /dev/loop3}
 * @param image the image file the loop device reads from
 */
public record DiskAttachment(Path mountPoint, Path loopDevice, Path image) {
    /** Checks that each path is absolute and can be written on one tab-separated line. */
    public DiskAttachment {
        check("mount point", mountPoint);
        check("loop device", loopDevice);
        check("image", image);
    }

    private static void check(String what, Path path) {
        Objects.requireNonNull(path, what);
        String text = path.toString();
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("disk attachment " + what + " (" + text + ") must be an absolute path");
        }
        if (text.indexOf('\t') >= 0 || text.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("disk attachment " + what + " (" + text.replace("\n", "\\n")
                    + ") must not contain a tab or a line break");
        }
    }

    /**
     * Reads the line form {@code MOUNTPOINT<TAB>LOOPDEVICE<TAB>IMAGE}.
     *
     * @param line one line as overlay-diskfile writes it, without its line break
     * @return the attachment it stands for
     * @throws IllegalArgumentException when the line has not three absolute paths
     */
    public static DiskAttachment parse(String line) {
        String[] fields = line.split("\t", -1);
        if (fields.length != 3) {
            throw new IllegalArgumentException("disk attachment (" + line.replace("\t", "\\t")
                    + ") must be MOUNTPOINT, LOOPDEVICE and IMAGE separated by tabs");
        }
        return new DiskAttachment(Path.of(fields[0]), Path.of(fields[1]), Path.of(fields[2]));
    }

    /** The line form, {@code MOUNTPOINT<TAB>LOOPDEVICE<TAB>IMAGE}, without a line end. */
    @Override
    public String toString() {
        return mountPoint + "\t" + loopDevice + "\t" + image;
    }
}
