package org.subhost.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.subhost.linux.netlink.Bytes.attr;
import static org.subhost.linux.netlink.Bytes.cString;
import static org.subhost.linux.netlink.Bytes.concat;
import static org.subhost.linux.netlink.Bytes.hex;
import static org.subhost.linux.netlink.Bytes.le32;
import static org.subhost.linux.netlink.Bytes.message;
import static org.subhost.linux.netlink.Bytes.nlmsg;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** Decoding of RTM_NEWADDR messages laid out as the kernel's inet_fill_ifaddr and inet6_fill_ifaddr do. */
class AddressDecoderTest {
    private static final int RTM_NEWADDR = 20;

    private static byte[] ifaddrmsg(int family, int prefix, int scope, int index) {
        return concat(new byte[] {(byte) family, (byte) prefix, (byte) 0x80, (byte) scope}, le32(index));
    }

    @Test
    void ipv4TakesTheLocalAddressNotThePeer() throws Exception {
        byte[] bytes = nlmsg(RTM_NEWADDR, 2, 1, 0, concat(ifaddrmsg(2, 32, 0, 5),
                attr(1, hex("0a000002")),              // IFA_ADDRESS: the peer of a point-to-point link
                attr(2, hex("0a000001")),              // IFA_LOCAL: ours
                attr(3, cString("shtv0")),             // IFA_LABEL
                attr(8, le32(0x80)),                   // IFA_FLAGS
                attr(6, new byte[16])));               // IFA_CACHEINFO

        assertThat(AddressDecoder.decode(message(bytes)))
                .contains(new Address(5, InetAddress.getByName("10.0.0.1"), 32));
    }

    @Test
    void ipv6TakesTheAddress() throws Exception {
        byte[] bytes = nlmsg(RTM_NEWADDR, 2, 1, 0, concat(ifaddrmsg(10, 64, 253, 5),
                attr(1, hex("fe800000000000000000000000000001")),
                attr(6, new byte[16]),
                attr(8, le32(0x80))));

        Address address = AddressDecoder.decode(message(bytes)).orElseThrow();

        assertThat(address).isEqualTo(new Address(5, InetAddress.getByName("fe80::1"), 64));
        assertThat(address.toString()).isEqualTo("fe80:0:0:0:0:0:0:1/64");
    }

    @Test
    void ipv4MappedIpv6AddressStaysIpv6() throws Exception {
        byte[] bytes = nlmsg(RTM_NEWADDR, 0, 1, 0, concat(ifaddrmsg(10, 128, 0, 2),
                attr(1, hex("00000000000000000000ffff0a000001"))));

        assertThat(AddressDecoder.decode(message(bytes)).orElseThrow().address().getAddress()).hasSize(16);
    }

    @Test
    void otherFamiliesGiveNoAddress() throws Exception {
        byte[] bytes = nlmsg(RTM_NEWADDR, 0, 1, 0, concat(ifaddrmsg(17, 0, 0, 2), attr(1, new byte[6])));

        assertThat(AddressDecoder.decode(message(bytes))).isEmpty();
    }

    @Test
    void rejectsAnAddressOfTheWrongLength() throws Exception {
        byte[] bytes = nlmsg(RTM_NEWADDR, 0, 1, 0, concat(ifaddrmsg(2, 24, 0, 2), attr(2, new byte[16])));

        assertThatThrownBy(() -> AddressDecoder.decode(message(bytes)))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessage("RTM_NEWADDR address length (16) must be 4 for AF_INET");
    }

    @Test
    void rejectsAPrefixLongerThanTheAddress() throws Exception {
        byte[] bytes = nlmsg(RTM_NEWADDR, 0, 1, 0, concat(ifaddrmsg(2, 33, 0, 2), attr(2, new byte[4])));

        assertThatThrownBy(() -> AddressDecoder.decode(message(bytes)))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessage("RTM_NEWADDR prefix length (33) must be at most 32");
    }

    @Test
    void rejectsAMessageWithoutAddress() throws Exception {
        byte[] bytes = nlmsg(RTM_NEWADDR, 0, 1, 0, ifaddrmsg(2, 24, 0, 2));

        assertThatThrownBy(() -> AddressDecoder.decode(message(bytes)))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessage("RTM_NEWADDR: attribute IFA_LOCAL or IFA_ADDRESS is missing");
    }
}
