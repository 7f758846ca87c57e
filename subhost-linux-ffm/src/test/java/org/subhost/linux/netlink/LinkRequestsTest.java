package org.subhost.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.subhost.linux.netlink.Bytes.hex;

import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * Golden bytes of every link request, laid out by hand from linux/netlink.h,
 * linux/rtnetlink.h and linux/if_link.h: struct nlmsghdr (16 bytes), struct ifinfomsg (16),
 * then struct rtattr (length, type) with payloads padded to 4 bytes.
 */
class LinkRequestsTest {
    private static final HardwareAddress MAC = HardwareAddress.parse("02:00:00:00:00:01");

    @Test
    void vethWithPeerInAnotherNamespaceNestsMacAndNetnsFdInsideThePeer() {
        Request request = LinkRequests.veth("shtv0", "eth0", OptionalInt.of(7), Optional.of(MAC));

        assertThat(request.encode(1)).isEqualTo(hex("""
                70000000 1000 0506 01000000 00000000   # nlmsghdr: len 112, RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE, seq 1
                00 00 0000 00000000 00000000 00000000  # ifinfomsg
                0a00 0300 7368747630 00 0000           # IFLA_IFNAME "shtv0\\0" + 2 padding
                4400 1200                              # IFLA_LINKINFO, len 68
                  0800 0100 76657468                   #   IFLA_INFO_KIND "veth", no NUL
                  3800 0200                            #   IFLA_INFO_DATA, len 56
                    3400 0100                          #     VETH_INFO_PEER, len 52
                      00 00 0000 00000000 00000000 00000000  # ifinfomsg of the peer
                      0900 0300 65746830 00 000000     #       IFLA_IFNAME "eth0\\0" + 3 padding
                      0a00 0100 020000000001 0000      #       IFLA_ADDRESS 02:00:00:00:00:01 + 2 padding
                      0800 1c00 07000000               #       IFLA_NET_NS_FD 7
                """));
        assertThat(request.toString()).isEqualTo(
                "RTM_NEWLINK(shtv0 type veth peer name eth0 address 02:00:00:00:00:01 netns fd 7)");
    }

    @Test
    void vethWithoutPeerOptionsHasAnEmptyPeerExceptItsName() {
        Request request = LinkRequests.veth("shtv0", "shtv1", OptionalInt.empty(), Optional.empty());

        assertThat(request.encode(9)).isEqualTo(hex("""
                5c000000 1000 0506 09000000 00000000   # len 92
                00000000 00000000 00000000 00000000
                0a00 0300 7368747630 00 0000
                3000 1200                              # IFLA_LINKINFO, len 48
                  0800 0100 76657468
                  2400 0200                            #   IFLA_INFO_DATA, len 36
                    2000 0100                          #     VETH_INFO_PEER, len 32
                      00000000 00000000 00000000 00000000
                      0a00 0300 7368747631 00 0000     #       IFLA_IFNAME "shtv1\\0"
                """));
        assertThat(request.arguments()).isEqualTo("shtv0 type veth peer name shtv1");
    }

    @Test
    void bridgeHasOnlyItsKind() {
        assertThat(LinkRequests.bridge("shtbr0").encode(2)).isEqualTo(hex("""
                3c000000 1000 0506 02000000 00000000   # len 60, RTM_NEWLINK, create exclusively
                00000000 00000000 00000000 00000000
                0b00 0300 736874627230 00 00           # IFLA_IFNAME "shtbr0\\0" + 1 padding
                1000 1200                              # IFLA_LINKINFO, len 16 (child with padding)
                  0a00 0100 627269646765 0000          #   IFLA_INFO_KIND "bridge" + 2 padding
                """));
    }

    @Test
    void vlanNamesItsParentByIndexAndCarriesItsId() {
        Request request = LinkRequests.vlan("shtv0.5", "shtv0", 4, 5);

        assertThat(request.encode(2)).isEqualTo(hex("""
                4c000000 1000 0506 02000000 00000000   # len 76
                00000000 00000000 00000000 00000000
                0c00 0300 73687476302e35 00            # IFLA_IFNAME "shtv0.5\\0", no padding
                0800 0500 04000000                     # IFLA_LINK 4 (the parent)
                1800 1200                              # IFLA_LINKINFO, len 24
                  0800 0100 766c616e                   #   IFLA_INFO_KIND "vlan"
                  0c00 0200                            #   IFLA_INFO_DATA, len 12
                    0600 0100 0500 0000                #     IFLA_VLAN_ID 5 (u16) + 2 padding
                """));
        assertThat(request.toString()).isEqualTo("RTM_NEWLINK(link shtv0 name shtv0.5 type vlan id 5)");
    }

    @Test
    void setUpSelectsIffUpInChangeAndSetsItInFlags() {
        assertThat(LinkRequests.setUp("shtv0", true).encode(4)).isEqualTo(hex("""
                2c000000 1300 0500 04000000 00000000   # len 44, RTM_SETLINK, REQUEST|ACK
                00 00 0000 00000000 01000000 01000000  # ifinfomsg: index 0, flags IFF_UP, change IFF_UP
                0a00 0300 7368747630 00 0000
                """));
    }

    @Test
    void setDownSelectsIffUpInChangeAndClearsItInFlags() {
        assertThat(LinkRequests.setUp("shtv0", false).encode(4)).isEqualTo(hex("""
                2c000000 1300 0500 04000000 00000000
                00 00 0000 00000000 00000000 01000000  # flags 0, change IFF_UP
                0a00 0300 7368747630 00 0000
                """));
    }

    @Test
    void setMasterGivesTheBridgeByIndex() {
        Request request = LinkRequests.setMaster("shtv0", "shtbr0", 9);

        assertThat(request.encode(3)).isEqualTo(hex("""
                34000000 1300 0500 03000000 00000000   # len 52, RTM_SETLINK
                00000000 00000000 00000000 00000000
                0a00 0300 7368747630 00 0000
                0800 0a00 09000000                     # IFLA_MASTER 9
                """));
        assertThat(request.toString()).isEqualTo("RTM_SETLINK(dev shtv0 master shtbr0)");
    }

    @Test
    void noMasterSetsMasterZero() {
        assertThat(LinkRequests.noMaster("shtv0").encode(3)).isEqualTo(hex("""
                34000000 1300 0500 03000000 00000000
                00000000 00000000 00000000 00000000
                0a00 0300 7368747630 00 0000
                0800 0a00 00000000                     # IFLA_MASTER 0
                """));
    }

    @Test
    void deleteNamesTheLink() {
        assertThat(LinkRequests.delete("shtv0").encode(5)).isEqualTo(hex("""
                2c000000 1100 0500 05000000 00000000   # RTM_DELLINK
                00000000 00000000 00000000 00000000
                0a00 0300 7368747630 00 0000
                """));
    }

    @Test
    void getByNameAndByIndex() {
        assertThat(LinkRequests.get("shtv0").encode(6)).isEqualTo(hex("""
                2c000000 1200 0500 06000000 00000000   # RTM_GETLINK, REQUEST|ACK
                00000000 00000000 00000000 00000000
                0a00 0300 7368747630 00 0000
                """));
        assertThat(LinkRequests.get(3).encode(7)).isEqualTo(hex("""
                20000000 1200 0500 07000000 00000000
                00 00 0000 03000000 00000000 00000000  # ifi_index 3
                """));
    }

    @Test
    void dumpHasAZeroedIfinfomsgAsStrictCheckingWants() {
        Request request = LinkRequests.dump();

        assertThat(request.encode(8)).isEqualTo(hex("""
                20000000 1200 0103 08000000 00000000   # RTM_GETLINK, REQUEST|DUMP (0x301), no ACK
                00000000 00000000 00000000 00000000
                """));
        assertThat(request.isDump()).isTrue();
    }

    @Test
    void nameOfFifteenBytesNeedsNoPaddingAfterItsNul() {
        assertThat(LinkRequests.delete("shtabcdefghijkl").encode(1)).isEqualTo(hex("""
                34000000 1100 0500 01000000 00000000
                00000000 00000000 00000000 00000000
                1400 0300 7368746162636465666768696a6b6c 00   # 15 bytes + NUL: no padding
                """));
    }
}
