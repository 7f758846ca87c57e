package org.subhost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.subhost.config.ConfFiles.read;
import static org.subhost.config.ConfFiles.real;
import static org.subhost.config.ConfFiles.write;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LOG_MAX (LOG's bound) and HIDE (host paths a subhost must not see), and reading a file without its commands. */
class LogMaxAndHideTest {
    @TempDir
    Path tmp;
    Path dir;

    @BeforeEach
    void realDirectory() {
        dir = real(tmp);
    }

    @Test
    void logMaxIsTenMebibytesUnlessSetAndStaysOutOfTheLinesThen() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=."));
        assertThat(c.logMax()).isEqualTo(10L << 20).isEqualTo(SubhostConfig.DEFAULT_LOG_MAX);
        assertThat(c.hide()).isEmpty();
        assertThat(c.describe()).noneMatch(line -> line.startsWith("LOG_MAX=") || line.startsWith("HIDE="));
    }

    @Test
    void logMaxTakesSizesInPowersOf1024AndReadsBack() throws Exception {
        assertThat(read(write(dir, "ex1.conf", "BASE=.", "LOG_MAX=64k")).logMax()).isEqualTo(65536);
        assertThat(read(write(dir, "ex1.conf", "BASE=.", "LOG_MAX=4096")).logMax()).isEqualTo(4096);
        assertThat(read(write(dir, "ex1.conf", "BASE=.", "LOG_MAX=2G")).logMax()).isEqualTo(2L << 30);
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "LOG_MAX=1m"));
        assertThat(c.describe()).contains("LOG_MAX=1M");
        assertThat(read(write(dir, "again.conf", c.describe().toArray(String[]::new))).logMax()).isEqualTo(1L << 20);
    }

    @Test
    void refusesALogMaxThatIsNoSizeOrBelowOnePage() {
        for (String size : List.of("10MB", "-1", "M", "1t", "1.5m", "none")) {
            Path conf = write(dir, "ex1.conf", "BASE=.", "LOG_MAX=" + size);
            assertThatThrownBy(() -> read(conf)).as(size).hasMessage(conf + ":2: LOG_MAX (" + size
                    + ") must be a size: digits with an optional k, m or g suffix");
        }
        Path small = write(dir, "ex1.conf", "BASE=.", "LOG_MAX=1k");
        assertThatThrownBy(() -> read(small)).hasMessage(small + ":2: LOG_MAX (1k) must be at least 4k (4096 bytes)");
        assertThatThrownBy(() -> SubhostConfig.builder("ex1", dir).logMax(100))
                .hasMessage("LOG_MAX (100 bytes) must be at least 4k (4096 bytes)");
    }

    @Test
    void hideTakesPathsRelativeOnesToBase() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "HIDE=/root  /etc/ssh/ssh_host_ed25519_key secret"));
        assertThat(c.hide()).containsExactly(Path.of("/root"), Path.of("/etc/ssh/ssh_host_ed25519_key"),
                dir.resolve("secret"));
        assertThat(c.describe()).contains("HIDE=/root /etc/ssh/ssh_host_ed25519_key " + dir.resolve("secret"));
        assertThat(SubhostConfig.builder("ex1", dir).hide(List.of(Path.of("/srv/../root"))).build().hide())
                .containsExactly(Path.of("/root"));
    }

    @Test
    void refusesToHideTheRoot() {
        Path conf = write(dir, "ex1.conf", "BASE=.", "HIDE=/root /");
        assertThatThrownBy(() -> read(conf)).hasMessage(conf + ":2: HIDE path (/) must not be the root: set LOWER"
                + " to a tree of its own instead");
    }

    @Test
    void aFileIsReadWithoutItsCommands() throws Exception {
        Path plain = write(dir, "ex1.conf", "BASE=.", "LOG=/var/log/ex1.log", "SHARE=/srv/ex1:/srv");
        SubhostConfig c = SubhostConfig.readWithoutCommands(plain);
        assertThat(c.log()).isEqualTo(Path.of("/var/log/ex1.log"));
        assertThat(c.shares()).containsExactly(new Share(Path.of("/srv/ex1"), Path.of("/srv")));

        Path marker = dir.resolve("ran");
        Path withCommand = write(dir, "ex2.conf", "BASE=.", "UPPER=!touch " + marker + "; echo root");
        assertThatThrownBy(() -> SubhostConfig.readWithoutCommands(withCommand)).hasMessage(withCommand
                + ":2: bad UPPER config: command (touch " + marker + "; echo root) was not run: the file is read"
                + " without running its commands");
        assertThat(marker).doesNotExist();
    }
}
