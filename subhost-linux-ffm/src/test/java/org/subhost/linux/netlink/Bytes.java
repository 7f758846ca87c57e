package org.subhost.linux.netlink;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

/**
 * Test helpers that lay out bytes as the kernel does, written apart from the production
 * encoder so that golden tests compare against an independent layout. Little-endian, as on
 * x86_64 and aarch64.
 */
final class Bytes {
    private Bytes() {}

    /** Hex digits to bytes; white space and {@code #} comments up to the end of a line are ignored. */
    static byte[] hex(String text) {
        StringBuilder digits = new StringBuilder();
        for (String line : text.split("\n")) {
            int comment = line.indexOf('#');
            digits.append((comment >= 0 ? line.substring(0, comment) : line).replaceAll("\\s", ""));
        }
        return HexFormat.of().parseHex(digits);
    }

    /** A hex resource file beside this class. */
    static byte[] resource(String name) {
        try (InputStream in = Bytes.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalArgumentException("no resource " + name);
            }
            return hex(new String(in.readAllBytes(), StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] le16(int value) {
        return ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) value).array();
    }

    static byte[] le32(int value) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).array();
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** struct rtattr with {@code payload}, padded to 4 bytes; the length excludes the padding. */
    static byte[] attr(int type, byte[] payload) {
        byte[] padding = new byte[(4 - (payload.length % 4)) % 4];
        return concat(le16(4 + payload.length), le16(type), payload, padding);
    }

    static byte[] attr(int type, byte[]... children) {
        return attr(type, concat(children));
    }

    static byte[] cString(String s) {
        return concat(s.getBytes(StandardCharsets.UTF_8), new byte[1]);
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] ifinfomsg(int type, int index, int flags) {
        return concat(new byte[] {0, 0}, le16(type), le32(index), le32(flags), le32(0));
    }

    /** A whole netlink message: struct nlmsghdr and {@code body}. */
    static byte[] nlmsg(int type, int flags, int seq, int portId, byte[] body) {
        return concat(le32(16 + body.length), le16(type), le16(flags), le32(seq), le32(portId), body);
    }

    /** The single message in {@code datagram}. */
    static Message message(byte[] datagram) throws NetlinkDecodingException {
        var messages = Message.split(datagram);
        if (messages.size() != 1) {
            throw new AssertionError("expected one message, got " + messages.size());
        }
        return messages.get(0);
    }
}
