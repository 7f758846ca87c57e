package org.subhost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MacAddressTest {
    @Test
    void parsesAndWritesCanonicalForm() {
        assertThat(MacAddress.parse("06:20:03:4E:A6:F2")).hasToString("06:20:03:4e:a6:f2");
        assertThat(MacAddress.parse("6:20:3:4e:a6:f2")).hasToString("06:20:03:4e:a6:f2");
        assertThat(MacAddress.parse("06:20:03:4e:a6:f2").value()).isEqualTo(0x0620034ea6f2L);
    }

    @Test
    void givesBytesFirstOctetFirst() {
        assertThat(MacAddress.parse("06:20:03:4e:a6:f2").bytes())
                .containsExactly(0x06, 0x20, 0x03, 0x4e, 0xa6, 0xf2);
        assertThat(MacAddress.of(new byte[] {0x06, 0x20, 0x03, 0x4e, (byte) 0xa6, (byte) 0xf2}))
                .isEqualTo(MacAddress.parse("06:20:03:4e:a6:f2"));
    }

    @Test
    void acceptsLocallyAdministeredAndHighAddresses() {
        assertThat(MacAddress.parse("fe:ff:ff:ff:ff:ff")).hasToString("fe:ff:ff:ff:ff:ff");
    }

    @Test
    void rejectsOtherForms() {
        for (String text : new String[] {"", "06-20-03-4e-a6-f2", "0620034ea6f2", "06:20:03:4e:a6:f2:00",
                "06:20:03:4e:a6:", "006:20:03:4e:a6:f2", "06:20:03:4e:a6:fg", " 06:20:03:4e:a6:f2", "+6:20:03:4e:a6:f2"}) {
            assertThatThrownBy(() -> MacAddress.parse(text)).as(text).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("MAC (" + text + ") must be six hexadecimal octets separated by colons,"
                            + " like 06:20:03:4e:a6:f2");
        }
    }

    @Test
    void rejectsMulticastBroadcastAndZero() {
        assertThatThrownBy(() -> MacAddress.parse("ff:ff:ff:ff:ff:ff"))
                .hasMessage("MAC (ff:ff:ff:ff:ff:ff) must be a unicast address (lowest bit of the first octet clear)");
        assertThatThrownBy(() -> MacAddress.parse("0:0:0:0:0:0")).hasMessage("MAC (00:00:00:00:00:00) must not be all zeros");
        assertThatThrownBy(() -> new MacAddress(1L << 48)).hasMessage("MAC (1000000000000) must fit in 48 bits");
        assertThatThrownBy(() -> MacAddress.of(new byte[5])).hasMessage("MAC bytes (5) must be 6");
    }
}
