package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
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
    private BootContext context;

    @BeforeEach
    void setUp() throws Exception {
        KernelFixture.requireRoot();
        name = KernelFixture.uniqueName();
        base = KernelFixture.base(name);
        netns = "shte" + name.substring(3);
        NamedNetns.create(netns);
        links = RtNetlink.openIn(NamedNetns.path(netns));
        links.addVeth(name + "0", "eth0", OptionalInt.empty(), Optional.empty());
        SubhostConfig config = SubhostConfig.builder(name, base).start("none").log(base.resolve("log")).build();
        context = new BootContext(config, new StateStore(base.resolve("state")),
                BootLog.open("overlay-boot", name, base.resolve("log")), HostFacts.probe());
        context.hostLinks = links;
        context.logFd = Fds.open(base.resolve("log").toString(), Fds.O_WRONLY | Fds.O_APPEND | Fds.O_CLOEXEC);
        context.devNullFd = Fds.open("/dev/null", Fds.O_RDWR | Fds.O_CLOEXEC);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (netns == null) {
            return;
        }
        try {
            context.close();
            context.log.close();
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

    private boolean hostEndUp() throws Exception {
        return links.link(name + "0").orElseThrow().up();
    }

    @Test
    void withIfupdownTheHostEndIsLeftToIfup() throws Exception {
        Path ifup = fakeIfup(0);
        NetnsCable.ConnectHostEnd step = new NetnsCable.ConnectHostEnd(name + "0", Optional.empty(), Optional.of(ifup));
        assertThat(step.describe()).isEqualTo("host end " + name + "0: ifup " + name + "0 (else just up)");

        step.apply(context);

        assertThat(Files.readString(base.resolve("calls"))).isEqualTo("ifup " + name + "0\n");
        assertThat(context.ifupped).containsExactly(name + "0");
        assertThat(hostEndUp()).as("up by us, although ifup configured it").isFalse();
        step.undo(context);
        assertThat(context.ifupped).as("after the undo's ifdown").isEmpty();
        assertThat(Files.readString(base.resolve("calls"))).as("the undo: ifdown of the same ifupdown")
                .isEqualTo("ifup " + name + "0\nifdown --force " + name + "0\n");
    }

    @Test
    void whenIfupFailsTheHostEndIsBroughtUpAndTheFailureLogged() throws Exception {
        Path ifup = fakeIfup(1);
        NetnsCable.ConnectHostEnd step = new NetnsCable.ConnectHostEnd(name + "0", Optional.empty(), Optional.of(ifup));

        step.apply(context);

        assertThat(Files.readString(base.resolve("calls"))).isEqualTo("ifup " + name + "0\n");
        assertThat(context.ifupped).isEmpty();
        assertThat(hostEndUp()).isTrue();
        assertThat(Files.readString(base.resolve("log"))).contains("ifup (" + ifup + " " + name + "0) exited with status 1;"
                + " bringing " + name + "0 up only");
        step.undo(context);
        assertThat(Files.readString(base.resolve("calls"))).as("no ifdown for what ifup did not configure")
                .isEqualTo("ifup " + name + "0\n");
    }

    @Test
    void withoutIfupdownTheHostEndIsBroughtUp() throws Exception {
        NetnsCable.ConnectHostEnd step = new NetnsCable.ConnectHostEnd(name + "0", Optional.empty(), Optional.empty());

        step.apply(context);

        assertThat(context.ifupped).isEmpty();
        assertThat(hostEndUp()).isTrue();
        assertThat(Files.readString(base.resolve("log")))
                .contains(name + "0: no ifup on this host (ifupdown is not installed); bringing it up only");
    }
}
