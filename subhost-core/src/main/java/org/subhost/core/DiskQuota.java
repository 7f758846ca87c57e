package org.subhost.core;

import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalLong;
import java.util.function.Consumer;
import org.subhost.config.Limits;
import org.subhost.linux.Errno;
import org.subhost.linux.Mounts;
import org.subhost.linux.SyscallException;
import org.subhost.linux.disk.Btrfs;

/**
 * DISK_MAX: how much a subhost may write into UPPER, kept by the quota of UPPER's own
 * filesystem, so that a subhost cannot fill the host's filesystem (UPPER usually sits on
 * the host's {@code /}). Where UPPER is a btrfs subvolume, the limit is on the referenced
 * bytes of its quota group {@code 0/ID} ({@link Btrfs#limitReferenced}): writes past it
 * fail inside with EDQUOT ("Disk quota exceeded"). Quotas are turned on for the filesystem
 * when they are off, which the boot says in LOG; they stay on (other subvolumes may use
 * them). The stop lifts the limit again: the subvolume and its data stay.
 *
 * <p>Elsewhere DISK_MAX is refused with what to do: UPPER on an image of its own
 * ({@code overlay-diskfile}, whose size bounds it) or on a btrfs subvolume. Project quotas
 * of ext4 and XFS are not set by this SDK (yet).
 */
final class DiskQuota {
    private DiskQuota() {}

    /**
     * Sets DISK_MAX on UPPER before the root is mounted. Undo: the limit lifted.
     *
     * @param upper UPPER
     * @param bytes DISK_MAX
     */
    record Limit(Path upper, long bytes) implements BootStep.OnHost<Void> {
        @Override
        public String describe() {
            return "DISK_MAX " + Limits.sizeText(bytes) + " on UPPER " + upper + " (its btrfs quota group)";
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            set(upper, OptionalLong.of(bytes), in.log()::line);
            return null;
        }

        @Override
        public void undo(Void nothing, StepInputs in) throws Exception {
            set(upper, OptionalLong.empty(), line -> { });
        }
    }

    /**
     * Limits UPPER to {@code bytes}, or lifts its limit.
     *
     * @param upper UPPER
     * @param bytes DISK_MAX, or empty to lift it
     * @param log where a line goes when quotas are turned on for UPPER's filesystem
     * @throws IOException when UPPER is no btrfs subvolume (saying what to do), or the
     *     kernel refuses
     */
    static void set(Path upper, OptionalLong bytes, Consumer<String> log) throws IOException {
        String limit = "DISK_MAX (" + (bytes.isPresent() ? Limits.sizeText(bytes.getAsLong()) : "none") + ")";
        long type = Mounts.filesystemType(upper.toString());
        if (type != Btrfs.SUPER_MAGIC) {
            if (bytes.isEmpty()) {
                return; // nothing was set
            }
            throw new IOException(limit + " cannot be applied to UPPER (" + upper + "), which is on " + typeName(type)
                    + ": DISK_MAX is kept by a btrfs quota group (project quotas of ext4 and XFS are not set by"
                    + " this SDK); put UPPER on an image of its own with overlay-diskfile, whose size bounds it, or"
                    + " make UPPER a btrfs subvolume (btrfs subvolume create)");
        }
        if (!Btrfs.isSubvolume(upper)) {
            throw new IOException(limit + " cannot be applied to UPPER (" + upper + "): it is a directory of a btrfs"
                    + " subvolume, not a subvolume of its own, and a quota group limits whole subvolumes; make UPPER"
                    + " a subvolume (btrfs subvolume create " + upper + ", with its files moved in)");
        }
        try {
            Btrfs.limitReferenced(upper, bytes);
        } catch (SyscallException e) {
            if (!e.is(Errno.ENOTCONN)) {
                throw e;
            }
            if (bytes.isEmpty()) {
                return; // quotas are off: no limit to lift
            }
            Btrfs.enableQuota(upper);
            log.accept("turned btrfs quotas on for the filesystem of UPPER (" + upper + "), which DISK_MAX needs");
            Btrfs.limitReferenced(upper, bytes);
        }
    }

    /**
     * The bytes that UPPER holds, as its quota group counts them; empty where DISK_MAX is
     * not kept by a quota group.
     *
     * @param upper UPPER
     * @return the bytes, or empty
     */
    static OptionalLong used(Path upper) {
        try {
            return Btrfs.isSubvolume(upper) ? Btrfs.referencedBytes(upper) : OptionalLong.empty();
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    private static String typeName(long magic) {
        if (magic == 0xEF53L) {
            return "ext2/3/4";
        }
        if (magic == 0x58465342L) {
            return "XFS";
        }
        if (magic == 0x01021994L) {
            return "tmpfs";
        }
        if (magic == 0x794c7630L) {
            return "overlayfs";
        }
        return "a filesystem of type 0x" + Long.toHexString(magic);
    }
}
