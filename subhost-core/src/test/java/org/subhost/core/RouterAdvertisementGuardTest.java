package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import org.junit.jupiter.api.Test;
import org.subhost.linux.netlink.ClassicBpf;

/**
 * The RA guard's program, run on frames by a small classic BPF interpreter (the kernel's
 * semantics: a load past the frame's end ends the program with 0): a router advertisement
 * is dropped however it is wrapped, everything else passes.
 */
class RouterAdvertisementGuardTest {
    private static final int DROP = RouterAdvertisementGuard.TC_ACT_SHOT;
    private static final int PASS = RouterAdvertisementGuard.TC_ACT_UNSPEC;

    @Test
    void aPlainRouterAdvertisementIsDropped() {
        assertThat(run(ethernet(0x86dd, ipv6(58, icmpv6(134))))).isEqualTo(DROP);
    }

    @Test
    void otherIcmpv6AndOtherTrafficPass() {
        assertThat(run(ethernet(0x86dd, ipv6(58, icmpv6(135))))).as("neighbour solicitation").isEqualTo(PASS);
        assertThat(run(ethernet(0x86dd, ipv6(58, icmpv6(128))))).as("echo request").isEqualTo(PASS);
        assertThat(run(ethernet(0x86dd, ipv6(17, bytes(0, 53, 0, 53, 0, 8, 0, 0))))).as("udp").isEqualTo(PASS);
        assertThat(run(ethernet(0x0800, new byte[40]))).as("ipv4").isEqualTo(PASS);
        assertThat(run(ethernet(0x0806, new byte[28]))).as("arp").isEqualTo(PASS);
    }

    @Test
    void aRouterAdvertisementBehindExtensionHeadersOrATagIsDropped() {
        // hop-by-hop (8 bytes), then destination options (16 bytes), then ICMPv6
        byte[] chain = concat(bytes(60, 0, 1, 4, 0, 0, 0, 0), bytes(58, 1, 1, 12), new byte[12], icmpv6(134));
        assertThat(run(ethernet(0x86dd, ipv6(0, chain)))).isEqualTo(DROP);
        byte[] fragment = concat(bytes(58, 0, 0, 0, 0, 0, 0, 1), icmpv6(134)); // a first fragment
        assertThat(run(ethernet(0x86dd, ipv6(44, fragment)))).isEqualTo(DROP);
        assertThat(run(tagged(0x8100, 0x86dd, ipv6(58, icmpv6(134))))).as("802.1Q").isEqualTo(DROP);
        assertThat(run(tagged(0x88a8, 0x86dd, ipv6(58, icmpv6(134))))).as("802.1ad").isEqualTo(DROP);
    }

    @Test
    void aLaterFragmentPassesAndAnEndlessChainIsDropped() {
        byte[] later = concat(bytes(58, 0, 0, 0x10, 0, 0, 0, 1), bytes(134, 0, 0, 0)); // offset 2 (16 bytes)
        assertThat(run(ethernet(0x86dd, ipv6(44, later)))).isEqualTo(PASS);
        byte[] chain = new byte[0];
        for (int i = 0; i < RouterAdvertisementGuard.HEADERS + 1; i++) {
            chain = concat(chain, bytes(i == RouterAdvertisementGuard.HEADERS ? 58 : 60, 0, 1, 4, 0, 0, 0, 0));
        }
        assertThat(run(ethernet(0x86dd, ipv6(60, concat(chain, icmpv6(128)))))).isEqualTo(DROP);
        assertThat(run(ethernet(0x86dd, ipv6(0, bytes(58, 0, 1, 4))))).as("cut short: passes as the kernel would")
                .isEqualTo(0);
    }

    // ---- frames ----

    private static byte[] ethernet(int type, byte[] payload) {
        return concat(new byte[12], bytes(type >> 8, type), payload);
    }

    private static byte[] tagged(int tpid, int type, byte[] payload) {
        return concat(new byte[12], bytes(tpid >> 8, tpid, 0, 5, type >> 8, type), payload);
    }

    private static byte[] ipv6(int next, byte[] payload) {
        byte[] header = new byte[40];
        header[0] = 0x60;
        header[4] = (byte) (payload.length >> 8);
        header[5] = (byte) payload.length;
        header[6] = (byte) next;
        header[7] = (byte) 255;
        return concat(header, payload);
    }

    private static byte[] icmpv6(int type) {
        return concat(bytes(type, 0, 0, 0), new byte[12]);
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    // ---- a classic BPF interpreter: the instructions the program uses ----

    private static int run(byte[] frame) {
        ClassicBpf program = RouterAdvertisementGuard.program();
        int a = 0;
        int x = 0;
        int[] m = new int[16];
        int pc = 0;
        while (true) {
            ClassicBpf.Instruction i = program.instructions().get(pc++);
            int k = i.k();
            switch (i.code()) {
                case 0x28 -> { // ld h abs
                    if (k + 2 > frame.length) {
                        return 0;
                    }
                    a = (frame[k] & 0xff) << 8 | frame[k + 1] & 0xff;
                }
                case 0x48 -> { // ld h ind
                    if (x + k + 2 > frame.length) {
                        return 0;
                    }
                    a = (frame[x + k] & 0xff) << 8 | frame[x + k + 1] & 0xff;
                }
                case 0x50 -> { // ld b ind
                    if (x + k + 1 > frame.length) {
                        return 0;
                    }
                    a = frame[x + k] & 0xff;
                }
                case 0x01 -> x = k; // ldx imm
                case 0x60 -> a = m[k]; // ld mem
                case 0x02 -> m[k] = a; // st
                case 0x04 -> a += k; // add k
                case 0x0c -> a += x; // add x
                case 0x54 -> a &= k; // and k
                case 0x64 -> a <<= k; // lsh k
                case 0x07 -> x = a; // tax
                case 0x87 -> a = x; // txa
                case 0x05 -> pc += k; // ja
                case 0x15 -> pc += a == k ? i.jt() : i.jf(); // jeq k
                case 0x06 -> { // ret k
                    return k;
                }
                default -> throw new AssertionError("instruction " + Integer.toHexString(i.code()) + " at " + (pc - 1));
            }
        }
    }
}
