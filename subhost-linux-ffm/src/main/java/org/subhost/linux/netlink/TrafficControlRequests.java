package org.subhost.linux.netlink;

import static org.subhost.linux.netlink.RtnlConstants.AF_UNSPEC;
import static org.subhost.linux.netlink.RtnlConstants.NLM_F_ACK;
import static org.subhost.linux.netlink.RtnlConstants.NLM_F_CREATE;
import static org.subhost.linux.netlink.RtnlConstants.NLM_F_EXCL;
import static org.subhost.linux.netlink.RtnlConstants.NLM_F_REQUEST;

/**
 * The traffic-control requests that {@link RtNetlink} sends (linux/rtnetlink.h, linux/pkt_sched.h,
 * linux/pkt_cls.h), built without a socket so that their bytes can be checked without root.
 * A link is named by its index here: {@code struct tcmsg} has no name.
 */
final class TrafficControlRequests {
    static final int RTM_NEWQDISC = 36;
    static final int RTM_NEWTFILTER = 44;
    // struct tcmsg { u8 family; u8 pad1; u16 pad2; s32 ifindex; u32 handle; u32 parent; u32 info; }
    static final int TCMSG_LEN = 20;
    static final int TCA_KIND = 1;
    static final int TCA_OPTIONS = 2;
    /** TC_H_CLSACT, the same number as TC_H_INGRESS. */
    static final int TC_H_CLSACT = 0xFFFFFFF1;
    static final int TC_H_MIN_INGRESS = 0xFFF2;
    static final int TCA_BPF_OPS_LEN = 4;
    static final int TCA_BPF_OPS = 5;
    static final int TCA_BPF_FLAGS = 8;
    static final int TCA_BPF_FLAG_ACT_DIRECT = 1;
    /** ETH_P_ALL, in the network byte order that tcm_info's low half carries. */
    static final int ETH_P_ALL_NETWORK = Short.toUnsignedInt(Short.reverseBytes((short) 0x0003));

    private static final int CREATE = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;

    private TrafficControlRequests() {}

    private static MessageBuilder tcmsg(int index, int handle, int parent, int info) {
        return new MessageBuilder().tcmsg(AF_UNSPEC, index, handle, parent, info);
    }

    /** {@code tc qdisc add dev NAME clsact}: RTM_NEWQDISC, handle ffff:0, parent TC_H_CLSACT, kind clsact. */
    static Request clsact(String name, int index) {
        byte[] body = tcmsg(index, 0xFFFF0000, TC_H_CLSACT, 0).string(TCA_KIND, "clsact").build();
        return new Request("RTM_NEWQDISC", "dev " + name + " clsact", RTM_NEWQDISC, CREATE, body);
    }

    /**
     * {@code tc filter add dev NAME ingress prio PRIO protocol all bpf da bytecode ...}:
     * RTM_NEWTFILTER on the clsact's ingress (parent ffff:fff2), kind bpf, with the classic
     * program in TCA_BPF_OPS and direct action (its return value is the verdict).
     */
    static Request ingressBpf(String name, int index, int priority, ClassicBpf program) {
        byte[] body = tcmsg(index, 0, TC_H_CLSACT & 0xFFFF0000 | TC_H_MIN_INGRESS, priority << 16 | ETH_P_ALL_NETWORK)
                .string(TCA_KIND, "bpf")
                .begin(TCA_OPTIONS)
                .u16(TCA_BPF_OPS_LEN, program.instructions().size())
                .attribute(TCA_BPF_OPS, program.bytes())
                .u32(TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT)
                .end()
                .build();
        return new Request("RTM_NEWTFILTER", "dev " + name + " ingress prio " + priority + " protocol all bpf da ("
                + program.instructions().size() + " instructions)", RTM_NEWTFILTER, CREATE, body);
    }
}
