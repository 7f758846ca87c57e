package org.subhost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.subhost.config.ConfFiles.real;
import static org.subhost.config.ConfFiles.write;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A configuration described in code: same defaults and rules as the file reader. */
class BuilderTest {
    @TempDir
    Path tmp;
    Path dir;

    @BeforeEach
    void realDirectory() {
        dir = real(tmp);
    }

    @Test
    void hasTheSameDefaultsAsAFile() throws Exception {
        SubhostConfig built = SubhostConfig.builder("ex1", dir).build();
        SubhostConfig read = ConfFiles.read(write(dir, "ex1.conf", "BASE=."));
        assertThat(built.file()).isEmpty();
        assertThat(built.describe()).isEqualTo(read.describe());
        assertThat(built).isNotEqualTo(read);
        assertThat(built.toBuilder().file(read.file().orElseThrow()).build()).isEqualTo(read).hasSameHashCodeAs(read);
    }

    @Test
    void setsEveryVariable() {
        SubhostConfig c = SubhostConfig.builder("mta", dir)
                .log(Path.of("mta.log"))
                .cables("br0=06:20:03:4E:A6:F2 =.7")
                .live(Path.of("/srv/mta/live"))
                .upper(Path.of("upper"))
                .work(Path.of("work"))
                .lower(Path.of("/srv/os"))
                .start(List.of("postfix", "/etc/init.d/spamd"))
                .premount("pre")
                .postmount("post")
                .init("cat init.sh")
                .ramSize("none")
                .capabilities("admin")
                .seccomp(false)
                .addShare(new Share(Path.of("/srv/spool"), Path.of("/var/spool")))
                .build();
        assertThat(c.describe()).containsExactly(
                "NAME=mta",
                "LOG=" + dir + "/mta.log",
                "BASE=" + dir,
                "CABLES=br0=06:20:03:4E:A6:F2 =.7",
                "LIVE=/srv/mta/live",
                "UPPER=" + dir + "/upper",
                "WORK=" + dir + "/work",
                "LOWER=/srv/os",
                "START=postfix /etc/init.d/spamd",
                "PREMOUNT=pre",
                "POSTMOUNT=post",
                "INIT=cat init.sh",
                "RAM_SIZE=none",
                "CAPABILITIES=admin",
                "SECCOMP=off",
                "CONFINE_FILES=on",
                "MEMORY_MAX=none",
                "MEMORY_HIGH=none",
                "PIDS_MAX=2048",
                "CPU_WEIGHT=100",
                "CPU_MAX=none",
                "IO_WEIGHT=100",
                "DISK_MAX=none",
                "DEVICES=",
                "SHARE=/srv/spool:/var/spool");
        assertThat(c.vlans()).extracting(Cable::hostName).containsExactly("mta0.7");
    }

    @Test
    void buildsCablesInCode() {
        SubhostConfig c = SubhostConfig.builder("t1", dir)
                .addCable(CableSpec.veth(Optional.of("br0"), Optional.of(MacAddress.parse("06:20:03:4e:a6:f2"))))
                .addCable(CableSpec.vlan(302, Optional.empty()))
                .build();
        assertThat(c.describe()).contains("CABLES=br0=06:20:03:4e:a6:f2 =.302");
        assertThat(c.cables()).extracting(Cable::hostName).containsExactly("t10", "t10.302");
    }

    @Test
    void checksNameAndBaseAtOnce() {
        assertThatThrownBy(() -> SubhostConfig.builder("webmail-frontend", dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("NAME (webmail-frontend) must be at most 12 characters");
        assertThatThrownBy(() -> SubhostConfig.builder("x", dir.resolve("nope")))
                .hasMessage("BASE (" + dir + "/nope) must be an existing directory (" + dir + "/nope does not exist)");
    }

    @Test
    void storesTheRealPathOfBase() throws Exception {
        Files.createDirectories(dir.resolve("real"));
        Files.createSymbolicLink(dir.resolve("link"), dir.resolve("real"));
        assertThat(SubhostConfig.builder("x", dir.resolve("link")).build().base()).isEqualTo(dir.resolve("real"));
    }

    @Test
    void checksSettersAtOnce() {
        SubhostConfig.Builder b = SubhostConfig.builder("x", dir);
        assertThatThrownBy(() -> b.cables("=.0")).hasMessage("VLAN id (0) must be from 1 to 4095");
        assertThatThrownBy(() -> b.ramSize("5 M"))
                .hasMessage("RAM_SIZE (5 M) must be none or a size: digits with an optional k, m, g or % suffix");
        assertThatThrownBy(() -> b.start(List.of("ssh", "none")))
                .hasMessage("START service (none) is reserved: use no services for START=none");
        assertThatThrownBy(() -> b.start(List.of("two words"))).hasMessage(
                "START service (two words) must be a non-empty word without white space");
        assertThatThrownBy(() -> b.premount(" ")).hasMessage("PREMOUNT command must not be blank");
        assertThatThrownBy(() -> new Share(Path.of("/a"), Path.of("b"))).hasMessage("SHARE subhost path (b) must be absolute");
        assertThat(b.build()).isEqualTo(SubhostConfig.builder("x", dir).build());
    }

    @Test
    void checksNamesThatDependOnNameAtBuild() {
        SubhostConfig.Builder b = SubhostConfig.builder("x", dir).cables("= =.4095");
        assertThat(b.build().vlans()).extracting(Cable::hostName).containsExactly("x0.4095");
        assertThatThrownBy(() -> b.name("abcdefghijkl").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("host interface name (abcdefghijkl0.4095) must be at most 15 bytes (the kernel's IFNAMSIZ-1):"
                        + " choose a shorter NAME");
    }

    @Test
    void checksTheOverlayAtBuild() {
        assertThatThrownBy(() -> SubhostConfig.builder("x", dir).live(Path.of("root")).build())
                .hasMessage("LIVE (" + dir + "/root) must differ from UPPER (" + dir + "/root) and LOWER (/) for an overlay root");
        assertThat(SubhostConfig.builder("x", dir).upper(Path.of("/")).work(Path.of("/")).build().rootKind())
                .as("WORK is not used by a bind root").isEqualTo(RootKind.BIND);
    }

    @Test
    void emptyStartIsNone() {
        SubhostConfig c = SubhostConfig.builder("x", dir).start(List.of()).build();
        assertThat(c.start()).isEmpty();
        assertThat(c.describe()).contains("START=none");
        assertThat(SubhostConfig.builder("x", dir).start("none").build()).isEqualTo(c);
    }

    @Test
    void dropsAShareOfLowerOntoItself() {
        SubhostConfig c = SubhostConfig.builder("x", dir)
                .addShare(new Share(Path.of("/"), Path.of("/")))
                .addShare(new Share(Path.of("/"), Path.of("/host")))
                .build();
        assertThat(c.shares()).containsExactly(new Share(Path.of("/"), Path.of("/host")));
    }

    @Test
    void toBuilderChangesACopy() {
        SubhostConfig original = SubhostConfig.builder("x", dir).cables("=").premount("pre").build();
        SubhostConfig changed = original.toBuilder().name("y").premount(Optional.empty()).build();
        assertThat(original.name()).isEqualTo("x");
        assertThat(original.premount()).contains("pre");
        assertThat(changed.name()).isEqualTo("y");
        assertThat(changed.premount()).isEmpty();
        assertThat(changed.cables()).extracting(Cable::hostName).containsExactly("y0");
        assertThat(original.toBuilder().build()).isEqualTo(original);
    }

    @Test
    void listsAreImmutable() {
        SubhostConfig c = SubhostConfig.builder("x", dir).cables("=").addShare(new Share(Path.of("/a"), Path.of("/a"))).build();
        assertThatThrownBy(() -> c.cables().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> c.shares().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> c.start().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> c.describe().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void writesItselfAsDryRunText() {
        SubhostConfig c = SubhostConfig.builder("x", dir).build();
        assertThat(c.toString()).startsWith("SubhostConfig[NAME=x, LOG=/tmp/oly-x.log, BASE=" + dir + ", CABLES=, ");
    }
}
