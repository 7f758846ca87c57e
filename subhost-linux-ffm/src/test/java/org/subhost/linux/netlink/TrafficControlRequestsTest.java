package org.subhost.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.subhost.linux.netlink.Bytes.hex;

import org.junit.jupiter.api.Test;

/**
 * Golden bytes of the traffic-control requests, as iproute2's {@code tc} sends them (seen with
 * strace): struct nlmsghdr (16 bytes), struct tcmsg (20), then the attributes.
 */
class TrafficControlRequestsTest {
    @Test
    void clsactIsAQdiscWithHandleFfffAndParentClsact() {
        assertThat(TrafficControlRequests.clsact("shtv0", 7).encode(1)).isEqualTo(hex("""
                30000000 2400 0506 01000000 00000000   # len 48, RTM_NEWQDISC, REQUEST|ACK|EXCL|CREATE, seq 1
                00 00 0000 07000000                    # tcmsg: AF_UNSPEC, ifindex 7
                0000ffff f1ffffff 00000000             #   handle ffff:0, parent TC_H_CLSACT, info 0
                0b00 0100 636c736163740000             # TCA_KIND "clsact\\0" + 1 padding
                """));
    }

    @Test
    void anIngressFilterCarriesTheClassicProgramWithDirectAction() {
        ClassicBpf program = ClassicBpf.builder().ret(-1).build();
        Request request = TrafficControlRequests.ingressBpf("shtv0", 7, 1, program);
        assertThat(request.encode(2)).isEqualTo(hex("""
                4c000000 2c00 0506 02000000 00000000   # len 76, RTM_NEWTFILTER, create exclusively
                00 00 0000 07000000                    # tcmsg: ifindex 7
                00000000 f2ffffff 00030100             #   handle 0, parent ffff:fff2 (ingress), prio 1 protocol all
                0800 0100 62706600                     # TCA_KIND "bpf\\0"
                2000 0200                              # TCA_OPTIONS, len 32
                  0600 0400 0100 0000                  #   TCA_BPF_OPS_LEN 1 + padding
                  0c00 0500 0600 00 00 ffffffff        #   TCA_BPF_OPS: ret #-1
                  0800 0800 01000000                   #   TCA_BPF_FLAGS: TCA_BPF_FLAG_ACT_DIRECT
                """));
        assertThat(request.toString()).isEqualTo("RTM_NEWTFILTER(dev shtv0 ingress prio 1 protocol all bpf da (1 instructions))");
    }

    @Test
    void labelsResolveToForwardOffsetsAndABackwardJumpIsRefused() {
        ClassicBpf program = ClassicBpf.builder().loadHalf(12).jumpIf(0x86dd, "drop", "pass")
                .label("drop").ret(2).label("pass").ret(-1).build();
        assertThat(program.instructions()).containsExactly(new ClassicBpf.Instruction(0x28, 0, 0, 12),
                new ClassicBpf.Instruction(0x15, 0, 1, 0x86dd), new ClassicBpf.Instruction(0x06, 0, 0, 2),
                new ClassicBpf.Instruction(0x06, 0, 0, -1));
        assertThatThrownBy(() -> ClassicBpf.builder().label("back").ret(0).jump("back").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("label back is -2 instructions from its jump; a jump goes 0 to 2147483647 forward");
        assertThatThrownBy(() -> ClassicBpf.builder().jump("nowhere").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessage("label nowhere is missing");
    }
}
