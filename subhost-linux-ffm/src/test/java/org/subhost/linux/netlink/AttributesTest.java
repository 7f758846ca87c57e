package org.subhost.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.subhost.linux.netlink.Bytes.attr;
import static org.subhost.linux.netlink.Bytes.concat;
import static org.subhost.linux.netlink.Bytes.hex;
import static org.subhost.linux.netlink.Bytes.le32;

import org.junit.jupiter.api.Test;

/** Parsing struct rtattr sequences. */
class AttributesTest {

    @Test
    void typeIsReadWithoutTheNestedAndByteOrderFlags() throws Exception {
        Attributes attributes = Attributes.parse("test", concat(attr(0x8000 | 18, attr(1, hex("76657468"))),
                attr(0x4000 | 5, le32(3))));

        assertThat(attributes.nested(18, "IFLA_LINKINFO").string(1)).contains("veth");
        assertThat(attributes.u32(5, "IFLA_LINK")).hasValue(3);
    }

    @Test
    void lastOfTwoAttributesOfOneTypeCounts() throws Exception {
        Attributes attributes = Attributes.parse("test", concat(attr(4, le32(1500)), attr(4, le32(9000))));

        assertThat(attributes.u32(4, "IFLA_MTU")).hasValue(9000);
    }

    @Test
    void stringEndsAtItsFirstNulAndNeedsNone() throws Exception {
        Attributes attributes = Attributes.parse("test", concat(attr(3, hex("6c6f00ff")), attr(1, hex("6c6f"))));

        assertThat(attributes.string(3)).contains("lo");
        assertThat(attributes.string(1)).contains("lo");
    }

    @Test
    void tailShorterThanAnAttributeHeaderIsIgnoredAsTheKernelDoes() throws Exception {
        Attributes attributes = Attributes.parse("test", concat(attr(4, le32(1500)), hex("0800")));

        assertThat(attributes.u32(4, "IFLA_MTU")).hasValue(1500);
    }

    @Test
    void absentNestIsEmpty() throws Exception {
        assertThat(Attributes.parse("test", new byte[0]).nested(18, "IFLA_LINKINFO").has(1)).isFalse();
    }

    @Test
    void rejectsALengthBelowTheHeader() {
        assertThatThrownBy(() -> Attributes.parse("RTM_NEWLINK", hex("0300 0100 00000000")))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessage("RTM_NEWLINK: rtattr length (3) must be at least 4 (at offset 0)");
    }

    @Test
    void rejectsALengthPastTheEnd() {
        assertThatThrownBy(() -> Attributes.parse("RTM_NEWLINK", hex("0600 0400 dc05 0000 0c00 0100")))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessage("RTM_NEWLINK: rtattr length (12) at offset 8 runs past the end (4 bytes left)");
    }

    @Test
    void rejectsAnAttributeTooShortForItsType() throws Exception {
        Attributes attributes = Attributes.parse("RTM_NEWLINK", attr(4, hex("dc05")));

        assertThatThrownBy(() -> attributes.u32(4, "IFLA_MTU"))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessage("RTM_NEWLINK: attribute IFLA_MTU length (2) must be at least 4");
    }

    @Test
    void rejectsARangeOutsideTheMessage() {
        assertThatThrownBy(() -> Attributes.parse("RTM_NEWADDR", new byte[4], 8, 4))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessage("RTM_NEWADDR: attributes from offset 8 must lie within the 4 bytes of the message");
    }
}
