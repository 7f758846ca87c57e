package org.subhost.linux.netlink;

import static org.subhost.linux.netlink.RtnlConstants.AF_INET;
import static org.subhost.linux.netlink.RtnlConstants.AF_INET6;
import static org.subhost.linux.netlink.RtnlConstants.IFADDRMSG_LEN;
import static org.subhost.linux.netlink.RtnlConstants.IFA_ADDRESS;
import static org.subhost.linux.netlink.RtnlConstants.IFA_LOCAL;
import static org.subhost.linux.netlink.RtnlConstants.RTM_NEWADDR;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * Reads an RTM_NEWADDR message (one part of an address dump) into an {@link Address}. For
 * IPv4 the interface's own address is IFA_LOCAL (IFA_ADDRESS is the peer on point-to-point
 * links); IPv6 sends IFA_ADDRESS alone unless there is a peer. Families other than IPv4 and
 * IPv6 give no address.
 */
final class AddressDecoder {
    private AddressDecoder() {}

    static Optional<Address> decode(Message message) throws NetlinkDecodingException {
        if (message.type() != RTM_NEWADDR) {
            throw new NetlinkDecodingException("message type (" + message.type() + ") must be RTM_NEWADDR ("
                    + RTM_NEWADDR + ")");
        }
        byte[] payload = message.payload();
        if (payload.length < IFADDRMSG_LEN) {
            throw new NetlinkDecodingException("RTM_NEWADDR length (" + payload.length + ") must be at least "
                    + IFADDRMSG_LEN + " (struct ifaddrmsg)");
        }
        ByteBuffer in = ByteBuffer.wrap(payload).order(ByteOrder.nativeOrder());
        int family = Byte.toUnsignedInt(payload[0]);
        int prefixLength = Byte.toUnsignedInt(payload[1]);
        int index = in.getInt(4);
        int size;
        if (family == AF_INET) {
            size = 4;
        } else if (family == AF_INET6) {
            size = 16;
        } else {
            return Optional.empty();
        }
        if (prefixLength > size * 8) {
            throw new NetlinkDecodingException("RTM_NEWADDR prefix length (" + prefixLength + ") must be at most "
                    + size * 8);
        }
        Attributes attributes = Attributes.parse("RTM_NEWADDR", payload, IFADDRMSG_LEN, payload.length);
        Optional<byte[]> bytes = attributes.bytes(IFA_LOCAL).or(() -> attributes.bytes(IFA_ADDRESS));
        if (bytes.isEmpty()) {
            throw attributes.missing("IFA_LOCAL or IFA_ADDRESS");
        }
        if (bytes.get().length != size) {
            throw new NetlinkDecodingException("RTM_NEWADDR address length (" + bytes.get().length + ") must be "
                    + size + " for " + (size == 4 ? "AF_INET" : "AF_INET6"));
        }
        return Optional.of(new Address(index, address(bytes.get()), prefixLength));
    }

    private static InetAddress address(byte[] bytes) {
        try {
            // Inet6Address.getByAddress keeps an IPv4-mapped IPv6 address as IPv6, where
            // InetAddress.getByAddress would turn it into IPv4.
            return bytes.length == 4 ? Inet4Address.getByAddress(bytes) : Inet6Address.getByAddress(null, bytes, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError("address of checked length " + bytes.length, e);
        }
    }
}
