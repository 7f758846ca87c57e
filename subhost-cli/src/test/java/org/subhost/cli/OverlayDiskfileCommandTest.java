package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * overlay-diskfile's arguments, its path-only cases and its errors about images, which
 * all end before anything is mounted (no root needed).
 */
class OverlayDiskfileCommandTest {
    private static final Map<String, String> BOOT = Map.of("ACTION", "overlay-boot");

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private Path dir;

    @BeforeEach
    void makeDir() throws IOException {
        dir = Files.createTempDirectory("subhost-diskfile-").toRealPath();
        Files.createDirectories(dir.resolve("mnt"));
    }

    @AfterEach
    void removeDir() throws IOException {
        TestImages.deleteTree(dir);
    }

    @Test
    void withoutDiskfileItOnlyPrintsThePathAsGiven() {
        assertThat(run(BOOT, "mnt/some/../path/")).isZero();
        assertThat(out()).isEqualTo("mnt/some/../path/\n");
        assertThat(err()).isEmpty();
    }

    @Test
    void anotherActionReadsAndMountsNothingSoAStopWorksWithoutTheImage() {
        assertThat(run(Map.of("ACTION", "overlay-stop"), "mnt/", "gone.img", "2")).isZero();
        assertThat(out()).isEqualTo("mnt/\n");
        assertThat(run(Map.of(), "mnt/", "gone.img")).isZero();
        assertThat(out()).isEqualTo("mnt/\n");
    }

    @Test
    void namesThePartitionsThereAreWhenIndexIsMissing() throws Exception {
        Path image = TestImages.blank(dir.resolve("disk.img"), 20);
        TestImages.sfdisk(image, "label: dos\n,4MiB,L\n,4MiB,L\n");
        assertThat(run(BOOT, "mnt/", "disk.img", "3")).isEqualTo(1);
        assertThat(out()).isEmpty();
        assertThat(err()).isEqualTo("overlay-diskfile: disk.img: no partition 3 (the MBR table has partitions 1, 2)\n");
    }

    @Test
    void saysWhatIsThereWhenNoFilesystemIsRecognised() throws Exception {
        Path image = TestImages.blank(dir.resolve("disk.img"), 20);
        TestImages.sfdisk(image, "label: gpt\n,4MiB,L\n,4MiB,L\n");
        assertThat(run(BOOT, "mnt/", "disk.img", "2")).isEqualTo(1);
        assertThat(err()).isEqualTo("overlay-diskfile: disk.img: no filesystem that overlay-diskfile knows (ext2,"
                + " ext3, ext4, xfs, btrfs, vfat, squashfs, erofs) in partition 2 (at byte 5242880): its first 4096"
                + " bytes are all zero\n");
        assertThat(run(BOOT, "mnt/", "disk.img")).isEqualTo(1);
        assertThat(err()).startsWith("overlay-diskfile: disk.img: no filesystem that overlay-diskfile knows (ext2,"
                + " ext3, ext4, xfs, btrfs, vfat, squashfs, erofs) in the whole image: it starts with 00 00 00 00")
                .endsWith(" and has the 0x55AA boot mark at byte 510 (a partition table or boot sector); the GPT table"
                        + " has partitions 1, 2: give INDEX\n");
    }

    @Test
    void anIndexWithoutPartitionTableIsExplained() throws Exception {
        TestImages.blank(dir.resolve("fs.img"), 8);
        assertThat(run(BOOT, "mnt/", "fs.img", "1")).isEqualTo(1);
        assertThat(err()).isEqualTo("overlay-diskfile: fs.img: no partition table (neither MBR nor GPT), so no"
                + " partition 1; without INDEX the whole image is taken as one filesystem\n");
    }

    @Test
    void aMissingImageOrADirectoryIsNamed() {
        assertThat(run(BOOT, "mnt/", "nothing.img")).isEqualTo(1);
        assertThat(err()).isEqualTo("overlay-diskfile: nothing.img: no such file\n");
        assertThat(run(BOOT, "mnt/", "mnt")).isEqualTo(1);
        assertThat(err()).isEqualTo("overlay-diskfile: mnt: not a regular file (DISKFILE must be a disk image file)\n");
    }

    @Test
    void badUsageIsStatusTwo() {
        assertThat(run(BOOT)).isEqualTo(2);
        assertThat(err()).isEqualTo("overlay-diskfile: missing MOUNTPATH\n"
                + "Usage: overlay-diskfile MOUNTPATH [DISKFILE [INDEX]]\nTry 'overlay-diskfile --help' for more.\n");
        assertThat(run(BOOT, "mnt/", "disk.img", "two")).isEqualTo(2);
        assertThat(err()).startsWith("overlay-diskfile: INDEX (two) must be a partition number, 1 or more\n");
        assertThat(run(BOOT, "mnt/", "disk.img", "0")).isEqualTo(2);
        assertThat(run(BOOT, "mnt/", "disk.img", "1", "2")).isEqualTo(2);
        assertThat(err()).startsWith("overlay-diskfile: too many arguments (2)\n");
        assertThat(run(BOOT, "--force", "mnt/")).isEqualTo(2);
        assertThat(err()).startsWith("overlay-diskfile: unknown option (--force)\n");
        assertThat(run(BOOT, "--", "-odd")).isZero();
        assertThat(out()).isEqualTo("-odd\n");
    }

    @Test
    void helpStartsWithUsageAndTheCliKnowsTheCommand() {
        assertThat(Cli.run(List.of("overlay-diskfile", "--help"), print(out), print(err))).isZero();
        assertThat(out()).startsWith("Usage: overlay-diskfile MOUNTPATH [DISKFILE [INDEX]]\n");
    }

    @Test
    void theLauncherInBinHasTheShapeOfTheOthers() throws IOException {
        Path bin = Checkout.checkoutDir().resolve("bin");
        Path launcher = bin.resolve("overlay-diskfile");
        assertThat(launcher).isExecutable();
        assertThat(Files.readString(launcher)).isEqualTo(
                Files.readString(bin.resolve("overlay-go")).replace("overlay-go", "overlay-diskfile"));
    }

    private int run(Map<String, String> env, String... args) {
        out.reset();
        err.reset();
        return new OverlayDiskfileCommand(env, dir).run(List.of(args), print(out), print(err));
    }

    private static PrintStream print(ByteArrayOutputStream bytes) {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }
}
