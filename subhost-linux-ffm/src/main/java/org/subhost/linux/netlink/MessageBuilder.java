package org.subhost.linux.netlink;

import static org.subhost.linux.netlink.RtnlConstants.IFADDRMSG_LEN;
import static org.subhost.linux.netlink.RtnlConstants.IFINFOMSG_LEN;
import static org.subhost.linux.netlink.RtnlConstants.RTA_HDRLEN;
import static org.subhost.linux.netlink.RtnlConstants.align;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;

/**
 * Writes the body of one netlink request: the family header ({@code struct ifinfomsg},
 * {@code struct ifaddrmsg} or {@code struct tcmsg}) followed by attributes, nested where asked, each padded to a
 * multiple of 4 bytes as NLA_ALIGN requires. The 16-byte {@code struct nlmsghdr} is added by
 * {@link Request#encode}.
 *
 * <p>Numbers are in the machine's byte order, as the kernel reads them (netlink is a
 * host-order protocol). The length of a nested attribute counts its children with their
 * padding, as the kernel's own {@code nla_nest_end} does; an attribute's own length never
 * counts its trailing padding.
 */
final class MessageBuilder {
    private ByteBuffer buffer = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
    private final Deque<Integer> openNests = new ArrayDeque<>();

    /** Appends {@code struct ifinfomsg}. */
    MessageBuilder ifinfomsg(int family, int type, int index, int flags, int change) {
        ensure(IFINFOMSG_LEN);
        buffer.put((byte) family).put((byte) 0).putShort((short) type)
                .putInt(index).putInt(flags).putInt(change);
        return this;
    }

    /** Appends {@code struct ifaddrmsg}. */
    MessageBuilder ifaddrmsg(int family, int prefixLength, int flags, int scope, int index) {
        ensure(IFADDRMSG_LEN);
        buffer.put((byte) family).put((byte) prefixLength).put((byte) flags).put((byte) scope)
                .putInt(index);
        return this;
    }

    /** Appends {@code struct tcmsg}. */
    MessageBuilder tcmsg(int family, int index, int handle, int parent, int info) {
        ensure(TrafficControlRequests.TCMSG_LEN);
        buffer.put((byte) family).put((byte) 0).putShort((short) 0)
                .putInt(index).putInt(handle).putInt(parent).putInt(info);
        return this;
    }

    /** Appends an attribute with {@code payload} and pads it. */
    MessageBuilder attribute(int type, byte[] payload) {
        int length = RTA_HDRLEN + payload.length;
        if (length > 0xffff) {
            throw new IllegalArgumentException("attribute length (" + length + ") must be at most 65535");
        }
        ensure(align(length));
        buffer.putShort((short) length).putShort((short) type).put(payload);
        pad();
        return this;
    }

    /** Appends a string attribute with its terminating NUL, as the kernel's NLA_NUL_STRING wants. */
    MessageBuilder string(int type, String value) {
        byte[] text = value.getBytes(StandardCharsets.UTF_8);
        return attribute(type, Arrays.copyOf(text, text.length + 1));
    }

    /**
     * Appends a string attribute without a NUL; for IFLA_INFO_KIND, which iproute2 and the
     * kernel's own replies send that way.
     */
    MessageBuilder unterminated(int type, String value) {
        return attribute(type, value.getBytes(StandardCharsets.UTF_8));
    }

    /** Appends a 32-bit attribute. */
    MessageBuilder u32(int type, int value) {
        return attribute(type, ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array());
    }

    /** Appends a 16-bit attribute. */
    MessageBuilder u16(int type, int value) {
        return attribute(type, ByteBuffer.allocate(2).order(ByteOrder.nativeOrder()).putShort((short) value).array());
    }

    /** Opens a nested attribute; its length is written by the matching {@link #end()}. */
    MessageBuilder begin(int type) {
        ensure(RTA_HDRLEN);
        openNests.push(buffer.position());
        buffer.putShort((short) 0).putShort((short) type);
        return this;
    }

    /** Closes the innermost nested attribute. */
    MessageBuilder end() {
        if (openNests.isEmpty()) {
            throw new IllegalStateException("end() without begin()");
        }
        int start = openNests.pop();
        int length = buffer.position() - start;
        if (length > 0xffff) {
            throw new IllegalArgumentException("nested attribute length (" + length + ") must be at most 65535");
        }
        buffer.putShort(start, (short) length);
        return this;
    }

    /** The body written so far. */
    byte[] build() {
        if (!openNests.isEmpty()) {
            throw new IllegalStateException("nested attributes left open (" + openNests.size() + ")");
        }
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    private void pad() {
        while ((buffer.position() & 3) != 0) {
            buffer.put((byte) 0);
        }
    }

    private void ensure(int more) {
        if (buffer.remaining() < more) {
            ByteBuffer bigger = ByteBuffer.allocate(Math.max(buffer.capacity() * 2, buffer.position() + more))
                    .order(ByteOrder.nativeOrder());
            bigger.put(buffer.array(), 0, buffer.position());
            buffer = bigger;
        }
    }
}
