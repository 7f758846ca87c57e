package org.subhost.config;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** Writes {@code .conf} files for tests and reads them back. */
final class ConfFiles {
    private ConfFiles() {}

    /** Writes {@code lines} (each ended by a newline) to {@code dir/fileName}. */
    static Path write(Path dir, String fileName, String... lines) {
        StringBuilder text = new StringBuilder();
        for (String line : lines) {
            text.append(line).append('\n');
        }
        return writeBytes(dir, fileName, text.toString().getBytes(StandardCharsets.UTF_8));
    }

    static Path writeBytes(Path dir, String fileName, byte[] bytes) {
        try {
            Files.createDirectories(dir);
            return Files.write(dir.resolve(fileName), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Reads {@code conf} as overlay-boot does, with a short command time limit. */
    static SubhostConfig read(Path conf) throws ConfigException {
        return SubhostConfig.read(conf, "overlay-boot", Duration.ofSeconds(20));
    }

    static Path real(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
