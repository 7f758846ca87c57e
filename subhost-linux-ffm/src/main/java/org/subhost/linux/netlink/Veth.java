package org.subhost.linux.netlink;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * One end of a virtual Ethernet pair ({@code ip link add NAME type veth peer name PEER}):
 * what is sent into one end comes out of the other.
 *
 * @param index the interface index
 * @param name the interface name
 * @param up whether it is administratively up
 * @param operState whether it can carry packets: {@link OperState#UP} once both ends are
 *     up, else {@link OperState#DOWN} ({@link OperState#LOWER_LAYER_DOWN} when the peer is
 *     down in the same namespace)
 * @param mac the link-layer address
 * @param masterIndex the bridge this end is a port of, if any
 * @param mtu the MTU
 * @param peerIndex the other end's interface index (IFLA_LINK), which is an index in the
 *     peer's own namespace when the peer lives in another one; empty when the kernel does
 *     not report it
 */
public record Veth(int index, String name, boolean up, OperState operState, HardwareAddress mac,
        OptionalInt masterIndex, int mtu, OptionalInt peerIndex) implements Link {

    /** Checks that no component is null. */
    public Veth {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(operState, "operState");
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(masterIndex, "masterIndex");
        Objects.requireNonNull(peerIndex, "peerIndex");
    }

    /** Always {@code veth}. */
    @Override
    public String kind() {
        return "veth";
    }
}
