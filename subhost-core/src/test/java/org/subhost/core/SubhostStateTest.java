package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.subhost.config.Confinement;
import org.subhost.config.DiskAttachment;
import org.subhost.config.RootKind;
import org.subhost.config.Share;

class SubhostStateTest {

    private static SubhostState sample() {
        return SubhostState.builder("mta").phase(SubhostState.Phase.RUNNING)
                .pid1(Optional.of(new ProcessIdentity(4242, 987654))).config(Optional.of(Path.of("/opt/mta/mta.conf")))
                .log(Path.of("/tmp/oly-mta.log")).logOffset(120).live(Path.of("/opt/mta/live")).rootKind(RootKind.OVERLAY)
                .netns("mta").hostLinks(List.of("mta0", "mta0.302")).cableEnds(List.of("eth0", "eth0.302"))
                .ifupped(List.of("mta0")).cgroup(Optional.of(Path.of("/sys/fs/cgroup/unified/mta")))
                .services(List.of("networking", "/etc/init.d/postfix")).started(Instant.ofEpochMilli(1_700_000_000_123L))
                .build();
    }

    @Test
    void survivesFormatThenParse() {
        SubhostState state = sample();
        assertThat(SubhostState.parse(state.format())).isEqualTo(state);
    }

    @Test
    void aBootingRecordHasNoPid() {
        SubhostState booting = SubhostState.builder("ex1").phase(SubhostState.Phase.BOOTING)
                .log(Path.of("/tmp/oly-ex1.log")).live(Path.of("/ex1/live")).rootKind(RootKind.PLAIN)
                .started(Instant.ofEpochMilli(5)).build();
        String text = booting.format();
        assertThat(text).doesNotContain("pid=").contains("phase=booting\n");
        assertThat(SubhostState.parse(text)).isEqualTo(booting);
    }

    @Test
    void diskAttachmentsSurviveFormatThenParseInTheirOrder() {
        SubhostState state = SubhostState.builder("mta").phase(SubhostState.Phase.BOOTING)
                .log(Path.of("/tmp/oly-mta.log")).live(Path.of("/opt/mta/live")).rootKind(RootKind.OVERLAY)
                .started(Instant.ofEpochMilli(5)).disks(List.of(
                        DiskAttachment.parse("/opt/mta/lower\t/dev/loop3\t/opt/mta/os image.img"),
                        DiskAttachment.parse("/opt/mta/data\t/dev/loop4\t/opt/mta/data.img"))).build();
        String text = state.format();
        assertThat(text).contains("disk1=/opt/mta/lower\t/dev/loop3\t/opt/mta/os image.img\n",
                "disk2=/opt/mta/data\t/dev/loop4\t/opt/mta/data.img\n");
        assertThat(SubhostState.parse(text)).isEqualTo(state);
        assertThat(SubhostState.parse(text).running(new ProcessIdentity(7, 8), List.of()).disks())
                .isEqualTo(state.disks());
        assertThat(SubhostState.parse(text).withoutDisks().disks()).isEmpty();
    }

    @Test
    void theConfinementSurvivesFormatThenParse() {
        SubhostState state = sample().withConfinement(Confinement.DEFAULT.withCapabilities("admin -sys_ptrace")
                .withSeccomp(false));
        assertThat(state.format()).contains("confinement=CAPABILITIES=admin -sys_ptrace SECCOMP=off CONFINE_FILES=on\n");
        assertThat(SubhostState.parse(state.format())).isEqualTo(state);
    }

    @Test
    void aRecordWrittenBeforeTheConfinementStandsForAnUnconfinedSubhost() {
        String old = "name=ex1\nphase=running\npid=4242\nstarttime=99\nlog=/tmp/oly-ex1.log\nlogoffset=0\n"
                + "live=/ex1/live\nroot=overlay\nnetns=ex1\nlinks=\nends=\nifup=\nservices=\nstarted=5\n";
        assertThat(SubhostState.parse(old).confinement()).isEqualTo(Confinement.NONE);
    }

    @Test
    void aRecordWrittenBeforeDiskAttachmentsReadsAsNone() {
        String old = "name=ex1\nphase=running\npid=4242\nstarttime=99\nlog=/tmp/oly-ex1.log\nlogoffset=0\n"
                + "live=/ex1/live\nroot=overlay\nnetns=ex1\nlinks=\nends=\nifup=\nservices=\nstarted=5\n";
        assertThat(SubhostState.parse(old).disks()).isEmpty();
        assertThat(SubhostState.parse(old).pid1()).contains(new ProcessIdentity(4242, 99));
    }

    @Test
    void sharesSurviveFormatThenParseInTheirOrder() {
        List<Share> shares = List.of(new Share(Path.of("/srv/spool"), Path.of("/srv/spool")),
                new Share(Path.of("/srv/my data"), Path.of("/var/data:x")));
        SubhostState state = sample().toBuilder().shares(shares).build();
        assertThat(state.format()).contains("share1=/srv/spool\t/srv/spool\nshare2=/srv/my data\t/var/data:x\n");
        assertThat(SubhostState.parse(state.format()).shares()).isEqualTo(shares);
        String old = "name=ex1\nphase=running\npid=4242\nstarttime=99\nlog=/tmp/oly-ex1.log\nlogoffset=0\n"
                + "live=/ex1/live\nroot=overlay\nnetns=ex1\nlinks=\nends=\nifup=\nservices=\nstarted=5\n";
        assertThat(SubhostState.parse(old).shares()).as("a record written before shares were kept").isEmpty();
    }

    @Test
    void refusesASharePathTheRecordCannotHold() {
        assertThatThrownBy(() -> sample().toBuilder().shares(List.of(new Share(Path.of("/srv/a\tb"), Path.of("/x")))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("share path (/srv/a\\tb) must not contain a tab or a line break");
    }

    @Test
    void rejectsARecordWithoutItsName() {
        assertThatThrownBy(() -> SubhostState.parse("phase=running\n"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("state record lacks name");
    }

    @Test
    void runningKeepsEverythingButPhasePidAndIfup() {
        SubhostState running = sample().running(new ProcessIdentity(7, 8), List.of());
        assertThat(running.phase()).isEqualTo(SubhostState.Phase.RUNNING);
        assertThat(running.pid1()).contains(new ProcessIdentity(7, 8));
        assertThat(running.ifupped()).isEmpty();
        assertThat(running.hostLinks()).containsExactly("mta0", "mta0.302");
    }

    @Test
    void toBuilderGivesTheSameRecordBack() {
        SubhostState state = sample().withConfinement(Confinement.NONE);
        assertThat(state.toBuilder().build()).isEqualTo(state);
    }

    @Test
    void aBuiltRecordNamesItsNetworkNamespaceAfterItselfUnlessTold() {
        SubhostState.Builder builder = SubhostState.builder("ex1").log(Path.of("/tmp/oly-ex1.log"))
                .live(Path.of("/ex1/live")).rootKind(RootKind.PLAIN);
        assertThat(builder.build().netns()).isEqualTo("ex1");
        assertThat(builder.netns("other").build().netns()).isEqualTo("other");
    }

    @Test
    void aRecordIsNotBuiltWithoutItsLog() {
        assertThatThrownBy(() -> SubhostState.builder("ex1").live(Path.of("/ex1/live")).rootKind(RootKind.PLAIN).build())
                .isInstanceOf(NullPointerException.class)
                .hasMessage("log");
    }
}
