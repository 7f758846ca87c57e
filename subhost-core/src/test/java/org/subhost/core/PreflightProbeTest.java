package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.BootProblem;
import org.subhost.config.Share;
import org.subhost.config.SubhostConfig;
import org.subhost.core.PreflightFacts.Kind;
import org.subhost.core.PreflightFacts.PathState;
import org.subhost.testing.Uid;

/**
 * The preflight's facts as this host gives them, for a subhost directory made by the test
 * (its own LOWER and ifupdown configuration, so that nothing of the host's /etc counts).
 * Runs as any user; as root it also reads the subhost's files.
 */
class PreflightProbeTest {
    @TempDir
    Path tmp;
    Path base;

    @BeforeEach
    void realBase() throws IOException {
        base = tmp.toRealPath();
    }

    @Test
    void tellsMissingPathsFilesDirectoriesAndMountRoots() throws IOException {
        Path file = Files.writeString(base.resolve("file"), "x");
        assertThat(PreflightProbe.pathState(base.resolve("nothing"))).contains(PathState.MISSING);
        assertThat(PreflightProbe.pathState(file)).hasValueSatisfying(s -> assertThat(s.kind()).isEqualTo(Kind.NOT_DIRECTORY));
        // The mount, which UPPER and WORK must share (a btrfs subvolume has a device number of its own).
        long device = org.subhost.linux.Mounts.mountId(base.toString()).orElseThrow();
        assertThat(PreflightProbe.pathState(base)).hasValueSatisfying(s -> {
            assertThat(s.kind()).isEqualTo(Kind.DIRECTORY);
            assertThat(s.device()).isEqualTo(device);
            assertThat(s.mountRoot()).isFalse();
        });
        assertThat(PreflightProbe.pathState(Path.of("/proc"))).hasValueSatisfying(s -> assertThat(s.mountRoot()).isTrue());
    }

    @Test
    void aBrokenBaseOnThisHost() throws IOException {
        Path source = base.resolve("spool");
        SubhostConfig config = SubhostConfig.builder("pfx1", base).start("none").addShare(new Share(source, source))
                .build();
        List<BootProblem> problems = Preflight.check(config, PreflightProbe.probe(config, new StateStore(
                base.resolve("state")), Optional.empty(), base.resolve("interfaces")));
        assertThat(problems).extracting(BootProblem::toString).containsExactly(
                "error: LIVE (" + base + "/live) does not exist; fix: mkdir -p " + base + "/live",
                "error: UPPER (" + base + "/root) does not exist; fix: mkdir -p " + base + "/root",
                "error: WORK (" + base + "/work) does not exist; fix: mkdir -p " + base + "/work",
                "error: SHARE source (" + source + ") does not exist on the host; fix: mkdir -p " + source
                        + ", or remove the SHARE= line that names it");
    }

    @Test
    void theHostnameOfUpperHidesThatOfLower() throws IOException {
        for (String dir : List.of("live", "root/etc", "work", "lower/etc")) {
            Files.createDirectories(base.resolve(dir));
        }
        Files.writeString(base.resolve("root/etc/hostname"), "\n  pfx3  \nother\n");
        Files.writeString(base.resolve("lower/etc/hostname"), "lowername\n");
        SubhostConfig config = SubhostConfig.builder("pfx3", base).lower(Path.of("lower")).build();

        PreflightFacts facts = PreflightProbe.probe(config, new StateStore(base.resolve("state")), Optional.empty(),
                base.resolve("interfaces"));
        if (!Uid.isRoot()) {
            return; // the trees are readable to root alone
        }
        assertThat(facts.subhostHostname()).as("the first line, trimmed: empty, so none").isEmpty();
        Files.writeString(base.resolve("root/etc/hostname"), "  pfx3  \nother\n");
        facts = PreflightProbe.probe(config, new StateStore(base.resolve("state")), Optional.empty(),
                base.resolve("interfaces"));
        assertThat(facts.subhostHostname()).hasValueSatisfying(h -> {
            assertThat(h.name()).isEqualTo("pfx3");
            assertThat(h.file()).isEqualTo(base.resolve("root/etc/hostname"));
            assertThat(h.fromLower()).isFalse();
        });
    }

    @Test
    void readsTheSubhostsFilesInsideItsTrees() throws IOException {
        for (String dir : List.of("live", "root/etc/network", "work", "lower/etc/init.d")) {
            Files.createDirectories(base.resolve(dir));
        }
        Files.writeString(base.resolve("root/etc/network/interfaces"), "auto lo\niface lo inet loopback\n"
                + "auto eth0\niface eth0 inet manual\n");
        String hostname = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        Files.writeString(base.resolve("lower/etc/hostname"), hostname + "\n");
        Files.writeString(base.resolve("lower/etc/init.d/networking"), "#!/bin/sh\n");
        Files.writeString(base.resolve("interfaces"), "iface pfx20 inet manual\n");
        SubhostConfig config = SubhostConfig.builder("pfx2", base).lower(Path.of("lower")).cables("= =")
                .start("networking ssh").build();

        PreflightFacts facts = PreflightProbe.probe(config, new StateStore(base.resolve("state")),
                Optional.of(Path.of("/usr/sbin/ifup")), base.resolve("interfaces"));
        assertThat(facts.runningPid()).isEmpty();
        assertThat(facts.hostLinks()).as("pfx20 and pfx21 are no links of this host").contains(java.util.Set.of());
        assertThat(facts.ifupdownStanzas()).contains(java.util.Set.of("pfx20"));
        assertThat(facts.hostname()).contains(hostname);
        if (!Uid.isRoot()) {
            return; // the rest reads the trees, which the test made readable to root alone
        }
        assertThat(facts.missingServices()).containsExactly("ssh");
        assertThat(facts.subhostHostname()).hasValueSatisfying(h -> {
            assertThat(h.name()).isEqualTo(hostname);
            assertThat(h.file()).isEqualTo(base.resolve("lower/etc/hostname"));
            assertThat(h.fromLower()).isTrue();
        });
        assertThat(Preflight.check(config, facts)).extracting(BootProblem::problem).containsExactly(
                "host end pfx21 has no stanza in /etc/network/interfaces, so 'ifup pfx21' fails and the boot only"
                        + " brings it up, without an address",
                base + "/root/etc/network/interfaces names no eth1, which CABLES makes (the file is older than the"
                        + " cable?), so the subhost leaves eth1 unconfigured",
                "the subhost's hostname will be " + hostname + ", the host's own (from " + base + "/lower/etc/hostname,"
                        + " LOWER's), so a prompt inside reads like one on the host",
                "START service ssh: the subhost's root has neither /etc/init.d/ssh nor a unit ssh.service, so its"
                        + " start will fail");
    }

    @Test
    void readsStartsUnitsFromUpperOverLowerAsTheBootWill() throws IOException {
        for (String dir : List.of("live", "work", "root/etc/systemd/system/logd.service.d", "root/etc/init.d",
                "lower/lib/systemd/system", "lower/etc/init.d")) {
            Files.createDirectories(base.resolve(dir));
        }
        Files.writeString(base.resolve("lower/lib/systemd/system/logd.service"),
                "[Service]\nExecStart=/usr/sbin/logd\nLimitNOFILE=1024\n");
        Files.writeString(base.resolve("root/etc/systemd/system/logd.service.d/local.conf"),
                "[Service]\nProtectSystem=full\n");
        Files.writeString(base.resolve("lower/lib/systemd/system/bad.service"), "[Service]\nType=dbus-ish\n");
        Files.writeString(base.resolve("lower/etc/init.d/ssh"), "#!/bin/sh\n");
        SubhostConfig config = SubhostConfig.builder("pfx3", base).lower(Path.of("lower"))
                .start("logd bad ssh gone.service").build();

        PreflightFacts facts = PreflightProbe.probe(config, new StateStore(base.resolve("state")), Optional.empty(),
                base.resolve("interfaces"));
        if (!Uid.isRoot()) {
            return; // the rest reads the trees, which the test made readable to root alone
        }
        assertThat(facts.missingServices()).containsExactly("gone.service");
        assertThat(Preflight.check(config, facts)).extracting(BootProblem::toString).containsExactly(
                "warning: /lib/systemd/system/logd.service:3: logd.service starts without what these directives ask,"
                        + " outside the built-in init's subset: LimitNOFILE= (line 3), ProtectSystem="
                        + " (/etc/systemd/system/logd.service.d/local.conf:2); fix: none, if logd runs without them"
                        + " (docs/spec.md §5.1 lists what the built-in init runs); else start it from a script of your"
                        + " own in START, or make an init system the subhost's init (INIT)",
                "warning: /lib/systemd/system/bad.service:2: Type= (dbus-ish) must be simple, exec, forking, oneshot"
                        + " or notify; fix: correct the unit (a drop-in"
                        + " /etc/systemd/system/bad.service.d/NAME.conf in UPPER overrides what LOWER has), or leave bad"
                        + " out of START",
                "warning: START service gone.service: the subhost's root has no unit gone.service, so its start will"
                        + " fail; fix: install it in the subhost, or leave it out: START=logd bad ssh");
    }
}
