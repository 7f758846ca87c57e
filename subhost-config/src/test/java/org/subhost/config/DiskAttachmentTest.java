package org.subhost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.subhost.config.ConfFiles.read;
import static org.subhost.config.ConfFiles.real;
import static org.subhost.config.ConfFiles.write;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disk attachments: the line form, and the report file that {@code !} commands append to
 * ({@code SUBHOST_ATTACHMENTS}), run for real with /bin/sh.
 */
class DiskAttachmentTest {
    @TempDir
    Path tmp;
    Path dir;

    @BeforeEach
    void realDirectory() throws Exception {
        dir = real(tmp);
        Files.createDirectories(dir.resolve("mnt"));
    }

    @Test
    void lineFormRoundTrips() {
        DiskAttachment a = DiskAttachment.parse("/ex1/mnt\t/dev/loop3\t/ex1/disk image.img");
        assertThat(a).isEqualTo(new DiskAttachment(Path.of("/ex1/mnt"), Path.of("/dev/loop3"),
                Path.of("/ex1/disk image.img")));
        assertThat(a.toString()).isEqualTo("/ex1/mnt\t/dev/loop3\t/ex1/disk image.img");
    }

    @Test
    void refusesRelativePathsAndLinesOfAnotherShape() {
        assertThatThrownBy(() -> DiskAttachment.parse("mnt\t/dev/loop3\t/ex1/disk.img"))
                .hasMessage("disk attachment mount point (mnt) must be an absolute path");
        assertThatThrownBy(() -> DiskAttachment.parse("/ex1/mnt /dev/loop3 /ex1/disk.img"))
                .hasMessage("disk attachment (/ex1/mnt /dev/loop3 /ex1/disk.img) must be MOUNTPOINT, LOOPDEVICE"
                        + " and IMAGE separated by tabs");
        assertThatThrownBy(() -> new DiskAttachment(Path.of("/a\tb"), Path.of("/dev/loop0"), Path.of("/i")))
                .hasMessage("disk attachment mount point (/a\tb) must not contain a tab or a line break");
    }

    @Test
    void reportedMountsBecomeTheConfigsAttachmentsAndTheReportGoes() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.",
                "LOWER=!echo \"$SUBHOST_ATTACHMENTS\" > report-path;"
                        + " printf '%s\\t/dev/loop7\\t%s\\n' \"$PWD/mnt\" \"$PWD/disk.img\" >> \"$SUBHOST_ATTACHMENTS\";"
                        + " echo mnt",
                "UPPER=!printf '/u\\t/dev/loop8\\t/u.img\\n' >> \"$SUBHOST_ATTACHMENTS\"; echo root"));
        assertThat(c.lower()).isEqualTo(dir.resolve("mnt"));
        // In the order reported: the reader evaluates UPPER before LOWER.
        assertThat(c.attachments()).containsExactly(
                new DiskAttachment(Path.of("/u"), Path.of("/dev/loop8"), Path.of("/u.img")),
                new DiskAttachment(dir.resolve("mnt"), Path.of("/dev/loop7"), dir.resolve("disk.img")));
        Path report = Path.of(Files.readString(dir.resolve("report-path")).strip());
        assertThat(report).isAbsolute().doesNotExist();
        assertThat(c.toBuilder().build()).isEqualTo(c);
        assertThat(c.toBuilder().attachments(List.of()).build()).isNotEqualTo(c);
    }

    @Test
    void aConfigWithoutSuchCommandsHasNone() throws Exception {
        assertThat(read(write(dir, "ex1.conf", "BASE=.", "LOWER=!echo mnt")).attachments()).isEmpty();
    }

    @Test
    void aFailedReadingCarriesWhatWasMountedBeforeItFailed() throws Exception {
        Path conf = write(dir, "ex1.conf", "BASE=.",
                "LOWER=!printf '/l\\t/dev/loop7\\t/l.img\\n' >> \"$SUBHOST_ATTACHMENTS\"; echo mnt",
                "START=!exit 3");
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> read(conf));
        assertThat(e).hasMessage(conf + ":3: bad START config: command (exit 3) failed with exit status 3");
        assertThat(e.attachments()).containsExactly(
                new DiskAttachment(Path.of("/l"), Path.of("/dev/loop7"), Path.of("/l.img")));
    }

    @Test
    void aBadReportedLineIsAnErrorThatKeepsTheGoodOnes() throws Exception {
        Path conf = write(dir, "ex1.conf", "BASE=.",
                "LOWER=!printf '/l\\t/dev/loop7\\t/l.img\\nnonsense\\n' >> \"$SUBHOST_ATTACHMENTS\"; echo mnt");
        ConfigException e = catchThrowableOfType(ConfigException.class, () -> read(conf));
        assertThat(e).hasMessage(conf + ": a ! command reported a bad disk attachment in SUBHOST_ATTACHMENTS:"
                + " disk attachment (nonsense) must be MOUNTPOINT, LOOPDEVICE and IMAGE separated by tabs");
        assertThat(e.attachments()).extracting(DiskAttachment::loopDevice).containsExactly(Path.of("/dev/loop7"));
    }
}
