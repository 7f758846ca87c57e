package org.subhost.linux.netlink;

import java.util.Objects;
import java.util.OptionalInt;

/**
 * An 802.1Q VLAN link on a parent link ({@code ip link add link PARENT name NAME type vlan
 * id ID}): frames sent through it leave the parent tagged with the VLAN id, and tagged
 * frames that arrive on the parent come out of it untagged.
 *
 * @param index the interface index
 * @param name the interface name, such as {@code xmpl0.302}
 * @param up whether it is administratively up
 * @param operState whether it can carry packets: {@link OperState#LOWER_LAYER_DOWN} while
 *     the parent is down
 * @param mac the link-layer address (the parent's, unless set otherwise)
 * @param masterIndex the bridge this link is a port of, if any
 * @param mtu the MTU
 * @param vlanId the VLAN id (IFLA_VLAN_ID), 1 to 4095
 * @param parentIndex the parent link's interface index (IFLA_LINK)
 */
public record Vlan(int index, String name, boolean up, OperState operState, HardwareAddress mac,
        OptionalInt masterIndex, int mtu, int vlanId, int parentIndex) implements Link {

    /** Checks that no component is null. */
    public Vlan {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(operState, "operState");
        Objects.requireNonNull(mac, "mac");
        Objects.requireNonNull(masterIndex, "masterIndex");
    }

    /** Always {@code vlan}. */
    @Override
    public String kind() {
        return "vlan";
    }
}
