package org.subhost.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Properties of encoding and decoding: decoders fed arbitrary bytes fail only with a
 * {@link NetlinkDecodingException}, and what we encode decodes to what we put in.
 */
class NetlinkPropertiesTest {
    private static final int RTM_NEWLINK = 16;
    private static final int RTM_NEWADDR = 20;
    private static final int[] LINK_ATTRIBUTE_TYPES = {1, 3, 4, 5, 10, 16, 18, 13, 0, 0x8000 | 18};

    // ------------------------------------------------------------ decoders fail cleanly

    @Property(tries = 2000)
    void splitFailsOnlyWithADecodingException(@ForAll @Size(max = 96) byte[] datagram) {
        failsCleanly(() -> Message.split(datagram));
    }

    @Property(tries = 2000)
    void linkDecoderFailsOnlyWithADecodingException(@ForAll @Size(max = 96) byte[] payload) {
        failsCleanly(() -> LinkDecoder.decode(new Message(RTM_NEWLINK, 0, 1, 0, payload)));
    }

    @Property(tries = 2000)
    void linkDecoderFailsCleanlyOnWellFramedAttributesOfAnySize(@ForAll("linkAttributes") byte[] attributes) {
        byte[] payload = Bytes.concat(Bytes.ifinfomsg(1, 2, 1), attributes);
        failsCleanly(() -> LinkDecoder.decode(new Message(RTM_NEWLINK, 0, 1, 0, payload)));
    }

    @Property(tries = 2000)
    void addressDecoderFailsOnlyWithADecodingException(@ForAll @Size(max = 64) byte[] payload,
            @ForAll("families") int family) {
        if (payload.length > 0) {
            payload[0] = (byte) family;
        }
        failsCleanly(() -> AddressDecoder.decode(new Message(RTM_NEWADDR, 0, 1, 0, payload)));
    }

    @Property(tries = 2000)
    void errorDecoderFailsOnlyWithADecodingException(@ForAll @Size(max = 96) byte[] payload,
            @ForAll @IntRange(min = 2, max = 3) int type, @ForAll @IntRange(min = 0, max = 0x3ff) int flags) {
        failsCleanly(() -> ErrorReply.decode(new Message(type, flags, 1, 0, payload)));
    }

    @Property(tries = 2000)
    void attributesFailOnlyWithADecodingException(@ForAll @Size(max = 64) byte[] bytes) {
        failsCleanly(() -> {
            Attributes attributes = Attributes.parse("test", bytes);
            for (int type = 0; type < 8; type++) {
                attributes.string(type);
                attributes.u8(type, "a");
                attributes.u16(type, "a");
                attributes.u32(type, "a");
                attributes.nested(type, "a");
            }
            return attributes;
        });
    }

    // ------------------------------------------------------------ round trips

    @Property(tries = 500)
    void linkEncodedAsTheKernelDoesDecodesToItself(@ForAll("links") Link link) throws Exception {
        byte[] message = Bytes.nlmsg(RTM_NEWLINK, 2, 1, 0, kernelNewlink(link));

        assertThat(LinkDecoder.decode(Bytes.message(message))).isEqualTo(link);
    }

    @Property(tries = 500)
    void addressEncodedAsTheKernelDoesDecodesToItself(@ForAll("addresses") Address address) throws Exception {
        // AddressRequests.add lays out ifaddrmsg, IFA_LOCAL and IFA_ADDRESS as the kernel's replies do.
        Request request = AddressRequests.add("x", address.index(), address.address(), address.prefixLength());
        Message message = Bytes.message(request.encode(1));
        Message asReply = new Message(RTM_NEWADDR, 2, 1, 0, message.payload());

        assertThat(AddressDecoder.decode(asReply)).contains(address);
    }

    @Property(tries = 500)
    void vethRequestSplitsBackIntoItsParts(@ForAll("names") String name, @ForAll("names") String peer,
            @ForAll @IntRange(min = 0, max = 65535) int fd, @ForAll @Size(6) byte[] mac,
            @ForAll @IntRange(min = 1) int seq) throws Exception {
        byte[] encoded = LinkRequests.veth(name, peer, OptionalInt.of(fd), Optional.of(new HardwareAddress(mac)))
                .encode(seq);

        Message message = Bytes.message(encoded);
        assertThat(message.type()).isEqualTo(RTM_NEWLINK);
        assertThat(message.seq()).isEqualTo(seq);
        byte[] payload = message.payload();
        Attributes top = Attributes.parse("veth", payload, 16, payload.length);
        assertThat(top.string(3)).contains(name);
        Attributes info = top.nested(18, "IFLA_LINKINFO");
        assertThat(info.string(1)).contains("veth");
        byte[] peerBytes = info.nested(2, "IFLA_INFO_DATA").bytes(1).orElseThrow();
        Attributes peerAttributes = Attributes.parse("peer", peerBytes, 16, peerBytes.length);
        assertThat(peerAttributes.string(3)).contains(peer);
        assertThat(peerAttributes.bytes(1)).hasValueSatisfying(b -> assertThat(b).isEqualTo(mac));
        assertThat(peerAttributes.u32(28, "IFLA_NET_NS_FD")).hasValue(fd);
        assertThat(encoded.length % 4).isZero();
    }

    @Property
    void vlanRequestCarriesItsIdAndParent(@ForAll("names") String name, @ForAll @IntRange(min = 1, max = 4095) int id,
            @ForAll @IntRange(min = 1) int parent) throws Exception {
        byte[] payload = Bytes.message(LinkRequests.vlan(name, "p", parent, id).encode(1)).payload();
        Attributes top = Attributes.parse("vlan", payload, 16, payload.length);

        assertThat(top.u32(5, "IFLA_LINK")).hasValue(parent);
        assertThat(top.nested(18, "IFLA_LINKINFO").nested(2, "IFLA_INFO_DATA").u16(1, "IFLA_VLAN_ID")).hasValue(id);
    }

    @Property
    void hardwareAddressTextRoundTrips(@ForAll @Size(max = 32) byte[] bytes) {
        HardwareAddress address = new HardwareAddress(bytes);

        assertThat(HardwareAddress.parse(address.toString())).isEqualTo(address);
        assertThat(HardwareAddress.parse(address.toString().toUpperCase())).isEqualTo(address);
    }

    // ------------------------------------------------------------ generators

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.strings().withChars("abcxyz019.-_").ofMinLength(1).ofMaxLength(15)
                .filter(s -> !s.equals(".") && !s.equals(".."));
    }

    @Provide
    Arbitrary<Integer> families() {
        return Arbitraries.of(2, 10, 0, 17);
    }

    @Provide
    Arbitrary<byte[]> linkAttributes() {
        Arbitrary<byte[]> attribute = Combinators.combine(
                Arbitraries.of(toList(LINK_ATTRIBUTE_TYPES)),
                Arbitraries.bytes().array(byte[].class).ofMaxSize(40))
                .as(Bytes::attr);
        return attribute.list().ofMaxSize(8).map(list -> Bytes.concat(list.toArray(byte[][]::new)));
    }

    @Provide
    Arbitrary<Link> links() {
        Arbitrary<Integer> index = Arbitraries.integers().between(1, Integer.MAX_VALUE);
        Arbitrary<OptionalInt> optionalIndex = index.map(OptionalInt::of).injectNull(0.3)
                .map(o -> o == null ? OptionalInt.empty() : o);
        Arbitrary<HardwareAddress> mac = Arbitraries.bytes().array(byte[].class).ofSize(6).map(HardwareAddress::new)
                .injectNull(0.1).map(m -> m == null ? new HardwareAddress(new byte[0]) : m);
        Arbitrary<OperState> state = Arbitraries.of(OperState.class);
        Arbitrary<Integer> mtu = Arbitraries.integers().between(68, 65536);
        Arbitrary<Boolean> up = Arbitraries.of(true, false);
        Arbitrary<Link> veth = Combinators.combine(index, names(), up, state, mac, optionalIndex, mtu, optionalIndex)
                .as(Veth::new);
        Arbitrary<Link> vlan = Combinators.combine(index, names(), up, state, mac, optionalIndex, mtu,
                Combinators.combine(Arbitraries.integers().between(1, 4095), index).as(List::of))
                .as((i, n, u, s, m, master, t, idAndParent) -> new Vlan(i, n, u, s, m, master, t, idAndParent.get(0),
                        idAndParent.get(1)));
        Arbitrary<Link> bridge = Combinators.combine(index, names(), up, state, mac, optionalIndex, mtu).as(Bridge::new);
        Arbitrary<Link> device = Combinators.combine(index, names(), Arbitraries.of("", "macvlan", "dummy", "ipip"),
                up, state, mac, optionalIndex, mtu).as(Device::new);
        return Arbitraries.oneOf(veth, vlan, bridge, device);
    }

    @Provide
    Arbitrary<Address> addresses() {
        Arbitrary<Address> v4 = Combinators.combine(Arbitraries.integers().between(1, 1000),
                Arbitraries.bytes().array(byte[].class).ofSize(4), Arbitraries.integers().between(0, 32))
                .as((i, b, p) -> new Address(i, address(b), p));
        Arbitrary<Address> v6 = Combinators.combine(Arbitraries.integers().between(1, 1000),
                Arbitraries.bytes().array(byte[].class).ofSize(16), Arbitraries.integers().between(0, 128))
                .as((i, b, p) -> new Address(i, address(b), p));
        return Arbitraries.oneOf(v4, v6);
    }

    // ------------------------------------------------------------ helpers

    /** RTM_NEWLINK's body as rtnl_fill_ifinfo lays it out, for the attributes we read. */
    private static byte[] kernelNewlink(Link link) {
        MessageBuilder body = new MessageBuilder()
                .ifinfomsg(0, 1, link.index(), link.up() ? 0x1043 : 0x1002, 0)
                .string(3, link.name())
                .u32(13, 1000)
                .attribute(16, new byte[] {(byte) link.operState().ordinal()})
                .u32(4, link.mtu());
        link.masterIndex().ifPresent(m -> body.u32(10, m));
        if (link.mac().length() > 0) {
            body.attribute(1, link.mac().bytes());
        }
        switch (link) {
            case Veth v -> {
                v.peerIndex().ifPresent(p -> body.u32(5, p));
                body.begin(18).unterminated(1, "veth").end();
            }
            case Vlan v -> body.u32(5, v.parentIndex()).begin(18).unterminated(1, "vlan").begin(2).u16(1, v.vlanId())
                    .end().end();
            case Bridge b -> body.begin(18).unterminated(1, "bridge").end();
            case Device d -> {
                if (!d.kind().isEmpty()) {
                    body.begin(18).unterminated(1, d.kind()).end();
                }
            }
        }
        return body.build();
    }

    private static InetAddress address(byte[] bytes) {
        try {
            return bytes.length == 4 ? InetAddress.getByAddress(bytes)
                    : java.net.Inet6Address.getByAddress(null, bytes, -1);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static List<Integer> toList(int[] values) {
        return java.util.Arrays.stream(values).boxed().toList();
    }

    private interface Decoding {
        Object run() throws NetlinkDecodingException;
    }

    private static void failsCleanly(Decoding decoding) {
        try {
            decoding.run();
        } catch (NetlinkDecodingException expected) {
            assertThat(expected.getMessage()).isNotBlank();
        }
    }
}
