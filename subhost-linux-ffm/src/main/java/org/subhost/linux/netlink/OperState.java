package org.subhost.linux.netlink;

/**
 * The operational state of a link (RFC 2863), as in IFLA_OPERSTATE and
 * {@code /sys/class/net/NAME/operstate}: whether it can carry packets, unlike the
 * administrative flag IFF_UP that {@link RtNetlink#setUp} sets.
 *
 * <p>A veth end that is up has no carrier until its peer is up too, and reports
 * {@link #LOWER_LAYER_DOWN} while the peer is in the same namespace, {@link #DOWN} while it
 * is in another one (the kernel finds the lower link by index in the link's own namespace
 * only); {@code lo} reports {@link #UNKNOWN} when up. The kernel updates the state a moment
 * after the event that changes it (its linkwatch work), so read it again rather than once.
 */
public enum OperState {
    /** IF_OPER_UNKNOWN (0): the driver does not track the state. */
    UNKNOWN,
    /** IF_OPER_NOTPRESENT (1). */
    NOT_PRESENT,
    /** IF_OPER_DOWN (2). */
    DOWN,
    /** IF_OPER_LOWERLAYERDOWN (3): down because a link below it (a veth peer, a VLAN's parent) is down. */
    LOWER_LAYER_DOWN,
    /** IF_OPER_TESTING (4). */
    TESTING,
    /** IF_OPER_DORMANT (5). */
    DORMANT,
    /** IF_OPER_UP (6): can carry packets. */
    UP;

    /**
     * The state with the kernel's number {@code value}.
     *
     * @throws NetlinkDecodingException when the number is not one of IF_OPER_*
     */
    static OperState of(int value) throws NetlinkDecodingException {
        OperState[] all = values();
        if (value < 0 || value >= all.length) {
            throw new NetlinkDecodingException("IFLA_OPERSTATE (" + value + ") must be between 0 and "
                    + (all.length - 1));
        }
        return all[value];
    }
}
