package org.subhost.config;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Numbers and names a subhost's cables (docs/spec.md §4): non-VLAN cable {@code i}
 * (counting only those, from 0) is host {@code NAMEi} and subhost {@code ethi}; a VLAN
 * {@code .N} rides on the nearest earlier non-VLAN cable, host {@code NAMEi.N}, subhost
 * {@code ethi.N}.
 */
final class Cabling {
    private Cabling() {}

    /**
     * The cables of subhost {@code name} for these specs, in the same order.
     *
     * @throws IllegalArgumentException for a VLAN without an earlier non-VLAN cable, a VLAN
     *     tag used twice on one carrier, or a host-side name longer than the kernel allows
     */
    static List<Cable> wire(String name, List<CableSpec> specs) {
        List<Cable> cables = new ArrayList<>(specs.size());
        VethCable carrier = null;
        List<Integer> carrierVlans = new ArrayList<>();
        int index = 0;
        for (CableSpec spec : specs) {
            if (spec.vlanId().isEmpty()) {
                String hostName = checkHostName(name + index);
                carrier = new VethCable(index, hostName, "eth" + index, spec.bridge(), spec.mac());
                carrierVlans.clear();
                cables.add(carrier);
                index++;
                continue;
            }
            int vlanId = spec.vlanId().getAsInt();
            if (carrier == null) {
                throw new IllegalArgumentException("VLAN (" + spec + ") must follow a non-VLAN cable that carries it");
            }
            if (carrierVlans.contains(vlanId)) {
                throw new IllegalArgumentException("VLAN (" + spec + ") is already on cable " + carrier.hostName());
            }
            carrierVlans.add(vlanId);
            String hostName = checkHostName(carrier.hostName() + "." + vlanId);
            cables.add(new VlanCable(carrier, vlanId, hostName, carrier.subhostName() + "." + vlanId, spec.bridge()));
        }
        return List.copyOf(cables);
    }

    private static String checkHostName(String hostName) {
        if (hostName.getBytes(StandardCharsets.UTF_8).length > Rules.MAX_INTERFACE_NAME_BYTES) {
            throw new IllegalArgumentException("host interface name (" + hostName + ") must be at most "
                    + Rules.MAX_INTERFACE_NAME_BYTES + " bytes (the kernel's IFNAMSIZ-1): choose a shorter NAME");
        }
        return hostName;
    }
}
