package org.subhost.core.disk;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.Consumer;
import org.subhost.config.DiskAttachment;

/**
 * The disk images mounted for subhosts: attach and mount one ({@link #mount}), check that
 * mounts are still there ({@link #requireMounted}), release them ({@link #release}, {@link
 * #releaseAll}). Every call acts in the mount namespace of the calling thread, which must
 * be that of the process that reads the configuration (never a namespace thread of a
 * subhost). A mount made here is described by a {@link DiskAttachment}, which the reading
 * of the configuration collects ({@code SubhostConfig#attachments()}), the boot adopts, its
 * state record keeps and its stop releases.
 *
 * <p>Example, as overlay-diskfile runs it for {@code LOWER=!overlay-diskfile mnt/ os.img 2}
 * in BASE {@code /ex1}:
 * <pre>{@code
 * Optional<DiskAttachment> made = DiskImages.mount(Path.of("/ex1"), "mnt/", "os.img", OptionalInt.of(2));
 * // later, when nothing boots with it:
 * List<String> left = DiskImages.releaseAll(made.stream().toList(), log::info);
 * }</pre>
 *
 * <p>Why a qualified export ({@code exports org.subhost.core.disk to org.subhost.cli}) and
 * not API: the mount follows overlay-diskfile's rules and speaks its language (MOUNTPATH
 * as the longest existing directory, DISKFILE and INDEX as given, "give INDEX" in its
 * messages), which as API would be frozen for embedders before any of them asked for it.
 * An embedder who describes a subhost in code owns its mounts already: it hands them to
 * {@code SubhostConfig.Builder#attachments}, and {@code Subhosts#release} releases them.
 * When an embedder needs the mount itself, a neutral API type can be made over this
 * package; until then the door is open to the CLI only.
 */
public final class DiskImages {
    private DiskImages() {}

    /**
     * Mounts the filesystem of partition {@code index} of the disk image {@code diskfile}
     * (without index: of the whole image) through a loop device, so that {@code mountPath}
     * lies in it, unless it is mounted there already; the rules are those of {@link
     * DiskImageMount}. Needs root (loop devices and mount).
     *
     * @param workingDirectory what relative paths are taken from (BASE, for a {@code !}
     *     value)
     * @param mountPath MOUNTPATH as given: a path in the image's filesystem once mounted
     * @param diskfile DISKFILE as given; messages name it so
     * @param index the partition, 1 or more; empty for the whole image
     * @return the mount made, which the caller hands on or releases; empty when the image
     *     was mounted there already (that mount belongs to whoever made it)
     * @throws DiskImageException when the image cannot be mounted as asked; nothing of
     *     the attempt is left
     * @throws IllegalArgumentException when {@code index} is less than 1
     */
    public static Optional<DiskAttachment> mount(Path workingDirectory, String mountPath, String diskfile,
            OptionalInt index) throws DiskImageException {
        Objects.requireNonNull(workingDirectory, "workingDirectory");
        Objects.requireNonNull(mountPath, "mountPath");
        Objects.requireNonNull(diskfile, "diskfile");
        if (index.isPresent() && index.getAsInt() < 1) {
            throw new IllegalArgumentException("partition index (" + index.getAsInt() + ") must be 1 or more");
        }
        return new DiskImageMount(workingDirectory, mountPath, diskfile, index).mount();
    }

    /**
     * Throws unless each of {@code attachments} is still mounted from its loop device (the
     * first step of a boot that adopts them).
     *
     * @param attachments the mounts a reading of the configuration made
     * @throws IOException naming the first that is not
     */
    public static void requireMounted(List<DiskAttachment> attachments) throws IOException {
        DiskImageRelease.requireMounted(attachments);
    }

    /**
     * Releases one mount: unmounts it while it is still of its loop device, then detaches
     * the loop device if it is still bound to the image; see {@link DiskImageRelease}.
     * Releasing twice does nothing the second time.
     *
     * @param attachment the mount to release
     * @param log where each action is reported, one line each
     * @throws IOException when it cannot be released; the message says what is left
     */
    public static void release(DiskAttachment attachment, Consumer<String> log) throws IOException {
        DiskImageRelease.release(attachment, log);
    }

    /**
     * Releases {@code attachments} in reverse order, going on after one that fails.
     *
     * @param attachments the mounts to release, in the order they were made
     * @param log where each action is reported, one line each
     * @return what could not be released, one text each ({@code disk image IMAGE on
     *     MOUNTPOINT: REASON}); empty when all went
     */
    public static List<String> releaseAll(List<DiskAttachment> attachments, Consumer<String> log) {
        return DiskImageRelease.releaseAll(attachments, log);
    }

    /** The reason of a failure for a message: the file and what is wrong with it, or the message. */
    static String reason(Exception e) {
        if (e instanceof NoSuchFileException n) {
            return n.getFile() + ": no such file or directory";
        } else if (e instanceof FileAlreadyExistsException f) {
            return f.getFile() + ": already exists";
        } else if (e instanceof AccessDeniedException a) {
            return a.getFile() + ": permission denied";
        } else if (e instanceof NotDirectoryException n) {
            return n.getFile() + ": not a directory";
        } else if (e instanceof DirectoryNotEmptyException d) {
            return d.getFile() + ": directory not empty";
        }
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }
}
