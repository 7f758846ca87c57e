package org.subhost.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.subhost.linux.netlink.Bytes.hex;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/**
 * Golden bytes of the address requests: struct nlmsghdr (16 bytes), struct ifaddrmsg
 * (family, prefix length, flags, scope, index: 8 bytes), IFA_LOCAL and IFA_ADDRESS.
 */
class AddressRequestsTest {

    @Test
    void addIpv4SetsLocalAndAddress() throws Exception {
        Request request = AddressRequests.add("shtv0", 4, InetAddress.getByName("10.0.0.1"), 24);

        assertThat(request.encode(5)).isEqualTo(hex("""
                28000000 1400 0506 05000000 00000000   # len 40, RTM_NEWADDR, REQUEST|ACK|EXCL|CREATE
                02 18 00 00 04000000                   # AF_INET, /24, flags 0, scope universe, index 4
                0800 0200 0a000001                     # IFA_LOCAL 10.0.0.1
                0800 0100 0a000001                     # IFA_ADDRESS 10.0.0.1
                """));
        assertThat(request.toString()).isEqualTo("RTM_NEWADDR(10.0.0.1/24 dev shtv0)");
    }

    @Test
    void addIpv6SetsLocalAndAddress() throws Exception {
        Request request = AddressRequests.add("shtv0", 4, InetAddress.getByName("fd00::1"), 64);

        assertThat(request.encode(6)).isEqualTo(hex("""
                40000000 1400 0506 06000000 00000000   # len 64
                0a 40 00 00 04000000                   # AF_INET6, /64
                1400 0200 fd000000000000000000000000000001
                1400 0100 fd000000000000000000000000000001
                """));
        assertThat(request.arguments()).isEqualTo("fd00:0:0:0:0:0:0:1/64 dev shtv0");
    }

    @Test
    void addLoopbackIpv4GetsHostScopeAsIproute2Gives() throws Exception {
        byte[] message = AddressRequests.add("lo", 1, InetAddress.getByName("127.0.0.2"), 8).encode(1);

        assertThat(message[16 + 3]).isEqualTo((byte) 254);
    }

    @Test
    void removeIsDeladdrWithoutCreateFlags() throws Exception {
        assertThat(AddressRequests.remove("shtv0", 4, InetAddress.getByName("10.0.0.1"), 24).encode(7))
                .isEqualTo(hex("""
                        28000000 1500 0500 07000000 00000000   # RTM_DELADDR, REQUEST|ACK
                        02 18 00 00 04000000
                        0800 0200 0a000001
                        0800 0100 0a000001
                        """));
    }

    @Test
    void dumpAsksForBothFamiliesOfOneInterface() {
        assertThat(AddressRequests.dump("shtv0", 4).encode(8)).isEqualTo(hex("""
                18000000 1600 0103 08000000 00000000   # len 24, RTM_GETADDR, REQUEST|DUMP
                00 00 00 00 04000000                   # AF_UNSPEC, ifa_index 4
                """));
    }
}
