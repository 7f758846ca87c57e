package org.subhost.core.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.config.DiskAttachment;
import org.subhost.linux.MountTable;

/**
 * The owner of disk images, where it ends before anything is mounted (no root needed):
 * images that cannot be mounted are named as given, mounts that are gone release to
 * nothing, and the boot's check names what is no longer mounted. The mounts themselves
 * run in overlay-diskfile's kernel tests (subhost-cli), through this door.
 */
class DiskImagesTest {
    @TempDir
    Path tmp;
    Path dir;

    @BeforeEach
    void realDirectory() throws IOException {
        dir = tmp.toRealPath();
        Files.createDirectories(dir.resolve("mnt"));
    }

    @Test
    void aMissingImageOrADirectoryIsNamedAsGiven() {
        assertThatThrownBy(() -> DiskImages.mount(dir, "mnt/", "nothing.img", OptionalInt.empty()))
                .isInstanceOf(DiskImageException.class).hasMessage("nothing.img: no such file");
        assertThatThrownBy(() -> DiskImages.mount(dir, "mnt/", "mnt", OptionalInt.empty()))
                .isInstanceOf(DiskImageException.class)
                .hasMessage("mnt: not a regular file (DISKFILE must be a disk image file)");
    }

    @Test
    void anIndexWithoutPartitionTableIsExplained() throws IOException {
        blank(dir.resolve("fs.img"), 8);
        assertThatThrownBy(() -> DiskImages.mount(dir, "mnt/", "fs.img", OptionalInt.of(1)))
                .isInstanceOf(DiskImageException.class)
                .hasMessage("fs.img: no partition table (neither MBR nor GPT), so no partition 1; without INDEX the"
                        + " whole image is taken as one filesystem");
    }

    @Test
    void anImageWithoutAKnownFilesystemSaysWhatItStartsWith() throws IOException {
        blank(dir.resolve("zero.img"), 8);
        assertThatThrownBy(() -> DiskImages.mount(dir, "mnt/", "zero.img", OptionalInt.empty()))
                .isInstanceOf(DiskImageException.class)
                .hasMessageStartingWith("zero.img: no filesystem that overlay-diskfile knows (ext2, ext3, ext4, xfs,"
                        + " btrfs, vfat, squashfs, erofs) in the whole image: ");
    }

    @Test
    void refusesAPartitionIndexBelowOne() {
        assertThatThrownBy(() -> DiskImages.mount(dir, "mnt/", "disk.img", OptionalInt.of(0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("partition index (0) must be 1 or more");
    }

    @Test
    void releasingAMountThatIsGoneDoesNothingAndSaysNothing() throws IOException {
        DiskAttachment gone = new DiskAttachment(dir.resolve("mnt"), Path.of("/dev/loop99999"), dir.resolve("os.img"));
        List<String> log = new ArrayList<>();
        assertThat(DiskImages.releaseAll(List.of(gone, gone), log::add)).isEmpty();
        DiskImages.release(gone, log::add);
        assertThat(log).isEmpty();
    }

    @Test
    void theBootsCheckNamesTheImageThatIsNoLongerMounted() {
        DiskAttachment gone = new DiskAttachment(dir.resolve("mnt"), Path.of("/dev/loop99999"), dir.resolve("os.img"));
        assertThatThrownBy(() -> DiskImages.requireMounted(List.of(gone))).isInstanceOf(IOException.class)
                .hasMessage("disk image " + dir + "/os.img (/dev/loop99999) is no longer mounted on " + dir + "/mnt");
    }

    @Test
    void mountInfoDecodesEscapesAndKnowsWhatIsOnTop() {
        MountTable table = MountTable.parse(List.of(
                "36 35 98:0 / /ex\\0401/mnt rw - ext4 /dev/loop3 rw",
                "37 36 98:0 / /ex\\0401/mnt rw - tmpfs tmpfs rw",
                "broken line"));
        assertThat(table.mounts()).hasSize(2);
        assertThat(table.topmost(Path.of("/ex 1/mnt"))).map(MountTable.Entry::source).contains("tmpfs");
        assertThat(table.isMountedFrom(Path.of("/ex 1/mnt"), "/dev/loop3")).as("covered, but there").isTrue();
        assertThat(table.topmost(Path.of("/ex 1"))).isEmpty();
    }

    private static void blank(Path file, int megabytes) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(megabytes * 1024L * 1024L);
        }
    }
}
