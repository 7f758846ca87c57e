package org.subhost.linux.netlink;

import java.util.Arrays;
import java.util.HexFormat;

/**
 * A link-layer address as the kernel reports it in IFLA_ADDRESS: for Ethernet-like links
 * (veth, bridge, VLAN) the 6 bytes of a MAC address, written {@code 06:20:03:4e:a6:f2}.
 *
 * <p>Other link types have other lengths (none for some tunnels, 4 for ipip), so any
 * length from 0 to 32 bytes is accepted; {@link #toString()} writes each byte as two
 * lower-case hex digits, separated by colons, and {@link #parse} reads that form back
 * (upper case too). Whether an address is acceptable for a link (unicast, right length)
 * is left to the kernel or, for {@link RtNetlink#addVeth}, checked there.
 *
 * @param bytes the address, copied in and out
 */
public record HardwareAddress(byte[] bytes) {
    private static final HexFormat HEX = HexFormat.ofDelimiter(":");
    private static final int MAX_LENGTH = 32;

    /** Copies {@code bytes}. */
    public HardwareAddress {
        if (bytes.length > MAX_LENGTH) {
            throw new IllegalArgumentException("hardware address length (" + bytes.length + ") must be at most "
                    + MAX_LENGTH + " bytes");
        }
        bytes = bytes.clone();
    }

    /**
     * Reads the colon-separated hex form, such as {@code 06:20:03:4e:a6:f2}; the empty string
     * is the empty address.
     *
     * @param text the address as text
     * @return the address
     * @throws IllegalArgumentException when a byte is not two hex digits
     */
    public static HardwareAddress parse(String text) {
        if (text.isEmpty()) {
            return new HardwareAddress(new byte[0]);
        }
        if (!text.matches("[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*")) {
            throw new IllegalArgumentException("hardware address (" + text
                    + ") must be pairs of hex digits separated by colons");
        }
        return new HardwareAddress(HEX.parseHex(text));
    }

    /** {@return a copy of the address bytes} */
    @Override
    public byte[] bytes() {
        return bytes.clone();
    }

    /** {@return the number of bytes: 6 for Ethernet} */
    public int length() {
        return bytes.length;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof HardwareAddress a && Arrays.equals(bytes, a.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    /** The address as lower-case hex pairs separated by colons, such as {@code 06:20:03:4e:a6:f2}. */
    @Override
    public String toString() {
        return HEX.formatHex(bytes);
    }
}
