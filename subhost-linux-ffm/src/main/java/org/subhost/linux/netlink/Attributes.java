package org.subhost.linux.netlink;

import static org.subhost.linux.netlink.RtnlConstants.NLA_TYPE_MASK;
import static org.subhost.linux.netlink.RtnlConstants.RTA_HDRLEN;
import static org.subhost.linux.netlink.RtnlConstants.align;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The attributes ({@code struct rtattr}: 16-bit length, 16-bit type, payload padded to 4
 * bytes) in a range of a message, by type.
 *
 * <p>Types are read without the NLA_F_NESTED and NLA_F_NET_BYTEORDER bits, which the kernel
 * sets on some nests. When a type occurs more than once the last one counts, as in the
 * kernel's {@code nla_parse}. Every accessor checks the payload's size, so that a short
 * attribute is a {@link NetlinkDecodingException}, never an index out of bounds.
 */
final class Attributes {
    private final String where;
    private final Map<Integer, byte[]> byType;

    private Attributes(String where, Map<Integer, byte[]> byType) {
        this.where = where;
        this.byType = byType;
    }

    /**
     * Parses the attributes in {@code bytes[from, to)}; {@code where} names the container
     * (such as {@code RTM_NEWLINK}) in error messages.
     */
    static Attributes parse(String where, byte[] bytes, int from, int to) throws NetlinkDecodingException {
        if (from < 0 || to > bytes.length || from > to) {
            throw new NetlinkDecodingException(where + ": attributes from offset " + from
                    + " must lie within the " + bytes.length + " bytes of the message");
        }
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
        Map<Integer, byte[]> byType = new HashMap<>();
        int offset = from;
        while (to - offset >= RTA_HDRLEN) {
            int length = Short.toUnsignedInt(in.getShort(offset));
            int type = Short.toUnsignedInt(in.getShort(offset + 2)) & NLA_TYPE_MASK;
            if (length < RTA_HDRLEN) {
                throw new NetlinkDecodingException(where + ": rtattr length (" + length + ") must be at least "
                        + RTA_HDRLEN + " (at offset " + offset + ")");
            }
            if (length > to - offset) {
                throw new NetlinkDecodingException(where + ": rtattr length (" + length + ") at offset " + offset
                        + " runs past the end (" + (to - offset) + " bytes left)");
            }
            byType.put(type, Arrays.copyOfRange(bytes, offset + RTA_HDRLEN, offset + length));
            offset += Math.min(align(length), to - offset);
        }
        // Fewer than 4 bytes left: the kernel's nla_for_each_attr ignores such a tail too.
        return new Attributes(where, byType);
    }

    /** Parses all of {@code bytes}. */
    static Attributes parse(String where, byte[] bytes) throws NetlinkDecodingException {
        return parse(where, bytes, 0, bytes.length);
    }

    boolean has(int type) {
        return byType.containsKey(type);
    }

    /** The payload of {@code type}, if present. */
    Optional<byte[]> bytes(int type) {
        return Optional.ofNullable(byType.get(type)).map(byte[]::clone);
    }

    /** A string attribute, up to its first NUL (the kernel terminates most, not all). */
    Optional<String> string(int type) {
        byte[] value = byType.get(type);
        if (value == null) {
            return Optional.empty();
        }
        int end = 0;
        while (end < value.length && value[end] != 0) {
            end++;
        }
        return Optional.of(new String(value, 0, end, StandardCharsets.UTF_8));
    }

    /** A string attribute that must be present. */
    String requiredString(int type, String name) throws NetlinkDecodingException {
        Optional<String> value = string(type);
        if (value.isEmpty()) {
            throw missing(name);
        }
        return value.get();
    }

    /** A 32-bit attribute, if present. */
    OptionalInt u32(int type, String name) throws NetlinkDecodingException {
        byte[] value = sized(type, name, 4);
        return value == null ? OptionalInt.empty()
                : OptionalInt.of(ByteBuffer.wrap(value).order(ByteOrder.nativeOrder()).getInt());
    }

    /** A 16-bit attribute, if present. */
    OptionalInt u16(int type, String name) throws NetlinkDecodingException {
        byte[] value = sized(type, name, 2);
        return value == null ? OptionalInt.empty()
                : OptionalInt.of(Short.toUnsignedInt(ByteBuffer.wrap(value).order(ByteOrder.nativeOrder()).getShort()));
    }

    /** An 8-bit attribute, if present. */
    OptionalInt u8(int type, String name) throws NetlinkDecodingException {
        byte[] value = sized(type, name, 1);
        return value == null ? OptionalInt.empty() : OptionalInt.of(Byte.toUnsignedInt(value[0]));
    }

    /** A 32-bit attribute that must be present. */
    int requiredU32(int type, String name) throws NetlinkDecodingException {
        OptionalInt value = u32(type, name);
        if (value.isEmpty()) {
            throw missing(name);
        }
        return value.getAsInt();
    }

    /** The attributes nested in {@code type}; empty when it is absent. */
    Attributes nested(int type, String name) throws NetlinkDecodingException {
        byte[] value = byType.get(type);
        return value == null ? new Attributes(where + "/" + name, Map.of()) : parse(where + "/" + name, value);
    }

    NetlinkDecodingException missing(String name) {
        return new NetlinkDecodingException(where + ": attribute " + name + " is missing");
    }

    private byte[] sized(int type, String name, int size) throws NetlinkDecodingException {
        byte[] value = byType.get(type);
        if (value != null && value.length < size) {
            throw new NetlinkDecodingException(where + ": attribute " + name + " length (" + value.length
                    + ") must be at least " + size);
        }
        return value;
    }
}
