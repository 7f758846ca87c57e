package org.subhost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.subhost.config.ConfFiles.read;
import static org.subhost.config.ConfFiles.real;
import static org.subhost.config.ConfFiles.write;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CABLES (docs/spec.md §4): forms, numbering, names and their errors, read from files. */
class CablesTest {
    @TempDir
    Path tmp;
    Path dir;

    @BeforeEach
    void realDirectory() {
        dir = real(tmp);
    }

    private SubhostConfig cables(String name, String cables) throws ConfigException {
        return read(write(dir, "ex1.conf", "BASE=.", "NAME=" + name, "CABLES=" + cables));
    }

    private void rejects(String name, String cables, String reason) {
        Path conf = write(dir, "bad.conf", "BASE=.", "NAME=" + name, "CABLES=" + cables);
        assertThatThrownBy(() -> read(conf))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e).hasMessage(conf + ":3: " + reason);
                    assertThat(e.variable()).contains("CABLES");
                    assertThat(e.line()).hasValue(3);
                });
    }

    @Test
    void plainCableIsVethNameZeroAndEthZero() throws Exception {
        SubhostConfig c = cables("xmpl", "=");
        VethCable veth = new VethCable(0, "xmpl0", "eth0", Optional.empty(), Optional.empty());
        assertThat(c.cables()).containsExactly(veth);
        assertThat(c.veths()).containsExactly(veth);
        assertThat(c.vlans()).isEmpty();
    }

    @Test
    void specExampleGivesVethAndVlanOnIt() throws Exception {
        // docs/spec.md §4: "CABLES= = =.302" for NAME xmpl: xmpl0/eth0, and VLAN xmpl0.302.
        SubhostConfig c = read(write(dir, "xmpl.conf", "BASE=.", "CABLES= = =.302"));
        VethCable veth = new VethCable(0, "xmpl0", "eth0", Optional.empty(), Optional.empty());
        VlanCable vlan = new VlanCable(veth, 302, "xmpl0.302", "eth0.302", Optional.empty());
        assertThat(c.cables()).containsExactly(veth, vlan);
        assertThat(c.veths()).containsExactly(veth);
        assertThat(c.vlans()).containsExactly(vlan);
    }

    @Test
    void vlanRidesOnTheNearestEarlierNonVlanCableAndDoesNotCount() throws Exception {
        SubhostConfig c = cables("xmpl", "br0= =.5 =.6 br1=.7 br2=06:20:03:4e:a6:f2 =.5");
        assertThat(c.cables()).extracting(Cable::hostName)
                .containsExactly("xmpl0", "xmpl0.5", "xmpl0.6", "xmpl0.7", "xmpl1", "xmpl1.5");
        assertThat(c.cables()).extracting(Cable::subhostName)
                .containsExactly("eth0", "eth0.5", "eth0.6", "eth0.7", "eth1", "eth1.5");
        assertThat(c.cables()).extracting(Cable::bridge).containsExactly(
                Optional.of("br0"), Optional.empty(), Optional.empty(), Optional.of("br1"), Optional.of("br2"),
                Optional.empty());
        assertThat(c.vlans()).extracting(v -> v.carrier().index()).containsExactly(0, 0, 0, 1);
        assertThat(c.veths()).extracting(VethCable::index).containsExactly(0, 1);
    }

    @Test
    void macIsValidatedAndCanonical() throws Exception {
        SubhostConfig c = cables("mta", "=06:20:03:4E:A6:F2");
        assertThat(c.veths().getFirst().mac()).contains(MacAddress.parse("06:20:03:4e:a6:f2"));
        assertThat(c.veths().getFirst().mac().orElseThrow()).hasToString("06:20:03:4e:a6:f2");
        assertThat(c.describe()).contains("CABLES==06:20:03:4E:A6:F2");
    }

    @Test
    void bridgeAndMac() throws Exception {
        SubhostConfig c = cables("mta", "br-lan=6:20:3:4e:a6:f2");
        assertThat(c.cables()).containsExactly(new VethCable(0, "mta0", "eth0", Optional.of("br-lan"),
                Optional.of(MacAddress.parse("06:20:03:4e:a6:f2"))));
    }

    @Test
    void acceptsVlanOneAndVlan4095() throws Exception {
        assertThat(cables("x", "= =.1 =.4095").vlans()).extracting(VlanCable::vlanId).containsExactly(1, 4095);
    }

    @Test
    void rejectsBadMac() {
        rejects("x", "= =zz:20:03:4e:a6:f2",
                "MAC (zz:20:03:4e:a6:f2) must be six hexadecimal octets separated by colons, like 06:20:03:4e:a6:f2");
        rejects("x", "=06:20:03:4e:a6", "MAC (06:20:03:4e:a6) must be six hexadecimal octets separated by colons,"
                + " like 06:20:03:4e:a6:f2");
        rejects("x", "=06:20:03:4e:a6:f2:", "MAC (06:20:03:4e:a6:f2:) must be six hexadecimal octets separated by colons,"
                + " like 06:20:03:4e:a6:f2");
    }

    @Test
    void rejectsMulticastAndZeroMac() {
        rejects("x", "=01:00:5e:00:00:01",
                "MAC (01:00:5e:00:00:01) must be a unicast address (lowest bit of the first octet clear)");
        rejects("x", "=00:00:00:00:00:00", "MAC (00:00:00:00:00:00) must not be all zeros");
    }

    @Test
    void rejectsVlanZeroAnd4096() {
        rejects("x", "= =.0", "VLAN id (0) must be from 1 to 4095");
        rejects("x", "= =.4096", "VLAN id (4096) must be from 1 to 4095");
        rejects("x", "= =.99999999999", "VLAN id (99999999999) must be from 1 to 4095");
    }

    @Test
    void rejectsVlanThatIsNoNumber() {
        rejects("x", "= =.", "VLAN (.) must be . followed by a number from 1 to 4095");
        rejects("x", "= =.-1", "VLAN (.-1) must be . followed by a number from 1 to 4095");
        rejects("x", "= =.3a", "VLAN (.3a) must be . followed by a number from 1 to 4095");
    }

    @Test
    void rejectsVlanWithNoCarrier() {
        rejects("x", "=.302 =", "VLAN (=.302) must follow a non-VLAN cable that carries it");
        rejects("x", "br0=.302", "VLAN (br0=.302) must follow a non-VLAN cable that carries it");
    }

    @Test
    void rejectsTheSameVlanTwiceOnOneCarrier() {
        rejects("x", "= =.302 br0=.302", "VLAN (br0=.302) is already on cable x0");
    }

    @Test
    void rejectsACableWithoutEqualsSign() {
        rejects("x", "= br0", "cable (br0) must have the form [bridge]=[mac|.vlan]");
    }

    @Test
    void rejectsHostNameLongerThanFifteenBytes() {
        rejects("abcdefghijkl", "= =.302",
                "host interface name (abcdefghijkl0.302) must be at most 15 bytes (the kernel's IFNAMSIZ-1):"
                        + " choose a shorter NAME");
    }

    @Test
    void acceptsHostNameOfExactlyFifteenBytes() throws Exception {
        assertThat(cables("abcdefghi", "= =.302").vlans().getFirst().hostName()).isEqualTo("abcdefghi0.302");
    }

    @Test
    void rejectsTheThousandthCableOfATwelveCharacterName() throws Exception {
        String elevenCables = "= = = = = = = = = = =";
        assertThat(cables("abcdefghijkl", elevenCables).veths().getLast().hostName()).isEqualTo("abcdefghijkl10");
        String thousandAndOne = "= ".repeat(1001);
        rejects("abcdefghijkl", thousandAndOne.strip(),
                "host interface name (abcdefghijkl1000) must be at most 15 bytes (the kernel's IFNAMSIZ-1):"
                        + " choose a shorter NAME");
    }

    @Test
    void rejectsBadBridgeNames() {
        rejects("x", "verylongbridge01=", "bridge (verylongbridge01) must be at most 15 bytes (the kernel's IFNAMSIZ-1)");
        rejects("x", "br:0=", "bridge (br:0) must not contain /, : or white space");
        rejects("x", "br/0=", "bridge (br/0) must not contain /, : or white space");
        rejects("x", "..=", "bridge (..) must not be . or ..");
    }

    @Test
    void rejectsMacAndVlanTogether() {
        rejects("x", "= =.3:06:20:03:4e:a6:f2", "VLAN (.3:06:20:03:4e:a6:f2) must be . followed by a number from 1 to 4095");
    }

    @Test
    void emptyCablesMeansNone() throws Exception {
        assertThat(cables("x", "  ").cables()).isEmpty();
    }
}
