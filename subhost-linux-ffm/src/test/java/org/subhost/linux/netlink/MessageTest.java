package org.subhost.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.subhost.linux.netlink.Bytes.concat;
import static org.subhost.linux.netlink.Bytes.hex;
import static org.subhost.linux.netlink.Bytes.nlmsg;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Splitting a datagram into netlink messages. */
class MessageTest {

    @Test
    void splitsMessagesAtFourByteBoundaries() throws Exception {
        byte[] first = nlmsg(16, 2, 7, 99, hex("0102030405"));        // 21 bytes: 3 bytes of padding follow
        byte[] datagram = concat(first, new byte[3], nlmsg(3, 2, 7, 99, hex("00000000")));

        List<Message> messages = Message.split(datagram);

        assertThat(messages).containsExactly(
                new Message(16, 2, 7, 99, hex("0102030405")),
                new Message(3, 2, 7, 99, hex("00000000")));
    }

    @Test
    void lastMessageMayLackItsPadding() throws Exception {
        assertThat(Message.split(nlmsg(16, 0, 1, 0, hex("01")))).containsExactly(new Message(16, 0, 1, 0, hex("01")));
    }

    @Test
    void emptyDatagramHasNoMessages() throws Exception {
        assertThat(Message.split(new byte[0])).isEmpty();
    }

    @Test
    void rejectsAHeaderCutShort() {
        assertThatThrownBy(() -> Message.split(hex("10000000 0200 0000")))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessage("nlmsghdr at offset 0 needs 16 bytes, datagram has 8 left");
    }

    @Test
    void rejectsALengthPastTheDatagram() {
        assertThatThrownBy(() -> Message.split(hex("20000000 0200 0000 01000000 00000000")))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessage("nlmsg_len (32) at offset 0 must be between 16 and the 16 bytes left in the datagram");
    }

    @Test
    void rejectsALengthShorterThanTheHeader() {
        assertThatThrownBy(() -> Message.split(hex("04000000 0200 0000 01000000 00000000")))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessage("nlmsg_len (4) at offset 0 must be between 16 and the 16 bytes left in the datagram");
    }

    @Test
    void rejectsAHugeUnsignedLength() {
        assertThatThrownBy(() -> Message.split(hex("ffffffff 0200 0000 01000000 00000000")))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessageStartingWith("nlmsg_len (4294967295) at offset 0");
    }
}
