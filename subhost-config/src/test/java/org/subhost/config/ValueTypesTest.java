package org.subhost.config;

import com.google.common.testing.EqualsTester;
import com.google.common.testing.NullPointerTester;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The configuration's value types behave as values: equal when their parts are (and equal
 * to what their text parses back to), and hostile to nulls at every public entry, including
 * the builder's, which fail at once with a {@code NullPointerException} rather than later
 * in a boot.
 */
class ValueTypesTest {
    private static final MacAddress MAC = MacAddress.parse("06:20:03:4e:a6:f2");

    @Test
    void macAddressesAreEqualByValueAndByTheirText() {
        new EqualsTester()
                .addEqualityGroup(MAC, MacAddress.parse("06:20:03:4E:A6:F2"), MacAddress.parse(MAC.toString()),
                        new MacAddress(MAC.value()))
                .addEqualityGroup(MacAddress.parse("06:20:03:4e:a6:f3"))
                .testEquals();
    }

    @Test
    void cableSpecsAreEqualByValueAndByTheirText() {
        new EqualsTester()
                .addEqualityGroup(CableSpec.parse("br0=06:20:03:4e:a6:f2"),
                        CableSpec.veth(Optional.of("br0"), Optional.of(MAC)),
                        CableSpec.parse(CableSpec.veth(Optional.of("br0"), Optional.of(MAC)).toString()))
                .addEqualityGroup(CableSpec.parse("="), CableSpec.veth(Optional.empty(), Optional.empty()))
                .addEqualityGroup(CableSpec.parse("=.302"), CableSpec.vlan(302, Optional.empty()))
                .addEqualityGroup(CableSpec.parse("br1=.302"), new CableSpec(Optional.of("br1"), Optional.empty(),
                        OptionalInt.of(302)))
                .testEquals();
    }

    @Test
    void sharesAreEqualByTheirTwoPaths() {
        Path base = Path.of("/ex1");
        new EqualsTester()
                .addEqualityGroup(Share.parse("/srv/spool", base), new Share(Path.of("/srv/spool"), Path.of("/srv/spool")))
                .addEqualityGroup(Share.parse("/srv/spool:/var/spool", base),
                        new Share(Path.of("/srv/spool"), Path.of("/var/spool")))
                .addEqualityGroup(Share.parse("data", base), new Share(Path.of("/ex1/data"), Path.of("/ex1/data")))
                .testEquals();
    }

    @Test
    void confinementsAndDiskAttachmentsAreEqualByValue() {
        new EqualsTester()
                .addEqualityGroup(Confinement.DEFAULT, new Confinement(Confinement.DEFAULT.capabilityMask(), true, true))
                .addEqualityGroup(Confinement.NONE, new Confinement(Confinement.ALL, false, false))
                .addEqualityGroup(new Confinement(Confinement.DEFAULT.capabilityMask(), false, true))
                .testEquals();
        DiskAttachment a = new DiskAttachment(Path.of("/ex1/mnt"), Path.of("/dev/loop3"), Path.of("/ex1/disk.img"));
        new EqualsTester()
                .addEqualityGroup(a, DiskAttachment.parse(a.toString()))
                .addEqualityGroup(new DiskAttachment(Path.of("/ex1/mnt"), Path.of("/dev/loop4"), Path.of("/ex1/disk.img")))
                .testEquals();
    }

    @Test
    void limitsAndDeviceRulesAreEqualByValueAndByTheirText() {
        Limits l = Limits.DEFAULT.with("MEMORY_MAX", "1G").with("CPU_MAX", "150%");
        new EqualsTester()
                .addEqualityGroup(Limits.DEFAULT, Limits.parse(Limits.DEFAULT.toString()), Limits.parse(""))
                .addEqualityGroup(l, Limits.parse(l.toString()), Limits.DEFAULT.with("CPU_MAX", "150%")
                        .with("MEMORY_MAX", "1024M"))
                .addEqualityGroup(Limits.DEFAULT.with("PIDS_MAX", "none"))
                .testEquals();
        new EqualsTester()
                .addEqualityGroup(DeviceRule.parse("/dev/fuse"), new DeviceRule.Node(Path.of("/dev/fuse"), "rwm"))
                .addEqualityGroup(DeviceRule.parse("c:10:200:wr"), new DeviceRule.Numbers('c', 10, 200, "rw"))
                .addEqualityGroup(DeviceRule.parse("b:7:*"), new DeviceRule.Numbers('b', 7, -1, "rwm"))
                .testEquals();
    }

    @Test
    void cablesAreEqualByValue() {
        VethCable eth0 = new VethCable(0, "ex10", "eth0", Optional.empty(), Optional.of(MAC));
        new EqualsTester()
                .addEqualityGroup(eth0, new VethCable(0, "ex10", "eth0", Optional.empty(), Optional.of(MAC)))
                .addEqualityGroup(new VethCable(1, "ex11", "eth1", Optional.of("br0"), Optional.empty()))
                .addEqualityGroup(new VlanCable(eth0, 302, "ex10.302", "eth0.302", Optional.empty()))
                .testEquals();
    }

    @Test
    void everyPublicEntryOfTheValueTypesRefusesNull() {
        NullPointerTester tester = defaults();
        for (Class<?> type : List.of(MacAddress.class, CableSpec.class, Share.class, Confinement.class,
                DiskAttachment.class, VethCable.class, VlanCable.class, Capability.class, Limits.class,
                DeviceRule.class, DeviceRule.Node.class, DeviceRule.Numbers.class)) {
            tester.testAllPublicStaticMethods(type);
            tester.testAllPublicConstructors(type);
        }
        tester.testAllPublicInstanceMethods(MAC);
        tester.testAllPublicInstanceMethods(CableSpec.parse("br0=06:20:03:4e:a6:f2"));
        tester.testAllPublicInstanceMethods(Share.parse("/srv/spool", Path.of("/ex1")));
        tester.testAllPublicInstanceMethods(Confinement.DEFAULT);
        tester.testAllPublicInstanceMethods(Limits.DEFAULT);
        tester.testAllPublicInstanceMethods(DeviceRule.parse("/dev/fuse"));
        tester.testAllPublicInstanceMethods(DeviceRule.parse("c:10:200"));
    }

    @Test
    void theBuilderAndTheConfigurationRefuseNullAtOnce(@TempDir Path base) {
        NullPointerTester tester = defaults().setDefault(Path.class, base);
        tester.testAllPublicStaticMethods(SubhostConfig.class);
        tester.testAllPublicInstanceMethods(SubhostConfig.builder("ex1", base));
        tester.testAllPublicInstanceMethods(SubhostConfig.builder("ex1", base).build());
    }

    /** Non-null arguments that every entry accepts, for the parameters not under test. */
    private static NullPointerTester defaults() {
        return new NullPointerTester()
                .setDefault(Path.class, Path.of("/ex1"))
                .setDefault(String.class, "ex1")
                .setDefault(int.class, 1)
                .setDefault(MacAddress.class, MAC)
                .setDefault(CableSpec.class, CableSpec.parse("="))
                .setDefault(Share.class, Share.parse("/srv/spool", Path.of("/ex1")))
                .setDefault(Confinement.class, Confinement.DEFAULT)
                .setDefault(Limits.class, Limits.DEFAULT)
                .setDefault(char.class, 'c')
                .setDefault(VethCable.class, new VethCable(0, "ex10", "eth0", Optional.empty(), Optional.empty()));
    }
}
