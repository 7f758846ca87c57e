package org.subhost.config;

import java.util.Optional;

/**
 * One virtual cable of a subhost, numbered and named: a veth pair ({@link VethCable}) or a
 * VLAN carried on one ({@link VlanCable}). See docs/spec.md §4.
 */
public sealed interface Cable permits VethCable, VlanCable {
    /**
     * {@return the interface name on the host's side, such as {@code xmpl0} or {@code xmpl0.302}}
     */
    String hostName();

    /** {@return the interface name inside the subhost, such as {@code eth0} or {@code eth0.302}} */
    String subhostName();

    /** {@return the bridge that the host side joins, if any; without one it is {@code ifup}-ed} */
    Optional<String> bridge();
}
