package org.subhost.linux.disk;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The superblock probe on filesystems made by the real mkfs tools, whole and inside a partition. */
class FilesystemTypeTest {
    private Path dir;

    @BeforeEach
    void makeDir() throws IOException {
        dir = Files.createTempDirectory("subhost-fs-");
        Files.writeString(Files.createDirectories(dir.resolve("content/etc")).resolve("hostname"), "disk\n");
    }

    @AfterEach
    void removeDir() throws IOException {
        DiskImages.deleteTree(dir);
    }

    @ParameterizedTest
    @EnumSource(FilesystemType.class)
    void recognisesWhatTheRealToolMade(FilesystemType type) throws Exception {
        Path image = DiskImages.blank(dir, "fs.img", sizeFor(type));
        DiskImages.mkfs(type, image, dir.resolve("content"));
        try (FileChannel ch = FileChannel.open(image)) {
            assertThat(FilesystemType.probe(ch, 0)).contains(type);
        }
    }

    @ParameterizedTest
    @EnumSource(value = FilesystemType.class, names = {"EXT4", "SQUASHFS", "XFS"})
    void recognisesAFilesystemInsideAPartition(FilesystemType type) throws Exception {
        Path fs = DiskImages.blank(dir, "fs.img", sizeFor(type));
        DiskImages.mkfs(type, fs, dir.resolve("content"));
        Path disk = DiskImages.blank(dir, "disk.img", sizeFor(type) + 12);
        DiskImages.sfdisk(disk, "label: gpt\n,8MiB,L\n,,L\n");
        try (FileChannel ch = FileChannel.open(disk)) {
            Partition second = PartitionTable.read(ch).orElseThrow().partition(2);
            DiskImages.copyInto(fs, disk, second.offsetBytes());
            assertThat(FilesystemType.probe(ch, second.offsetBytes())).contains(type);
            assertThat(FilesystemType.probe(ch, 0)).as("the disk itself").isEmpty();
            assertThat(FilesystemType.describeStart(ch, 0)).as("the disk itself").matches(
                    "it starts with 00 00 00 00 .* and has the 0x55AA boot mark at byte 510 \\(a partition table or"
                            + " boot sector\\)");
        }
    }

    @Test
    void tellsExtVersionsApartByTheirFeatures() throws Exception {
        for (FilesystemType type : new FilesystemType[] {FilesystemType.EXT2, FilesystemType.EXT3}) {
            Path image = DiskImages.blank(dir, type + ".img", 8);
            DiskImages.mkfs(type, image, null);
            try (FileChannel ch = FileChannel.open(image)) {
                assertThat(FilesystemType.probe(ch, 0)).as("mkfs.%s", type.kernelName()).contains(type);
            }
        }
    }

    @Test
    void describesWhatIsThereWhenNothingIsRecognised() throws Exception {
        Path blank = DiskImages.blank(dir, "blank.img", 1);
        Path text = Files.writeString(dir.resolve("text.img"), "EFI ROM, not a filesystem at all".repeat(200));
        try (FileChannel zeros = FileChannel.open(blank); FileChannel words = FileChannel.open(text)) {
            assertThat(FilesystemType.probe(zeros, 0)).isEmpty();
            assertThat(FilesystemType.describeStart(zeros, 0)).isEqualTo("its first 4096 bytes are all zero");
            assertThat(FilesystemType.describeStart(zeros, 2 << 20))
                    .isEqualTo("it lies past the end of the image (1048576 bytes)");
            assertThat(FilesystemType.probe(words, 0)).isEmpty();
            assertThat(FilesystemType.describeStart(words, 0))
                    .isEqualTo("it starts with 45 46 49 20 52 4f 4d 2c 20 6e 6f 74 20 61 20 66");
        }
    }

    @Test
    void readOnlyFormatsAreMarkedSo() {
        assertThat(FilesystemType.SQUASHFS.readOnly()).isTrue();
        assertThat(FilesystemType.EROFS.readOnly()).isTrue();
        assertThat(FilesystemType.EXT4.readOnly()).isFalse();
        assertThat(FilesystemType.VFAT.kernelName()).isEqualTo("vfat");
    }

    /** MiB for a fresh filesystem: xfs wants 300, btrfs 114 (the files are sparse). */
    private static int sizeFor(FilesystemType type) {
        return switch (type) {
            case XFS -> 320;
            case BTRFS -> 128;
            default -> 16;
        };
    }
}
