package org.subhost.linux.netlink;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Objects;

/**
 * An IPv4 or IPv6 address on an interface, with its prefix length, as
 * {@code ip addr show dev NAME} lists it: {@code 10.0.0.1/24}, {@code fd00::1/64}.
 *
 * @param index the interface index, in the namespace of the socket that read it
 * @param address the interface's own address (IFA_LOCAL for IPv4, IFA_ADDRESS for IPv6)
 * @param prefixLength the network prefix length: 0 to 32 for IPv4, 0 to 128 for IPv6
 */
public record Address(int index, InetAddress address, int prefixLength) {

    /** Checks the prefix length against the address family. */
    public Address {
        Objects.requireNonNull(address, "address");
        checkPrefixLength(address, prefixLength);
    }

    static void checkPrefixLength(InetAddress address, int prefixLength) {
        int bits = address instanceof Inet4Address ? 32 : 128;
        if (prefixLength < 0 || prefixLength > bits) {
            throw new IllegalArgumentException("prefix length (" + prefixLength + ") of " + address.getHostAddress()
                    + " must be between 0 and " + bits);
        }
    }

    /** The address and prefix length as {@code ip} writes them, such as {@code 10.0.0.1/24}. */
    @Override
    public String toString() {
        return address.getHostAddress() + "/" + prefixLength;
    }
}
