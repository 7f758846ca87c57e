package org.subhost.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.linux.Errno;
import org.subhost.linux.Fds;
import org.subhost.linux.NamespaceRequest;
import org.subhost.linux.NamespaceThread;
import org.subhost.linux.SyscallException;
import org.subhost.testing.KernelFeature;

/**
 * Links and addresses on the real kernel. Each test makes two fresh network namespaces: one
 * plays the host (its socket does what the host side does), the other the subhost. Results
 * are checked with {@code ip -j} and the namespace's own sysfs ({@code ip netns exec}); the
 * host's own namespace is never touched.
 */
class RtNetlinkKernelTest {
    private static final byte[] MAC = {0x06, 0x20, 0x03, 0x4e, (byte) 0xa6, (byte) 0xf2};

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private String hostNs;
    private String subNs;
    private RtNetlink host;
    private RtNetlink sub;
    private int subFd = -1;

    @BeforeEach
    void twoNamespaces() throws Exception {
        Kernel.requireRoot();
        hostNs = Kernel.uniqueName();
        subNs = Kernel.uniqueName();
        NamedNetns.create(hostNs);
        NamedNetns.create(subNs);
        host = RtNetlink.openIn(NamedNetns.path(hostNs));
        sub = RtNetlink.openIn(NamedNetns.path(subNs));
        subFd = NamedNetns.open(subNs);
    }

    @AfterEach
    void removeNamespaces() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        if (host != null) {
            host.close();
        }
        if (sub != null) {
            sub.close();
        }
        if (subFd >= 0) {
            Fds.close(subFd);
        }
        for (String name : new String[] {hostNs, subNs}) {
            if (name != null && NamedNetns.exists(name)) {
                NamedNetns.delete(name);
            }
        }
        List<String> left = Kernel.ipNetnsList();
        assertThat(left).doesNotContain(hostNs, subNs);
    }

    private String ipLink(String netns, String name) throws Exception {
        return Kernel.ok("ip", "-n", netns, "-d", "-j", "link", "show", "dev", name);
    }

    @Test
    void vethPeerIsCreatedInTheOtherNamespaceWithItsMac() throws Exception {
        String cable = Kernel.uniqueName();

        host.addVeth(cable, "eth0", OptionalInt.of(subFd), Optional.of(MAC));

        String peer = ipLink(subNs, "eth0");
        assertThat(peer).contains("\"address\":\"06:20:03:4e:a6:f2\"").contains("\"info_kind\":\"veth\"");
        assertThat(ipLink(hostNs, cable)).contains("\"info_kind\":\"veth\"");
        assertThat(Kernel.sysClassNet(hostNs)).containsExactlyInAnyOrder("lo", cable);
        assertThat(Kernel.sysClassNet(subNs)).containsExactlyInAnyOrder("lo", "eth0");

        Link hostEnd = host.link(cable).orElseThrow();
        Link subEnd = sub.link("eth0").orElseThrow();
        assertThat(hostEnd).isInstanceOf(Veth.class);
        assertThat(((Veth) hostEnd).peerIndex()).hasValue(subEnd.index());
        assertThat(((Veth) subEnd).peerIndex()).hasValue(hostEnd.index());
        assertThat(subEnd.mac()).isEqualTo(new HardwareAddress(MAC));
        assertThat(subEnd.up()).isFalse();
        assertThat(host.link("eth0")).isEmpty();
        assertThat(sub.link(subEnd.index())).contains(subEnd);
    }

    @Test
    void vethWithoutPeerNamespaceHasBothEndsHereAndARandomMac() throws Exception {
        String a = Kernel.uniqueName();
        String b = Kernel.uniqueName();

        host.addVeth(a, b, OptionalInt.empty(), Optional.empty());

        assertThat(Kernel.sysClassNet(hostNs)).containsExactlyInAnyOrder("lo", a, b);
        Link end = host.link(b).orElseThrow();
        assertThat(end.mac().length()).isEqualTo(6);
        assertThat(Kernel.ok("ip", "netns", "exec", hostNs, "cat", "/sys/class/net/" + b + "/address").trim())
                .isEqualTo(end.mac().toString());
    }

    @Test
    void linksListsWhatIpLists() throws Exception {
        host.addVeth(Kernel.uniqueName(), "eth0", OptionalInt.of(subFd), Optional.empty());
        host.addBridge(Kernel.uniqueName());

        List<String> ours = host.links().stream().map(Link::name).toList();
        List<String> ip = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"ifname\":\"([^\"]+)\"")
                .matcher(Kernel.ok("ip", "-n", hostNs, "-j", "link"));
        while (m.find()) {
            ip.add(m.group(1));
        }
        assertThat(ours).isEqualTo(ip).hasSize(3);
        assertThat(host.links()).extracting(Link::kind).containsExactly("", "veth", "bridge");
        assertThat(sub.links()).extracting(Link::name).containsExactly("lo", "eth0");
    }

    @Test
    void portJoinsAndLeavesABridge() throws Exception {
        String bridge = Kernel.uniqueName();
        String cable = Kernel.uniqueName();
        host.addBridge(bridge);
        host.addVeth(cable, "eth0", OptionalInt.of(subFd), Optional.empty());

        host.setMaster(cable, bridge);

        assertThat(ipLink(hostNs, cable)).contains("\"master\":\"" + bridge + "\"");
        Link bridgeLink = host.link(bridge).orElseThrow();
        assertThat(bridgeLink).isInstanceOf(Bridge.class);
        assertThat(host.link(cable).orElseThrow().masterIndex()).hasValue(bridgeLink.index());
        assertThat(Kernel.ok("ip", "netns", "exec", hostNs, "ls", "/sys/class/net/" + bridge + "/brif").trim())
                .isEqualTo(cable);

        host.noMaster(cable);

        assertThat(ipLink(hostNs, cable)).doesNotContain("\"master\"");
        assertThat(host.link(cable).orElseThrow().masterIndex()).isEmpty();
    }

    @Test
    void upAndDownSetTheFlagAndTheOperationalStateFollows() throws Exception {
        String cable = Kernel.uniqueName();
        host.addVeth(cable, "eth0", OptionalInt.of(subFd), Optional.empty());

        host.setUp(cable);

        // Up, but without carrier while the peer is down; DOWN rather than LOWERLAYERDOWN
        // because the peer is in another namespace.
        assertThat(host.link(cable).orElseThrow().up()).isTrue();
        assertThat(host.link(cable).orElseThrow().operState()).isEqualTo(OperState.DOWN);
        assertThat(ipLink(hostNs, cable)).contains("\"NO-CARRIER\",\"BROADCAST\",\"MULTICAST\",\"UP\"")
                .contains("\"operstate\":\"DOWN\"");

        sub.setUp("eth0");

        // The kernel updates operstate through its linkwatch work, a moment after the flag.
        Kernel.await("operstate up", () -> operState(host, cable) == OperState.UP);
        assertThat(Kernel.ok("ip", "netns", "exec", hostNs, "cat", "/sys/class/net/" + cable + "/operstate").trim())
                .isEqualTo("up");
        assertThat(host.link(cable).orElseThrow().up()).isTrue();

        host.setDown(cable);

        assertThat(host.link(cable).orElseThrow().up()).isFalse();
        assertThat(ipLink(hostNs, cable)).doesNotContain("\"UP\"");
        Kernel.await("peer down", () -> operState(sub, "eth0") == OperState.DOWN);
        assertThat(sub.link("eth0").orElseThrow().up()).isTrue();
    }

    private static OperState operState(RtNetlink socket, String name) {
        try {
            return socket.link(name).orElseThrow().operState();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void deletingOneEndRemovesBothEnds() throws Exception {
        String cable = Kernel.uniqueName();
        host.addVeth(cable, "eth0", OptionalInt.of(subFd), Optional.empty());

        host.delete(cable);

        assertThat(Kernel.sysClassNet(hostNs)).containsExactly("lo");
        assertThat(Kernel.sysClassNet(subNs)).containsExactly("lo");
        assertThat(host.link(cable)).isEmpty();
        assertThat(sub.link("eth0")).isEmpty();
    }

    @Test
    void vlanCarriesItsIdOnTheParentWhereTheKernelHasVlans() throws Exception {
        String cable = Kernel.uniqueName();
        String vlan = cable + ".302";
        host.addVeth(cable, "eth0", OptionalInt.of(subFd), Optional.empty());
        // Whether this kernel has 802.1Q (CONFIG_VLAN_8021Q), asked of iproute2 in a namespace of its own.
        Kernel.Result probe = Kernel.run("ip", "-n", hostNs, "link", "add", "link", cable, "name", "shtprobe",
                "type", "vlan", "id", "9");
        if (probe.exitCode() == 0) {
            Kernel.ok("ip", "-n", hostNs, "link", "delete", "shtprobe");

            host.addVlan(vlan, cable, 302);

            assertThat(ipLink(hostNs, vlan)).contains("\"protocol\":\"802.1Q\",\"id\":302")
                    .contains("\"link\":\"" + cable + "\"");
            Vlan link = (Vlan) host.link(vlan).orElseThrow();
            assertThat(link.vlanId()).isEqualTo(302);
            assertThat(link.parentIndex()).isEqualTo(host.link(cable).orElseThrow().index());
        } else {
            assertThat(probe.output()).contains("Unknown device type");
            assertThatThrownBy(() -> host.addVlan(vlan, cable, 302))
                    .isInstanceOf(NetlinkException.class)
                    .hasMessage("RTM_NEWLINK(link " + cable + " name " + vlan + " type vlan id 302): EOPNOTSUPP"
                            + " (Operation not supported): Unknown device type");
            assertThat(Kernel.sysClassNet(hostNs)).containsExactlyInAnyOrder("lo", cable);
            // The refusal is checked; the VLAN itself is not, and the run lists this by name.
            KernelFeature.VLAN_8021Q.assumePresent(false, "ip link add ... type vlan: " + probe.output().strip());
        }
    }

    @Test
    void vlanOnAMissingParentFailsAtTheParentsLookup() {
        assertThatThrownBy(() -> host.addVlan("shtnone.5", "shtnone", 5))
                .isInstanceOf(NetlinkException.class)
                .hasMessage("RTM_GETLINK(dev shtnone): ENODEV (No such device)");
    }

    @Test
    void addressesOnBothEndsCarryARealTcpConnection() throws Exception {
        String cable = Kernel.uniqueName();
        InetAddress hostAddress = InetAddress.getByName("10.200.7.1");
        InetAddress subAddress = InetAddress.getByName("10.200.7.2");
        host.addVeth(cable, "eth0", OptionalInt.of(subFd), Optional.of(MAC));
        host.addAddress(cable, hostAddress, 24);
        sub.addAddress("eth0", subAddress, 24);
        host.setUp(cable);
        sub.setUp("eth0");

        assertThat(Kernel.ok("ip", "-n", hostNs, "-j", "addr", "show", "dev", cable))
                .contains("\"local\":\"10.200.7.1\",\"prefixlen\":24");
        assertThat(Kernel.ok("ip", "-n", subNs, "-j", "addr", "show", "dev", "eth0"))
                .contains("\"local\":\"10.200.7.2\",\"prefixlen\":24");
        assertThat(host.addresses(cable)).contains(new Address(host.link(cable).orElseThrow().index(), hostAddress, 24));
        Kernel.await("both ends up", () -> operState(host, cable) == OperState.UP);

        ServerSocket server = NamespaceThread.run("test server",
                NamespaceRequest.builder().enterNetns(NamedNetns.path(subNs)).build(), () -> {
                    ServerSocket s = new ServerSocket();
                    s.bind(new InetSocketAddress(subAddress, 0));
                    return s;
                });
        toClose.add(server);
        CompletableFuture<String> served = CompletableFuture.supplyAsync(() -> {
            try (Socket peer = server.accept()) {
                BufferedReader in = new BufferedReader(new InputStreamReader(peer.getInputStream(), StandardCharsets.UTF_8));
                String line = in.readLine();
                new PrintWriter(peer.getOutputStream(), true, StandardCharsets.UTF_8).println("pong " + line);
                return peer.getInetAddress().getHostAddress();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, r -> Thread.ofPlatform().name("test accept").start(r));

        Socket client = NamespaceThread.run("test client",
                NamespaceRequest.builder().enterNetns(NamedNetns.path(hostNs)).build(), () -> {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress(subAddress, server.getLocalPort()), 10_000);
                    return s;
                });
        try (client) {
            new PrintWriter(client.getOutputStream(), true, StandardCharsets.UTF_8).println("ping");
            String reply = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8))
                    .readLine();
            assertThat(reply).isEqualTo("pong ping");
        }
        assertThat(served.get(30, TimeUnit.SECONDS)).isEqualTo("10.200.7.1");
    }

    @Test
    void ipv6AddressIsAddedListedAndRemoved() throws Exception {
        String cable = Kernel.uniqueName();
        InetAddress address = InetAddress.getByName("fd00:5ab::1");
        host.addVeth(cable, "eth0", OptionalInt.of(subFd), Optional.empty());

        host.addAddress(cable, address, 64);

        assertThat(Kernel.ok("ip", "-n", hostNs, "-j", "addr", "show", "dev", cable))
                .contains("\"local\":\"fd00:5ab::1\",\"prefixlen\":64");
        int index = host.link(cable).orElseThrow().index();
        // The link is down, so the kernel has given it no link-local address yet.
        assertThat(host.addresses(cable)).containsExactly(new Address(index, address, 64));

        host.removeAddress(cable, address, 64);

        assertThat(Kernel.ok("ip", "-n", hostNs, "-j", "addr", "show", "dev", cable)).doesNotContain("fd00:5ab::1");
        assertThat(host.addresses(cable)).isEmpty();
    }

    @Test
    void addressesOfLoopbackAreItsOwnOnly() throws Exception {
        String cable = Kernel.uniqueName();
        host.addVeth(cable, "eth0", OptionalInt.of(subFd), Optional.empty());
        host.addAddress(cable, InetAddress.getByName("10.200.8.1"), 24);

        assertThat(host.addresses("lo")).extracting(Address::toString)
                .containsExactly("127.0.0.1/8", "0:0:0:0:0:0:0:1/128");
    }

    @Test
    void removingAnAddressThatIsNotThereIsRefused() throws Exception {
        String cable = Kernel.uniqueName();
        host.addVeth(cable, "eth0", OptionalInt.of(subFd), Optional.empty());

        assertThatThrownBy(() -> host.removeAddress(cable, InetAddress.getByName("10.200.9.1"), 24))
                .isInstanceOf(NetlinkException.class)
                .hasMessageStartingWith("RTM_DELADDR(10.200.9.1/24 dev " + cable + "): EADDRNOTAVAIL");
    }

    @Test
    void bridgeAsPortOfABridgeIsRefusedWithTheKernelsReason() throws Exception {
        String outer = Kernel.uniqueName();
        String inner = Kernel.uniqueName();
        host.addBridge(outer);
        host.addBridge(inner);

        assertThatThrownBy(() -> host.setMaster(inner, outer))
                .isInstanceOf(NetlinkException.class)
                .hasMessage("RTM_SETLINK(dev " + inner + " master " + outer + "): ELOOP (Too many levels of symbolic"
                        + " links): Can not enslave a bridge to a bridge")
                .satisfies(e -> {
                    NetlinkException n = (NetlinkException) e;
                    assertThat(n.errno()).isEqualTo(40);
                    assertThat(n.kernelMessage()).contains("Can not enslave a bridge to a bridge");
                });
    }

    @Test
    void overLongNameSentAnywayIsRefusedWithThePolicyMessage() throws Exception {
        // The public methods refuse such a name themselves; this sends it to see the kernel's extended ack.
        Request request = new Request("RTM_NEWLINK", "0123456789abcdefg type veth",
                RtnlConstants.RTM_NEWLINK, 0x605, new MessageBuilder()
                        .ifinfomsg(0, 0, 0, 0, 0)
                        .string(RtnlConstants.IFLA_IFNAME, "0123456789abcdefg")
                        .begin(RtnlConstants.IFLA_LINKINFO).unterminated(RtnlConstants.IFLA_INFO_KIND, "veth").end()
                        .build());

        assertThatThrownBy(() -> host.exchange(request))
                .isInstanceOf(NetlinkException.class)
                .hasMessage("RTM_NEWLINK(0123456789abcdefg type veth): ERANGE (Numerical result out of range):"
                        + " Attribute failed policy validation");
        assertThatThrownBy(() -> host.addVeth("0123456789abcdefg", "x", OptionalInt.empty(), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("interface name (0123456789abcdefg) must be at most 15 bytes");
    }

    @Test
    void takenNameIsRefusedWithEexist() throws Exception {
        String cable = Kernel.uniqueName();
        host.addBridge(cable);

        assertThatThrownBy(() -> host.addVeth(cable, "eth0", OptionalInt.empty(), Optional.empty()))
                .isInstanceOf(NetlinkException.class)
                .hasMessageStartingWith("RTM_NEWLINK(" + cable + " type veth peer name eth0): EEXIST (File exists)")
                .satisfies(e -> assertThat(((NetlinkException) e).is(Errno.EEXIST)).isTrue());
        assertThat(Kernel.sysClassNet(hostNs)).containsExactlyInAnyOrder("lo", cable);
    }

    @Test
    void operationsOnAMissingLinkFailWithEnodev() {
        assertThatThrownBy(() -> host.setUp("shtnone"))
                .isInstanceOf(NetlinkException.class)
                .hasMessage("RTM_SETLINK(dev shtnone up): ENODEV (No such device)");
        assertThatThrownBy(() -> host.delete("shtnone"))
                .isInstanceOf(NetlinkException.class)
                .hasMessage("RTM_DELLINK(dev shtnone): ENODEV (No such device)");
        assertThatThrownBy(() -> host.setMaster("shtnone", "lo"))
                .isInstanceOf(NetlinkException.class)
                .hasMessageStartingWith("RTM_SETLINK(dev shtnone master lo): ENODEV (No such device)");
    }

    @Test
    void badMacIsTheCallersMistake() {
        assertThatThrownBy(() -> host.addVeth("shta", "shtb", OptionalInt.empty(), Optional.of(new byte[] {1, 0, 0, 0, 0, 1})))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("peer MAC (01:00:00:00:00:01) must be a unicast address other than 00:00:00:00:00:00");
        assertThatThrownBy(() -> host.addVeth("shta", "shtb", OptionalInt.empty(), Optional.of(new byte[5])))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("peer MAC (00:00:00:00:00) must be 6 bytes");
        assertThatThrownBy(() -> host.addVlan("shta", "lo", 4096))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("VLAN id (4096) must be between 1 and 4095");
    }

    @Test
    void openInAFileThatIsNoNetworkNamespaceFails() {
        assertThatThrownBy(() -> RtNetlink.openIn(java.nio.file.Path.of("/proc/self/ns/mnt")))
                .isInstanceOf(SyscallException.class)
                .hasMessage("setns(/proc/self/ns/mnt, CLONE_NEWNET): EINVAL (Invalid argument)");
    }

    @Test
    void closedSocketRefusesRequests() throws Exception {
        RtNetlink socket = RtNetlink.openIn(subFd);
        socket.close();
        socket.close();

        assertThatThrownBy(() -> socket.links())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageMatching("rtnetlink socket \\(fd \\d+\\) is closed");
    }
}
