package org.subhost.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeoutException;
import org.subhost.config.Cable;
import org.subhost.config.SubhostConfig;
import org.subhost.config.VethCable;
import org.subhost.config.VlanCable;
import org.subhost.linux.Errno;
import org.subhost.linux.Fds;
import org.subhost.linux.SyscallException;
import org.subhost.linux.netlink.NamedNetns;
import org.subhost.linux.netlink.NetlinkException;
import org.subhost.linux.netlink.RtNetlink;

/**
 * The subhost's network: its named network namespace and its virtual cables to the host
 * (docs/spec.md §3.2 and §4), as boot steps, and their removal at stop.
 *
 * <p>Cable {@code i} is a veth pair whose subhost end {@code ethi} is created directly in
 * the subhost's namespace (with its MAC address, when given), so it never appears on the
 * host. The host end is made a bridge port (the kernel rule: the master is set after the
 * link exists, never while creating it) and brought up, or handed to {@code ifup}.
 * Deleting a host end deletes its peer with it.
 */
final class NetnsCable {
    /** How long {@code ifup} or {@code ifdown} of one interface may take. */
    static final Duration IFUP_LIMIT = Duration.ofSeconds(30);

    private NetnsCable() {}

    /**
     * The steps for every cable of {@code config}, in order, and the slots of their host
     * ends ({@link ConnectHostEnd}), for the state record.
     *
     * @param steps the steps
     * @param hostEnds one slot per cable, in the same order
     */
    record CableSteps(List<BootStep<?>> steps, List<Slot<HostEnd>> hostEnds) {
        CableSteps {
            steps = List.copyOf(steps);
            hostEnds = List.copyOf(hostEnds);
        }
    }

    /**
     * The steps for every cable of {@code config}, in order: the subhost ends are made in
     * network namespace {@code netns}, and {@code ifup} writes to LOG through {@code io}.
     */
    static CableSteps cableSteps(SubhostConfig config, HostFacts facts, Slot<Descriptor> netns,
            Slot<InitSupervisor.CommandIo> io) {
        List<BootStep<?>> steps = new ArrayList<>();
        List<Slot<HostEnd>> hostEnds = new ArrayList<>();
        for (Cable cable : config.cables()) {
            // instanceof, not a pattern switch: the JDK makes a class for each pattern switch
            // when it first runs, which the start-up cache cannot hold (about 1 ms of a cold
            // overlay-boot). Cable is sealed: these two are all there are.
            if (cable instanceof VethCable veth) {
                steps.add(new AddVeth(veth, netns));
            } else {
                steps.add(new AddVlan((VlanCable) cable));
            }
            Slot<HostEnd> end = new Slot<>("host end " + cable.hostName());
            hostEnds.add(end);
            steps.add(new ConnectHostEnd(cable.hostName(), cable.bridge(), facts.ifup(),
                    config.acceptRouterAdvertisements(), io, end));
        }
        return new CableSteps(steps, hostEnds);
    }

    /**
     * What {@link ConnectHostEnd} made of a host end, for its undo and the state record.
     *
     * @param name the host end, NAMEi
     * @param byIfup whether {@code ifup} configured it, so that {@code ifdown} takes it down
     */
    record HostEnd(String name, boolean byIfup) {}

    /**
     * Network namespace NAME at {@code /run/netns/NAME}, with {@code lo} up; like {@code ip
     * netns add NAME}. Its result, a descriptor of it, goes to {@code netns} for the cables
     * and the setns of the namespace thread. Undo: like {@code ip netns delete NAME}.
     */
    record CreateNetns(String name, Slot<Descriptor> netns) implements BootStep.OnHost<Descriptor> {
        @Override
        public String describe() {
            return "network namespace " + name + " (/run/netns/" + name + ") with lo up";
        }

        @Override
        public Optional<Slot<Descriptor>> produces() {
            return Optional.of(netns);
        }

        @Override
        public Descriptor apply(StepInputs in) throws Exception {
            requireFree(name);
            NamedNetns.create(name);
            return open(name);
        }

        @Override
        public void undo(Descriptor fd, StepInputs in) throws Exception {
            remove(fd, name);
        }

        @Override
        public void release(Descriptor fd) {
            fd.close();
        }
    }

    /**
     * Network namespace NAME, made by the namespace thread for itself as its first step
     * ({@link NamedNetns#createForThisThread}), while the caller's thread waits for it to
     * make the cables ({@link AwaitNetns}). First, because the name's bind mount must be
     * made in the host's mount namespace, before the thread has one of its own; and the
     * thread is then in it for the sysfs mount and pid 1, with no thread of its own to
     * start for the namespace. Its result, a descriptor of it, goes to {@code made}, which
     * {@link AwaitNetns} hands to the cables. Undo: like {@code ip netns delete NAME}.
     */
    record CreateNetnsOnBootThread(String name, Slot<Descriptor> made) implements BootStep.InNamespace<Descriptor> {
        @Override
        public String describe() {
            return "network namespace " + name + " (/run/netns/" + name + ") with lo up, for this thread";
        }

        @Override
        public Optional<Slot<Descriptor>> produces() {
            return Optional.of(made);
        }

        @Override
        public Descriptor apply(StepInputs in) throws Exception {
            requireFree(name);
            NamedNetns.createForThisThread(name);
            return open(name);
        }

        @Override
        public void undo(Descriptor fd, StepInputs in) throws Exception {
            remove(fd, name);
        }

        @Override
        public void release(Descriptor fd) {
            fd.close();
        }
    }

    /** Refuses a NAME whose network namespace exists, before anything is made. */
    private static void requireFree(String name) {
        if (NamedNetns.exists(name)) {
            throw new IllegalStateException("network namespace " + name + " exists already (/run/netns/" + name
                    + "); if it is left over from an interrupted boot, overlay-stop removes it");
        }
    }

    /** Opens the namespace made, for the cables and the setns of others. */
    private static Descriptor open(String name) throws SyscallException {
        return new Descriptor(NamedNetns.open(name));
    }

    /** Undoes the making: like {@code ip netns delete NAME}. */
    private static void remove(Descriptor fd, String name) throws IOException {
        fd.close();
        NamedNetns.delete(name);
    }

    /**
     * The caller's thread waits for the network namespace NAME that the namespace thread
     * makes ({@link CreateNetnsOnBootThread}, into {@code made}), before the cables, whose
     * subhost ends are made in it; and hands it to them in {@code netns}. The descriptor
     * stays the maker's to close.
     */
    record AwaitNetns(String name, Slot<Descriptor> made, Slot<Descriptor> netns)
            implements BootStep.OnHost<Descriptor> {
        /** How long the caller's thread waits for the network namespace. */
        static final Duration LIMIT = Duration.ofSeconds(30);

        @Override
        public String describe() {
            return "network namespace " + name + " once the namespace thread made it";
        }

        @Override
        public List<Slot<?>> awaits() {
            return List.of(made);
        }

        @Override
        public Optional<Slot<Descriptor>> produces() {
            return Optional.of(netns);
        }

        @Override
        public Descriptor apply(StepInputs in) throws Exception {
            Optional<Descriptor> fd;
            try {
                fd = in.await(made, LIMIT);
            } catch (TimeoutException e) {
                throw new IOException("network namespace " + name + " was not made within " + LIMIT.toSeconds() + " s");
            }
            if (fd.isEmpty()) {
                throw new IllegalStateException("network namespace " + name + " was not made: the boot failed elsewhere");
            }
            return fd.get();
        }
    }

    /**
     * A veth pair: host end NAMEi, subhost end ethi created in the subhost's namespace with
     * its MAC; like {@code ip link add NAMEi type veth peer name ethi netns NAME address MAC},
     * with NAME as the descriptor in {@code netns}. Undo: deleting the host end, which
     * deletes the pair.
     */
    record AddVeth(VethCable cable, Slot<Descriptor> netns) implements BootStep.OnHost<Void> {
        @Override
        public String describe() {
            return "cable " + cable.index() + ": veth " + cable.hostName() + " <-> " + cable.subhostName()
                    + cable.mac().map(m -> " (MAC " + m + ")").orElse("");
        }

        @Override
        public List<Slot<?>> consumes() {
            return List.of(netns);
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            RtNetlink links = in.hostLinks();
            if (links.link(cable.hostName()).isPresent()) {
                throw new IllegalStateException("interface " + cable.hostName() + " exists already on the host");
            }
            links.addVeth(cable.hostName(), cable.subhostName(), OptionalInt.of(in.get(netns).fd()),
                    cable.mac().map(m -> m.bytes()));
            return null;
        }

        @Override
        public void undo(Void nothing, StepInputs in) throws Exception {
            deleteIfPresent(in.hostLinks(), cable.hostName());
        }
    }

    /**
     * A VLAN link NAMEi.N with tag N on the host end NAMEi; like {@code ip link add link NAMEi
     * name NAMEi.N type vlan id N}. Undo: deleting it.
     */
    record AddVlan(VlanCable cable) implements BootStep.OnHost<Void> {
        @Override
        public String describe() {
            return "cable " + cable.carrier().index() + " VLAN " + cable.vlanId() + ": " + cable.hostName()
                    + " on " + cable.carrier().hostName();
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            in.hostLinks().addVlan(cable.hostName(), cable.carrier().hostName(), cable.vlanId());
            return null;
        }

        @Override
        public void undo(Void nothing, StepInputs in) throws Exception {
            deleteIfPresent(in.hostLinks(), cable.hostName());
        }
    }

    /**
     * The host end of a cable: a port of {@code bridge} and up ({@code ip link set NAMEi
     * master BRIDGE up}), or configured by the host's own network configuration ({@code
     * ifup NAMEi}), falling back to bringing it up when ifupdown is missing or fails. Undo:
     * {@code ifdown} when ifup configured it; the link itself goes with its cable.
     */
    record ConnectHostEnd(String hostName, Optional<String> bridge, Optional<Path> ifup, boolean acceptRa,
            Slot<InitSupervisor.CommandIo> io, Slot<HostEnd> end) implements BootStep.OnHost<HostEnd> {
        @Override
        public String describe() {
            return bridge.map(b -> "host end " + hostName + ": port of bridge " + b + ", up")
                    .orElse("host end " + hostName + ": ifup " + hostName + " (else just up)");
        }

        @Override
        public List<Slot<?>> consumes() {
            return List.of(io);
        }

        @Override
        public Optional<Slot<HostEnd>> produces() {
            return Optional.of(end);
        }

        @Override
        public HostEnd apply(StepInputs in) throws Exception {
            RtNetlink links = in.hostLinks();
            // Before the link is up or ifup runs: from then on an advertisement would count.
            if (!acceptRa && !refuseRouterAdvertisements(hostName)) {
                in.log().line(hostName + ": no IPv6 on this host end; no router advertisements to refuse");
            }
            if (bridge.isPresent()) {
                if (links.link(bridge.get()).isEmpty()) {
                    throw new IllegalStateException("bridge " + bridge.get() + " (for " + hostName
                            + ") does not exist on the host");
                }
                // A port does no IPv6 of its own: the bridge takes what arrives, and its settings
                // are the host's administrator's. So the subhost's advertisements are dropped as
                // they enter, before the bridge sees them; nothing of the bridge changes.
                if (!acceptRa) {
                    guardAgainstRouterAdvertisements(links, hostName, bridge.get());
                }
                links.setMaster(hostName, bridge.get());
                links.setUp(hostName);
                return new HostEnd(hostName, false);
            }
            if (ifup.isEmpty()) {
                in.log().line(hostName + ": no ifup on this host (ifupdown is not installed); bringing it up only");
                links.setUp(hostName);
                return new HostEnd(hostName, false);
            }
            InitSupervisor.CommandIo out = in.get(io);
            Commands.Outcome outcome = Commands.run(List.of(ifup.get().toString(), hostName),
                    Commands.environment(Map.of()), "/", out.devNull().fd(), out.log().fd(), out.log().fd(),
                    IFUP_LIMIT);
            if (outcome.status() == 0) {
                in.log().line(hostName + ": configured by " + ifup.get() + " " + hostName);
                return new HostEnd(hostName, true);
            }
            in.log().line(Commands.failure("ifup", ifup.get() + " " + hostName, outcome, IFUP_LIMIT)
                    + "; bringing " + hostName + " up only");
            links.setUp(hostName);
            return new HostEnd(hostName, false);
        }

        @Override
        public void undo(HostEnd made, StepInputs in) throws Exception {
            if (made.byIfup() && ifup.isPresent()) {
                // The ifdown of the same ifupdown whose ifup configured it.
                InitSupervisor.CommandIo out = in.get(io);
                ifdown(ifup.get().resolveSibling("ifdown"), hostName, out.devNull().fd(), out.log().fd())
                        .ifPresent(line -> in.log().line(line));
            }
        }
    }

    /**
     * Installs the RA guard ({@link RouterAdvertisementGuard}) on the ingress of host end
     * {@code hostName}, before it becomes a port of {@code bridge}.
     *
     * @throws IOException saying what the kernel lacks, and that ACCEPT_RA=yes lets the
     *     advertisements through knowingly
     */
    static void guardAgainstRouterAdvertisements(RtNetlink links, String hostName, String bridge) throws IOException {
        try {
            links.addIngressFilter(hostName, RouterAdvertisementGuard.PRIORITY, RouterAdvertisementGuard.program());
        } catch (NetlinkException e) {
            throw new IOException(hostName + ": cannot keep the subhost's IPv6 router advertisements from bridge "
                    + bridge + " (a classic BPF filter on the ingress of " + hostName + "): " + e.getMessage()
                    + "; the kernel needs CONFIG_NET_SCH_INGRESS and CONFIG_NET_CLS_BPF, or set ACCEPT_RA=yes to let"
                    + " them reach the bridge", e);
        }
    }

    /** Where the kernel shows the IPv6 settings of each interface of the caller's network namespace. */
    static final Path IPV6_CONF = Path.of("/proc/sys/net/ipv6/conf");

    /**
     * Makes host end {@code hostName} ignore IPv6 router advertisements ({@code accept_ra}
     * 0) and make no addresses from prefixes ({@code autoconf} 0): otherwise, with the
     * host's forwarding off, a subhost could give the host a default route and an address
     * through itself. Written to {@code /proc/sys/net/ipv6/conf/NAME/}, which shows the
     * network namespace of the calling thread: the host's, where the host end lives. Only
     * this interface's settings; never {@code all} or {@code default}.
     *
     * @return false when the interface has no IPv6 (disabled on the host)
     * @throws IOException when the kernel refuses the write
     */
    static boolean refuseRouterAdvertisements(String hostName) throws IOException {
        if (hostName.equals("all") || hostName.equals("default") || hostName.contains("/")) {
            throw new IllegalArgumentException("host end (" + hostName + ") must be an interface name");
        }
        Path conf = IPV6_CONF.resolve(hostName);
        // No directory for the interface, no file: ENOENT of the first write says so, in the
        // call that writes it where there is one.
        try {
            writeSetting(conf.resolve("accept_ra"));
        } catch (SyscallException e) {
            if (e.is(Errno.ENOENT)) {
                return false;
            }
            throw e;
        }
        writeSetting(conf.resolve("autoconf"));
        return true;
    }

    /** Writes 0 to the setting {@code file}: one open (without O_CREAT), one write. */
    private static void writeSetting(Path file) throws SyscallException {
        int fd = Fds.open(file.toString(), Fds.O_WRONLY | Fds.O_CLOEXEC);
        try {
            Fds.write(fd, ZERO);
        } finally {
            Descriptor.closeQuietly(fd);
        }
    }

    private static final byte[] ZERO = {'0', '\n'};

    /**
     * {@code ifdown --force NAME}, for a host end that ifup configured; what ifdown prints
     * goes to {@code logFd}.
     *
     * @return the line for LOG that says how it went; empty when ifdown is not there
     */
    static Optional<String> ifdown(String hostName, int devNullFd, int logFd) throws SyscallException {
        Optional<Path> ifdown = HostFacts.findIfup().map(p -> p.resolveSibling("ifdown"));
        return ifdown.isPresent() ? ifdown(ifdown.get(), hostName, devNullFd, logFd) : Optional.empty();
    }

    /** {@code PROGRAM --force NAME} with program {@code ifdown}, when it is there; the line for LOG. */
    private static Optional<String> ifdown(Path ifdown, String hostName, int devNullFd, int logFd)
            throws SyscallException {
        if (!Files.isExecutable(ifdown)) {
            return Optional.empty();
        }
        String command = ifdown + " --force " + hostName;
        Commands.Outcome outcome = Commands.run(List.of(ifdown.toString(), "--force", hostName),
                Commands.environment(Map.of()), "/", devNullFd, logFd, logFd, IFUP_LIMIT);
        return Optional.of(outcome.status() == 0 ? hostName + ": taken down by " + command
                : Commands.failure("ifdown", command, outcome, IFUP_LIMIT) + "; " + hostName + " is removed all the same");
    }

    /** Deletes the host link {@code name} when it exists; a link already gone is fine. */
    static void deleteIfPresent(RtNetlink links, String name) throws java.io.IOException {
        try {
            if (links.link(name).isPresent()) {
                links.delete(name);
            }
        } catch (SyscallException e) {
            if (!e.is(Errno.ENODEV)) {
                throw e;
            }
        }
    }
}
