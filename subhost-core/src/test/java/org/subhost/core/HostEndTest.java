package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.config.SubhostConfig;
import org.subhost.linux.Fds;
import org.subhost.linux.netlink.NamedNetns;
import org.subhost.linux.netlink.RtNetlink;

/**
 * The host end of a cable without a bridge ({@link NetnsCable.ConnectHostEnd}): handed to
 * ifupdown's {@code ifup NAMEi} when the host has it, brought up by us when it has not or
 * when ifup fails. The step runs on a veth of the test's own, in a network namespace of its
 * own (as the host's namespace of the step), with an {@code ifup} of the test's that
 * records its call and exits with a chosen status: the host's real network configuration is
 * never touched; the undo runs the {@code ifdown} beside that {@code ifup}.
 */
class HostEndTest {
    private String name;
    private String netns;
    private Path base;
    private RtNetlink links;
    private BootLog log;
    private Descriptor logFd;
    private Descriptor devNull;
    private BootServices services;
    /** What the step reads from the boot's PrepareInit: LOG and /dev/null, for ifup and ifdown. */
    private final Slot<InitSupervisor.CommandIo> io = new Slot<>("LOG and /dev/null for commands");
    private final BootResults results = new BootResults(List.of(io));

    @BeforeEach
    void setUp() throws Exception {
        KernelFixture.requireRoot();
        name = KernelFixture.uniqueName();
        base = KernelFixture.base(name);
        netns = "shte" + name.substring(3);
        NamedNetns.create(netns);
        links = RtNetlink.openIn(NamedNetns.path(netns));
        links.addVeth(name + "0", "eth0", OptionalInt.empty(), Optional.empty());
        log = BootLog.open("overlay-boot", name, base.resolve("log"));
        services = new BootServices(log, new StateStore(base.resolve("state")), links);
        logFd = new Descriptor(Fds.open(base.resolve("log").toString(), Fds.O_WRONLY | Fds.O_APPEND | Fds.O_CLOEXEC));
        devNull = new Descriptor(Fds.open("/dev/null", Fds.O_RDWR | Fds.O_CLOEXEC));
        results.put(io, new InitSupervisor.CommandIo(devNull, logFd));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (netns == null) {
            return;
        }
        try {
            logFd.close();
            devNull.close();
            links.close();
            log.close();
        } finally {
            NamedNetns.delete(netns);
        }
        KernelFixture.assertNothingLeft(name, base);
        KernelFixture.deleteTree(base);
    }

    /**
     * An ifup of the test's own, and its ifdown beside it: each appends its name and
     * arguments to BASE/calls; ifup exits with {@code status}.
     */
    private Path fakeIfup(int status) throws Exception {
        Path ifup = base.resolve("sbin/ifup");
        Files.createDirectories(ifup.getParent());
        Files.writeString(ifup, "#!/bin/sh\necho \"ifup $*\" >> " + base.resolve("calls") + "\nexit " + status + "\n");
        Files.setAttribute(ifup, "unix:mode", 0755);
        Path ifdown = ifup.resolveSibling("ifdown");
        Files.writeString(ifdown, "#!/bin/sh\necho \"ifdown $*\" >> " + base.resolve("calls") + "\n");
        Files.setAttribute(ifdown, "unix:mode", 0755);
        return ifup;
    }

    /** The step for host end NAME0, without a bridge, with {@code ifup} when the host has one. */
    private NetnsCable.ConnectHostEnd hostEnd(Optional<Path> ifup) {
        return new NetnsCable.ConnectHostEnd(name + "0", Optional.empty(), ifup, false, io,
                new Slot<>("host end " + name + "0"));
    }

    private StepInputs inputs(BootStep<?> step) {
        return new StepInputs(services, results, step);
    }

    private boolean hostEndUp() throws Exception {
        return links.link(name + "0").orElseThrow().up();
    }

    @Test
    void withIfupdownTheHostEndIsLeftToIfup() throws Exception {
        Path ifup = fakeIfup(0);
        NetnsCable.ConnectHostEnd step = hostEnd(Optional.of(ifup));
        assertThat(step.describe()).isEqualTo("host end " + name + "0: ifup " + name + "0 (else just up)");

        NetnsCable.HostEnd end = step.apply(inputs(step));

        assertThat(Files.readString(base.resolve("calls"))).isEqualTo("ifup " + name + "0\n");
        assertThat(end).isEqualTo(new NetnsCable.HostEnd(name + "0", true));
        assertThat(hostEndUp()).as("up by us, although ifup configured it").isFalse();
        step.undo(end, inputs(step));
        assertThat(Files.readString(base.resolve("calls"))).as("the undo: ifdown of the same ifupdown")
                .isEqualTo("ifup " + name + "0\nifdown --force " + name + "0\n");
        // The LOG says which way each went (docs/configuration.md, Cables).
        assertThat(Files.readString(base.resolve("log")))
                .contains(" overlay-boot[" + name + "]: " + name + "0: configured by " + ifup + " " + name + "0\n")
                .contains(" overlay-boot[" + name + "]: " + name + "0: taken down by " + ifup.resolveSibling("ifdown")
                        + " --force " + name + "0\n");
    }

    @Test
    void whenIfupFailsTheHostEndIsBroughtUpAndTheFailureLogged() throws Exception {
        Path ifup = fakeIfup(1);
        NetnsCable.ConnectHostEnd step = hostEnd(Optional.of(ifup));

        NetnsCable.HostEnd end = step.apply(inputs(step));

        assertThat(Files.readString(base.resolve("calls"))).isEqualTo("ifup " + name + "0\n");
        assertThat(end.byIfup()).isFalse();
        assertThat(hostEndUp()).isTrue();
        assertThat(Files.readString(base.resolve("log"))).contains("ifup (" + ifup + " " + name + "0) exited with status 1;"
                + " bringing " + name + "0 up only");
        step.undo(end, inputs(step));
        assertThat(Files.readString(base.resolve("calls"))).as("no ifdown for what ifup did not configure")
                .isEqualTo("ifup " + name + "0\n");
    }

    @Test
    void withoutIfupdownTheHostEndIsBroughtUp() throws Exception {
        NetnsCable.ConnectHostEnd step = hostEnd(Optional.empty());

        NetnsCable.HostEnd end = step.apply(inputs(step));

        assertThat(end.byIfup()).isFalse();
        assertThat(hostEndUp()).isTrue();
        assertThat(Files.readString(base.resolve("log")))
                .contains(name + "0: no ifup on this host (ifupdown is not installed); bringing it up only");
    }
}
