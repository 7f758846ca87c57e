package org.subhost.linux.netlink;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * A software Ethernet bridge ({@code ip link add NAME type bridge}); its ports are the links
 * whose {@link Link#masterIndex()} is this bridge's index.
 *
 * @param index the interface index
 * @param name the interface name
 * @param up whether it is administratively up
 * @param operState whether it can carry packets: a bridge without a port that is up stays
 *     {@link OperState#DOWN}
 * @param mac the link-layer address
 * @param masterIndex the master of the bridge itself; normally empty
 * @param mtu the MTU
 */
public record Bridge(int index, String name, boolean up, OperState operState, HardwareAddress mac,
        OptionalInt masterIndex, int mtu) implements Link {

    /** Checks that no component is null. */
    public Bridge {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(operState, "operState");
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(masterIndex, "masterIndex");
    }

    /** Always {@code bridge}. */
    @Override
    public String kind() {
        return "bridge";
    }
}
