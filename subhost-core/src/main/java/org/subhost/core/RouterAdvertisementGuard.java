package org.subhost.core;

import org.subhost.linux.netlink.ClassicBpf;

/**
 * RA guard (RFC 6105) on the host end of a bridged cable: the IPv6 router advertisements that
 * the subhost sends are dropped as they enter the host end, before the bridge sees them.
 *
 * <p>Why not {@code accept_ra=0}: a bridge port does no IPv6 of its own; what arrives there
 * goes to the bridge, whose own IPv6 settings decide, and those belong to the host's
 * administrator (the bridge may well take the LAN router's advertisements). So nothing of
 * the bridge is changed; the subhost's advertisements never reach it.
 *
 * <p>The program (classic BPF, direct action on the host end's ingress): an IPv6 frame, also
 * behind one more VLAN tag (the first is out of the frame already), whose chain of
 * extension headers (hop-by-hop, routing, destination options, a first fragment; at most
 * {@link #HEADERS} of them) ends in ICMPv6 type 134 is dropped; so is a chain longer than
 * that, which no service needs. Everything else passes, unchanged.
 */
final class RouterAdvertisementGuard {
    /** The filter's priority on the host end: first. */
    static final int PRIORITY = 1;
    /** How many extension headers are walked before the frame is dropped as too odd. */
    static final int HEADERS = 6;

    static final int ICMPV6 = 58;
    static final int ROUTER_ADVERTISEMENT = 134;
    static final int TC_ACT_SHOT = 2;
    static final int TC_ACT_UNSPEC = -1;

    private static final ClassicBpf PROGRAM = build();

    private RouterAdvertisementGuard() {}

    /** {@return the program} */
    static ClassicBpf program() {
        return PROGRAM;
    }

    private static ClassicBpf build() {
        ClassicBpf.Builder b = ClassicBpf.builder()
                .loadHalf(12)
                .jumpIf(0x86dd, "ipv6-at-14", null)
                .jumpIf(0x8100, "tagged", null)
                .jumpIf(0x88a8, "tagged", "pass")
                .label("tagged").loadHalf(16)
                .jumpIf(0x86dd, null, "pass")
                .loadX(18)
                .jump("ipv6")
                .label("ipv6-at-14").loadX(14)
                // M[0]: the next header's type; X: where it starts.
                .label("ipv6").loadByteAtX(6).store(0)
                .fromX().add(40).toX();
        for (int i = 0; i < HEADERS; i++) {
            String ext = "ext-" + i;
            String fragment = "fragment-" + i;
            String next = "header-" + (i + 1);
            b.label("header-" + i).loadScratch(0)
                    .jumpIf(ICMPV6, "icmpv6", null)
                    .jumpIf(0, ext, null)  // hop-by-hop options
                    .jumpIf(43, ext, null) // routing
                    .jumpIf(60, ext, null) // destination options
                    .jumpIf(44, fragment, "pass")
                    // (length + 1) * 8 bytes, the length in 8-byte units after the first 8
                    .label(ext).loadByteAtX(0).store(0)
                    .loadByteAtX(1).add(1).shiftLeft(3).addX().toX()
                    .jump(next)
                    // only a first fragment has the upper header; 8 bytes
                    .label(fragment).loadHalfAtX(2).and(0xfff8)
                    .jumpIf(0, null, "pass")
                    .loadByteAtX(0).store(0)
                    .fromX().add(8).toX()
                    .jump(next);
        }
        return b.label("header-" + HEADERS).loadScratch(0)
                .jumpIf(ICMPV6, "icmpv6", null)
                .jumpIf(0, "drop", null)
                .jumpIf(43, "drop", null)
                .jumpIf(60, "drop", null)
                .jumpIf(44, "drop", "pass")
                .label("icmpv6").loadByteAtX(0)
                .jumpIf(ROUTER_ADVERTISEMENT, "drop", "pass")
                .label("drop").ret(TC_ACT_SHOT)
                .label("pass").ret(TC_ACT_UNSPEC)
                .build();
    }
}
