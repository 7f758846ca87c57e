package org.subhost.linux.netlink;

import static org.subhost.linux.netlink.RtnlConstants.NETLINK_EXT_ACK;
import static org.subhost.linux.netlink.RtnlConstants.NETLINK_GET_STRICT_CHK;
import static org.subhost.linux.netlink.RtnlConstants.SOL_NETLINK;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.locks.ReentrantLock;
import org.subhost.linux.Errno;
import org.subhost.linux.NamespaceRequest;
import org.subhost.linux.NamespaceThread;
import org.subhost.linux.Namespaces;
import org.subhost.linux.SyscallException;

/**
 * An rtnetlink socket (NETLINK_ROUTE) bound to one network namespace, with the link and
 * address operations of {@code ip link} and {@code ip addr} as methods.
 *
 * <p>Example: a cable from the host into the subhost {@code mta}:
 * <pre>{@code
 * int netns = NamedNetns.open("mta");
 * try (RtNetlink host = RtNetlink.open()) {
 *     host.addVeth("mta0", "eth0", OptionalInt.of(netns), Optional.of(mac));
 *     host.setMaster("mta0", "br0");
 *     host.setUp("mta0");
 * } finally {
 *     Fds.close(netns);
 * }
 * }</pre>
 *
 * <p><b>A socket belongs to the network namespace it was opened in</b>, for its whole life:
 * every name and index in its requests and replies is one of that namespace, whichever
 * thread later uses the socket. {@link #open()} opens it in the calling thread's namespace;
 * {@link #openIn(int)} and {@link #openIn(Path)} open it in another one, from a short-lived
 * thread of their own, so that no thread of the caller has to change namespaces.
 *
 * <p>Each request carries NLM_F_ACK and a sequence number of its own; the socket waits for
 * the kernel's answer with that number. A refusal is a {@link NetlinkException} with the
 * errno and, since the socket sets NETLINK_EXT_ACK, the kernel's reason in words where it
 * gives one. NETLINK_GET_STRICT_CHK makes the kernel check dump requests strictly and
 * filter address dumps by interface itself. Interface names are checked against the
 * kernel's rule (at most 15 bytes, no {@code /}, {@code :} or white space) before anything
 * is sent; other rules (the name is free, the bridge is a bridge) are left to the kernel.
 *
 * <p>The methods may be called from several threads; requests on one socket are sent one
 * at a time. Close the socket when done: it holds a file descriptor.
 */
public final class RtNetlink implements AutoCloseable {
    private static final int MAX_DUMP_ATTEMPTS = 5;

    private final int fd;
    private final ReentrantLock lock = new ReentrantLock();
    private int nextSeq = 1;
    private boolean closed;

    private RtNetlink(int fd) {
        this.fd = fd;
    }

    /**
     * Opens a socket in the network namespace of the calling thread (normally the host's,
     * unless this thread entered another one).
     *
     * @return the socket, to be closed by the caller
     * @throws SyscallException when socket(2), setsockopt(2) or bind(2) is refused
     */
    public static RtNetlink open() throws IOException {
        return new RtNetlink(openSocket());
    }

    /**
     * Opens a socket in the network namespace that {@code netnsFd} refers to (an open
     * {@code /run/netns/NAME} or {@code /proc/PID/ns/net}). A fresh platform thread enters
     * the namespace with setns(2), creates the socket and ends; the socket stays in that
     * namespace. The descriptor stays the caller's.
     *
     * @param netnsFd an open network namespace descriptor
     * @return the socket, to be closed by the caller
     * @throws SyscallException when setns(2) is refused (EINVAL: not a network namespace)
     *     or the socket cannot be made
     */
    public static RtNetlink openIn(int netnsFd) throws IOException {
        if (netnsFd < 0) {
            throw new IllegalArgumentException("netns fd (" + netnsFd + ") must not be negative");
        }
        return openIn(NamespaceRequest.builder().enterFd(netnsFd, Namespaces.CLONE_NEWNET).build());
    }

    /**
     * Opens a socket in the network namespace at {@code netnsPath}, such as
     * {@code /run/netns/mta} ({@link NamedNetns#path}) or {@code /proc/PID/ns/net}; as
     * {@link #openIn(int)}.
     *
     * @param netnsPath the namespace file
     * @return the socket, to be closed by the caller
     * @throws SyscallException when the file cannot be opened (ENOENT) or is no network
     *     namespace (EINVAL from setns)
     */
    public static RtNetlink openIn(Path netnsPath) throws IOException {
        Objects.requireNonNull(netnsPath, "netnsPath");
        return openIn(NamespaceRequest.builder().enterNetns(netnsPath).build());
    }

    private static RtNetlink openIn(NamespaceRequest request) throws IOException {
        return new RtNetlink(NamespaceThread.run("rtnetlink " + request, request, RtNetlink::openSocket));
    }

    private static int openSocket() throws SyscallException {
        int fd = NetlinkSocketCalls.socket();
        try {
            NetlinkSocketCalls.setIntOption(fd, SOL_NETLINK, "SOL_NETLINK", NETLINK_EXT_ACK, "NETLINK_EXT_ACK", 1);
            NetlinkSocketCalls.setIntOption(fd, SOL_NETLINK, "SOL_NETLINK", NETLINK_GET_STRICT_CHK,
                    "NETLINK_GET_STRICT_CHK", 1);
            NetlinkSocketCalls.bind(fd);
            return fd;
        } catch (SyscallException e) {
            try {
                NetlinkSocketCalls.close(fd);
            } catch (SyscallException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    // ---------------------------------------------------------------- links

    /**
     * Creates a veth pair, like {@code ip link add NAME type veth peer name PEER [address
     * MAC] [netns FD]}.
     *
     * <p>{@code name} is created in this socket's namespace. The peer is created directly in
     * the namespace of {@code peerNetnsFd} when given (the kernel reads IFLA_NET_NS_FD
     * inside the peer's own attributes), else beside {@code name}; so it never appears in
     * the host's namespace, and its name only has to be free where it is created. The peer
     * gets {@code peerMac} when given, else a random address from the kernel. Both ends
     * start down ({@link #setUp}); an end may be made a bridge port only after this call
     * ({@link #setMaster}). Deleting either end deletes both.
     *
     * @param peerNetnsFd an open network namespace descriptor, read during the call and
     *     left open for the caller to close
     * @param peerMac 6 bytes of a unicast MAC address
     * @param name the name of the end in this socket's namespace
     * @param peerName the name of the other end
     * @throws IllegalArgumentException when a name breaks the kernel's rule, the MAC is not
     *     6 bytes of a unicast address, or the descriptor is negative
     * @throws NetlinkException when the kernel refuses, such as EEXIST (a name is taken)
     */
    public void addVeth(String name, String peerName, OptionalInt peerNetnsFd, Optional<byte[]> peerMac)
            throws IOException {
        InterfaceNames.check("interface name", name);
        InterfaceNames.check("peer name", peerName);
        Objects.requireNonNull(peerNetnsFd, "peerNetnsFd");
        Objects.requireNonNull(peerMac, "peerMac");
        if (peerNetnsFd.isPresent() && peerNetnsFd.getAsInt() < 0) {
            throw new IllegalArgumentException("peer netns fd (" + peerNetnsFd.getAsInt() + ") must not be negative");
        }
        Optional<HardwareAddress> mac = peerMac.map(RtNetlink::unicastMac);
        exchange(LinkRequests.veth(name, peerName, peerNetnsFd, mac));
    }

    /**
     * Creates a bridge, like {@code ip link add NAME type bridge}; it starts down, without
     * ports.
     *
     * @param name the bridge's name
     * @throws NetlinkException when the kernel refuses, such as EEXIST
     */
    public void addBridge(String name) throws IOException {
        exchange(LinkRequests.bridge(InterfaceNames.check("interface name", name)));
    }

    /**
     * Creates an 802.1Q VLAN link on {@code parentName}, like {@code ip link add link PARENT
     * name NAME type vlan id ID}. It starts down and carries traffic only while the parent
     * is up. The kernel needs the 8021q module (CONFIG_VLAN_8021Q); without it the request
     * fails with EOPNOTSUPP, "Unknown device type".
     *
     * @param vlanId 1 to 4095
     * @param name the VLAN link's name, such as {@code xmpl0.302}
     * @param parentName the link that carries it
     * @throws IllegalArgumentException when a name breaks the kernel's rule or the id is out
     *     of range
     * @throws NetlinkException when the parent does not exist (ENODEV from RTM_GETLINK) or
     *     the kernel refuses
     */
    public void addVlan(String name, String parentName, int vlanId) throws IOException {
        InterfaceNames.check("interface name", name);
        InterfaceNames.check("parent name", parentName);
        if (vlanId < 1 || vlanId > 4095) {
            throw new IllegalArgumentException("VLAN id (" + vlanId + ") must be between 1 and 4095");
        }
        int parentIndex = requireLink(parentName).index();
        exchange(LinkRequests.vlan(name, parentName, parentIndex, vlanId));
    }

    /**
     * Sets IFF_UP on the link, like {@code ip link set dev NAME up}. It carries traffic
     * once its operational state is up too: a veth end needs its peer up as well.
     *
     * @param name the link's name
     * @throws NetlinkException when the kernel refuses, such as ENODEV (no such link) or
     *     EADDRNOTAVAIL (its MAC is not a valid unicast address)
     */
    public void setUp(String name) throws IOException {
        exchange(LinkRequests.setUp(InterfaceNames.check("interface name", name), true));
    }

    /**
     * Clears IFF_UP on the link, like {@code ip link set dev NAME down}.
     *
     * @param name the link's name
     * @throws NetlinkException when the kernel refuses, such as ENODEV
     */
    public void setDown(String name) throws IOException {
        exchange(LinkRequests.setUp(InterfaceNames.check("interface name", name), false));
    }

    /**
     * Makes the link a port of the bridge {@code bridgeName}, like {@code ip link set dev
     * NAME master BRIDGE}. The kernel takes a master only for an existing link, not in the
     * request that creates it; so create first, then call this. Both must be in this
     * socket's namespace.
     *
     * @param name the link's name
     * @param bridgeName the bridge's name
     * @throws NetlinkException when either link is missing (ENODEV) or the kernel refuses,
     *     such as ELOOP "Can not enslave a bridge to a bridge"
     */
    public void setMaster(String name, String bridgeName) throws IOException {
        InterfaceNames.check("interface name", name);
        InterfaceNames.check("bridge name", bridgeName);
        int bridgeIndex = requireLink(bridgeName).index();
        exchange(LinkRequests.setMaster(name, bridgeName, bridgeIndex));
    }

    /**
     * Removes the link from its bridge, like {@code ip link set dev NAME nomaster}; a link
     * without a master is left as it is.
     *
     * @param name the link's name
     * @throws NetlinkException when the kernel refuses, such as ENODEV
     */
    public void noMaster(String name) throws IOException {
        exchange(LinkRequests.noMaster(InterfaceNames.check("interface name", name)));
    }

    /**
     * Runs {@code program} on every frame that the link receives, before anything else of
     * the host sees it (a bridge the link is a port of included): like {@code tc qdisc add
     * dev NAME clsact; tc filter add dev NAME ingress prio PRIORITY protocol all bpf da
     * bytecode ...}. Direct action: the program's return value is the verdict, 2
     * (TC_ACT_SHOT) drops the frame, -1 (TC_ACT_UNSPEC) passes it on to the next filter and
     * then up as usual. The frame starts at its Ethernet header (an outer VLAN tag is out of
     * it already). Both go with the link when it is deleted.
     *
     * <p>The kernel needs CONFIG_NET_SCH_INGRESS and CONFIG_NET_CLS_BPF (no action module:
     * the verdict is the program's); without them EOPNOTSUPP or ENOENT.
     *
     * @param name the link's name
     * @param priority the filter's priority, 1 to 65535 (lower runs first)
     * @param program the classic BPF program
     * @throws NetlinkException when the link is missing (ENODEV) or the kernel refuses
     */
    public void addIngressFilter(String name, int priority, ClassicBpf program) throws IOException {
        InterfaceNames.check("interface name", name);
        if (priority < 1 || priority > 0xffff) {
            throw new IllegalArgumentException("filter priority (" + priority + ") must be 1 to 65535");
        }
        Objects.requireNonNull(program, "program");
        int index = requireLink(name).index();
        try {
            exchange(TrafficControlRequests.clsact(name, index));
        } catch (NetlinkException e) {
            if (!e.is(Errno.EEXIST)) {
                throw e;
            }
        }
        exchange(TrafficControlRequests.ingressBpf(name, index, priority, program));
    }

    /**
     * Deletes the link, like {@code ip link delete dev NAME}. Deleting one end of a veth pair
     * deletes the other end too, wherever it is; deleting a bridge frees its ports.
     *
     * @param name the link's name
     * @throws NetlinkException when the kernel refuses, such as ENODEV (no such link) or
     *     EOPNOTSUPP (a physical device)
     */
    public void delete(String name) throws IOException {
        exchange(LinkRequests.delete(InterfaceNames.check("interface name", name)));
    }

    /**
     * The link named {@code name} in this socket's namespace, like {@code ip -d link show dev
     * NAME}; empty when there is none.
     *
     * @param name the link's name
     * @return the link, or empty
     * @throws NetlinkException when the kernel refuses for another reason than ENODEV
     */
    public Optional<Link> link(String name) throws IOException {
        return linkOrEmpty(LinkRequests.get(InterfaceNames.check("interface name", name)));
    }

    /**
     * The link with interface index {@code index} in this socket's namespace; empty when
     * there is none.
     *
     * @param index the interface index
     * @return the link, or empty
     * @throws NetlinkException when the kernel refuses for another reason than ENODEV
     */
    public Optional<Link> link(int index) throws IOException {
        if (index <= 0) {
            throw new IllegalArgumentException("interface index (" + index + ") must be positive");
        }
        return linkOrEmpty(LinkRequests.get(index));
    }

    /**
     * All links of this socket's namespace, like {@code ip -d link show}, in the kernel's
     * order (by index). A dump that the kernel marks as interrupted by a concurrent change
     * is read again, up to five times.
     *
     * @return the links
     * @throws NetlinkException when the kernel refuses, or EINTR when every attempt was
     *     interrupted
     */
    public List<Link> links() throws IOException {
        List<Link> links = new ArrayList<>();
        for (Message reply : dump(LinkRequests.dump())) {
            links.add(LinkDecoder.decode(reply));
        }
        return List.copyOf(links);
    }

    // ---------------------------------------------------------------- addresses

    /**
     * Adds an IPv4 or IPv6 address to the link, like {@code ip addr add ADDRESS/PREFIX dev
     * NAME}; the kernel adds the route to its prefix. An IPv6 address is tentative until
     * duplicate address detection has passed, which needs the link up.
     *
     * @param prefixLength 0 to 32 for IPv4, 0 to 128 for IPv6
     * @param name the link's name
     * @param address the address
     * @throws NetlinkException when the link is missing (ENODEV from RTM_GETLINK) or the
     *     kernel refuses, such as EEXIST (the address is there already)
     */
    public void addAddress(String name, InetAddress address, int prefixLength) throws IOException {
        InterfaceNames.check("interface name", name);
        Objects.requireNonNull(address, "address");
        Address.checkPrefixLength(address, prefixLength);
        int index = requireLink(name).index();
        exchange(AddressRequests.add(name, index, address, prefixLength));
    }

    /**
     * Removes an address from the link, like {@code ip addr del ADDRESS/PREFIX dev NAME}.
     *
     * @param name the link's name
     * @param address the address
     * @param prefixLength the prefix length it was added with
     * @throws NetlinkException when the link is missing (ENODEV) or the address is not on it
     *     (EADDRNOTAVAIL)
     */
    public void removeAddress(String name, InetAddress address, int prefixLength) throws IOException {
        InterfaceNames.check("interface name", name);
        Objects.requireNonNull(address, "address");
        Address.checkPrefixLength(address, prefixLength);
        int index = requireLink(name).index();
        exchange(AddressRequests.remove(name, index, address, prefixLength));
    }

    /**
     * The IPv4 and IPv6 addresses of the link, like {@code ip addr show dev NAME}: IPv4
     * first, then IPv6 (with the link-local address the kernel gives a link that is up).
     *
     * @param name the link's name
     * @return the addresses
     * @throws NetlinkException when the link is missing (ENODEV from RTM_GETLINK)
     */
    public List<Address> addresses(String name) throws IOException {
        InterfaceNames.check("interface name", name);
        int index = requireLink(name).index();
        List<Address> addresses = new ArrayList<>();
        for (Message reply : dump(AddressRequests.dump(name, index))) {
            // The kernel filters by index under strict checking; keep the check for kernels
            // that ignore ifa_index in dumps.
            AddressDecoder.decode(reply).filter(a -> a.index() == index).ifPresent(addresses::add);
        }
        return List.copyOf(addresses);
    }

    // ---------------------------------------------------------------- the socket

    /** Closes the socket; later calls throw IllegalStateException. Closing twice does nothing. */
    @Override
    public void close() throws IOException {
        lock.lock();
        try {
            if (!closed) {
                closed = true;
                NetlinkSocketCalls.close(fd);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Sends {@code request} and returns the replies before its acknowledgement or NLMSG_DONE. */
    List<Message> exchange(Request request) throws IOException {
        return exchangeOnce(request).replies();
    }

    private Exchange exchangeOnce(Request request) throws IOException {
        return exchangeOnce(request, 0);
    }

    /** As {@link #exchangeOnce(Request)}; a refusal with {@code expectedErrno} (0: none) is an answer. */
    private Exchange exchangeOnce(Request request, int expectedErrno) throws IOException {
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("rtnetlink socket (fd " + fd + ") is closed");
            }
            int seq = nextSeq++;
            NetlinkSocketCalls.send(fd, request.encode(seq));
            Exchange exchange = new Exchange(request, seq, expectedErrno);
            while (true) {
                NetlinkSocketCalls.Datagram datagram = NetlinkSocketCalls.receive(fd);
                if (datagram.senderPort() != 0) {
                    // Only the kernel (port 0) answers requests; anything else is not ours.
                    continue;
                }
                for (Message message : Message.split(datagram.bytes())) {
                    if (exchange.accept(message)) {
                        return exchange;
                    }
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private List<Message> dump(Request request) throws IOException {
        for (int attempt = 1; ; attempt++) {
            Exchange exchange = exchangeOnce(request);
            if (!exchange.interrupted()) {
                return exchange.replies();
            }
            if (attempt == MAX_DUMP_ATTEMPTS) {
                throw new NetlinkException(request.call(), request.arguments(), Errno.EINTR,
                        Optional.of("dump interrupted by concurrent changes " + MAX_DUMP_ATTEMPTS + " times"));
            }
        }
    }

    /** The link {@code request} asks for; empty on ENODEV, the kernel's "no such link", which makes no exception. */
    private Optional<Link> linkOrEmpty(Request request) throws IOException {
        Exchange exchange = exchangeOnce(request, Errno.ENODEV);
        if (exchange.refusedAsExpected()) {
            return Optional.empty();
        }
        return Optional.of(single(request, exchange.replies()));
    }

    private Link requireLink(String name) throws IOException {
        Request request = LinkRequests.get(name);
        return single(request, exchange(request));
    }

    private static Link single(Request request, List<Message> replies) throws IOException {
        if (replies.size() != 1) {
            throw new NetlinkDecodingException(request + ": expected one RTM_NEWLINK, got " + replies.size());
        }
        return LinkDecoder.decode(replies.get(0));
    }

    private static HardwareAddress unicastMac(byte[] bytes) {
        HardwareAddress mac = new HardwareAddress(bytes);
        if (bytes.length != 6) {
            throw new IllegalArgumentException("peer MAC (" + mac + ") must be 6 bytes");
        }
        if ((bytes[0] & 1) != 0 || java.util.Arrays.equals(bytes, new byte[6])) {
            throw new IllegalArgumentException("peer MAC (" + mac + ") must be a unicast address other than 00:00:00:00:00:00");
        }
        return mac;
    }
}
