package org.subhost.linux.netlink;

import static org.subhost.linux.netlink.RtnlConstants.AF_UNSPEC;
import static org.subhost.linux.netlink.RtnlConstants.IFF_UP;
import static org.subhost.linux.netlink.RtnlConstants.IFLA_ADDRESS;
import static org.subhost.linux.netlink.RtnlConstants.IFLA_IFNAME;
import static org.subhost.linux.netlink.RtnlConstants.IFLA_INFO_DATA;
import static org.subhost.linux.netlink.RtnlConstants.IFLA_INFO_KIND;
import static org.subhost.linux.netlink.RtnlConstants.IFLA_LINK;
import static org.subhost.linux.netlink.RtnlConstants.IFLA_LINKINFO;
import static org.subhost.linux.netlink.RtnlConstants.IFLA_MASTER;
import static org.subhost.linux.netlink.RtnlConstants.IFLA_NET_NS_FD;
import static org.subhost.linux.netlink.RtnlConstants.IFLA_VLAN_ID;
import static org.subhost.linux.netlink.RtnlConstants.NLM_F_ACK;
import static org.subhost.linux.netlink.RtnlConstants.NLM_F_CREATE;
import static org.subhost.linux.netlink.RtnlConstants.NLM_F_DUMP;
import static org.subhost.linux.netlink.RtnlConstants.NLM_F_EXCL;
import static org.subhost.linux.netlink.RtnlConstants.NLM_F_REQUEST;
import static org.subhost.linux.netlink.RtnlConstants.RTM_DELLINK;
import static org.subhost.linux.netlink.RtnlConstants.RTM_GETLINK;
import static org.subhost.linux.netlink.RtnlConstants.RTM_NEWLINK;
import static org.subhost.linux.netlink.RtnlConstants.RTM_SETLINK;
import static org.subhost.linux.netlink.RtnlConstants.VETH_INFO_PEER;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * The link requests that {@link RtNetlink} sends, built without a socket: each method takes
 * plain values and returns the {@link Request}, so that the bytes can be checked against
 * the kernel's layout without root.
 *
 * <p>Links are named by IFLA_IFNAME with {@code ifi_index} 0: the kernel's
 * {@code rtnl_setlink}, {@code rtnl_dellink} and {@code rtnl_getlink} look the name up
 * themselves, so one message does the job without a race between lookup and change. Only
 * IFLA_LINK and IFLA_MASTER need an index, which the caller resolves first.
 */
final class LinkRequests {
    private static final int CREATE = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
    private static final int CHANGE = NLM_F_REQUEST | NLM_F_ACK;

    private LinkRequests() {}

    /**
     * {@code ip link add NAME type veth peer name PEER [address MAC] [netns FD]}: RTM_NEWLINK
     * with IFLA_LINKINFO {IFLA_INFO_KIND "veth", IFLA_INFO_DATA {VETH_INFO_PEER {struct
     * ifinfomsg, IFLA_IFNAME, IFLA_ADDRESS, IFLA_NET_NS_FD}}}. The peer's MAC and namespace
     * sit inside the peer's own nest, so that the kernel creates the peer there directly.
     */
    static Request veth(String name, String peer, OptionalInt peerNetnsFd, Optional<HardwareAddress> peerMac) {
        MessageBuilder body = new MessageBuilder()
                .ifinfomsg(AF_UNSPEC, 0, 0, 0, 0)
                .string(IFLA_IFNAME, name)
                .begin(IFLA_LINKINFO)
                .unterminated(IFLA_INFO_KIND, "veth")
                .begin(IFLA_INFO_DATA)
                .begin(VETH_INFO_PEER)
                .ifinfomsg(AF_UNSPEC, 0, 0, 0, 0)
                .string(IFLA_IFNAME, peer);
        peerMac.ifPresent(mac -> body.attribute(IFLA_ADDRESS, mac.bytes()));
        peerNetnsFd.ifPresent(fd -> body.u32(IFLA_NET_NS_FD, fd));
        body.end().end().end();
        String arguments = name + " type veth peer name " + peer
                + peerMac.map(mac -> " address " + mac).orElse("")
                + (peerNetnsFd.isPresent() ? " netns fd " + peerNetnsFd.getAsInt() : "");
        return new Request("RTM_NEWLINK", arguments, RTM_NEWLINK, CREATE, body.build());
    }

    /** {@code ip link add NAME type bridge}: RTM_NEWLINK with IFLA_LINKINFO {IFLA_INFO_KIND "bridge"}. */
    static Request bridge(String name) {
        byte[] body = new MessageBuilder()
                .ifinfomsg(AF_UNSPEC, 0, 0, 0, 0)
                .string(IFLA_IFNAME, name)
                .begin(IFLA_LINKINFO)
                .unterminated(IFLA_INFO_KIND, "bridge")
                .end()
                .build();
        return new Request("RTM_NEWLINK", name + " type bridge", RTM_NEWLINK, CREATE, body);
    }

    /**
     * {@code ip link add link PARENT name NAME type vlan id ID}: RTM_NEWLINK with IFLA_LINK
     * (the parent's index) and IFLA_LINKINFO {IFLA_INFO_KIND "vlan", IFLA_INFO_DATA
     * {IFLA_VLAN_ID}}.
     */
    static Request vlan(String name, String parentName, int parentIndex, int vlanId) {
        byte[] body = new MessageBuilder()
                .ifinfomsg(AF_UNSPEC, 0, 0, 0, 0)
                .string(IFLA_IFNAME, name)
                .u32(IFLA_LINK, parentIndex)
                .begin(IFLA_LINKINFO)
                .unterminated(IFLA_INFO_KIND, "vlan")
                .begin(IFLA_INFO_DATA)
                .u16(IFLA_VLAN_ID, vlanId)
                .end()
                .end()
                .build();
        return new Request("RTM_NEWLINK", "link " + parentName + " name " + name + " type vlan id " + vlanId,
                RTM_NEWLINK, CREATE, body);
    }

    /**
     * {@code ip link set dev NAME up} or {@code down}: RTM_SETLINK whose {@code ifi_change}
     * selects IFF_UP and whose {@code ifi_flags} set or clear it.
     */
    static Request setUp(String name, boolean up) {
        byte[] body = new MessageBuilder()
                .ifinfomsg(AF_UNSPEC, 0, 0, up ? IFF_UP : 0, IFF_UP)
                .string(IFLA_IFNAME, name)
                .build();
        return new Request("RTM_SETLINK", "dev " + name + (up ? " up" : " down"), RTM_SETLINK, CHANGE, body);
    }

    /** {@code ip link set dev NAME master BRIDGE}: RTM_SETLINK with IFLA_MASTER, the bridge's index. */
    static Request setMaster(String name, String masterName, int masterIndex) {
        byte[] body = new MessageBuilder()
                .ifinfomsg(AF_UNSPEC, 0, 0, 0, 0)
                .string(IFLA_IFNAME, name)
                .u32(IFLA_MASTER, masterIndex)
                .build();
        return new Request("RTM_SETLINK", "dev " + name + " master " + masterName, RTM_SETLINK, CHANGE, body);
    }

    /** {@code ip link set dev NAME nomaster}: RTM_SETLINK with IFLA_MASTER 0. */
    static Request noMaster(String name) {
        byte[] body = new MessageBuilder()
                .ifinfomsg(AF_UNSPEC, 0, 0, 0, 0)
                .string(IFLA_IFNAME, name)
                .u32(IFLA_MASTER, 0)
                .build();
        return new Request("RTM_SETLINK", "dev " + name + " nomaster", RTM_SETLINK, CHANGE, body);
    }

    /** {@code ip link delete dev NAME}: RTM_DELLINK. */
    static Request delete(String name) {
        byte[] body = new MessageBuilder()
                .ifinfomsg(AF_UNSPEC, 0, 0, 0, 0)
                .string(IFLA_IFNAME, name)
                .build();
        return new Request("RTM_DELLINK", "dev " + name, RTM_DELLINK, CHANGE, body);
    }

    /** {@code ip link show dev NAME}: RTM_GETLINK by name; the kernel answers with one RTM_NEWLINK. */
    static Request get(String name) {
        byte[] body = new MessageBuilder()
                .ifinfomsg(AF_UNSPEC, 0, 0, 0, 0)
                .string(IFLA_IFNAME, name)
                .build();
        return new Request("RTM_GETLINK", "dev " + name, RTM_GETLINK, CHANGE, body);
    }

    /** RTM_GETLINK by interface index. */
    static Request get(int index) {
        byte[] body = new MessageBuilder().ifinfomsg(AF_UNSPEC, 0, index, 0, 0).build();
        return new Request("RTM_GETLINK", "index " + index, RTM_GETLINK, CHANGE, body);
    }

    /**
     * {@code ip link show}: RTM_GETLINK with NLM_F_DUMP and a zeroed {@code struct
     * ifinfomsg}, which strict checking (NETLINK_GET_STRICT_CHK) requires.
     */
    static Request dump() {
        byte[] body = new MessageBuilder().ifinfomsg(AF_UNSPEC, 0, 0, 0, 0).build();
        return new Request("RTM_GETLINK", "dump", RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, body);
    }
}
