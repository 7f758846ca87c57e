package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LOG's rotation when a boot starts: a LOG at or past LOG_MAX and its rotated file change
 * names, and the new LOG is empty; a LOG.1 with a second name is refused, as LOG is.
 */
class LogRotationTest {
    @TempDir
    Path dir;

    @Test
    void aFullLogAndItsRotatedFileChangeNamesAndTheNewLogIsEmpty() throws Exception {
        Path log = Files.writeString(dir.resolve("ex1.log"), "x".repeat(5000));
        Files.writeString(dir.resolve("ex1.log.1"), "older\n");

        assertThat(LogFile.rotateIfFull(log, 4096)).isTrue();

        assertThat(Files.readString(dir.resolve("ex1.log.1"))).isEqualTo("x".repeat(5000));
        assertThat(Files.size(log)).isZero();
        assertThat(LogFile.rotateIfFull(log, 4096)).as("an empty LOG stays").isFalse();
        assertThat(LogFile.rotateIfFull(dir.resolve("missing.log"), 4096)).isFalse();
    }

    @Test
    void aMissingLogIsNoRotationButALogBehindAFileIsRefused() throws Exception {
        Path file = Files.writeString(dir.resolve("ex2"), "not a directory");

        assertThat(LogFile.rotateIfFull(dir.resolve("ex2.log"), 1)).as("missing").isFalse();
        assertThatThrownBy(() -> LogFile.rotateIfFull(file.resolve("ex2.log"), 1))
                .isInstanceOf(java.io.IOException.class)
                .hasMessageContaining("ENOTDIR");
    }

    @Test
    void theRotatedFileIsMadeWhenMissingAndBecomesTheNewLogWithLogsMode() throws Exception {
        Path log = Files.writeString(dir.resolve("ex1.log"), "y".repeat(4096));

        assertThat(LogFile.rotateIfFull(log, 4096)).isTrue();

        assertThat(Files.readString(dir.resolve("ex1.log.1"))).isEqualTo("y".repeat(4096));
        assertThat(Files.size(log)).isZero();
        assertThat(Files.getPosixFilePermissions(log))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void aRotatedFileWithASecondNameIsRefused() throws Exception {
        Path log = Files.writeString(dir.resolve("ex1.log"), "z".repeat(4096));
        Path rotated = Files.writeString(dir.resolve("ex1.log.1"), "");
        Files.createLink(dir.resolve("elsewhere"), rotated);

        assertThatThrownBy(() -> LogFile.rotateIfFull(log, 4096)).hasMessage("LOG (" + rotated + ") has 2 names (hard"
                + " links); refused: another name could be a file of the host's, which writing and rotating LOG would"
                + " change; remove it, or set LOG to another path");
        assertThat(Files.size(log)).isEqualTo(4096);
    }
}
