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

/** DEVICES: the words of the device policy and their round trip. */
class DeviceRuleTest {
    @TempDir
    Path tmp;
    Path dir;

    @BeforeEach
    void realDirectory() {
        dir = real(tmp);
    }

    @Test
    void readsNodesAndNumbersWithOrWithoutAccess() {
        assertThat(DeviceRule.parseList("/dev/fuse /dev/net/tun:rw c:10:200 b:7:*:r c:*:*:m")).containsExactly(
                new DeviceRule.Node(Path.of("/dev/fuse"), "rwm"),
                new DeviceRule.Node(Path.of("/dev/net/tun"), "rw"),
                new DeviceRule.Numbers('c', 10, 200, "rwm"),
                new DeviceRule.Numbers('b', 7, DeviceRule.Numbers.ANY, "r"),
                new DeviceRule.Numbers('c', DeviceRule.Numbers.ANY, DeviceRule.Numbers.ANY, "m"));
        assertThat(DeviceRule.parseList("  ")).isEmpty();
    }

    @Test
    void writesTheWordsItReads() {
        for (String word : List.of("/dev/fuse", "/dev/net/tun:rw", "c:10:200", "b:7:*:r", "c:136:*", "c:1:3:wm")) {
            assertThat(DeviceRule.parse(word).toString()).isEqualTo(word);
        }
        assertThat(DeviceRule.parse("c:1:3:mwr").toString()).isEqualTo("c:1:3");
        assertThat(DeviceRule.parse("/dev/kvm:wr").toString()).isEqualTo("/dev/kvm:rw");
    }

    @Test
    void theDefaultsAreTheBuiltInDevNodesAndThePseudoTerminals() {
        assertThat(DeviceRule.DEFAULTS.stream().map(DeviceRule::toString)).containsExactly("c:1:3", "c:1:5", "c:1:7",
                "c:1:8", "c:1:9", "c:5:0", "c:5:2", "c:136:*");
    }

    @Test
    void rejectsWhatIsNoDevice() {
        assertThatThrownBy(() -> DeviceRule.parse("fuse")).hasMessage("DEVICES (fuse) must be a device node's absolute"
                + " path (/dev/fuse) or c|b:MAJOR:MINOR (c:10:200, * for any number), each with an optional :ACCESS of"
                + " r, w and m");
        assertThatThrownBy(() -> DeviceRule.parse("x:1:3")).hasMessageStartingWith("DEVICES (x:1:3) must be");
        assertThatThrownBy(() -> DeviceRule.parse("c:1:3:rx")).hasMessage(
                "DEVICES access (rx) of c:1:3:rx must be letters of r, w and m");
        assertThatThrownBy(() -> DeviceRule.parse("c:1:3:rr")).hasMessage(
                "DEVICES access (rr) of c:1:3:rr names a letter twice");
        assertThatThrownBy(() -> DeviceRule.parse("c:1:3:")).hasMessage(
                "DEVICES access () of c:1:3: must be letters of r, w and m");
        assertThatThrownBy(() -> DeviceRule.parse("c:5000:1")).hasMessage(
                "DEVICES numbers (5000:1) must be * or at most 4095:1048575");
        assertThatThrownBy(() -> DeviceRule.parse("/dev/fuse:q")).hasMessage(
                "DEVICES access (q) of /dev/fuse:q must be letters of r, w and m");
    }

    @Test
    void readsDevicesFromAFileWithFileAndLineForAnError() throws Exception {
        SubhostConfig c = read(write(dir, "fs.conf", "BASE=.", "DEVICES=/dev/fuse c:10:200:rw"));
        assertThat(c.devices()).containsExactly(new DeviceRule.Node(Path.of("/dev/fuse"), "rwm"),
                new DeviceRule.Numbers('c', 10, 200, "rw"));
        assertThat(c.describe()).contains("DEVICES=/dev/fuse c:10:200:rw");
        Path bad = write(dir, "bad.conf", "BASE=.", "DEVICES=/dev/fuse tun");
        assertThatThrownBy(() -> read(bad)).hasMessageStartingWith(bad + ":2: DEVICES (tun) must be a device node's");
    }

    @Test
    void theBuilderTakesTheSameDevices() {
        SubhostConfig c = SubhostConfig.builder("fs", dir).devices("/dev/fuse").build();
        assertThat(c.devices()).containsExactly(new DeviceRule.Node(Path.of("/dev/fuse"), "rwm"));
        assertThat(c.toBuilder().build()).isEqualTo(c);
        assertThat(SubhostConfig.builder("fs", dir).build().devices()).isEmpty();
    }
}
