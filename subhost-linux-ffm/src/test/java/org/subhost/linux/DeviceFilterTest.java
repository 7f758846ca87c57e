package org.subhost.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The device filter's instructions, byte for byte, without root. */
class DeviceFilterTest {
    private static final String PROLOGUE = ""
            + "6112000000000000" // r2 = *(u32 *)(r1 + 0): access_type
            + "57020000ffff0000" // r2 &= 0xffff: the device type
            + "6113000000000000" // r3 = *(u32 *)(r1 + 0)
            + "7703000010000000" // r3 >>= 16: the access asked for
            + "6114040000000000" // r4 = *(u32 *)(r1 + 4): major
            + "6115080000000000"; // r5 = *(u32 *)(r1 + 8): minor
    private static final String REFUSE = "b700000000000000" + "9500000000000000"; // r0 = 0; exit
    private static final String ALLOW = "b700000001000000" + "9500000000000000"; // r0 = 1; exit

    @Test
    void filtersWithTheSameRulesInTheSameOrderAreEqualAndHashAlike() {
        DeviceFilter.Rule null1 = new DeviceFilter.Rule('c', 1, 3, DeviceFilter.READ | DeviceFilter.WRITE);
        DeviceFilter.Rule pts = new DeviceFilter.Rule('c', 136, DeviceFilter.ANY, DeviceFilter.READ | DeviceFilter.WRITE);
        DeviceFilter f = new DeviceFilter(List.of(null1, pts));
        DeviceFilter same = new DeviceFilter(List.of(new DeviceFilter.Rule('c', 1, 3, DeviceFilter.READ | DeviceFilter.WRITE),
                new DeviceFilter.Rule('c', 136, DeviceFilter.ANY, DeviceFilter.READ | DeviceFilter.WRITE)));
        assertThat(same).isEqualTo(f).hasSameHashCodeAs(f);
        assertThat(new DeviceFilter(List.of(pts, null1))).as("another order decides otherwise").isNotEqualTo(f);
        assertThat(new DeviceFilter.Rule('b', 1, 3, DeviceFilter.READ | DeviceFilter.WRITE)).isNotEqualTo(null1);
        assertThat(new DeviceFilter.Rule('c', 2, 3, DeviceFilter.READ | DeviceFilter.WRITE)).isNotEqualTo(null1);
        assertThat(new DeviceFilter.Rule('c', 1, 4, DeviceFilter.READ | DeviceFilter.WRITE)).isNotEqualTo(null1);
        assertThat(new DeviceFilter.Rule('c', 1, 3, DeviceFilter.READ)).isNotEqualTo(null1);
        assertThat(null1).isNotEqualTo(null).isNotEqualTo("c 1:3 rw");
    }

    @Test
    void withoutRulesEveryDeviceIsRefused() {
        assertThat(hex(new DeviceFilter(List.of()))).isEqualTo(PROLOGUE + REFUSE);
    }

    @Test
    void aRuleChecksTypeAccessMajorAndMinorThenAllows() {
        DeviceFilter f = new DeviceFilter(List.of(new DeviceFilter.Rule('c', 1, 3, DeviceFilter.READ | DeviceFilter.WRITE)));
        assertThat(hex(f)).isEqualTo(PROLOGUE
                + "5502070002000000" // if r2 != 2 (char) goto next rule (+7)
                + "bf31000000000000" // r1 = r3
                + "5701000001000000" // r1 &= ~(read|write) & 7: mknod
                + "5501040000000000" // if r1 != 0 goto next rule (+4)
                + "5504030001000000" // if r4 != 1 goto next rule (+3)
                + "5505020003000000" // if r5 != 3 goto next rule (+2)
                + ALLOW + REFUSE);
        assertThat(f.length()).isEqualTo(6 + 8 + 2);
    }

    @Test
    void anyNumberAndFullAccessNeedNoCheck() {
        DeviceFilter f = new DeviceFilter(List.of(
                new DeviceFilter.Rule('c', 136, DeviceFilter.ANY, DeviceFilter.READ | DeviceFilter.WRITE | DeviceFilter.MKNOD),
                new DeviceFilter.Rule('b', DeviceFilter.ANY, DeviceFilter.ANY, DeviceFilter.MKNOD)));
        assertThat(hex(f)).isEqualTo(PROLOGUE
                + "5502030002000000" + "5504020088000000" + ALLOW // c 136:* rwm
                + "5502050001000000" + "bf31000000000000" + "5701000006000000" + "5501020000000000" + ALLOW // b *:* m
                + REFUSE);
    }

    @Test
    void rulesReadAsDevicesAllowLines() {
        assertThat(new DeviceFilter.Rule('c', 136, DeviceFilter.ANY, 7)).hasToString("c 136:* rwm");
        assertThat(new DeviceFilter.Rule('b', 7, 0, DeviceFilter.READ)).hasToString("b 7:0 r");
        assertThat(new DeviceFilter(List.of(new DeviceFilter.Rule('c', 1, 3, 6), new DeviceFilter.Rule('c', 1, 5, 2))))
                .hasToString("DeviceFilter[c 1:3 rw; c 1:5 r]");
    }

    @Test
    void rejectsRulesTheKernelCouldNotMean() {
        assertThatThrownBy(() -> new DeviceFilter.Rule('x', 1, 3, 6)).hasMessage("device type (x) must be c or b");
        assertThatThrownBy(() -> new DeviceFilter.Rule('c', -2, 3, 6))
                .hasMessage("device numbers (-2:3) must be -1 (any) or more");
        assertThatThrownBy(() -> new DeviceFilter.Rule('c', 1, 3, 0))
                .hasMessage("device access (0) must be MKNOD, READ and WRITE or'ed");
    }

    private static String hex(DeviceFilter f) {
        return HexFormat.of().formatHex(f.instructions());
    }
}
