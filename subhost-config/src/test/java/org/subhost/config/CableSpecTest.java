package org.subhost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class CableSpecTest {
    @Test
    void parsesEveryForm() {
        assertThat(CableSpec.parse("=")).isEqualTo(CableSpec.veth(Optional.empty(), Optional.empty()));
        assertThat(CableSpec.parse("br0=")).isEqualTo(CableSpec.veth(Optional.of("br0"), Optional.empty()));
        assertThat(CableSpec.parse("=06:20:03:4e:a6:f2"))
                .isEqualTo(CableSpec.veth(Optional.empty(), Optional.of(MacAddress.parse("06:20:03:4e:a6:f2"))));
        assertThat(CableSpec.parse("br0=.302")).isEqualTo(CableSpec.vlan(302, Optional.of("br0")));
        assertThat(CableSpec.parse("=.302").vlanId()).isEqualTo(OptionalInt.of(302));
        assertThat(CableSpec.parse("=.302").isVlan()).isTrue();
    }

    @Test
    void writesWhatItReads() {
        for (String text : new String[] {"=", "br0=", "=06:20:03:4e:a6:f2", "br0=06:20:03:4e:a6:f2", "=.1", "x=.4095"}) {
            assertThat(CableSpec.parse(text)).hasToString(text);
        }
        assertThat(CableSpec.parse("=6:20:3:4E:A6:F2")).hasToString("=06:20:03:4e:a6:f2");
    }

    @Test
    void parsesAList() {
        assertThat(CableSpec.parseList(" br0=  =.2\t= ")).containsExactly(
                CableSpec.parse("br0="), CableSpec.parse("=.2"), CableSpec.parse("="));
        assertThat(CableSpec.parseList("")).isEmpty();
    }

    @Test
    void rejectsMacAndVlanInOneCable() {
        assertThatThrownBy(() -> new CableSpec(Optional.empty(), Optional.of(MacAddress.parse("06:20:03:4e:a6:f2")),
                OptionalInt.of(3))).hasMessage("cable (=06:20:03:4e:a6:f2) must have a MAC or a VLAN, not both");
    }

    @Test
    void rejectsVlanOutOfRangeInCode() {
        assertThatThrownBy(() -> CableSpec.vlan(0, Optional.empty())).hasMessage("VLAN id (0) must be from 1 to 4095");
        assertThatThrownBy(() -> CableSpec.vlan(4096, Optional.empty())).hasMessage("VLAN id (4096) must be from 1 to 4095");
    }

    @Test
    void rejectsBadBridgeInCode() {
        assertThatThrownBy(() -> CableSpec.veth(Optional.of(""), Optional.empty())).hasMessage("bridge () must not be empty");
        assertThatThrownBy(() -> CableSpec.veth(Optional.of("a b"), Optional.empty()))
                .hasMessage("bridge (a b) must not contain /, : or white space");
    }
}
