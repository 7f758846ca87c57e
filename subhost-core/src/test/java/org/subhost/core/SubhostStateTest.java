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

class SubhostStateTest {

    private static SubhostState sample() {
        return new SubhostState("mta", SubhostState.Phase.RUNNING, Optional.of(new ProcessIdentity(4242, 987654)),
                Optional.of(Path.of("/opt/mta/mta.conf")), Path.of("/tmp/oly-mta.log"), 120, Path.of("/opt/mta/live"),
                RootKind.OVERLAY, "mta", List.of("mta0", "mta0.302"), List.of("eth0", "eth0.302"), List.of("mta0"),
                Optional.of(Path.of("/sys/fs/cgroup/unified/mta")), List.of("networking", "/etc/init.d/postfix"),
                Instant.ofEpochMilli(1_700_000_000_123L));
    }

    @Test
    void survivesFormatThenParse() {
        SubhostState state = sample();
        assertThat(SubhostState.parse(state.format())).isEqualTo(state);
    }

    @Test
    void aBootingRecordHasNoPid() {
        SubhostState booting = new SubhostState("ex1", SubhostState.Phase.BOOTING, Optional.empty(), Optional.empty(),
                Path.of("/tmp/oly-ex1.log"), 0, Path.of("/ex1/live"), RootKind.PLAIN, "ex1", List.of(), List.of(),
                List.of(), Optional.empty(), List.of(), Instant.ofEpochMilli(5));
        String text = booting.format();
        assertThat(text).doesNotContain("pid=").contains("phase=booting\n");
        assertThat(SubhostState.parse(text)).isEqualTo(booting);
    }

    @Test
    void diskAttachmentsSurviveFormatThenParseInTheirOrder() {
        SubhostState state = new SubhostState("mta", SubhostState.Phase.BOOTING, Optional.empty(), Optional.empty(),
                Path.of("/tmp/oly-mta.log"), 0, Path.of("/opt/mta/live"), RootKind.OVERLAY, "mta", List.of(),
                List.of(), List.of(), Optional.empty(), List.of(), Instant.ofEpochMilli(5), List.of(
                        DiskAttachment.parse("/opt/mta/lower\t/dev/loop3\t/opt/mta/os image.img"),
                        DiskAttachment.parse("/opt/mta/data\t/dev/loop4\t/opt/mta/data.img")));
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
}
