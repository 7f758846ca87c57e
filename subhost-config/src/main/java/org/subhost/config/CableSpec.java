package org.subhost.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One virtual cable as the CABLES variable writes it, {@code [bridge]=[mac|.vlan]}, before
 * it is numbered and named (docs/spec.md §4).
 *
 * <p>Examples: {@code =} (a veth pair, host end configured by {@code ifup}),
 * {@code br0=06:20:03:4e:a6:f2} (host end a port of bridge {@code br0}, subhost end with
 * that MAC address), {@code =.302} (VLAN 302 on the nearest earlier non-VLAN cable).
 * {@link #parse} reads that form and {@link #toString} writes it back, with the MAC in
 * canonical form. Which cable carries a VLAN, and the interface names, are decided for
 * the whole list at once: see {@link SubhostConfig#cables()}.
 *
 * <p>Whether the bridge exists is not checked here; the boot finds out.
 *
 * @param bridge the bridge the host end joins, if any
 * @param mac the subhost end's MAC address, if chosen (never with a VLAN)
 * @param vlanId the VLAN tag, 1 to 4095, for a VLAN cable
 */
public record CableSpec(Optional<String> bridge, Optional<MacAddress> mac, OptionalInt vlanId) {
    /** The lowest VLAN tag; 0 means "priority tag only" and names no VLAN. */
    public static final int MIN_VLAN_ID = 1;
    /** The highest VLAN tag; 4095 is reserved by 802.1Q but Linux accepts it. */
    public static final int MAX_VLAN_ID = 4095;

    /** Checks the bridge name, the VLAN tag's range, and that MAC and VLAN are not both set. */
    public CableSpec {
        Objects.requireNonNull(mac, "mac");
        bridge.ifPresent(b -> Rules.checkInterfaceName("bridge", b));
        if (vlanId.isPresent()) {
            checkVlanId(vlanId.getAsInt());
            if (mac.isPresent()) {
                throw new IllegalArgumentException("cable (" + bridge.orElse("") + "=" + mac.get()
                        + ") must have a MAC or a VLAN, not both");
            }
        }
    }

    /**
     * A plain veth cable, optionally bridged and with a chosen MAC.
     *
     * @param bridge the bridge the host end joins; empty to {@code ifup} it
     * @param mac the subhost end's MAC address; empty to let the kernel pick one
     * @return the cable
     */
    public static CableSpec veth(Optional<String> bridge, Optional<MacAddress> mac) {
        return new CableSpec(bridge, mac, OptionalInt.empty());
    }

    /**
     * A VLAN cable with tag {@code vlanId}, optionally bridged.
     *
     * @param vlanId the VLAN tag, 1 to 4095
     * @param bridge the bridge the host-side VLAN link joins; empty to {@code ifup} it
     * @return the cable
     */
    public static CableSpec vlan(int vlanId, Optional<String> bridge) {
        return new CableSpec(bridge, Optional.empty(), OptionalInt.of(vlanId));
    }

    /**
     * Reads one cable, {@code [bridge]=[mac|.vlan]}.
     *
     * @param text one cable of a CABLES value, such as {@code br0=}, {@code =06:20:03:4e:a6:f2}
     *     or {@code =.302}
     * @return the cable
     * @throws IllegalArgumentException naming the cable and the broken rule
     */
    public static CableSpec parse(String text) {
        int equals = text.indexOf('=');
        if (equals < 0) {
            throw new IllegalArgumentException("cable (" + text + ") must have the form [bridge]=[mac|.vlan]");
        }
        String bridge = text.substring(0, equals);
        String rest = text.substring(equals + 1);
        Optional<String> bridgeName = bridge.isEmpty() ? Optional.empty() : Optional.of(bridge);
        if (rest.startsWith(".")) {
            return vlan(parseVlanId(rest), bridgeName);
        }
        return veth(bridgeName, rest.isEmpty() ? Optional.empty() : Optional.of(MacAddress.parse(rest)));
    }

    /**
     * Reads a CABLES value: cables separated by white space, none for blank text.
     *
     * @param text a whole CABLES value
     * @return the cables in the order given; empty for blank text
     * @throws IllegalArgumentException for the first bad cable
     */
    public static List<CableSpec> parseList(String text) {
        List<CableSpec> cables = new ArrayList<>();
        for (String word : Rules.words(text)) {
            cables.add(parse(word));
        }
        return List.copyOf(cables);
    }

    /** {@return whether this is a VLAN cable rather than a veth pair} */
    public boolean isVlan() {
        return vlanId.isPresent();
    }

    /** The CABLES form: {@code br0=06:20:03:4e:a6:f2}, {@code =}, {@code =.302}. */
    @Override
    public String toString() {
        String right = vlanId.isPresent() ? "." + vlanId.getAsInt() : mac.map(MacAddress::toString).orElse("");
        return bridge.orElse("") + "=" + right;
    }

    private static int parseVlanId(String dotted) {
        String digits = dotted.substring(1);
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException(
                    "VLAN (" + dotted + ") must be . followed by a number from 1 to 4095");
        }
        if (digits.length() > 9) {
            throw outOfRange(digits);
        }
        int id = Integer.parseInt(digits);
        checkVlanId(id);
        return id;
    }

    private static void checkVlanId(int id) {
        if (id < MIN_VLAN_ID || id > MAX_VLAN_ID) {
            throw outOfRange(Integer.toString(id));
        }
    }

    private static IllegalArgumentException outOfRange(String id) {
        return new IllegalArgumentException("VLAN id (" + id + ") must be from 1 to 4095");
    }
}
