package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.config.Confinement;
import org.subhost.linux.Fds;
import org.subhost.linux.Pidfd;
import org.subhost.linux.netlink.RtNetlink;

/**
 * The release of pid 1 ({@link NamespaceSpawner.ReleaseInit}) when pid 1 has already ended:
 * it confines itself before its go (subhost-init.c), so a confinement that fails ends it
 * before the go is sent. The release then names what happened and LOG, as for a pid 1 that
 * ends after its go, instead of the go's write failing with EPIPE. pid 1 here is two pipes
 * whose other ends are closed, as a pid 1 that exited leaves them; no process is started.
 */
class ReleaseInitTest {
    private Path base;
    private BootLog log;
    private RtNetlink links;
    private Pidfd pidfd;
    private final Slot<NamespaceSpawner.Pid1> pid1 = new Slot<>("pid 1");
    private final BootResults results = new BootResults(List.of(pid1));

    @BeforeEach
    void setUp() throws Exception {
        String name = KernelFixture.uniqueName();
        base = KernelFixture.base(name);
        log = BootLog.open("overlay-boot", name, base.resolve("log"));
        links = RtNetlink.open();
        // The test's own process stands in for pid 1's pidfd: the release does not signal it.
        pidfd = Pidfd.open((int) ProcessHandle.current().pid());
    }

    @AfterEach
    void tearDown() throws Exception {
        pidfd.close();
        links.close();
        log.close();
        KernelFixture.deleteTree(base);
    }

    @Test
    void aPid1ThatEndedBeforeItsGoIsNamedWithLogNotAsAFailedWrite() throws Exception {
        int[] go = Fds.pipe2(Fds.O_CLOEXEC);
        int[] ready = Fds.pipe2(Fds.O_CLOEXEC);
        // pid 1's ends, closed as its exit closes them.
        Fds.close(go[0]);
        Fds.close(ready[1]);
        Descriptor goEnd = new Descriptor(go[1]);
        Descriptor readyEnd = new Descriptor(ready[0]);
        results.put(pid1, new NamespaceSpawner.Pid1(4242, pidfd, goEnd, readyEnd, Optional.empty(),
                Confinement.DEFAULT, new SdkProgram.FileIdentity(1, 2)));
        NamespaceSpawner.ReleaseInit step = new NamespaceSpawner.ReleaseInit("sub", base.resolve("log"), pid1,
                Duration.ZERO, List.of(), Duration.ofSeconds(1));
        StepInputs in = new StepInputs(new BootServices(log, new StateStore(base.resolve("state")), links), results,
                step);

        try {
            assertThatThrownBy(() -> step.apply(in)).isExactlyInstanceOf(java.io.IOException.class)
                    .hasMessage("pid 1 (4242) ended before it could start the init; see LOG " + base.resolve("log"));
        } finally {
            goEnd.close();
            readyEnd.close();
        }
    }
}
