package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The boot's LOG lines follow LOG through the relay's rotations: the file its descriptor is
 * open on is looked at once, and the file named LOG at every line.
 */
class BootLogTest {
    @Test
    void eachLineGoesToTheFileNamedLogNowThroughRotations(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("ex1.log");
        Path rotated = dir.resolve("ex1.log.1");
        try (BootLog boot = BootLog.open("overlay-boot", "ex1", log)) {
            boot.line("one");
            Files.move(log, rotated, StandardCopyOption.ATOMIC_MOVE);
            Files.writeString(log, "");
            boot.line("two");
            boot.line("three");
            // Rotated again: LOG and LOG.1 exchange names, as the relay does.
            Path aside = dir.resolve("aside");
            Files.move(log, aside);
            Files.move(rotated, log);
            Files.move(aside, rotated);
            boot.line("four");
        }
        assertThat(Files.readString(rotated)).doesNotContain("one").contains("two").contains("three")
                .doesNotContain("four");
        assertThat(Files.readString(log)).contains("overlay-boot[ex1]: one\n").contains("overlay-boot[ex1]: four\n")
                .doesNotContain("two");
    }

    @Test
    void aLineWithAControlCharacterIsOneEscapedLine(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("ex1.log");
        try (BootLog boot = BootLog.open("overlay-boot", "ex1", log)) {
            boot.line("pid 1 is x\n<0>forged\u0085");
        }
        assertThat(Files.readAllLines(log)).singleElement().asString()
                .endsWith(" overlay-boot[ex1]: pid 1 is x\\x0a<0>forged\\u0085");
    }
}
