package org.subhost.linux.netlink;

import static org.subhost.linux.netlink.RtnlConstants.IFF_UP;
import static org.subhost.linux.netlink.RtnlConstants.IFINFOMSG_LEN;
import static org.subhost.linux.netlink.RtnlConstants.IFLA_ADDRESS;
import static org.subhost.linux.netlink.RtnlConstants.IFLA_IFNAME;
import static org.subhost.linux.netlink.RtnlConstants.IFLA_INFO_DATA;
import static org.subhost.linux.netlink.RtnlConstants.IFLA_INFO_KIND;
import static org.subhost.linux.netlink.RtnlConstants.IFLA_LINK;
import static org.subhost.linux.netlink.RtnlConstants.IFLA_LINKINFO;
import static org.subhost.linux.netlink.RtnlConstants.IFLA_MASTER;
import static org.subhost.linux.netlink.RtnlConstants.IFLA_MTU;
import static org.subhost.linux.netlink.RtnlConstants.IFLA_OPERSTATE;
import static org.subhost.linux.netlink.RtnlConstants.IFLA_VLAN_ID;
import static org.subhost.linux.netlink.RtnlConstants.RTM_NEWLINK;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.OptionalInt;

/**
 * Reads an RTM_NEWLINK message (a reply to RTM_GETLINK or one part of a link dump) into a
 * {@link Link}: {@code struct ifinfomsg} gives the index and IFF_UP, the attributes the
 * rest. IFLA_IFNAME, IFLA_MTU and IFLA_OPERSTATE are required, since the kernel's
 * {@code rtnl_fill_ifinfo} always sends them; IFLA_ADDRESS is absent for links without a
 * link-layer address.
 */
final class LinkDecoder {
    /** MAX_ADDR_LEN of linux/netdevice.h: no link-layer address is longer. */
    private static final int MAX_ADDR_LEN = 32;

    private LinkDecoder() {}

    static Link decode(Message message) throws NetlinkDecodingException {
        if (message.type() != RTM_NEWLINK) {
            throw new NetlinkDecodingException("message type (" + message.type() + ") must be RTM_NEWLINK ("
                    + RTM_NEWLINK + ")");
        }
        byte[] payload = message.payload();
        if (payload.length < IFINFOMSG_LEN) {
            throw new NetlinkDecodingException("RTM_NEWLINK length (" + payload.length + ") must be at least "
                    + IFINFOMSG_LEN + " (struct ifinfomsg)");
        }
        ByteBuffer in = ByteBuffer.wrap(payload).order(ByteOrder.nativeOrder());
        int index = in.getInt(4);
        boolean up = (in.getInt(8) & IFF_UP) != 0;
        Attributes attributes = Attributes.parse("RTM_NEWLINK", payload, IFINFOMSG_LEN, payload.length);

        String name = attributes.requiredString(IFLA_IFNAME, "IFLA_IFNAME");
        int mtu = attributes.requiredU32(IFLA_MTU, "IFLA_MTU");
        OptionalInt operState = attributes.u8(IFLA_OPERSTATE, "IFLA_OPERSTATE");
        if (operState.isEmpty()) {
            throw attributes.missing("IFLA_OPERSTATE");
        }
        OperState state = OperState.of(operState.getAsInt());
        byte[] address = attributes.bytes(IFLA_ADDRESS).orElse(new byte[0]);
        if (address.length > MAX_ADDR_LEN) {
            throw new NetlinkDecodingException("RTM_NEWLINK: attribute IFLA_ADDRESS length (" + address.length
                    + ") must be at most " + MAX_ADDR_LEN);
        }
        HardwareAddress mac = new HardwareAddress(address);
        OptionalInt master = nonZero(attributes.u32(IFLA_MASTER, "IFLA_MASTER"));
        OptionalInt link = nonZero(attributes.u32(IFLA_LINK, "IFLA_LINK"));

        Attributes info = attributes.nested(IFLA_LINKINFO, "IFLA_LINKINFO");
        String kind = info.string(IFLA_INFO_KIND).orElse("");
        return switch (kind) {
            case "veth" -> new Veth(index, name, up, state, mac, master, mtu, link);
            case "bridge" -> new Bridge(index, name, up, state, mac, master, mtu);
            case "vlan" -> {
                Attributes data = info.nested(IFLA_INFO_DATA, "IFLA_INFO_DATA");
                OptionalInt vlanId = data.u16(IFLA_VLAN_ID, "IFLA_VLAN_ID");
                if (vlanId.isEmpty()) {
                    throw data.missing("IFLA_VLAN_ID");
                }
                if (link.isEmpty()) {
                    throw attributes.missing("IFLA_LINK");
                }
                yield new Vlan(index, name, up, state, mac, master, mtu, vlanId.getAsInt(), link.getAsInt());
            }
            default -> new Device(index, name, kind, up, state, mac, master, mtu);
        };
    }

    // IFLA_MASTER and IFLA_LINK of 0 mean "none" (a veth whose peer is gone reports 0).
    private static OptionalInt nonZero(OptionalInt value) {
        return value.isPresent() && value.getAsInt() != 0 ? value : OptionalInt.empty();
    }
}
