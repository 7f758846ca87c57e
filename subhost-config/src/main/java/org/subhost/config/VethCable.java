package org.subhost.config;

import java.util.Objects;
import java.util.Optional;

/**
 * A veth pair between the host and a subhost: host end {@code NAMEi} in the host's network
 * namespace, subhost end {@code ethi} in the subhost's, where {@code i} counts the non-VLAN
 * cables from 0. Made like
 * {@code ip link add NAMEi type veth peer name ethi netns NAME [address MAC]}.
 *
 * @param index the cable's number among the non-VLAN cables, from 0
 * @param hostName the host end's name, {@code NAMEi}
 * @param subhostName the subhost end's name, {@code ethi}
 * @param bridge the bridge the host end joins, if any
 * @param mac the subhost end's MAC address, if chosen; otherwise the kernel picks one
 */
public record VethCable(int index, String hostName, String subhostName, Optional<String> bridge,
        Optional<MacAddress> mac) implements Cable {
    /** Checks the index and that all names are valid interface names. */
    public VethCable {
        if (index < 0) {
            throw new IllegalArgumentException("cable index (" + index + ") must not be negative");
        }
        Rules.checkInterfaceName("host interface name", hostName);
        Rules.checkInterfaceName("subhost interface name", subhostName);
        bridge.ifPresent(b -> Rules.checkInterfaceName("bridge", b));
        Objects.requireNonNull(mac, "mac");
    }
}
