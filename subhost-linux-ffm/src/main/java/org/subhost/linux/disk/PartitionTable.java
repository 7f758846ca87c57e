package org.subhost.linux.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.zip.CRC32;

/**
 * The partition table of a disk image: an MBR (DOS) table with its primary and logical
 * partitions, or a GUID partition table (GPT), read in Java from the image file.
 *
 * <p>Example, for an image that {@code sfdisk} partitioned:
 * <pre>{@code
 * try (FileChannel image = FileChannel.open(Path.of("disk.img"))) {
 *     PartitionTable table = PartitionTable.read(image).orElseThrow();
 *     Partition second = table.partition(2);    // offset and size in bytes
 * }
 * }</pre>
 *
 * <p>Rules, as the kernel's partition code reads them: sectors of 512 bytes for an MBR; a
 * GPT is found behind a protective MBR (a partition of type 0xEE) or on its own, with its
 * header at LBA 1 for 512-byte sectors or, failing that, for 4096-byte ones. The GPT's
 * header CRC and its entry array's CRC must match; a table that fails either is refused
 * rather than half-read (the backup GPT at the end of the disk is not consulted). MBR
 * logical partitions are numbered from 5 along the chain of extended boot records. A
 * sector that is a FAT boot sector (which carries the same 0x55AA mark) is no table.
 * Not checked: that partitions do not overlap.
 */
public final class PartitionTable {
    /** The two kinds of table. */
    public enum Kind {
        /** The DOS master boot record: four primary slots, logical partitions in an extended one. */
        MBR,
        /** The GUID partition table of UEFI. */
        GPT
    }

    private static final int MBR_SECTOR = 512;
    private static final int MAX_LOGICAL = 256;
    private static final int MAX_GPT_ENTRIES_BYTES = 1 << 20;

    private final Kind kind;
    private final List<Partition> partitions;
    private final long imageSize;
    /** The MBR slot (1 to 4) of the extended partition, 0 when there is none. */
    private final int extendedSlot;

    private PartitionTable(Kind kind, List<Partition> partitions, long imageSize, int extendedSlot) {
        this.kind = kind;
        this.partitions = List.copyOf(partitions);
        this.imageSize = imageSize;
        this.extendedSlot = extendedSlot;
    }

    /**
     * The partition table of {@code image}; empty when it has none (no 0x55AA mark and no
     * GPT header, or a FAT boot sector in sector 0).
     *
     * @param image the image, open for reading
     * @return the table
     * @throws DiskFormatException when a table is there but breaks its format's rules
     * @throws IOException when the image cannot be read
     */
    public static Optional<PartitionTable> read(FileChannel image) throws IOException {
        long size = image.size();
        ByteBuffer mbr = ImageBytes.read(image, 0, MBR_SECTOR);
        boolean marked = mbr.get(510) == 0x55 && mbr.get(511) == (byte) 0xAA;
        if (marked && FilesystemType.isFatBootSector(mbr)) {
            return Optional.empty();
        }
        boolean protective = false;
        if (marked) {
            for (int slot = 0; slot < 4; slot++) {
                if (Byte.toUnsignedInt(mbr.get(446 + slot * 16 + 4)) == 0xEE) {
                    protective = true;
                }
            }
        }
        for (int sectorSize : new int[] {512, 4096}) {
            ByteBuffer header = ImageBytes.read(image, sectorSize, 512);
            if (ImageBytes.hasText(header, 0, "EFI PART")) {
                return Optional.of(readGpt(image, sectorSize, size));
            }
        }
        if (protective) {
            throw new DiskFormatException("the MBR is a protective one (type 0xee) but there is no GPT header"
                    + " (EFI PART) at LBA 1");
        }
        if (!marked) {
            return Optional.empty();
        }
        return readMbr(image, mbr, size);
    }

    /** {@return MBR or GPT} */
    public Kind kind() {
        return kind;
    }

    /**
     * The partitions that can hold a filesystem, in the order of their numbers: for an MBR
     * the primary and logical ones, not the extended partition that contains the latter.
     *
     * @return the partitions
     */
    public List<Partition> partitions() {
        return partitions;
    }

    /**
     * Partition number {@code index}, checked to lie inside the image.
     *
     * @param index the number, from 1, as {@code sfdisk} and the kernel count
     * @return the partition
     * @throws DiskFormatException naming the partitions there are, as in {@code no partition
     *     3 (the MBR table has partitions 1, 2)}; for the extended partition of an MBR; or
     *     when the partition runs past the end of the image
     */
    public Partition partition(int index) throws DiskFormatException {
        for (Partition p : partitions) {
            if (p.index() == index) {
                if (p.offsetBytes() + p.sizeBytes() > imageSize) {
                    throw new DiskFormatException("partition " + index + " (bytes " + p.offsetBytes() + " to "
                            + (p.offsetBytes() + p.sizeBytes()) + ") runs past the end of the image ("
                            + imageSize + " bytes)");
                }
                return p;
            }
        }
        if (index == extendedSlot) {
            throw new DiskFormatException("partition " + index + " is the MBR's extended partition, which holds"
                    + " the logical partitions and no filesystem (" + describe() + ")");
        }
        throw new DiskFormatException("no partition " + index + " (" + describe() + ")");
    }

    /** {@return {@code the MBR table has partitions 1, 2, 5}, or {@code the GPT table has no partitions}} */
    public String describe() {
        if (partitions.isEmpty()) {
            return "the " + kind + " table has no partitions";
        }
        return "the " + kind + " table has partition" + (partitions.size() == 1 ? " " : "s ")
                + partitions.stream().map(p -> Integer.toString(p.index())).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return kind + partitions.toString();
    }

    private static Optional<PartitionTable> readMbr(FileChannel image, ByteBuffer mbr, long size) throws IOException {
        // Status bytes other than 0x00 and 0x80 mean the sector is boot code, not a table.
        for (int slot = 0; slot < 4; slot++) {
            int status = Byte.toUnsignedInt(mbr.get(446 + slot * 16));
            if (status != 0x00 && status != 0x80) {
                return Optional.empty();
            }
        }
        List<Partition> partitions = new ArrayList<>();
        long extendedStart = -1;
        int extendedSlot = 0;
        for (int slot = 0; slot < 4; slot++) {
            int entry = 446 + slot * 16;
            int type = Byte.toUnsignedInt(mbr.get(entry + 4));
            long start = ImageBytes.u32(mbr, entry + 8);
            long count = ImageBytes.u32(mbr, entry + 12);
            if (type == 0 || count == 0) {
                continue;
            }
            if (isExtended(type)) {
                if (extendedStart < 0) {
                    extendedStart = start;
                    extendedSlot = slot + 1;
                }
                continue;
            }
            partitions.add(new Partition(slot + 1, start * MBR_SECTOR, count * MBR_SECTOR, typeText(type)));
        }
        if (extendedStart >= 0) {
            partitions.addAll(readLogical(image, extendedStart));
        }
        return Optional.of(new PartitionTable(Kind.MBR, partitions, size, extendedSlot));
    }

    /** The logical partitions along the chain of extended boot records, numbered from 5. */
    private static List<Partition> readLogical(FileChannel image, long extendedStart) throws IOException {
        List<Partition> logical = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        long ebr = extendedStart;
        while (seen.add(ebr)) {
            if (seen.size() > MAX_LOGICAL) {
                throw new DiskFormatException("the chain of logical partitions is longer than " + MAX_LOGICAL);
            }
            ByteBuffer sector = ImageBytes.read(image, ebr * MBR_SECTOR, MBR_SECTOR);
            if (sector.get(510) != 0x55 || sector.get(511) != (byte) 0xAA) {
                throw new DiskFormatException("the extended boot record at sector " + ebr
                        + " lacks its 0x55AA mark");
            }
            int type = Byte.toUnsignedInt(sector.get(446 + 4));
            long start = ImageBytes.u32(sector, 446 + 8);
            long count = ImageBytes.u32(sector, 446 + 12);
            if (type != 0 && count != 0) {
                logical.add(new Partition(5 + logical.size(), (ebr + start) * MBR_SECTOR, count * MBR_SECTOR,
                        typeText(type)));
            }
            int nextType = Byte.toUnsignedInt(sector.get(462 + 4));
            long next = ImageBytes.u32(sector, 462 + 8);
            if (!isExtended(nextType) || next == 0) {
                break;
            }
            // The link to the next record counts from the start of the extended partition.
            ebr = extendedStart + next;
        }
        return logical;
    }

    private static boolean isExtended(int type) {
        return type == 0x05 || type == 0x0F || type == 0x85;
    }

    private static String typeText(int type) {
        return String.format("0x%02x", type);
    }

    private static PartitionTable readGpt(FileChannel image, int sectorSize, long size) throws IOException {
        ByteBuffer header = ImageBytes.read(image, sectorSize, sectorSize);
        long headerSize = ImageBytes.u32(header, 12);
        if (headerSize < 92 || headerSize > sectorSize) {
            throw new DiskFormatException("the GPT header's size (" + headerSize + ") must be 92 to "
                    + sectorSize + " bytes");
        }
        long storedHeaderCrc = ImageBytes.u32(header, 16);
        byte[] headerBytes = new byte[(int) headerSize];
        header.get(0, headerBytes);
        headerBytes[16] = headerBytes[17] = headerBytes[18] = headerBytes[19] = 0;
        long headerCrc = crc32(headerBytes);
        if (headerCrc != storedHeaderCrc) {
            throw new DiskFormatException(String.format(
                    "the GPT header at LBA 1 fails its CRC check (stored 0x%08x, computed 0x%08x)",
                    storedHeaderCrc, headerCrc));
        }
        long entriesLba = header.getLong(72);
        long count = ImageBytes.u32(header, 80);
        long entrySize = ImageBytes.u32(header, 84);
        long storedEntriesCrc = ImageBytes.u32(header, 88);
        if (entrySize < 128 || entrySize % 8 != 0 || count * entrySize > MAX_GPT_ENTRIES_BYTES) {
            throw new DiskFormatException("the GPT entry array (" + count + " entries of " + entrySize
                    + " bytes) is not one that the format allows");
        }
        ByteBuffer entries = ImageBytes.read(image, entriesLba * sectorSize, (int) (count * entrySize));
        byte[] entryBytes = new byte[entries.capacity()];
        entries.get(0, entryBytes);
        long entriesCrc = crc32(entryBytes);
        if (entriesCrc != storedEntriesCrc) {
            throw new DiskFormatException(String.format(
                    "the GPT entry array fails its CRC check (stored 0x%08x, computed 0x%08x)",
                    storedEntriesCrc, entriesCrc));
        }
        List<Partition> partitions = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int at = (int) (i * entrySize);
            if (entries.getLong(at) == 0 && entries.getLong(at + 8) == 0) {
                continue; // an unused slot
            }
            long first = entries.getLong(at + 32);
            long last = entries.getLong(at + 40);
            if (first <= 0 || last < first) {
                throw new DiskFormatException("GPT partition " + (i + 1) + " has first LBA " + first
                        + " and last LBA " + last);
            }
            partitions.add(new Partition(i + 1, first * sectorSize, (last - first + 1) * sectorSize,
                    guid(entries, at)));
        }
        return new PartitionTable(Kind.GPT, partitions, size, 0);
    }

    /** A GUID in its text form: the first three fields are little-endian on disk, the rest as is. */
    private static String guid(ByteBuffer bytes, int at) {
        StringBuilder b = new StringBuilder(String.format("%08x-%04x-%04x-", ImageBytes.u32(bytes, at),
                ImageBytes.u16(bytes, at + 4), ImageBytes.u16(bytes, at + 6)));
        for (int i = 8; i < 16; i++) {
            if (i == 10) {
                b.append('-');
            }
            b.append(String.format("%02x", Byte.toUnsignedInt(bytes.get(at + i))));
        }
        return b.toString();
    }

    private static long crc32(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return crc.getValue();
    }
}
