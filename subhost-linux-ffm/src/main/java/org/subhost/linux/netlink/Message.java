package org.subhost.linux.netlink;

import static org.subhost.linux.netlink.RtnlConstants.NLMSG_HDRLEN;
import static org.subhost.linux.netlink.RtnlConstants.align;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One netlink message as received: the fields of its {@code struct nlmsghdr} and the bytes
 * after it.
 *
 * @param type {@code nlmsg_type}, such as RTM_NEWLINK or NLMSG_ERROR
 * @param flags {@code nlmsg_flags}
 * @param seq the sequence number of the request this answers
 * @param portId {@code nlmsg_pid}: 0 for messages from the kernel
 * @param payload the bytes after the header, up to {@code nlmsg_len}
 */
record Message(int type, int flags, int seq, int portId, byte[] payload) {
    Message {
        payload = payload.clone();
    }

    /**
     * Splits a datagram into its messages. Each starts at a 4-byte boundary; the last one
     * may lack the padding after it.
     *
     * @throws NetlinkDecodingException when a header is cut short or a length is less than
     *     the header or runs past the datagram
     */
    static List<Message> split(byte[] datagram) throws NetlinkDecodingException {
        List<Message> messages = new ArrayList<>();
        ByteBuffer in = ByteBuffer.wrap(datagram).order(ByteOrder.nativeOrder());
        int offset = 0;
        while (offset < datagram.length) {
            if (datagram.length - offset < NLMSG_HDRLEN) {
                throw new NetlinkDecodingException("nlmsghdr at offset " + offset + " needs " + NLMSG_HDRLEN
                        + " bytes, datagram has " + (datagram.length - offset) + " left");
            }
            long length = Integer.toUnsignedLong(in.getInt(offset));
            if (length < NLMSG_HDRLEN || length > datagram.length - offset) {
                throw new NetlinkDecodingException("nlmsg_len (" + length + ") at offset " + offset
                        + " must be between " + NLMSG_HDRLEN + " and the " + (datagram.length - offset)
                        + " bytes left in the datagram");
            }
            int type = Short.toUnsignedInt(in.getShort(offset + 4));
            int flags = Short.toUnsignedInt(in.getShort(offset + 6));
            int seq = in.getInt(offset + 8);
            int portId = in.getInt(offset + 12);
            byte[] payload = Arrays.copyOfRange(datagram, offset + NLMSG_HDRLEN, offset + (int) length);
            messages.add(new Message(type, flags, seq, portId, payload));
            offset = Math.min(datagram.length, offset + align((int) length));
        }
        return messages;
    }

    @Override
    public byte[] payload() {
        return payload.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Message m && type == m.type && flags == m.flags && seq == m.seq
                && portId == m.portId && Arrays.equals(payload, m.payload);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, flags, seq, portId, Arrays.hashCode(payload));
    }

    @Override
    public String toString() {
        return "Message[type=" + type + ", flags=0x" + Integer.toHexString(flags) + ", seq=" + seq
                + ", portId=" + portId + ", payload=" + payload.length + " bytes]";
    }
}
