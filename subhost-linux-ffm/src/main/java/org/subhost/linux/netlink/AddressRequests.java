package org.subhost.linux.netlink;

import static org.subhost.linux.netlink.RtnlConstants.AF_INET;
import static org.subhost.linux.netlink.RtnlConstants.AF_INET6;
import static org.subhost.linux.netlink.RtnlConstants.AF_UNSPEC;
import static org.subhost.linux.netlink.RtnlConstants.IFA_ADDRESS;
import static org.subhost.linux.netlink.RtnlConstants.IFA_LOCAL;
import static org.subhost.linux.netlink.RtnlConstants.NLM_F_ACK;
import static org.subhost.linux.netlink.RtnlConstants.NLM_F_CREATE;
import static org.subhost.linux.netlink.RtnlConstants.NLM_F_DUMP;
import static org.subhost.linux.netlink.RtnlConstants.NLM_F_EXCL;
import static org.subhost.linux.netlink.RtnlConstants.NLM_F_REQUEST;
import static org.subhost.linux.netlink.RtnlConstants.RTM_DELADDR;
import static org.subhost.linux.netlink.RtnlConstants.RTM_GETADDR;
import static org.subhost.linux.netlink.RtnlConstants.RTM_NEWADDR;
import static org.subhost.linux.netlink.RtnlConstants.RT_SCOPE_HOST;
import static org.subhost.linux.netlink.RtnlConstants.RT_SCOPE_UNIVERSE;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * The address requests that {@link RtNetlink} sends, built without a socket. The interface
 * is given by index ({@code ifa_index}): unlike links, addresses have no by-name lookup in
 * the kernel.
 */
final class AddressRequests {
    private AddressRequests() {}

    /**
     * {@code ip addr add ADDRESS/PREFIX dev NAME}: RTM_NEWADDR with IFA_LOCAL and IFA_ADDRESS
     * both set to the address (no point-to-point peer), as iproute2 sends it. Scope is host
     * for 127.0.0.0/8, as iproute2 chooses, else universe; the kernel itself gives IPv6
     * link-local and loopback addresses their scope.
     */
    static Request add(String name, int index, InetAddress address, int prefixLength) {
        return new Request("RTM_NEWADDR", words(name, address, prefixLength), RTM_NEWADDR,
                NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, body(index, address, prefixLength, scope(address)));
    }

    /** {@code ip addr del ADDRESS/PREFIX dev NAME}: RTM_DELADDR with IFA_LOCAL and IFA_ADDRESS. */
    static Request remove(String name, int index, InetAddress address, int prefixLength) {
        return new Request("RTM_DELADDR", words(name, address, prefixLength), RTM_DELADDR,
                NLM_F_REQUEST | NLM_F_ACK, body(index, address, prefixLength, RT_SCOPE_UNIVERSE));
    }

    /**
     * {@code ip addr show dev NAME}: RTM_GETADDR dump of both families; with strict checking
     * the kernel itself keeps only the addresses of {@code ifa_index}.
     */
    static Request dump(String name, int index) {
        byte[] body = new MessageBuilder().ifaddrmsg(AF_UNSPEC, 0, 0, 0, index).build();
        return new Request("RTM_GETADDR", "dump dev " + name, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, body);
    }

    private static byte[] body(int index, InetAddress address, int prefixLength, int scope) {
        byte[] bytes = address.getAddress();
        return new MessageBuilder()
                .ifaddrmsg(address instanceof Inet4Address ? AF_INET : AF_INET6, prefixLength, 0, scope, index)
                .attribute(IFA_LOCAL, bytes)
                .attribute(IFA_ADDRESS, bytes)
                .build();
    }

    private static int scope(InetAddress address) {
        return address instanceof Inet4Address && address.getAddress()[0] == 127 ? RT_SCOPE_HOST : RT_SCOPE_UNIVERSE;
    }

    private static String words(String name, InetAddress address, int prefixLength) {
        return address.getHostAddress() + "/" + prefixLength + " dev " + name;
    }
}
