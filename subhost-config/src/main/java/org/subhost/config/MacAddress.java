package org.subhost.config;

import java.util.HexFormat;

/**
 * A MAC address that can be given to an Ethernet interface: 48 bits, unicast, not all
 * zeros.
 *
 * <p>Example: {@code MacAddress.parse("06:20:03:4E:A6:F2").toString()} is
 * {@code 06:20:03:4e:a6:f2}. {@link #parse} accepts six octets of one or two hexadecimal
 * digits (either case) separated by colons, as {@code ip link set ... address} does;
 * {@link #toString} writes the canonical form: two lower-case digits per octet, colons.
 *
 * <p>The kernel refuses a multicast address (lowest bit of the first octet set) or zero
 * for an Ethernet device ({@code eth_validate_addr}: EADDRNOTAVAIL), so this type refuses
 * them at once. Whether the address is unique on its segment is left to the user.
 *
 * @param value the address as a 48-bit number, first octet in the highest bits
 */
public record MacAddress(long value) {
    private static final long MULTICAST_BIT = 1L << 40;
    private static final HexFormat HEX = HexFormat.ofDelimiter(":");

    /** Checks that {@code value} is a 48-bit unicast address other than zero. */
    public MacAddress {
        if (value < 0 || value >= 1L << 48) {
            throw new IllegalArgumentException("MAC (" + Long.toHexString(value) + ") must fit in 48 bits");
        }
        if (value == 0) {
            throw new IllegalArgumentException("MAC (" + format(value) + ") must not be all zeros");
        }
        if ((value & MULTICAST_BIT) != 0) {
            throw new IllegalArgumentException("MAC (" + format(value)
                    + ") must be a unicast address (lowest bit of the first octet clear)");
        }
    }

    /**
     * Reads {@code aa:bb:cc:dd:ee:ff}: six octets of one or two hexadecimal digits, either
     * case, separated by colons.
     *
     * @param text the address in colon-separated hexadecimal form
     * @return the address
     * @throws IllegalArgumentException when {@code text} is no such address, or a multicast
     *     or all-zero one
     */
    public static MacAddress parse(String text) {
        String[] octets = text.split(":", -1);
        if (octets.length != 6) {
            throw malformed(text);
        }
        long value = 0;
        for (String octet : octets) {
            if (octet.isEmpty() || octet.length() > 2 || !octet.chars().allMatch(HexFormat::isHexDigit)) {
                throw malformed(text);
            }
            value = value << 8 | Integer.parseInt(octet, 16);
        }
        return new MacAddress(value);
    }

    /**
     * The address of these six bytes, first octet first.
     *
     * @param bytes the six octets; copied
     * @return the address
     * @throws IllegalArgumentException when there are not six, or they form a multicast or
     *     all-zero address
     */
    public static MacAddress of(byte[] bytes) {
        if (bytes.length != 6) {
            throw new IllegalArgumentException("MAC bytes (" + bytes.length + ") must be 6");
        }
        long value = 0;
        for (byte b : bytes) {
            value = value << 8 | (b & 0xff);
        }
        return new MacAddress(value);
    }

    /** {@return the six octets, first octet first, as the kernel's IFLA_ADDRESS carries them} */
    public byte[] bytes() {
        return octets(value);
    }

    /** The canonical form: {@code 06:20:03:4e:a6:f2}. */
    @Override
    public String toString() {
        return format(value);
    }

    private static String format(long value) {
        return HEX.formatHex(octets(value));
    }

    private static byte[] octets(long value) {
        byte[] bytes = new byte[6];
        for (int i = 0; i < 6; i++) {
            bytes[i] = (byte) (value >>> (8 * (5 - i)));
        }
        return bytes;
    }

    private static IllegalArgumentException malformed(String text) {
        return new IllegalArgumentException("MAC (" + text
                + ") must be six hexadecimal octets separated by colons, like 06:20:03:4e:a6:f2");
    }
}
