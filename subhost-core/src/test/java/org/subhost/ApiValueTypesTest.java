package org.subhost;

import com.google.common.testing.EqualsTester;
import com.google.common.testing.NullPointerTester;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.subhost.SubhostStatus.CableStatus;
import org.subhost.SubhostStatus.ServiceStatus;
import org.subhost.config.Confinement;
import org.subhost.config.Limits;
import org.subhost.config.RootKind;

/**
 * The API's value types ({@link ExecResult}, {@link SubhostStatus} and its parts) are values:
 * equal when their parts are, and refusing a null part at once.
 */
class ApiValueTypesTest {
    private static final Instant STARTED = Instant.parse("2026-12-07T09:00:00Z");
    private static final CableStatus CABLE = new CableStatus("ex10", "eth0", Optional.of("06:20:03:4e:a6:f2"),
            Optional.empty(), true);
    private static final ServiceStatus SSH = new ServiceStatus("ssh", "started");

    @Test
    void execResultsAreEqualByStatusAndOutputs() {
        new EqualsTester()
                .addEqualityGroup(new ExecResult(0, "out", "err"), new ExecResult(0, "out", "err"))
                .addEqualityGroup(new ExecResult(1, "out", "err"))
                .addEqualityGroup(new ExecResult(0, "out", ""))
                .addEqualityGroup(new ExecResult(0, "", "err"))
                .testEquals();
    }

    @Test
    void statusesAreEqualByEveryPart() {
        new EqualsTester()
                .addEqualityGroup(status("ex1", 100, List.of(SSH)), status("ex1", 100, List.of(SSH)),
                        new SubhostStatus("ex1", 100, STARTED, Optional.of(Path.of("/ex1/ex1.conf")), RootKind.OVERLAY,
                                Path.of("/ex1/live"), Path.of("/tmp/oly-ex1.log"), List.of(CABLE), List.of(SSH),
                                Optional.empty(), Confinement.DEFAULT))
                .addEqualityGroup(status("ex2", 100, List.of(SSH)))
                .addEqualityGroup(status("ex1", 101, List.of(SSH)))
                .addEqualityGroup(status("ex1", 100, List.of(new ServiceStatus("ssh", "failed (status 1)"))))
                .addEqualityGroup(withUsage(Limits.DEFAULT, USAGE), withUsage(Limits.DEFAULT, new SubhostStatus.Usage(
                        OptionalLong.of(4096), OptionalLong.of(8192), OptionalLong.of(3), OptionalLong.of(100),
                        OptionalLong.of(0))))
                .addEqualityGroup(withUsage(Limits.DEFAULT.with("MEMORY_MAX", "1G"), USAGE))
                .addEqualityGroup(withUsage(Limits.DEFAULT, SubhostStatus.Usage.UNKNOWN))
                .testEquals();
        new EqualsTester()
                .addEqualityGroup(CABLE, new CableStatus("ex10", "eth0", Optional.of("06:20:03:4e:a6:f2"),
                        Optional.empty(), true))
                .addEqualityGroup(new CableStatus("ex10", "eth0", Optional.of("06:20:03:4e:a6:f2"), Optional.empty(), false))
                .addEqualityGroup(new CableStatus("ex10", "eth0", Optional.empty(), Optional.of("br0"), true))
                .testEquals();
    }

    @Test
    void everyPublicEntryRefusesNull() {
        NullPointerTester tester = new NullPointerTester()
                .setDefault(Instant.class, STARTED)
                .setDefault(Path.class, Path.of("/ex1"))
                .setDefault(RootKind.class, RootKind.OVERLAY)
                .setDefault(Confinement.class, Confinement.DEFAULT)
                .setDefault(Limits.class, Limits.DEFAULT)
                .setDefault(SubhostStatus.Usage.class, USAGE)
                .setDefault(int.class, 1);
        for (Class<?> type : List.of(ExecResult.class, SubhostStatus.class, CableStatus.class, ServiceStatus.class,
                SubhostStatus.Usage.class)) {
            tester.testAllPublicConstructors(type);
            tester.testAllPublicStaticMethods(type);
        }
        tester.testAllPublicInstanceMethods(new ExecResult(0, "out", "err"));
        tester.testAllPublicInstanceMethods(status("ex1", 100, List.of(SSH)));
    }

    private static final SubhostStatus.Usage USAGE = new SubhostStatus.Usage(OptionalLong.of(4096),
            OptionalLong.of(8192), OptionalLong.of(3), OptionalLong.of(100), OptionalLong.of(0));

    private static SubhostStatus withUsage(Limits limits, SubhostStatus.Usage usage) {
        return new SubhostStatus("ex1", 100, STARTED, Optional.of(Path.of("/ex1/ex1.conf")), RootKind.OVERLAY,
                Path.of("/ex1/live"), Path.of("/tmp/oly-ex1.log"), List.of(CABLE), List.of(SSH), Optional.empty(),
                Confinement.DEFAULT, Optional.empty(), List.of(), limits, usage);
    }

    private static SubhostStatus status(String name, int pid, List<ServiceStatus> services) {
        return new SubhostStatus(name, pid, STARTED, Optional.of(Path.of("/ex1/ex1.conf")), RootKind.OVERLAY,
                Path.of("/ex1/live"), Path.of("/tmp/oly-ex1.log"), List.of(CABLE), services, Optional.empty(),
                Confinement.DEFAULT, Optional.empty());
    }
}
