package org.subhost.linux.netlink;

import java.util.OptionalInt;

/**
 * A network interface in one network namespace, as the kernel reports it to
 * {@code ip -d link show}: one record type per kind that we create ({@link Veth},
 * {@link Vlan}, {@link Bridge}) and {@link Device} for every other kind (loopback,
 * physical NICs, tunnels).
 *
 * <p>Indexes are those of the namespace of the {@link RtNetlink} socket that read the link;
 * the same number may name another link in another namespace.
 */
public sealed interface Link permits Veth, Vlan, Bridge, Device {

    /** {@return the interface index ({@code ifi_index}), unique within its namespace} */
    int index();

    /** {@return the interface name (IFLA_IFNAME), at most 15 bytes} */
    String name();

    /**
     * The kind (IFLA_INFO_KIND) such as {@code veth}, {@code vlan}, {@code bridge}; empty
     * for devices without one, such as {@code lo} and physical NICs.
     *
     * @return the kind, or the empty string
     */
    String kind();

    /**
     * {@return whether the link is administratively up (IFF_UP), as set by {@code ip link set NAME up}}
     */
    boolean up();

    /**
     * Whether it can carry packets (IFLA_OPERSTATE).
     *
     * @return the operational state
     */
    OperState operState();

    /** {@return the link-layer address (IFLA_ADDRESS); empty for links without one} */
    HardwareAddress mac();

    /**
     * {@return the index of the bridge (or other master) this link is a port of (IFLA_MASTER), if any}
     */
    OptionalInt masterIndex();

    /** {@return the maximum transmission unit in bytes (IFLA_MTU)} */
    int mtu();
}
