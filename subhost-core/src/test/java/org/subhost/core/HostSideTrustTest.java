package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.ExecResult;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.Subhosts;
import org.subhost.config.Share;
import org.subhost.config.SubhostConfig;
import org.subhost.linux.Mounts;
import org.subhost.linux.NamespaceRequest;
import org.subhost.linux.NamespaceThread;
import org.subhost.linux.Namespaces;

/**
 * The host side trusts nothing that a subhost's root wrote in UPPER: each test plants what
 * that root could plant between two boots (a symbolic link out of the subhost, a FIFO, a
 * device node, a link to a device) and boots. The host's files stay untouched (the links
 * lead to a directory of the test's own, never a real host directory), the boot works or
 * fails at once with a message, and nothing is left.
 */
class HostSideTrustTest {
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

    private final Subhosts subhosts = Subhosts.linux();
    private String name;
    private Path base;
    /** A directory of the test's own that the planted links aim at, standing for a host directory. */
    private Path decoy;
    private SubhostConfig config;

    @BeforeEach
    void setUp() throws Exception {
        KernelFixture.requireRoot();
        name = KernelFixture.uniqueName();
        base = KernelFixture.base(name);
        decoy = Files.createTempDirectory("subhost-decoy-" + name + "-").toRealPath();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (name == null) {
            return;
        }
        KernelFixture.stopAndCheckNothingLeft(subhosts, config, name, base);
        KernelFixture.deleteTree(decoy);
    }

    private SubhostConfig.Builder minimal() {
        return SubhostConfig.builder(name, base).start("none").log(base.resolve("log"));
    }

    private Subhost boot(SubhostConfig c) throws SubhostException {
        config = c;
        // A boot that blocked on a planted FIFO would hold the NAME's lock for ever: bounded here.
        return assertTimeoutPreemptively(Duration.ofSeconds(60), () -> subhosts.boot(c));
    }

    private Path upper(String relative) throws IOException {
        Path p = base.resolve("root").resolve(relative);
        Files.createDirectories(p.getParent());
        return p;
    }

    private static String inside(Subhost s, String script) throws SubhostException {
        ExecResult r = s.exec(List.of("/bin/sh", "-c", script), TEN_SECONDS);
        assertThat(r.status()).as("status of %s (stderr: %s)", script, r.stderr()).isZero();
        return r.stdout();
    }

    private String log() throws IOException {
        return Files.readString(base.resolve("log"), StandardCharsets.UTF_8);
    }

    @Test
    void aLinkOnUpperEtcNetworkLeadsInsideTheSubhostNotToTheHost() throws Exception {
        Files.createSymbolicLink(upper("etc/network"), decoy);

        // Resolved inside UPPER, the link leads nowhere: the boot stops at once and says so.
        assertThatThrownBy(() -> boot(minimal().build())).isInstanceOf(SubhostException.class)
                .hasMessageEndingWith("failed: " + base.resolve("root/etc/network")
                        + ": a symbolic link that leads nowhere inside " + base.resolve("root"));
        assertThat(decoy).isEmptyDirectory();
        KernelFixture.assertNothingLeft(name, base);

        // Where the link leads inside the subhost, the file lands there, in UPPER.
        Path inUpper = Files.createDirectories(base.resolve("root").resolve(decoy.toString().substring(1)));
        Subhost s = boot(minimal().build());

        assertThat(decoy).isEmptyDirectory();
        assertThat(inUpper.resolve("interfaces")).isRegularFile();
        assertThat(inside(s, "cat /etc/network/interfaces")).contains("auto lo");
        s.stop(TEN_SECONDS);
        assertThat(decoy).isEmptyDirectory();
    }

    @Test
    void aLinkOnTheParentOfAShareTargetLeadsInsideTheSubhost() throws Exception {
        Path shared = Files.createDirectories(base.resolve("shared"));
        Files.writeString(shared.resolve("file"), "shared\n");
        Files.createSymbolicLink(upper("srv"), decoy);

        Subhost s = boot(minimal().addShare(new Share(shared, Path.of("/srv/mail"))).build());

        assertThat(decoy).isEmptyDirectory();
        assertThat(inside(s, "cat /srv/mail/file")).isEqualTo("shared\n");
        s.stop(TEN_SECONDS);
        assertThat(decoy).isEmptyDirectory();
    }

    @Test
    void aFifoAtUpperEtcGroupNeitherBlocksTheBootNorIsRead() throws Exception {
        Mounts.mknod(upper("etc/group").toString(), Mounts.S_IFIFO | 0644, 0, 0);

        Subhost s = boot(minimal().build());

        assertThat(log()).contains(base.resolve("live/etc/group") + ": a FIFO, not a regular file; not read");
        assertThat(inside(s, "ls -ln /dev/tty")).contains(" 0 5 ");
        s.stop(TEN_SECONDS);
    }

    @Test
    void aDeviceNodeAtEtcGroupAndALinkToDevZeroAtEtcHostnameAreNeverOpened() throws Exception {
        // /dev/zero's numbers, planted as the subhost's root could with mknod; and a link that
        // after the switch of root leads to the subhost's own /dev/zero.
        Mounts.mknod(upper("etc/group").toString(), Mounts.S_IFCHR | 0644, 1, 5);
        Files.createSymbolicLink(upper("etc/hostname"), Path.of("/dev/zero"));

        Subhost s = boot(minimal().build());

        assertThat(log()).contains(base.resolve("live/etc/group") + ": a character device, not a regular file")
                .contains("/etc/hostname: a character device, not a regular file; not read; the hostname is " + name);
        assertThat(inside(s, "hostname")).isEqualTo(name + "\n");
        s.stop(TEN_SECONDS);
    }

    /**
     * pid 1 holds every capability until it has confined itself: nothing of the subhost's
     * tree may be loaded into it before. Its program is the SDK's own sealed copy, static, so
     * that neither a {@code /.reaper} of the upper layer (which the old tool and older
     * versions ran, and which the subhost's root may rename or replace) nor the subhost's
     * dynamic loader, libraries or {@code /etc/ld.so.preload} reach it: every file it maps is
     * that copy. The preloaded library here, where a dynamic program would load it, would
     * leave a mark.
     */
    @Test
    void pid1MapsNothingOfTheSubhostsTreeAndWritesNothingThere() throws Exception {
        Path source = Files.writeString(decoy.resolve("preload.c"), """
                #include <fcntl.h>
                #include <unistd.h>
                __attribute__((constructor)) static void mark(void) {
                    if (getpid() == 1) close(open("/preloaded-into-pid-1", O_WRONLY | O_CREAT, 0600));
                }
                """);
        // Not in /lib, which a directory in UPPER would take from a host whose /lib is a link.
        String compiled = KernelFixture.run("cc", "-shared", "-fPIC", "-o", upper("srv/preload.so").toString(),
                source.toString());
        assertThat(upper("srv/preload.so")).as("cc -shared: %s", compiled).exists();
        Files.writeString(upper("etc/ld.so.preload"), "/srv/preload.so\n");

        Subhost s = boot(minimal().build());

        List<String> mapped = Files.readAllLines(Path.of("/proc", Integer.toString(s.pid()), "maps")).stream()
                .map(line -> line.split("\\s+", 6)).filter(f -> f.length == 6 && f[5].startsWith("/"))
                .map(f -> f[5]).distinct().toList();
        assertThat(mapped).as("the files pid 1 maps").containsExactly("/memfd:subhost-init (deleted)");
        assertThat(Files.readSymbolicLink(Path.of("/proc", Integer.toString(s.pid()), "exe")))
                .hasToString("/memfd:subhost-init (deleted)");
        assertThat(base.resolve("root/preloaded-into-pid-1")).doesNotExist();
        assertThat(base.resolve("root/.reaper")).doesNotExist();
        assertThat(base.resolve("root/.reaper.new")).doesNotExist();
        assertThat(inside(s, "cat /proc/1/cmdline | tr '\\0' ' '")).startsWith("subhost-init ");
        s.stop(TEN_SECONDS);
    }

    /**
     * Subhosts booted by different JVMs (one overlay-boot each) run one copy of subhost-init:
     * the second boot takes the sealed copy that the first subhost's pid 1 runs (the recorded
     * inode, sealed, byte for byte its own program) instead of making another, so that their
     * pages are shared; its record keeps that copy's identity.
     */
    @Test
    void aBootByAnotherJvmRunsTheCopyThatARunningSubhostRuns() throws Exception {
        Subhost first = boot(minimal().build());
        String second = "shu" + name.substring(3);
        Path secondBase = KernelFixture.base(second);
        String jvm = ProcessHandle.current().info().command().orElseThrow();
        try {
            Process p = new ProcessBuilder(jvm, "--enable-native-access=ALL-UNNAMED", "-cp",
                    System.getProperty("java.class.path"), BootMain.class.getName(), second, secondBase.toString(),
                    secondBase.resolve("log").toString()).redirectErrorStream(true).start();
            String said = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(said).isZero();
            Subhost other = subhosts.find(second).orElseThrow();
            Object[] a = {Files.getAttribute(Path.of("/proc", Integer.toString(first.pid()), "exe"), "unix:dev"),
                Files.getAttribute(Path.of("/proc", Integer.toString(first.pid()), "exe"), "unix:ino")};
            Object[] b = {Files.getAttribute(Path.of("/proc", Integer.toString(other.pid()), "exe"), "unix:dev"),
                Files.getAttribute(Path.of("/proc", Integer.toString(other.pid()), "exe"), "unix:ino")};
            assertThat(b).as("the second pid 1's program against the first's").isEqualTo(a);
            assertThat(Files.readString(Path.of("/run/subhost", second, "state"))).contains("program=" + a[0] + ":" + a[1]);
        } finally {
            KernelFixture.stopAndCheckNothingLeft(subhosts,
                    SubhostConfig.builder(second, secondBase).start("none").log(secondBase.resolve("log")).build(), second,
                    secondBase);
        }
        first.stop(TEN_SECONDS);
    }

    /**
     * pid 1's input is the subhost's own {@code /dev/null}, opened by the host side with
     * every capability: a link planted there (by a POSTMOUNT of the user's, or a root that
     * owns the tree it binds) is refused, never followed, and the boot says which.
     */
    @Test
    void aLinkAtDevNullIsNotOpenedForPid1() throws Exception {
        Path target = Files.writeString(decoy.resolve("not-null"), "a file of the host\n");
        // POSTMOUNT gets LIVE and UPPER as its arguments.
        Path postmount = Files.writeString(decoy.resolve("postmount"), "#!/bin/sh\nmkdir -p \"$1/dev\" && ln -sf "
                + target + " \"$1/dev/null\"\n");
        Files.setPosixFilePermissions(postmount, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        SubhostConfig config = minimal().postmount(postmount.toString()).build();

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> boot(config))
                .isInstanceOf(org.subhost.SubhostException.class)
                .hasMessageContaining("/dev/null: a symbolic link (or one on its way), not the null device (1:3);"
                        + " not opened");
        assertThat(Files.readString(target)).isEqualTo("a file of the host\n");
    }

    @Test
    void adjtimeIsBoundReadOnlySoTheSubhostCannotSkewTheHostsClock() throws Exception {
        // A file of the test's own stands for the host's /etc/adjtime, which the test never touches.
        Path source = Files.writeString(decoy.resolve("adjtime"), "0.0 0 0.0\n0\nUTC\n");
        Path live = base.resolve("live");
        Files.writeString(upper("etc/adjtime"), "the subhost's\n");
        Files.createDirectories(live.resolve("etc"));
        Files.writeString(live.resolve("etc/adjtime"), "the subhost's\n");

        List<String> seen = NamespaceThread.run("adjtime " + name, NamespaceRequest.builder().build(), () -> {
            Namespaces.unshare(Namespaces.CLONE_NEWNS);
            Mounts.makeRprivate("/");
            new OverlayFs.BindAdjtime(source, live).apply(null);
            String options = Files.readAllLines(Path.of("/proc/thread-self/mountinfo")).stream()
                    .filter(line -> line.split(" ")[4].equals(live.resolve("etc/adjtime").toString()))
                    .map(line -> line.split(" ")[5]).findFirst().orElse("not mounted");
            String write;
            try {
                Files.writeString(live.resolve("etc/adjtime"), "skewed\n");
                write = "written";
            } catch (IOException e) {
                write = "refused";
            }
            return List.of(Files.readString(live.resolve("etc/adjtime")), options, write);
        });

        assertThat(seen.get(0)).isEqualTo("0.0 0 0.0\n0\nUTC\n");
        assertThat(seen.get(1)).startsWith("ro,");
        assertThat(seen.get(2)).isEqualTo("refused");
        assertThat(Files.readString(source)).isEqualTo("0.0 0 0.0\n0\nUTC\n");
        assertThat(KernelFixture.leftovers(name, base)).isEmpty();
    }

    @Test
    void anErrorInAStepRollsTheBootBackLikeAnException() throws Exception {
        config = minimal().cables("= =").build();
        List<String> plan = BootPlanner.plan(config, HostFacts.probe()).lines();
        int last = plan.size() - 1;
        Subhosts faulty = LinuxSubhosts.withFaults(Path.of("/run/subhost"), (index, step) -> {
            if (index == last) {
                throw new OutOfMemoryError("planted");
            }
        });

        assertThatThrownBy(() -> faulty.boot(config)).isInstanceOf(SubhostException.class)
                .hasMessageEndingWith("failed: planted").hasRootCauseInstanceOf(OutOfMemoryError.class);
        KernelFixture.assertNothingLeft(name, base);
    }
}
