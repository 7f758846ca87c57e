package org.subhost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Disk attachments: the value and its line form ({@link DiskAttachmentReportTest}: the report file). */
class DiskAttachmentTest {
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
}
