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

/** CAPABILITIES, SECCOMP and CONFINE_FILES: docs/configuration.md, "Confinement". */
class ConfinementTest {
    @TempDir
    Path tmp;
    Path dir;

    @BeforeEach
    void realDirectory() {
        dir = real(tmp);
    }

    @Test
    void anOldFileGetsTheSafeDefault() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=."));
        assertThat(c.confinement()).isEqualTo(Confinement.DEFAULT);
        assertThat(c.confinement().keeps(Capability.SYS_ADMIN)).isFalse();
        assertThat(c.confinement().keeps(Capability.NET_ADMIN)).isTrue();
        assertThat(c.confinement().arguments())
                .containsExactly("--caps", "b584fdfb", "--seccomp", "on", "--files", "on");
    }

    @Test
    void theDefaultLevelMatchesPidOnesOwnDefault() {
        // CONFINE_CAPS_DEFAULT in subhost-core/src/main/c/confine.h: bits 0 1 3-8 10-15 18 23 24 26 28 29 31
        long c = 0;
        for (int bit : new int[] {0, 1, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 18, 23, 24, 26, 28, 29, 31}) {
            c |= 1L << bit;
        }
        assertThat(Confinement.DEFAULT.capabilityMask()).isEqualTo(c);
        assertThat(Confinement.DEFAULT.withCapabilities("admin").capabilityMask())
                .isEqualTo(c | 1L << 21 | 1L << 22 | 1L << 19);
    }

    @Test
    void addsAndDropsSingleCapabilities() {
        Confinement c = Confinement.DEFAULT.withCapabilities("+sys_time -NET_RAW,+cap_sys_module");
        assertThat(c.keeps(Capability.SYS_TIME)).isTrue();
        assertThat(c.keeps(Capability.SYS_MODULE)).isTrue();
        assertThat(c.keeps(Capability.NET_RAW)).isFalse();
        assertThat(c.capabilitiesText()).isEqualTo("default -net_raw +sys_module +sys_time");
    }

    @Test
    void levelsRoundTrip() {
        for (String text : List.of("default", "admin", "all", "admin -sys_ptrace +mknod", "all -sys_module",
                "default +sys_admin")) {
            Confinement c = Confinement.DEFAULT.withCapabilities(text);
            assertThat(Confinement.DEFAULT.withCapabilities(c.capabilitiesText())).as(text).isEqualTo(c);
        }
        assertThat(Confinement.DEFAULT.withCapabilities("all").arguments()).startsWith("--caps", "ffffffffffffffff");
        assertThat(Confinement.DEFAULT.withCapabilities("default +sys_admin +sys_boot +sys_ptrace").capabilitiesText())
                .isEqualTo("admin");
    }

    @Test
    void readsTheThreeVariables() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "CAPABILITIES=admin", "SECCOMP=off",
                "CONFINE_FILES=off"));
        assertThat(c.confinement()).isEqualTo(new Confinement(Confinement.DEFAULT.withCapabilities("admin")
                .capabilityMask(), false, false));
        assertThat(c.confinement().toString()).isEqualTo("CAPABILITIES=admin SECCOMP=off CONFINE_FILES=off");
    }

    @Test
    void rejectsAnUnknownCapabilityWithFileAndLine() {
        Path conf = write(dir, "ex1.conf", "BASE=.", "", "CAPABILITIES=+sys_tim");
        assertThatThrownBy(() -> read(conf)).hasMessage(conf + ":3: capability (sys_tim) is not known; names are"
                + " those of capabilities(7) without CAP_, such as sys_time or net_raw");
    }

    @Test
    void rejectsALevelAfterAChange() {
        Path conf = write(dir, "ex1.conf", "BASE=.", "CAPABILITIES=+sys_time admin");
        assertThatThrownBy(() -> read(conf)).hasMessage(conf + ":2: CAPABILITIES (+sys_time admin) takes a level"
                + " only first; after it +name or -name, not admin");
    }

    @Test
    void rejectsAnUnknownLevel() {
        Path conf = write(dir, "ex1.conf", "BASE=.", "CAPABILITIES=none");
        assertThatThrownBy(() -> read(conf)).hasMessage(conf + ":2: CAPABILITIES (none) must start with a level"
                + " (default, admin, all) or a change (+name, -name), not none");
    }

    @Test
    void rejectsASwitchThatIsNeitherOnNorOff() {
        Path conf = write(dir, "ex1.conf", "BASE=.", "SECCOMP=yes");
        assertThatThrownBy(() -> read(conf)).hasMessage(conf + ":2: SECCOMP (yes) must be on or off");
        Path files = write(dir, "ex2.conf", "BASE=.", "CONFINE_FILES=0");
        assertThatThrownBy(() -> read(files)).hasMessage(files + ":2: CONFINE_FILES (0) must be on or off");
    }
}
