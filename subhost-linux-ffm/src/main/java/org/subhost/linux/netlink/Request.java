package org.subhost.linux.netlink;

import static org.subhost.linux.netlink.RtnlConstants.NLMSG_HDRLEN;
import static org.subhost.linux.netlink.RtnlConstants.NLM_F_DUMP;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One rtnetlink request before it gets its sequence number: the message type and flags
 * of its {@code struct nlmsghdr}, its body, and how to name it in an error.
 *
 * @param call the message type by name, such as {@code RTM_NEWLINK}; the call of a
 *     {@link NetlinkException}
 * @param arguments the request in words, such as {@code veth shtab0 peer eth0}; the
 *     arguments of a {@link NetlinkException}
 * @param type {@code nlmsg_type}
 * @param flags {@code nlmsg_flags}
 * @param body the bytes after the header, with attributes padded
 */
record Request(String call, String arguments, int type, int flags, byte[] body) {
    Request {
        body = body.clone();
    }

    /** Whether this asks for a dump: many replies, ended by NLMSG_DONE. */
    boolean isDump() {
        return (flags & NLM_F_DUMP) == NLM_F_DUMP;
    }

    /**
     * The whole message with {@code seq}: {@code struct nlmsghdr} (length, type, flags,
     * sequence number, port id 0: the kernel fills in ours) and the body.
     */
    byte[] encode(int seq) {
        ByteBuffer message = ByteBuffer.allocate(NLMSG_HDRLEN + body.length).order(ByteOrder.nativeOrder());
        message.putInt(NLMSG_HDRLEN + body.length).putShort((short) type).putShort((short) flags)
                .putInt(seq).putInt(0).put(body);
        return message.array();
    }

    @Override
    public byte[] body() {
        return body.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Request r && call.equals(r.call) && arguments.equals(r.arguments)
                && type == r.type && flags == r.flags && java.util.Arrays.equals(body, r.body);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(call, arguments, type, flags, java.util.Arrays.hashCode(body));
    }

    @Override
    public String toString() {
        return call + "(" + arguments + ")";
    }
}
