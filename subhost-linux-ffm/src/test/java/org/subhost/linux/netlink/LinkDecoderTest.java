package org.subhost.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.subhost.linux.netlink.Bytes.ascii;
import static org.subhost.linux.netlink.Bytes.attr;
import static org.subhost.linux.netlink.Bytes.cString;
import static org.subhost.linux.netlink.Bytes.concat;
import static org.subhost.linux.netlink.Bytes.ifinfomsg;
import static org.subhost.linux.netlink.Bytes.le16;
import static org.subhost.linux.netlink.Bytes.le32;
import static org.subhost.linux.netlink.Bytes.message;
import static org.subhost.linux.netlink.Bytes.nlmsg;

import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** Decoding of RTM_NEWLINK messages: one captured from the kernel, others laid out as it does. */
class LinkDecoderTest {
    private static final int RTM_NEWLINK = 16;
    private static final int NLM_F_MULTI = 2;
    private static final int ARPHRD_ETHER = 1;
    private static final int ARPHRD_LOOPBACK = 772;
    private static final byte[] OPERSTATE_UP = {6};

    @Test
    void decodesAVethCapturedFromTheKernel() throws Exception {
        Message reply = message(Bytes.resource("veth-newlink.hex"));

        Link link = LinkDecoder.decode(reply);

        assertThat(link).isEqualTo(new Veth(3, "shtv0", true, OperState.LOWER_LAYER_DOWN,
                HardwareAddress.parse("02:00:00:00:00:01"), OptionalInt.of(4), 1400, OptionalInt.of(2)));
        assertThat(link.kind()).isEqualTo("veth");
        assertThat(link.mac().toString()).isEqualTo("02:00:00:00:00:01");
    }

    @Test
    void decodesAVlanWithIdAndParent() throws Exception {
        byte[] bytes = nlmsg(RTM_NEWLINK, NLM_F_MULTI, 1, 0, concat(
                ifinfomsg(ARPHRD_ETHER, 7, 0x1003),
                attr(3, cString("shtv0.302")),
                attr(13, le32(1000)),                        // IFLA_TXQLEN, not ours
                attr(16, new byte[] {3}),                    // IFLA_OPERSTATE LOWERLAYERDOWN
                attr(4, le32(1500)),                         // IFLA_MTU
                attr(5, le32(3)),                            // IFLA_LINK: the parent
                attr(18 | 0x8000,                            // IFLA_LINKINFO, with NLA_F_NESTED
                        attr(1, ascii("vlan")),
                        attr(2,
                                attr(5, le16(0x0081)),       // IFLA_VLAN_PROTOCOL (network order)
                                attr(1, le16(302)),          // IFLA_VLAN_ID
                                attr(2, concat(le32(1), le32(0xffffffff))))),
                attr(1, Bytes.hex("02aabbccddee"))));

        assertThat(LinkDecoder.decode(message(bytes))).isEqualTo(new Vlan(7, "shtv0.302", true,
                OperState.LOWER_LAYER_DOWN, HardwareAddress.parse("02:aa:bb:cc:dd:ee"), OptionalInt.empty(), 1500,
                302, 3));
    }

    @Test
    void decodesABridgeThatIsDown() throws Exception {
        byte[] bytes = nlmsg(RTM_NEWLINK, 0, 1, 0, concat(
                ifinfomsg(ARPHRD_ETHER, 4, 0x1002),
                attr(3, cString("shtbr0")),
                attr(16, new byte[] {2}),
                attr(4, le32(1500)),
                attr(1, Bytes.hex("fa0000000001")),
                attr(18, attr(1, ascii("bridge")), attr(2, attr(1, le32(1500))))));

        assertThat(LinkDecoder.decode(message(bytes))).isEqualTo(new Bridge(4, "shtbr0", false, OperState.DOWN,
                HardwareAddress.parse("fa:00:00:00:00:01"), OptionalInt.empty(), 1500));
    }

    @Test
    void decodesLoopbackWithoutKindAsDevice() throws Exception {
        byte[] bytes = nlmsg(RTM_NEWLINK, 0, 1, 0, concat(
                ifinfomsg(ARPHRD_LOOPBACK, 1, 0x10049),
                attr(3, cString("lo")),
                attr(16, new byte[] {0}),
                attr(4, le32(65536)),
                attr(1, new byte[6])));

        Link link = LinkDecoder.decode(message(bytes));

        assertThat(link).isEqualTo(new Device(1, "lo", "", true, OperState.UNKNOWN,
                HardwareAddress.parse("00:00:00:00:00:00"), OptionalInt.empty(), 65536));
    }

    @Test
    void vethWhosePeerIsGoneHasNoPeerIndex() throws Exception {
        byte[] bytes = nlmsg(RTM_NEWLINK, 0, 1, 0, concat(
                ifinfomsg(ARPHRD_ETHER, 5, 0),
                attr(3, cString("shtv0")),
                attr(16, new byte[] {2}),
                attr(4, le32(1500)),
                attr(5, le32(0)),
                attr(10, le32(0)),
                attr(18, attr(1, ascii("veth")))));

        Veth veth = (Veth) LinkDecoder.decode(message(bytes));

        assertThat(veth.peerIndex()).isEmpty();
        assertThat(veth.masterIndex()).isEmpty();
        assertThat(veth.mac().length()).isZero();
    }

    @Test
    void otherKindsAreDevicesWithTheirKind() throws Exception {
        byte[] bytes = nlmsg(RTM_NEWLINK, 0, 1, 0, concat(
                ifinfomsg(ARPHRD_ETHER, 9, 0),
                attr(3, cString("shtmv0")),
                attr(16, new byte[] {2}),
                attr(4, le32(1500)),
                attr(10, le32(4)),
                attr(18, attr(1, ascii("macvlan")))));

        assertThat(LinkDecoder.decode(message(bytes))).isEqualTo(new Device(9, "shtmv0", "macvlan", false,
                OperState.DOWN, new HardwareAddress(new byte[0]), OptionalInt.of(4), 1500));
    }

    @Test
    void rejectsAMessageWithoutName() throws Exception {
        byte[] bytes = nlmsg(RTM_NEWLINK, 0, 1, 0, concat(ifinfomsg(1, 2, 0), attr(16, OPERSTATE_UP),
                attr(4, le32(1500))));

        assertThatThrownBy(() -> LinkDecoder.decode(message(bytes)))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessage("RTM_NEWLINK: attribute IFLA_IFNAME is missing");
    }

    @Test
    void rejectsAVlanWithoutId() throws Exception {
        byte[] bytes = nlmsg(RTM_NEWLINK, 0, 1, 0, concat(ifinfomsg(1, 2, 0), attr(3, cString("x.5")),
                attr(16, OPERSTATE_UP), attr(4, le32(1500)), attr(5, le32(1)), attr(18, attr(1, ascii("vlan")))));

        assertThatThrownBy(() -> LinkDecoder.decode(message(bytes)))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessage("RTM_NEWLINK/IFLA_LINKINFO/IFLA_INFO_DATA: attribute IFLA_VLAN_ID is missing");
    }

    @Test
    void rejectsAShortMtu() throws Exception {
        byte[] bytes = nlmsg(RTM_NEWLINK, 0, 1, 0, concat(ifinfomsg(1, 2, 0), attr(3, cString("x")),
                attr(16, OPERSTATE_UP), attr(4, le16(1500))));

        assertThatThrownBy(() -> LinkDecoder.decode(message(bytes)))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessage("RTM_NEWLINK: attribute IFLA_MTU length (2) must be at least 4");
    }

    @Test
    void rejectsAnUnknownOperState() throws Exception {
        byte[] bytes = nlmsg(RTM_NEWLINK, 0, 1, 0, concat(ifinfomsg(1, 2, 0), attr(3, cString("x")),
                attr(16, new byte[] {7}), attr(4, le32(1500))));

        assertThatThrownBy(() -> LinkDecoder.decode(message(bytes)))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessage("IFLA_OPERSTATE (7) must be between 0 and 6");
    }

    @Test
    void rejectsAPayloadShorterThanIfinfomsg() throws Exception {
        byte[] bytes = nlmsg(RTM_NEWLINK, 0, 1, 0, new byte[12]);

        assertThatThrownBy(() -> LinkDecoder.decode(message(bytes)))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessage("RTM_NEWLINK length (12) must be at least 16 (struct ifinfomsg)");
    }

    @Test
    void rejectsOtherMessageTypes() throws Exception {
        assertThatThrownBy(() -> LinkDecoder.decode(message(nlmsg(20, 0, 1, 0, new byte[16]))))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessage("message type (20) must be RTM_NEWLINK (16)");
    }
}
