package org.subhost.config;

import java.util.Objects;
import java.util.Optional;

/**
 * A VLAN carried on a veth cable: host side {@code NAMEi.N}, a VLAN link on the carrier's
 * host end {@code NAMEi} (like {@code ip link add link NAMEi name NAMEi.N type vlan id N}),
 * bridged or {@code ifup}-ed like any host end. The subhost configures its own
 * {@code ethi.N} on its end of the carrier; nothing is created for it from outside.
 *
 * @param carrier the veth cable that carries the tagged frames
 * @param vlanId the tag, 1 to 4095
 * @param hostName {@code NAMEi.N}
 * @param subhostName {@code ethi.N}
 * @param bridge the bridge the host side joins, if any
 */
public record VlanCable(VethCable carrier, int vlanId, String hostName, String subhostName,
        Optional<String> bridge) implements Cable {
    /** Checks the tag's range and that all names are valid interface names. */
    public VlanCable {
        Objects.requireNonNull(carrier, "carrier");
        if (vlanId < CableSpec.MIN_VLAN_ID || vlanId > CableSpec.MAX_VLAN_ID) {
            throw new IllegalArgumentException("VLAN id (" + vlanId + ") must be from 1 to 4095");
        }
        Rules.checkInterfaceName("host interface name", hostName);
        Rules.checkInterfaceName("subhost interface name", subhostName);
        bridge.ifPresent(b -> Rules.checkInterfaceName("bridge", b));
    }
}
