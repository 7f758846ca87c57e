package org.subhost.linux.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.testing.HostTools;

/** Partition tables written by sfdisk, read back by {@link PartitionTable} and compared with sfdisk's own dump. */
class PartitionTableTest {
    private static final String LINUX_GUID = "0fc63daf-8483-4772-8e79-3d69d8477de4";

    private Path dir;

    @BeforeEach
    void makeDir() throws IOException {
        dir = Files.createTempDirectory("subhost-parts-");
    }

    @AfterEach
    void removeDir() throws IOException {
        DiskImages.deleteTree(dir);
    }

    @Test
    void readsPrimaryMbrPartitions() throws Exception {
        Path image = DiskImages.blank(dir, "mbr.img", 20);
        DiskImages.sfdisk(image, "label: dos\nstart=2048,size=8192,type=83\nstart=10240,size=8192,type=c\n");
        PartitionTable table = read(image).orElseThrow();
        assertThat(table.kind()).isEqualTo(PartitionTable.Kind.MBR);
        assertThat(table.partitions()).containsExactly(
                new Partition(1, 2048 * 512L, 8192 * 512L, "0x83"),
                new Partition(2, 10240 * 512L, 8192 * 512L, "0x0c"));
        assertThat(table.partitions()).isEqualTo(DiskImages.sfdiskPartitions(image));
        assertThat(table.describe()).isEqualTo("the MBR table has partitions 1, 2");
    }

    @Test
    void numbersLogicalPartitionsFromFiveAlongTheChain() throws Exception {
        Path image = DiskImages.blank(dir, "logical.img", 40);
        DiskImages.sfdisk(image, "label: dos\nstart=2048,size=8192,type=83\nstart=10240,size=40960,type=5\n"
                + "start=12288,size=4096,type=83\nstart=18432,size=4096,type=82\nstart=24576,size=8192,type=83\n");
        PartitionTable table = read(image).orElseThrow();
        assertThat(table.partitions()).extracting(Partition::index).containsExactly(1, 5, 6, 7);
        assertThat(table.partitions()).isEqualTo(DiskImages.sfdiskPartitions(image));
        assertThat(table.partition(6)).isEqualTo(new Partition(6, 18432 * 512L, 4096 * 512L, "0x82"));
        assertThatThrownBy(() -> table.partition(2)).isInstanceOf(DiskFormatException.class)
                .hasMessage("partition 2 is the MBR's extended partition, which holds the logical partitions and"
                        + " no filesystem (the MBR table has partitions 1, 5, 6, 7)");
    }

    @Test
    void namesThePartitionsThereAreWhenTheIndexIsMissing() throws Exception {
        Path image = DiskImages.blank(dir, "mbr.img", 20);
        DiskImages.sfdisk(image, "label: dos\n,4MiB,L\n,4MiB,L\n");
        PartitionTable table = read(image).orElseThrow();
        assertThatThrownBy(() -> table.partition(3)).isInstanceOf(DiskFormatException.class)
                .hasMessage("no partition 3 (the MBR table has partitions 1, 2)");
    }

    @Test
    void readsGptBehindItsProtectiveMbr() throws Exception {
        Path image = DiskImages.blank(dir, "gpt.img", 20);
        DiskImages.sfdisk(image, "label: gpt\n,4MiB,L\n,4MiB,L\n,2MiB,L\n");
        try (FileChannel ch = FileChannel.open(image)) {
            ByteBuffer mbr = ImageBytes.read(ch, 0, 512);
            assertThat(Byte.toUnsignedInt(mbr.get(446 + 4))).as("sfdisk wrote a protective MBR").isEqualTo(0xEE);
        }
        PartitionTable table = read(image).orElseThrow();
        assertThat(table.kind()).isEqualTo(PartitionTable.Kind.GPT);
        assertThat(table.partitions()).isEqualTo(DiskImages.sfdiskPartitions(image));
        assertThat(table.partition(2)).isEqualTo(new Partition(2, 10240 * 512L, 8192 * 512L, LINUX_GUID));
        assertThat(table.describe()).isEqualTo("the GPT table has partitions 1, 2, 3");
    }

    @Test
    void keepsGptSlotNumbersAcrossEmptySlots() throws Exception {
        Path image = DiskImages.blank(dir, "gpt.img", 20);
        DiskImages.sfdisk(image, "label: gpt\n,4MiB,L\n,4MiB,L\n,2MiB,L\n");
        HostTools.run(java.util.List.of("sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", "--delete",
                image.toString(), "2"), null);
        PartitionTable table = read(image).orElseThrow();
        assertThat(table.partitions()).extracting(Partition::index).containsExactly(1, 3);
        assertThatThrownBy(() -> table.partition(2)).hasMessage("no partition 2 (the GPT table has partitions 1, 3)");
    }

    @Test
    void refusesAGptHeaderWhoseCrcDoesNotMatch() throws Exception {
        Path image = DiskImages.blank(dir, "gpt.img", 20);
        DiskImages.sfdisk(image, "label: gpt\n,4MiB,L\n");
        flipByte(image, 512 + 56); // in the disk GUID, which the header CRC covers
        try (FileChannel ch = FileChannel.open(image)) {
            assertThatThrownBy(() -> PartitionTable.read(ch)).isInstanceOf(DiskFormatException.class)
                    .hasMessageMatching("the GPT header at LBA 1 fails its CRC check \\(stored 0x[0-9a-f]{8},"
                            + " computed 0x[0-9a-f]{8}\\)");
        }
    }

    @Test
    void refusesAGptEntryArrayWhoseCrcDoesNotMatch() throws Exception {
        Path image = DiskImages.blank(dir, "gpt.img", 20);
        DiskImages.sfdisk(image, "label: gpt\n,4MiB,L\n");
        flipByte(image, 1024 + 32); // the first LBA of partition 1
        try (FileChannel ch = FileChannel.open(image)) {
            assertThatThrownBy(() -> PartitionTable.read(ch)).isInstanceOf(DiskFormatException.class)
                    .hasMessageStartingWith("the GPT entry array fails its CRC check (stored 0x");
        }
    }

    @Test
    void aProtectiveMbrWithoutGptIsRefused() throws Exception {
        Path image = DiskImages.blank(dir, "gpt.img", 20);
        DiskImages.sfdisk(image, "label: gpt\n,4MiB,L\n");
        flipByte(image, 512); // "EFI PART" becomes something else
        try (FileChannel ch = FileChannel.open(image)) {
            assertThatThrownBy(() -> PartitionTable.read(ch)).isInstanceOf(DiskFormatException.class)
                    .hasMessage("the MBR is a protective one (type 0xee) but there is no GPT header (EFI PART)"
                            + " at LBA 1");
        }
    }

    @Test
    void aBlankImageOrAFatBootSectorIsNoTable() throws Exception {
        Path blank = DiskImages.blank(dir, "blank.img", 4);
        assertThat(read(blank)).isEmpty();
        Path fat = DiskImages.blank(dir, "fat.img", 8);
        DiskImages.mkfs(FilesystemType.VFAT, fat, null);
        assertThat(read(fat)).as("a whole-disk vfat has the 0x55AA mark but no table").isEmpty();
    }

    @Test
    void aPartitionRunningPastTheEndOfATruncatedImageIsRefused() throws Exception {
        Path image = DiskImages.blank(dir, "mbr.img", 20);
        DiskImages.sfdisk(image, "label: dos\nstart=2048,size=8192,type=83\nstart=10240,size=20480,type=83\n");
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.WRITE)) {
            ch.truncate(12 * 1024 * 1024);
        }
        PartitionTable table = read(image).orElseThrow();
        assertThat(table.partition(1).offsetBytes()).isEqualTo(1024 * 1024);
        assertThatThrownBy(() -> table.partition(2)).hasMessage("partition 2 (bytes 5242880 to 15728640) runs past"
                + " the end of the image (12582912 bytes)");
    }

    private static Optional<PartitionTable> read(Path image) throws IOException {
        try (FileChannel ch = FileChannel.open(image)) {
            return PartitionTable.read(ch);
        }
    }

    private static void flipByte(Path image, long at) throws IOException {
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, at);
            b.put(0, (byte) (b.get(0) ^ 0x5A));
            b.rewind();
            ch.write(b, at);
        }
    }
}
