/**
 * rtnetlink: network namespaces, links and addresses, spoken to the kernel in its own
 * messages, built and parsed in Java.
 *
 * <p>Main types: {@link org.subhost.linux.netlink.RtNetlink}, a NETLINK_ROUTE socket bound
 * to one network namespace, with the operations of {@code ip link} and {@code ip addr};
 * {@link org.subhost.linux.netlink.NamedNetns}, the named namespaces of {@code ip netns}
 * under {@code /run/netns}; {@link org.subhost.linux.netlink.Link} with one record per kind
 * ({@link org.subhost.linux.netlink.Veth}, {@link org.subhost.linux.netlink.Vlan},
 * {@link org.subhost.linux.netlink.Bridge}, {@link org.subhost.linux.netlink.Device});
 * {@link org.subhost.linux.netlink.Address}; and the refusals
 * {@link org.subhost.linux.netlink.NetlinkException} (errno and the kernel's extended-ack
 * text) and {@link org.subhost.linux.netlink.NetlinkDecodingException}.
 *
 * <p>Messages are built and parsed by package-private classes that need no socket
 * (LinkRequests, AddressRequests, LinkDecoder, AddressDecoder, ErrorReply), so that their
 * bytes are tested against the kernel's layout without root.
 */
package org.subhost.linux.netlink;
