package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.Subhosts;
import org.subhost.config.Share;
import org.subhost.config.SubhostConfig;

/**
 * A boot and a dry run warn, in LOG and on standard error, when users other than root can
 * reach UPPER or a SHARE source (where the subhost makes root's set-user-id programs), and
 * say the fix; a BASE of mode 0700 gives no warning. Neither refuses.
 */
class HostExposureTest {
    private final Subhosts subhosts = Subhosts.linux();
    private String name;
    private Path base;
    private SubhostConfig config;
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private PrintStream originalErr;

    @BeforeEach
    void setUp() throws Exception {
        KernelFixture.requireRoot();
        name = KernelFixture.uniqueName();
        base = KernelFixture.base(name);
        originalErr = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void tearDown() throws Exception {
        System.setErr(originalErr);
        if (name == null) {
            return;
        }
        KernelFixture.stopAndCheckNothingLeft(subhosts, config, name, base);
    }

    private String warning() {
        return "UPPER (" + base.resolve("root") + ") can be reached by users other than root: a set-user-id program "
                + "the subhost makes there would run as root for them; fix: chmod 700 " + base;
    }

    @Test
    void aBaseOfMode0755IsWarnedOfAtBootAndInADryRunWithTheFix() throws Exception {
        // /tmp lets everyone through (1777); BASE as the old tool's example makes it.
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwxr-xr-x"));
        config = SubhostConfig.builder(name, base).start("none").log(base.resolve("log")).build();

        subhosts.plan(config);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("subhost " + name + ": warning: " + warning() + "\n");
        err.reset();

        subhosts.boot(config).stop(Duration.ofSeconds(10));
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("subhost " + name + ": warning: " + warning() + "\n");
        assertThat(Files.readString(base.resolve("log"))).contains("overlay-boot[" + name + "]: warning: " + warning());
    }

    @Test
    void aShareSourceOthersCanReachIsWarnedOfWithItsParentAsTheFix() throws Exception {
        Path outside = Files.createTempDirectory("subhost-share-" + name + "-").toRealPath();
        try {
            Files.setPosixFilePermissions(outside, PosixFilePermissions.fromString("rwxr-xr-x"));
            Path shared = Files.createDirectories(outside.resolve("shared"));
            config = SubhostConfig.builder(name, base).start("none").log(base.resolve("log"))
                    .addShare(new Share(shared, Path.of("/srv/shared"))).build();

            subhosts.plan(config);

            assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("subhost " + name + ": warning: SHARE " + shared
                    + " (" + shared + ") can be reached by users other than root: a set-user-id program the subhost "
                    + "makes there would run as root for them; fix: chmod 700 " + outside + "\n");
            config = null;
        } finally {
            KernelFixture.deleteTree(outside);
        }
    }

    @Test
    void aBaseOfMode0700GivesNoWarning() throws Exception {
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx------"));
        config = SubhostConfig.builder(name, base).start("none").log(base.resolve("log")).build();

        subhosts.boot(config).stop(Duration.ofSeconds(10));

        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
        // LOG may hold the preflight's warnings (the host's own hostname, with LOWER=/), not this one.
        assertThat(Files.readString(base.resolve("log"))).doesNotContain("can be reached by users other than root");
    }
}
