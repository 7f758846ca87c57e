package org.subhost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.subhost.config.ConfFiles.read;
import static org.subhost.config.ConfFiles.real;
import static org.subhost.config.ConfFiles.write;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report file that {@code !} commands append their mounts to ({@code
 * SUBHOST_ATTACHMENTS}), run for real with /bin/sh, and its writer in Java.
 */
class DiskAttachmentReportTest {
    @TempDir
    Path tmp;
    Path dir;

    @BeforeEach
    void realDirectory() throws Exception {
        dir = real(tmp);
        Files.createDirectories(dir.resolve("mnt"));
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
    void onlyAReadingThatRunsACommandNeedsTheTemporaryDirectory() throws Exception {
        Path missing = dir.resolve("no-such-tmp");
        String before = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", missing.toString());
        try {
            assertThat(read(write(dir, "ex1.conf", "BASE=.", "LOWER=mnt")).attachments()).isEmpty();
            Path conf = write(dir, "ex2.conf", "BASE=.", "LOWER=!echo mnt");
            ConfigException e = catchThrowableOfType(ConfigException.class, () -> read(conf));
            assertThat(e).hasMessageStartingWith(conf + ":2: bad LOWER config: command (echo mnt) could not be run:"
                    + " cannot make a temporary file for the disk attachments of ! commands: " + missing + "/");
        } finally {
            System.setProperty("java.io.tmpdir", before);
        }
        assertThat(missing).doesNotExist();
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

    @Test
    void aWriterInJavaAppendsTheLineFormAndTheReaderReadsItBack() throws Exception {
        DiskAttachment a = new DiskAttachment(Path.of("/ex1/mnt"), Path.of("/dev/loop3"), Path.of("/ex1/disk image.img"));
        DiskAttachment b = new DiskAttachment(Path.of("/ex1/data"), Path.of("/dev/loop4"), Path.of("/ex1/data.img"));
        DiskAttachmentReport report = DiskAttachmentReport.create();
        try {
            assertThat(Files.getPosixFilePermissions(report.file())).as("a private file")
                    .containsExactlyInAnyOrder(java.nio.file.attribute.PosixFilePermission.OWNER_READ,
                            java.nio.file.attribute.PosixFilePermission.OWNER_WRITE);
            DiskAttachmentReport.append(report.file(), a);
            DiskAttachmentReport.append(report.file(), b);
            assertThat(Files.readString(report.file()))
                    .isEqualTo("/ex1/mnt\t/dev/loop3\t/ex1/disk image.img\n/ex1/data\t/dev/loop4\t/ex1/data.img\n");
            assertThat(report.read(dir.resolve("ex1.conf"))).containsExactly(a, b);
        } finally {
            report.delete();
        }
        assertThat(report.file()).doesNotExist();
    }

    @Test
    void aWriterMakesNoReportFileThatNoReaderMade() {
        Path missing = dir.resolve("no-report.txt");
        assertThatThrownBy(() -> DiskAttachmentReport.append(missing,
                new DiskAttachment(Path.of("/m"), Path.of("/dev/loop3"), Path.of("/i.img"))))
                .isInstanceOf(NoSuchFileException.class);
        assertThat(missing).doesNotExist();
    }
}
