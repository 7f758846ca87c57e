package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.BootProblem;
import org.subhost.config.Share;
import org.subhost.config.SubhostConfig;
import org.subhost.core.PreflightFacts.HostnameFile;
import org.subhost.core.PreflightFacts.InterfacesFile;
import org.subhost.core.PreflightFacts.Kind;
import org.subhost.core.PreflightFacts.PathState;

/**
 * The preflight's rules, each from a configuration and made-up facts of a host, without
 * root: every problem at once, each with its fix, errors before warnings.
 */
class PreflightTest {
    private static final PathState DIR = PathState.directory(42);

    @TempDir
    Path tmp;
    Path base;

    @BeforeEach
    void realBase() throws IOException {
        base = tmp.toRealPath();
    }

    /** Facts of a host where every path of {@code config} is a plain directory on one filesystem. */
    private PreflightFacts.Builder allThere(SubhostConfig config) {
        PreflightFacts.Builder facts = PreflightFacts.builder().hostLinksKnown().ifup(Path.of("/usr/sbin/ifup"))
                .ifupdownStanzas(Set.of()).hostname("host1");
        for (Path p : List.of(config.live(), config.upper(), config.work(), config.lower())) {
            facts.path(p, DIR);
        }
        config.shares().forEach(s -> facts.path(s.hostPath(), DIR));
        return facts;
    }

    private static List<String> lines(List<BootProblem> problems) {
        return problems.stream().map(BootProblem::toString).toList();
    }

    @Test
    void aBrokenBaseGivesEveryProblemAtOnceEachWithItsFix() {
        Path source = Path.of("/srv/nowhere");
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").addShare(new Share(source, source))
                .build();
        PreflightFacts facts = allThere(config).path(config.live(), PathState.MISSING)
                .path(config.upper(), PathState.MISSING).path(config.work(), PathState.MISSING)
                .path(source, PathState.MISSING).build();
        List<BootProblem> problems = Preflight.check(config, facts);
        assertThat(lines(problems)).containsExactly(
                "error: LIVE (" + base + "/live) does not exist; fix: mkdir -p " + base + "/live",
                "error: UPPER (" + base + "/root) does not exist; fix: mkdir -p " + base + "/root",
                "error: WORK (" + base + "/work) does not exist; fix: mkdir -p " + base + "/work",
                "error: SHARE source (/srv/nowhere) does not exist on the host; fix: mkdir -p /srv/nowhere, or remove"
                        + " the SHARE= line that names it");
        assertThat(problems).allMatch(BootProblem::isError);
    }

    @Test
    void aCleanConfigurationHasNoProblem() {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").cables("br0=").build();
        assertThat(Preflight.check(config, allThere(config).hostLink("br0").build())).isEmpty();
    }

    @Test
    void unknownFactsGiveNoProblem() {
        SubhostConfig config = SubhostConfig.builder("ex1", base).cables("br0= =").build();
        // Whether ifupdown is installed is always known; the rest here is not.
        assertThat(Preflight.check(config, PreflightFacts.builder().ifup(Path.of("/usr/sbin/ifup")).build())).isEmpty();
    }

    @Test
    void aPathThatIsNoDirectoryIsAnError() {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").build();
        PreflightFacts facts = allThere(config).path(config.work(), new PathState(Kind.NOT_DIRECTORY, 0, false, false))
                .build();
        assertThat(lines(Preflight.check(config, facts))).containsExactly("error: WORK (" + base + "/work) is not a"
                + " directory; fix: move " + base + "/work away and mkdir -p " + base + "/work, or set WORK= to a"
                + " directory");
    }

    @Test
    void aMissingLowerIsNotFixedByMkdir() {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").lower(Path.of("/srv/debian")).build();
        PreflightFacts facts = allThere(config).path(Path.of("/srv/debian"), PathState.MISSING).build();
        assertThat(lines(Preflight.check(config, facts))).containsExactly("error: LOWER (/srv/debian) does not exist;"
                + " fix: set LOWER= to the root directory of an OS tree (such as one debootstrap makes), or leave it"
                + " unset for the host's own /");
    }

    @Test
    void upperAndWorkOnAnOverlayAreErrors() {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").build();
        PathState overlay = new PathState(Kind.DIRECTORY, 42, true, false);
        PreflightFacts facts = allThere(config).path(config.upper(), overlay).path(config.work(), overlay).build();
        String elsewhere = "; fix: set UPPER= and WORK= to two directories side by side on a filesystem that is no"
                + " overlay (ext4, xfs, btrfs, tmpfs)";
        assertThat(lines(Preflight.check(config, facts))).containsExactly(
                "error: UPPER (" + base + "/root) is on an overlay filesystem, which the kernel refuses as an overlay's"
                        + " upper layer" + elsewhere,
                "error: WORK (" + base + "/work) is on an overlay filesystem, which the kernel refuses as an overlay's"
                        + " work directory" + elsewhere);
    }

    @Test
    void workOnAnotherFilesystemThanUpperIsAnError() {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").work(Path.of("/var/tmp/w")).build();
        PreflightFacts facts = allThere(config).path(Path.of("/var/tmp/w"), PathState.directory(7)).build();
        assertThat(lines(Preflight.check(config, facts))).containsExactly("error: WORK (/var/tmp/w) is not on the"
                + " same filesystem as UPPER (" + base + "/root); fix: set WORK= to a directory beside UPPER, on its"
                + " filesystem (such as " + base + "/work)");
    }

    @Test
    void aLimitTheHostCannotApplyIsAnErrorWithTheVariableToSet() throws Exception {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").build();
        String reason;
        try {
            SubhostGroups.plan("ex1", CgroupLayout.NONE, config.limits());
            throw new AssertionError("the default PIDS_MAX needs a pids controller");
        } catch (java.io.IOException e) {
            reason = e.getMessage();
        }
        PreflightFacts facts = allThere(config).limitsRefusal(reason).build();
        assertThat(lines(Preflight.check(config, facts))).containsExactly("error: PIDS_MAX (2048) needs the pids"
                + " controller, which this host cannot give (none: no control group hierarchy is mounted); fix: set"
                + " PIDS_MAX=none in the configuration to boot without that limit");
    }

    @Test
    void aMountOnLiveIsAnError() {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").build();
        PreflightFacts facts = allThere(config).path(config.live(), new PathState(Kind.DIRECTORY, 42, false, true))
                .build();
        assertThat(lines(Preflight.check(config, facts))).containsExactly("error: LIVE (" + base + "/live) already has"
                + " a mount; fix: umount " + base + "/live (a mount of the host's, which the boot would hide)");
    }

    @Test
    void aPlainRootNeedsOnlyLive() {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").live(Path.of("tree"))
                .upper(Path.of("tree")).lower(Path.of("tree")).build();
        PreflightFacts facts = PreflightFacts.builder().path(base.resolve("tree"), PathState.MISSING)
                .path(base.resolve("work"), PathState.MISSING).build();
        assertThat(lines(Preflight.check(config, facts))).containsExactly("error: LIVE (" + base + "/tree) does not"
                + " exist; fix: mkdir -p " + base + "/tree");
    }

    @Test
    void aRunningSubhostOfTheNameIsAnErrorAndItsOwnMountAndLinksAreNot() {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").cables("br0=").file(base.resolve("ex1.conf"))
                .build();
        PreflightFacts facts = allThere(config).running(4321).hostLink("br0").hostLink("ex10")
                .path(config.live(), new PathState(Kind.DIRECTORY, 42, false, true)).build();
        assertThat(lines(Preflight.check(config, facts))).containsExactly("error: ex1 is already running (pid 4321);"
                + " fix: overlay-stop " + base + "/ex1.conf first, or give this subhost another NAME=");
    }

    @Test
    void aMissingBridgeIsAnErrorOncePerBridge() {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").cables("br0= br0=.7").build();
        assertThat(lines(Preflight.check(config, allThere(config).build()))).containsExactly("error: bridge br0 (for"
                + " ex10) does not exist on the host; fix: ip link add br0 type bridge && ip link set br0 up (or a"
                + " stanza for it in /etc/network/interfaces), or name another bridge in CABLES");
    }

    @Test
    void aHostEndLeftByAnEarlierBootIsAnError() {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").cables("br0=")
                .file(base.resolve("ex1.conf")).build();
        PreflightFacts facts = allThere(config).hostLink("br0").hostLink("ex10").build();
        assertThat(lines(Preflight.check(config, facts))).containsExactly("error: interface ex10 exists on the host"
                + " already; fix: overlay-stop " + base + "/ex1.conf (it removes what an earlier boot of ex1 left), or"
                + " ip link delete ex10");
    }

    @Test
    void aHostEndWithoutBridgeOrStanzaIsAWarning() {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").cables("= =").build();
        PreflightFacts facts = allThere(config).ifupdownStanzas(Set.of("ex10")).build();
        assertThat(lines(Preflight.check(config, facts))).containsExactly("warning: host end ex11 has no stanza in"
                + " /etc/network/interfaces, so 'ifup ex11' fails and the boot only brings it up, without an address;"
                + " fix: add a stanza for it to /etc/network/interfaces, such as 'iface ex11 inet manual' or one with"
                + " its address (docs/configuration.md, \"A worked cable\"), or give the cable a bridge in CABLES");
    }

    @Test
    void aHostEndWithoutBridgeOnAHostWithoutIfupdownIsAWarning() {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").cables("=").build();
        PreflightFacts.Builder facts = PreflightFacts.builder().hostLinksKnown().hostname("host1");
        for (Path p : List.of(config.live(), config.upper(), config.work(), config.lower())) {
            facts.path(p, DIR);
        }
        assertThat(lines(Preflight.check(config, facts.build()))).containsExactly("warning: host end ex10 has no bridge"
                + " and ifupdown is not installed, so the boot only brings it up, without an address; fix: give the"
                + " cable a bridge in CABLES, or install ifupdown and add a stanza for ex10 to /etc/network/interfaces");
    }

    @Test
    void aSubhostsInterfacesFileOlderThanACableIsAWarning() {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").cables("br0= br0= br0=.302").build();
        Path file = base.resolve("root/etc/network/interfaces");
        PreflightFacts facts = allThere(config).hostLink("br0")
                .upperInterfaces(new InterfacesFile(file, Set.of("lo", "eth0"), false)).build();
        assertThat(lines(Preflight.check(config, facts))).containsExactly("warning: " + file + " names no eth1, which"
                + " CABLES makes (the file is older than the cable?), so the subhost leaves eth1 unconfigured; fix: add"
                + " 'auto eth1' and 'iface eth1 inet manual' (or its address) to " + file + ", or move the file away so"
                + " that the next boot writes one for every cable");
    }

    @Test
    void aSubhostsInterfacesFileThatIncludesOthersIsLeftAlone() {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").cables("br0= br0=").build();
        PreflightFacts facts = allThere(config).hostLink("br0")
                .upperInterfaces(new InterfacesFile(base.resolve("root/etc/network/interfaces"), Set.of("lo"), true))
                .build();
        assertThat(Preflight.check(config, facts)).isEmpty();
    }

    @Test
    void theHostsOwnHostnameFromLowerIsAWarningWithTheFileToWrite() {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").build();
        PreflightFacts facts = allThere(config)
                .subhostHostname(new HostnameFile("host1", Path.of("/etc/hostname"), true)).build();
        assertThat(lines(Preflight.check(config, facts))).containsExactly("warning: the subhost's hostname will be"
                + " host1, the host's own (from /etc/hostname, LOWER's), so a prompt inside reads like one on the host;"
                + " fix: echo ex1 > " + base + "/root/etc/hostname (or another name of its own)");
    }

    @Test
    void aHostnameOfItsOwnIsNoProblem() {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").build();
        PreflightFacts facts = allThere(config)
                .subhostHostname(new HostnameFile("mail", base.resolve("root/etc/hostname"), false)).build();
        assertThat(Preflight.check(config, facts)).isEmpty();
    }

    @Test
    void theHostsRootBoundAsItIsCannotTakeAHostnameFileOfItsOwn() throws IOException {
        Path live = base.resolve("live");
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("none").upper(Path.of("/"))
                .lower(Path.of("/")).build();
        PreflightFacts facts = PreflightFacts.builder().path(live, DIR).path(Path.of("/"), DIR).hostname("host1")
                .subhostHostname(new HostnameFile("host1", Path.of("/etc/hostname"), false)).build();
        assertThat(lines(Preflight.check(config, facts))).containsExactly("warning: the subhost's hostname will be"
                + " host1, the host's own (from /etc/hostname), so a prompt inside reads like one on the host; fix:"
                + " give the subhost a root of its own, an overlay (UPPER other than LOWER, as by default), and write"
                + " its name to UPPER/etc/hostname");
    }

    @Test
    void aStartServiceTheRootLacksIsAWarningWithTheStartWithoutIt() {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("networking ssh /opt/x/run").build();
        PreflightFacts facts = allThere(config).missingServices(List.of("ssh", "/opt/x/run")).build();
        assertThat(lines(Preflight.check(config, facts))).containsExactly(
                "warning: START service ssh: the subhost's root has neither /etc/init.d/ssh nor a unit"
                        + " ssh.service, so its start will fail; fix: install it in the subhost, or leave it out:"
                        + " START=networking",
                "warning: START service /opt/x/run: the subhost's root has no /opt/x/run, so its start"
                        + " will fail; fix: install it in the subhost, or leave it out: START=networking");
    }

    @Test
    void aUsersInitStartsWhatItLikes() {
        SubhostConfig config = SubhostConfig.builder("ex1", base).init("echo exec /sbin/init").build();
        PreflightFacts facts = allThere(config).missingServices(List.of("networking", "ssh")).build();
        assertThat(Preflight.check(config, facts)).isEmpty();
    }

    @Test
    void errorsComeBeforeWarnings() {
        SubhostConfig config = SubhostConfig.builder("ex1", base).start("ssh").cables("=").build();
        PreflightFacts facts = allThere(config).missingServices(List.of("ssh"))
                .path(config.live(), PathState.MISSING).build();
        assertThat(Preflight.check(config, facts)).extracting(BootProblem::severity).containsExactly(
                BootProblem.Severity.ERROR, BootProblem.Severity.WARNING, BootProblem.Severity.WARNING);
    }

    @Test
    void aProblemReadsAsOneLineAndNeedsEveryPart() {
        BootProblem p = new BootProblem(BootProblem.Severity.WARNING, "x", "y");
        assertThat(p).hasToString("warning: x; fix: y");
        assertThat(p.isError()).isFalse();
        assertThatThrownBy(() -> new BootProblem(null, "x", "y")).isInstanceOf(NullPointerException.class)
                .hasMessage("severity");
    }
}
