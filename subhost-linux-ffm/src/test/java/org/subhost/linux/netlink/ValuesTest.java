package org.subhost.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** The value types and the name rules, checked before anything reaches the kernel. */
class ValuesTest {

    @Test
    void hardwareAddressRoundTripsAndWritesLowerCase() {
        HardwareAddress mac = HardwareAddress.parse("06:20:03:4E:A6:F2");

        assertThat(mac.toString()).isEqualTo("06:20:03:4e:a6:f2");
        assertThat(mac.bytes()).containsExactly(0x06, 0x20, 0x03, 0x4e, 0xa6, 0xf2);
        assertThat(mac).isEqualTo(HardwareAddress.parse("06:20:03:4e:a6:f2"));
        assertThat(HardwareAddress.parse("").length()).isZero();
    }

    @Test
    void hardwareAddressIsNotChangedThroughItsArrays() {
        byte[] bytes = {2, 0, 0, 0, 0, 1};
        HardwareAddress mac = new HardwareAddress(bytes);
        bytes[0] = 9;
        mac.bytes()[1] = 9;

        assertThat(mac.toString()).isEqualTo("02:00:00:00:00:01");
    }

    @Test
    void rejectsMalformedHardwareAddress() {
        assertThatThrownBy(() -> HardwareAddress.parse("06:20:3:4e:a6:f2"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("hardware address (06:20:3:4e:a6:f2) must be pairs of hex digits separated by colons");
    }

    @Test
    void rejectsInterfaceNameLongerThanFifteenBytes() {
        assertThatThrownBy(() -> InterfaceNames.check("interface name", "0123456789abcdef"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("interface name (0123456789abcdef) must be at most 15 bytes");
    }

    @Test
    void countsInterfaceNameInBytesNotCharacters() {
        assertThatThrownBy(() -> InterfaceNames.check("peer name", "éééééééé"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("peer name (éééééééé) must be at most 15 bytes");
    }

    @Test
    void acceptsInterfaceNameOfFifteenBytesWithDotsAndDashes() {
        assertThat(InterfaceNames.check("interface name", "xmpl0.302-ab_cd")).isEqualTo("xmpl0.302-ab_cd");
    }

    @Test
    void rejectsInterfaceNamesTheKernelRefuses() {
        assertThatThrownBy(() -> InterfaceNames.check("interface name", ""))
                .hasMessage("interface name () must not be empty");
        assertThatThrownBy(() -> InterfaceNames.check("interface name", ".."))
                .hasMessage("interface name (..) must not be . or ..");
        assertThatThrownBy(() -> InterfaceNames.check("interface name", "eth0:1"))
                .hasMessage("interface name (eth0:1) must not contain '/', ':', NUL or white space");
        assertThatThrownBy(() -> InterfaceNames.check("interface name", "a/b"))
                .hasMessage("interface name (a/b) must not contain '/', ':', NUL or white space");
        assertThatThrownBy(() -> InterfaceNames.check("interface name", "a\tb"))
                .hasMessage("interface name (a\tb) must not contain '/', ':', NUL or white space");
    }

    @Test
    void rejectsNetnsNamesThatLeaveRunNetns() {
        assertThatThrownBy(() -> NamedNetns.path("../etc"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("netns name (../etc) must not contain '/' or NUL");
        assertThatThrownBy(() -> NamedNetns.path(".."))
                .hasMessage("netns name (..) must not be . or ..");
        assertThatThrownBy(() -> NamedNetns.path(""))
                .hasMessage("netns name () must not be empty");
        assertThatThrownBy(() -> NamedNetns.path("x".repeat(256)))
                .hasMessage("netns name (xxxxxxxxxxxxxxxx...) must be at most 255 bytes, not 256");
    }

    @Test
    void netnsNameIsAFileInRunNetns() {
        assertThat(NamedNetns.path("mta").toString()).isEqualTo("/run/netns/mta");
        assertThat(NamedNetns.path("..mta").toString()).isEqualTo("/run/netns/..mta");
        assertThat(NamedNetns.path("x".repeat(255)).getFileName().toString()).hasSize(255);
    }

    @Test
    void addressPrefixLengthDependsOnTheFamily() throws Exception {
        assertThat(new Address(1, InetAddress.getByName("fd00::1"), 128).toString()).isEqualTo("fd00:0:0:0:0:0:0:1/128");
        assertThatThrownBy(() -> new Address(1, InetAddress.getByName("10.0.0.1"), 33))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prefix length (33) of 10.0.0.1 must be between 0 and 32");
    }
}
