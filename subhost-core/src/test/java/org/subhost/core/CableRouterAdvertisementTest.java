package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.subhost.core.KernelFixture.run;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.ExecResult;
import org.subhost.NotRunningException;
import org.subhost.Subhost;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;
import org.subhost.linux.NamespaceRequest;
import org.subhost.linux.NamespaceTask;
import org.subhost.linux.NamespaceThread;
import org.subhost.linux.netlink.NamedNetns;

/**
 * A subhost sends IPv6 router advertisements (a prefix, a default router) to its own
 * cable; the host end lives in a network namespace of the test's own that plays the host,
 * so the real host's routes are never at stake. By default the host end ignores them: the
 * namespace gains no route and no address. With ACCEPT_RA=yes it takes them, which shows
 * that the advertisements sent are ones a host would follow.
 */
class CableRouterAdvertisementTest {
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);
    private static final String PREFIX = "2001:db8:5:1:";

    /**
     * Sent from inside: once eth0 has its link-local address (not tentative), two router
     * advertisements to all nodes on eth0, hop limit 255 as the kernel requires, each with a
     * router lifetime of 1800 s and the autonomous, on-link prefix 2001:db8:5:1::/64.
     */
    private static final String SENDER = """
            import socket, struct, sys, time
            deadline = time.time() + 20
            def ready():
                for line in open("/proc/net/if_inet6"):
                    f = line.split()
                    if f[5] == "eth0" and f[3] == "20" and not int(f[4], 16) & 0x40:
                        return True
                return False
            while not ready():
                if time.time() > deadline:
                    sys.exit("eth0 got no link-local address")
                time.sleep(0.02)
            s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"eth0")
            ra = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 1800, 0, 0)
            prefix = struct.pack("!BBBBIII16s", 3, 4, 64, 0xc0, 86400, 14400, 0,
                                 socket.inet_pton(socket.AF_INET6, "2001:db8:5:1::"))
            for _ in range(2):
                s.sendto(ra + prefix, ("ff02::1", 0, 0, socket.if_nametoindex("eth0")))
            """;

    /**
     * An ICMPv6 echo to the link-local address in argv[1] on eth0, tried each second until a
     * reply (the address may still be in its duplicate address detection); exits 0 on the
     * reply. The kernel fills in the checksum of a raw ICMPv6 socket's messages.
     */
    private static final String ECHO = """
            import socket, struct, sys
            s = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
            s.settimeout(1)
            to = (sys.argv[1], 0, 0, socket.if_nametoindex("eth0"))
            for i in range(20):
                s.sendto(struct.pack("!BBHHH", 128, 0, 0, 7, i), to)
                try:
                    while True:
                        if s.recvfrom(1500)[0][0] == 129:
                            sys.exit(0)
                except socket.timeout:
                    pass
            sys.exit("no echo reply from " + sys.argv[1])
            """;

    private final Subhosts subhosts = Subhosts.linux();
    private String name;
    private Path base;
    private String hostNetns;
    private SubhostConfig config;

    @BeforeEach
    void setUp() throws Exception {
        KernelFixture.requireRoot();
        name = KernelFixture.uniqueName();
        base = KernelFixture.base(name);
        hostNetns = "shtR" + name.substring(3);
        NamedNetns.create(hostNetns);
        Files.createDirectories(base.resolve("root/srv"));
        Files.writeString(base.resolve("root/srv/ra.py"), SENDER);
        Files.writeString(base.resolve("root/srv/echo.py"), ECHO);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (name == null) {
            return;
        }
        try {
            if (config != null) {
                inHostNetns(() -> {
                    try {
                        subhosts.stop(config, Duration.ofSeconds(2));
                    } catch (NotRunningException e) {
                        // stopped by the test
                    }
                    return null;
                });
            }
        } finally {
            NamedNetns.delete(hostNetns);
        }
        KernelFixture.assertNothingLeft(name, base);
        KernelFixture.deleteTree(base);
    }

    private <T> T inHostNetns(NamespaceTask<T, Exception> task) throws Exception {
        return NamespaceThread.run("test host " + hostNetns,
                NamespaceRequest.builder().enterNetns(Path.of("/run/netns", hostNetns)).build(), task);
    }

    private Subhost bootAndAdvertise(SubhostConfig.Builder builder) throws Exception {
        return bootAndAdvertise(builder, "");
    }

    /** Boots with one cable (its host end a port of {@code bridge}, unless empty), then advertises. */
    private Subhost bootAndAdvertise(SubhostConfig.Builder builder, String bridge) throws Exception {
        config = builder.cables(bridge + "=").start("none").log(base.resolve("log")).build();
        Subhost s = inHostNetns(() -> subhosts.boot(config));
        ExecResult r = s.exec(List.of("/bin/sh", "-c", "ip link set eth0 up && python3 /srv/ra.py"), TEN_SECONDS);
        assertThat(r.status()).as("the sender (stderr: %s)", r.stderr()).isZero();
        return s;
    }

    /** How many router advertisements the host end has received, from its own counters. */
    private long advertisementsReceived() throws Exception {
        return inHostNetns(() -> Files.readAllLines(Path.of("/proc/thread-self/net/dev_snmp6", name + "0")).stream()
                .filter(line -> line.startsWith("Icmp6InRouterAdvertisements"))
                .mapToLong(line -> Long.parseLong(line.split("\\s+")[1])).findFirst().orElse(-1));
    }

    private String routes() throws Exception {
        return run("ip", "-n", hostNetns, "-6", "route", "show");
    }

    private String addresses() throws Exception {
        return run("ip", "-n", hostNetns, "-6", "address", "show");
    }

    /** The namespace-wide settings, which the boot must never touch. */
    private List<String> namespaceWideSettings() throws Exception {
        return inHostNetns(() -> {
            Path conf = Path.of("/proc/sys/net/ipv6/conf");
            return List.of(Files.readString(conf.resolve("all/accept_ra")), Files.readString(conf.resolve("all/autoconf")),
                    Files.readString(conf.resolve("default/accept_ra")),
                    Files.readString(conf.resolve("default/autoconf")));
        });
    }

    /**
     * An interface without IPv6 settings (none of that name here: the same ENOENT as a host
     * with IPv6 disabled) is told apart from a refusal, with nothing written; the settings of
     * one that has them are written, and all and default stay as they were.
     */
    @Test
    void aHostEndWithoutIpv6SettingsIsToldApartFromOneWithThem() throws Exception {
        List<String> before = namespaceWideSettings();
        assertThat(inHostNetns(() -> NetnsCable.refuseRouterAdvertisements(name + "9"))).isFalse();
        assertThat(inHostNetns(() -> {
            try (org.subhost.linux.netlink.RtNetlink links = org.subhost.linux.netlink.RtNetlink.open()) {
                links.addVeth(name + "8", name + "7", java.util.OptionalInt.empty(), java.util.Optional.empty());
            }
            Path conf = Path.of("/proc/sys/net/ipv6/conf", name + "8");
            Files.writeString(conf.resolve("accept_ra"), "1\n");
            boolean refused = NetnsCable.refuseRouterAdvertisements(name + "8");
            return List.of(Boolean.toString(refused), Files.readString(conf.resolve("accept_ra")).strip(),
                    Files.readString(conf.resolve("autoconf")).strip());
        })).containsExactly("true", "0", "0");
        assertThat(namespaceWideSettings()).as("all and default, untouched").isEqualTo(before);
    }

    @Test
    void theHostEndIgnoresRouterAdvertisementsFromTheSubhost() throws Exception {
        List<String> before = namespaceWideSettings();
        Subhost s = bootAndAdvertise(SubhostConfig.builder(name, base));

        long deadline = System.nanoTime() + TEN_SECONDS.toNanos();
        while (advertisementsReceived() < 2) {
            assertThat(System.nanoTime()).as("both advertisements received by %s0", name).isLessThan(deadline);
            Thread.sleep(20);
        }
        assertThat(routes()).doesNotContain("default").doesNotContain("2001:db8:5:1");
        assertThat(addresses()).doesNotContain(PREFIX);
        assertThat(inHostNetns(() -> Files.readString(Path.of("/proc/sys/net/ipv6/conf", name + "0", "accept_ra")).strip()))
                .isEqualTo("0");
        assertThat(namespaceWideSettings()).as("all and default, untouched").isEqualTo(before);
        s.stop(TEN_SECONDS);
    }

    /**
     * A cable whose host end is a port of a bridge (made here, in the namespace that plays
     * the host): the bridge, not the port, takes what arrives, and its IPv6 settings are the
     * administrator's ({@code accept_ra} 1, as for a bridge that follows the LAN's router).
     * The subhost's advertisements are dropped as they enter the port, so the bridge gains no
     * route and no address; its settings stay as they were.
     */
    @Test
    void aBridgedCableKeepsTheSubhostsAdvertisementsFromTheBridge() throws Exception {
        String bridge = makeBridge();
        bootAndAdvertise(SubhostConfig.builder(name, base), bridge);

        // Until they are dropped at the port, or (without the guard) the bridge took them.
        long deadline = System.nanoTime() + TEN_SECONDS.toNanos();
        while (!run("tc", "-n", hostNetns, "-s", "qdisc", "show", "dev", name + "0").contains("dropped 2,")
                && !routes().contains("default")) {
            assertThat(System.nanoTime()).as("both advertisements dropped at %s0: %s", name,
                    run("tc", "-n", hostNetns, "-s", "qdisc", "show", "dev", name + "0")).isLessThan(deadline);
            Thread.sleep(20);
        }
        Thread.sleep(200); // what would have reached the bridge, had it
        assertThat(routes()).as("the bridge's routes").doesNotContain("default").doesNotContain("2001:db8:5:1");
        assertThat(addresses()).doesNotContain(PREFIX);
        assertThat(inHostNetns(() -> Files.readString(Path.of("/proc/sys/net/ipv6/conf", bridge, "accept_ra")).strip()))
                .as("the bridge's own setting, untouched").isEqualTo("1");
        // Other traffic passes: the subhost reaches the bridge's link-local address.
        String bridgeAddress = run("ip", "-n", hostNetns, "-6", "-o", "address", "show", "dev", bridge, "scope", "link")
                .replaceAll("(?s).*inet6 (fe80::[0-9a-f:]+)/64.*", "$1").strip();
        ExecResult ping = subhosts.find(name).orElseThrow().exec(List.of("python3", "/srv/echo.py", bridgeAddress),
                TEN_SECONDS.multipliedBy(4));
        assertThat(ping.status()).as("ping %s: %s", bridgeAddress, ping).isZero();
    }

    @Test
    void aBridgedCableWithAcceptRaLetsThemReachTheBridge() throws Exception {
        String bridge = makeBridge();
        bootAndAdvertise(SubhostConfig.builder(name, base).acceptRouterAdvertisements(true), bridge);

        long deadline = System.nanoTime() + TEN_SECONDS.toNanos();
        while (!routes().contains("default via fe80::") || !addresses().contains(PREFIX)) {
            assertThat(System.nanoTime()).as("a default route and a %s address on %s (routes: %s)", PREFIX, bridge,
                    routes()).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** A bridge in the namespace that plays the host, up, with IPv6 as a new link gets it. */
    private String makeBridge() throws Exception {
        String bridge = "shtB" + name.substring(3);
        run("ip", "-n", hostNetns, "link", "add", bridge, "type", "bridge");
        run("ip", "-n", hostNetns, "link", "set", bridge, "up");
        return bridge;
    }

    @Test
    void withAcceptRaTheHostEndTakesTheRouteAndThePrefix() throws Exception {
        bootAndAdvertise(SubhostConfig.builder(name, base).acceptRouterAdvertisements(true));

        long deadline = System.nanoTime() + TEN_SECONDS.toNanos();
        while (!routes().contains("default via fe80::") || !addresses().contains(PREFIX)) {
            assertThat(System.nanoTime()).as("a default route and a %s address in %s (routes: %s)", PREFIX,
                    hostNetns, routes()).isLessThan(deadline);
            Thread.sleep(20);
        }
    }
}
