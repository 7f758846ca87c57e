package org.subhost.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.subhost.linux.netlink.Bytes.hex;
import static org.subhost.linux.netlink.Bytes.message;

import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.subhost.linux.Errno;

/**
 * Decoding of NLMSG_ERROR and NLMSG_DONE. The NLMSG_ERROR bytes were captured from Linux 6.18
 * (x86_64) on a socket with NETLINK_EXT_ACK and NETLINK_GET_STRICT_CHK set.
 */
class ErrorReplyTest {

    /** The acknowledgement of an RTM_GETLINK: errno 0, NLM_F_CAPPED (only the request's header echoed). */
    static final byte[] ACK = hex("""
            24000000 0200 0001 01000000 f73c0000   # NLMSG_ERROR, flags NLM_F_CAPPED, seq 1
            00000000                               # error 0
            2c000000 1200 0500 01000000 00000000   # the request's header
            """);

    /** RTM_SETLINK shtbr0 master shtbr1 (both bridges): ELOOP with the kernel's reason. */
    static final byte[] ELOOP = hex("""
            740000000200000202000000f73c0000   # nlmsghdr: len 116, NLMSG_ERROR, flags NLM_F_ACK_TLVS, seq 2, our port id
            d8ffffff   # error -40: ELOOP
            34000000130005000200000000000000   # the request's header (not capped: its body follows)
            00000000000000000000000000000000   #   ifinfomsg
            0b0003007368746272300000   #   IFLA_IFNAME "shtbr0"
            08000a0005000000   #   IFLA_MASTER 5
            2900010043616e206e6f7420656e736c61766520612062726964676520746f20612062726964676500000000   # NLMSGERR_ATTR_MSG "Can not enslave a bridge to a bridge"
            """);

    /** RTM_NEWLINK of a veth named "0123456789abcdefg" (17 bytes): ERANGE, message, offset, policy. */
    static final byte[] ERANGE = hex("""
            9c0000000200000203000000f73c0000   # nlmsghdr: len 156, NLMSG_ERROR, NLM_F_ACK_TLVS, seq 3
            deffffff   # error -34: ERANGE
            44000000100005060300000000000000   # the request's header
            00000000000000000000000000000000   #   ifinfomsg
            160003003031323334353637383961626364656667000000   #   IFLA_IFNAME "0123456789abcdefg"
            0c0012000800010076657468   #   IFLA_LINKINFO {IFLA_INFO_KIND "veth"}
            27000100417474726962757465206661696c656420706f6c6963792076616c69646174696f6e0000   # NLMSGERR_ATTR_MSG "Attribute failed policy validation"
            0800020020000000   # NLMSGERR_ATTR_OFFS 32: the IFLA_IFNAME
            14000480080007000f000000080001000b000000   # NLMSGERR_ATTR_POLICY (nested)
            """);

    /** RTM_DELLINK of a missing link: ENODEV, no extended ack. */
    static final byte[] ENODEV = hex("""
            400000000200000004000000f73c0000   # nlmsghdr: len 64, NLMSG_ERROR, no flags, seq 4
            edffffff   # error -19: ENODEV
            2c000000110005000400000000000000   # the request's header
            00000000000000000000000000000000   #   ifinfomsg
            0b0003006e6f737563680000   #   IFLA_IFNAME "nosuch"
            """);

    @Test
    void acknowledgementIsSuccess() throws Exception {
        assertThat(ErrorReply.decode(message(ACK)))
                .isEqualTo(new ErrorReply(0, Optional.empty(), OptionalInt.empty()));
    }

    @Test
    void refusalWithExtendedAckCarriesTheKernelsReason() throws Exception {
        ErrorReply reply = ErrorReply.decode(message(ELOOP));

        assertThat(reply).isEqualTo(new ErrorReply(40, Optional.of("Can not enslave a bridge to a bridge"),
                OptionalInt.empty()));
        Request request = LinkRequests.setMaster("shtbr0", "shtbr1", 5);
        NetlinkException e = reply.toException(request);
        assertThat(e).hasMessage("RTM_SETLINK(dev shtbr0 master shtbr1): ELOOP (Too many levels of symbolic links):"
                + " Can not enslave a bridge to a bridge");
        assertThat(e.call()).isEqualTo("RTM_SETLINK");
        assertThat(e.arguments()).isEqualTo("dev shtbr0 master shtbr1");
        assertThat(e.kernelMessage()).contains("Can not enslave a bridge to a bridge");
    }

    @Test
    void policyRefusalCarriesTheOffsetOfTheAttribute() throws Exception {
        ErrorReply reply = ErrorReply.decode(message(ERANGE));

        assertThat(reply).isEqualTo(new ErrorReply(34, Optional.of("Attribute failed policy validation"),
                OptionalInt.of(32)));
    }

    @Test
    void refusalWithoutExtendedAckHasOnlyTheErrno() throws Exception {
        ErrorReply reply = ErrorReply.decode(message(ENODEV));

        assertThat(reply).isEqualTo(new ErrorReply(Errno.ENODEV, Optional.empty(), OptionalInt.empty()));
        assertThat(reply.toException(LinkRequests.delete("nosuch")))
                .hasMessage("RTM_DELLINK(dev nosuch): ENODEV (No such device)")
                .satisfies(e -> assertThat(e.kernelMessage()).isEmpty());
    }

    @Test
    void doneEndsADumpWithItsStatus() throws Exception {
        byte[] done = hex("14000000 0300 0200 08000000 00000000 00000000");

        assertThat(ErrorReply.decode(message(done))).isEqualTo(new ErrorReply(0, Optional.empty(), OptionalInt.empty()));
    }

    @Test
    void doneWithANegativeStatusAndMessageIsARefusal() throws Exception {
        byte[] done = hex("""
                24000000 0300 0202 08000000 00000000   # NLMSG_DONE, MULTI|ACK_TLVS
                eaffffff                               # -22: EINVAL
                0d00 0100 6261642064756d70 00 000000   # NLMSGERR_ATTR_MSG "bad dump\\0" + 3 padding
                """);

        assertThat(ErrorReply.decode(message(done))).isEqualTo(new ErrorReply(22, Optional.of("bad dump"),
                OptionalInt.empty()));
    }

    @Test
    void emptyDoneOfOlderKernelsIsSuccess() throws Exception {
        assertThat(ErrorReply.decode(message(hex("10000000 0300 0200 08000000 00000000"))).ok()).isTrue();
    }

    @Test
    void rejectsAnErrorTooShortForNlmsgerr() throws Exception {
        assertThatThrownBy(() -> ErrorReply.decode(message(hex("18000000 0200 0000 01000000 00000000 eaffffff 00000000"))))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessage("NLMSG_ERROR length (8) must be at least 20 (struct nlmsgerr)");
    }

    @Test
    void rejectsAnEchoedRequestLongerThanTheError() throws Exception {
        byte[] bytes = hex("""
                24000000 0200 0000 01000000 00000000
                eaffffff
                ff000000 1000 0506 01000000 00000000
                """);

        assertThatThrownBy(() -> ErrorReply.decode(message(bytes)))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessage("NLMSG_ERROR: echoed nlmsg_len (255) must be between 16 and the 16 bytes that follow the errno");
    }

    @Test
    void rejectsAPositiveStatus() throws Exception {
        assertThatThrownBy(() -> ErrorReply.decode(message(hex("14000000 0300 0200 08000000 00000000 05000000"))))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessage("NLMSG_DONE status (5) must be 0 or a negative errno");
    }
}
