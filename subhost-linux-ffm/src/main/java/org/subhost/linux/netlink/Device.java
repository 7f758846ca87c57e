package org.subhost.linux.netlink;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * A link of any kind that has no record of its own: {@code lo}, a physical NIC, a tunnel, a
 * macvlan.
 *
 * @param index the interface index
 * @param name the interface name
 * @param kind the kind (IFLA_INFO_KIND), such as {@code macvlan}; empty for links without
 *     one, such as {@code lo} and physical NICs
 * @param up whether it is administratively up
 * @param operState whether it can carry packets
 * @param mac the link-layer address; empty for links without one
 * @param masterIndex the bridge (or bond) this link is a port of, if any
 * @param mtu the MTU
 */
public record Device(int index, String name, String kind, boolean up, OperState operState, HardwareAddress mac,
        OptionalInt masterIndex, int mtu) implements Link {

    /** Checks that no component is null. */
    public Device {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(operState, "operState");
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(masterIndex, "masterIndex");
    }
}
