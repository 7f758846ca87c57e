package org.subhost.linux.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.HexFormat;
import java.util.Optional;

/**
 * A filesystem type recognised by its superblock's signature, with the name that mount(2)
 * takes for it.
 *
 * <p>Example: {@code FilesystemType.probe(channel, partition.offsetBytes())} gives {@code
 * Optional[EXT4]} for a partition made by {@code mkfs.ext4}, and {@code EXT4.kernelName()}
 * is {@code "ext4"}.
 *
 * <p>The signatures are those that blkid(8) checks, at the same places: ext2/3/4 by the
 * magic 0xEF53 at byte 1080 and told apart by their feature flags (a journal makes ext3;
 * any feature that ext3 lacks, such as extents or 64-bit, makes ext4); xfs by {@code
 * XFSB} at 0; btrfs by {@code _BHRfS_M} at 65600; squashfs by {@code hsqs} at 0; erofs
 * by 0xE0F5E1E2 at 1024; vfat by a boot sector with 0x55AA at 510, a jump at 0, a power of
 * two as sector size and {@code FAT} at 54 or 82. Only the signature is checked: whether
 * the kernel can mount the filesystem (its driver, its features, its consistency) is for
 * mount(2) to say.
 */
public enum FilesystemType {
    /** The second extended filesystem: no journal, no ext4 features. */
    EXT2("ext2", false),
    /** ext2 with a journal. */
    EXT3("ext3", false),
    /** ext4: a feature that ext3 lacks (extents, 64-bit, flex_bg, metadata checksums...). */
    EXT4("ext4", false),
    /** SGI's XFS. */
    XFS("xfs", false),
    /** Btrfs. */
    BTRFS("btrfs", false),
    /** FAT12, FAT16 or FAT32 (mounted as vfat). */
    VFAT("vfat", false),
    /** SquashFS: compressed and read-only. */
    SQUASHFS("squashfs", true),
    /** EROFS: the enhanced read-only filesystem. */
    EROFS("erofs", true);

    // ext2/3/4 feature flags (include/linux/ext2_fs.h, fs/ext4/ext4.h).
    private static final long EXT_COMPAT_HAS_JOURNAL = 0x4;
    /** What ext3 understands among the incompatible features: filetype, recover, meta_bg. */
    private static final long EXT3_INCOMPAT_KNOWN = 0x2 | 0x4 | 0x10;
    /** What ext3 understands among the read-only features: sparse_super, large_file, btree_dir. */
    private static final long EXT3_RO_COMPAT_KNOWN = 0x1 | 0x2 | 0x4;
    /** A journal device holds only another filesystem's journal: nothing to mount. */
    private static final long EXT_INCOMPAT_JOURNAL_DEV = 0x8;

    private final String kernelName;
    private final boolean readOnly;

    FilesystemType(String kernelName, boolean readOnly) {
        this.kernelName = kernelName;
        this.readOnly = readOnly;
    }

    /** {@return the type's name for mount(2) and /proc/filesystems, such as {@code ext4}} */
    public String kernelName() {
        return kernelName;
    }

    /** {@return whether the format can only be read (squashfs, erofs): such a filesystem is mounted read-only} */
    public boolean readOnly() {
        return readOnly;
    }

    /**
     * The filesystem whose superblock starts the region at {@code offset} of {@code image};
     * empty when no signature that we know is there.
     *
     * @param image the image, open for reading
     * @param offset where the filesystem would start, in bytes
     * @return the type found
     * @throws IOException when the image cannot be read
     */
    public static Optional<FilesystemType> probe(FileChannel image, long offset) throws IOException {
        ByteBuffer start = ImageBytes.read(image, offset, 4096);
        Optional<FilesystemType> ext = ext(start);
        if (ext.isPresent()) {
            return ext;
        }
        if (ImageBytes.hasText(start, 0, "XFSB")) {
            return Optional.of(XFS);
        }
        if (ImageBytes.hasText(start, 0, "hsqs")) {
            return Optional.of(SQUASHFS);
        }
        if (ImageBytes.u32(start, 1024) == 0xE0F5E1E2L) {
            return Optional.of(EROFS);
        }
        if (ImageBytes.hasText(ImageBytes.read(image, offset + 0x10040, 8), 0, "_BHRfS_M")) {
            return Optional.of(BTRFS);
        }
        if (isFatBootSector(start)) {
            return Optional.of(VFAT);
        }
        return Optional.empty();
    }

    /**
     * What the first bytes at {@code offset} look like, for an error about an unknown
     * filesystem: {@code all 4096 bytes are zero}, or {@code it starts with 45 46 49 20 ...}
     * (16 bytes in hex) and, where one is there, {@code a partition table's 0x55AA mark at
     * byte 510}.
     *
     * @param image the image, open for reading
     * @param offset where the filesystem would start, in bytes
     * @return the description
     * @throws IOException when the image cannot be read
     */
    public static String describeStart(FileChannel image, long offset) throws IOException {
        ByteBuffer start = ImageBytes.read(image, offset, 4096);
        boolean zero = true;
        for (int i = 0; i < start.capacity() && zero; i++) {
            zero = start.get(i) == 0;
        }
        if (zero) {
            return offset >= image.size() ? "it lies past the end of the image (" + image.size() + " bytes)"
                    : "its first 4096 bytes are all zero";
        }
        byte[] head = new byte[16];
        start.get(0, head);
        String text = "it starts with " + HexFormat.ofDelimiter(" ").formatHex(head);
        if (start.get(510) == 0x55 && start.get(511) == (byte) 0xAA) {
            text += " and has the 0x55AA boot mark at byte 510 (a partition table or boot sector)";
        }
        return text;
    }

    /** ext2, ext3 or ext4 from the superblock at byte 1024, told apart as blkid does. */
    private static Optional<FilesystemType> ext(ByteBuffer start) {
        int sb = 1024;
        if (ImageBytes.u16(start, sb + 56) != 0xEF53) {
            return Optional.empty();
        }
        long compat = ImageBytes.u32(start, sb + 92);
        long incompat = ImageBytes.u32(start, sb + 96);
        long roCompat = ImageBytes.u32(start, sb + 100);
        if ((incompat & EXT_INCOMPAT_JOURNAL_DEV) != 0) {
            return Optional.empty();
        }
        if ((incompat & ~EXT3_INCOMPAT_KNOWN) != 0 || (roCompat & ~EXT3_RO_COMPAT_KNOWN) != 0) {
            return Optional.of(EXT4);
        }
        return Optional.of((compat & EXT_COMPAT_HAS_JOURNAL) != 0 ? EXT3 : EXT2);
    }

    /**
     * Whether the sector is a FAT boot sector: the 0x55AA mark, a jump instruction, a
     * power-of-two sector size of 512 to 4096, and the {@code FAT} type text of FAT12/16
     * (byte 54) or FAT32 (byte 82). An MBR has the mark too, but neither the jump nor the text.
     */
    static boolean isFatBootSector(ByteBuffer sector) {
        if (sector.get(510) != 0x55 || sector.get(511) != (byte) 0xAA) {
            return false;
        }
        int jump = Byte.toUnsignedInt(sector.get(0));
        if (jump != 0xEB && jump != 0xE9) {
            return false;
        }
        int sectorSize = ImageBytes.u16(sector, 11);
        if (sectorSize < 512 || sectorSize > 4096 || Integer.bitCount(sectorSize) != 1) {
            return false;
        }
        return ImageBytes.hasText(sector, 54, "FAT") || ImageBytes.hasText(sector, 82, "FAT");
    }
}
