package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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

/**
 * A SHARE source that someone else could swap is refused, at boot and live: a directory on
 * the way that belongs to uid 64999 (no account needed), who could replace the shared
 * directory with a symbolic link to {@code /} between two boots (the test makes that swap
 * itself, with a link to a directory of its own that stands for the host's root); a source
 * in what a subhost writes (another share, an UPPER), which its root can swap; a symbolic
 * link on the path. A share, like the root, is nodev.
 */
class ShareSourceTest {
    private static final int OTHER_USER = 64999;
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

    private final Subhosts subhosts = Subhosts.linux();
    private String name;
    private Path base;
    private Path userDir;
    private Path shared;
    private SubhostConfig config;

    @BeforeEach
    void setUp() throws Exception {
        KernelFixture.requireRoot();
        name = KernelFixture.uniqueName();
        base = KernelFixture.base(name);
        userDir = Files.createDirectories(base.resolve("user"));
        shared = Files.createDirectories(userDir.resolve("shared"));
        Files.setAttribute(userDir, "unix:uid", OTHER_USER);
        Files.setAttribute(shared, "unix:uid", OTHER_USER);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (name == null) {
            return;
        }
        KernelFixture.stopAndCheckNothingLeft(subhosts, config, name, base);
    }

    private SubhostConfig.Builder minimal() {
        return SubhostConfig.builder(name, base).start("none").log(base.resolve("log"));
    }

    private String refusal() {
        return "SHARE " + shared + " refused: " + userDir + " belongs to uid " + OTHER_USER + ", who could swap "
                + shared + " for a symbolic link; chown root " + userDir + " or share a directory of root's";
    }

    @Test
    void aShareUnderAnotherUsersDirectoryIsRefusedAtBootBeforeAndAfterTheSwap() throws Exception {
        config = minimal().addShare(new Share(shared, Path.of("/srv/shared"))).build();
        assertThatThrownBy(() -> subhosts.boot(config)).isInstanceOf(SubhostException.class)
                .hasMessageEndingWith(refusal());
        KernelFixture.assertNothingLeft(name, base);

        // The user swaps the directory for a link to "the host's root" (a directory of ours).
        Path hostRoot = Files.createDirectories(base.resolve("host-root"));
        Files.writeString(hostRoot.resolve("secret"), "secret\n");
        Files.delete(shared);
        Files.createSymbolicLink(shared, hostRoot);

        assertThatThrownBy(() -> subhosts.boot(config)).isInstanceOf(SubhostException.class)
                .hasMessageEndingWith(refusal());
        assertThat(Files.exists(base.resolve("root/srv/shared/secret"))).isFalse();
    }

    @Test
    void aLiveShareUnderAnotherUsersDirectoryIsRefused() throws Exception {
        config = minimal().build();
        Subhost s = subhosts.boot(config);

        assertThatThrownBy(() -> s.share(shared, Path.of("/mnt/shared"))).isInstanceOf(SubhostException.class)
                .hasMessageEndingWith(refusal());
        ExecResult r = s.exec(List.of("/bin/sh", "-c", "test -e /mnt/shared && echo there || echo absent"),
                TEN_SECONDS);
        assertThat(r.stdout()).isEqualTo("absent\n");
        s.stop(TEN_SECONDS);
    }

    @Test
    void aShareInADirectoryThatOthersMayWriteIsRefused() throws Exception {
        Path open = Files.createDirectories(base.resolve("open"));
        Path inside = Files.createDirectories(open.resolve("shared"));
        Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
        config = minimal().addShare(new Share(inside, Path.of("/srv/shared"))).build();

        assertThatThrownBy(() -> subhosts.boot(config)).isInstanceOf(SubhostException.class)
                .hasMessageEndingWith("SHARE " + inside + " refused: " + open + " is writable by others than root "
                        + "(mode 0777), who could swap " + inside + "; chmod go-w " + open);
    }

    @Test
    void aShareOfRootsIsBoundFromTheDescriptorItWasCheckedThrough() throws Exception {
        Path ours = Files.createDirectories(base.resolve("ours"));
        Files.writeString(ours.resolve("file"), "ours\n");
        config = minimal().addShare(new Share(ours, Path.of("/srv/ours"))).build();
        Subhost s = subhosts.boot(config);

        ExecResult r = s.exec(List.of("/bin/cat", "/srv/ours/file"), TEN_SECONDS);
        assertThat(r.stdout()).isEqualTo("ours\n");
        s.share(ours, Path.of("/mnt/ours"));
        assertThat(s.exec(List.of("/bin/cat", "/mnt/ours/file"), TEN_SECONDS).stdout()).isEqualTo("ours\n");
        s.stop(TEN_SECONDS);
    }

    /** {@code SHARE B/o/i refused: it lies in B/o, shared with subhost NAME at /o, ...}. */
    private String underShare(Path source, Path sharedDir, String at) {
        return "SHARE " + source + " refused: it lies in " + sharedDir + ", shared with subhost " + name + " at " + at
                + ", where root inside that subhost can write: it could swap " + source + " for a symbolic link or"
                + " another directory between two boots; share a directory that no subhost writes";
    }

    @Test
    void aShareSourceThatTheSubhostSwappedForALinkToTheHostsRootIsNeverBound() throws Exception {
        // Issue 21, way 1, as reproduced: SHARE= B/o:/o and SHARE= B/o/i:/i, and inside
        // rm -r /o/i; ln -s / /o/i. The next boot bound the host's whole / at /i.
        Path o = Files.createDirectories(base.resolve("o"));
        Path i = Files.createDirectories(o.resolve("i"));
        config = minimal().addShare(new Share(o, Path.of("/o"))).addShare(new Share(i, Path.of("/i"))).build();
        assertThatThrownBy(() -> subhosts.boot(config)).isInstanceOf(SubhostException.class)
                .hasMessageEndingWith(underShare(i, o, "/o"));
        KernelFixture.assertNothingLeft(name, base);

        SubhostConfig outer = minimal().addShare(new Share(o, Path.of("/o"))).build();
        Subhost s = subhosts.boot(outer);
        ExecResult swap = s.exec(List.of("/bin/sh", "-c", "rm -r /o/i && ln -s / /o/i"), TEN_SECONDS);
        assertThat(swap.status()).as(swap.stderr()).isZero();
        assertThat(Files.isSymbolicLink(i)).isTrue();

        assertThatThrownBy(() -> s.share(i, Path.of("/i"))).isInstanceOf(SubhostException.class)
                .hasMessageEndingWith(underShare(i, o, "/o"));
        ExecResult inside = s.exec(List.of("/bin/sh", "-c", "test -e /i && echo there || echo absent"), TEN_SECONDS);
        assertThat(inside.stdout()).isEqualTo("absent\n");
        s.stop(TEN_SECONDS);

        assertThatThrownBy(() -> subhosts.boot(config)).isInstanceOf(SubhostException.class)
                .hasMessageEndingWith(underShare(i, o, "/o"));
    }

    @Test
    void aShareWithASymbolicLinkOnItsPathIsRefused() throws Exception {
        Path real = Files.createDirectories(base.resolve("real/data"));
        Path link = Files.createSymbolicLink(base.resolve("link"), real.getParent());
        Path source = link.resolve("data");
        config = minimal().addShare(new Share(source, Path.of("/srv/data"))).build();

        assertThatThrownBy(() -> subhosts.boot(config)).isInstanceOf(SubhostException.class)
                .hasMessageEndingWith("SHARE " + source + " refused: " + link + " is a symbolic link; a SHARE source is"
                        + " resolved from / with no symbolic link on the way, since a planted link could lead to any"
                        + " directory of the host, / included; name the directory itself");
        KernelFixture.assertNothingLeft(name, base);
    }

    @Test
    void aShareInAnotherSubhostsUpperIsRefusedAtBootAndLive() throws Exception {
        String other = KernelFixture.uniqueName();
        Path otherBase = KernelFixture.base(other);
        SubhostConfig otherConfig = SubhostConfig.builder(other, otherBase).start("none")
                .log(otherBase.resolve("log")).build();
        try {
            Subhost running = subhosts.boot(otherConfig);
            Path inUpper = Files.createDirectories(otherBase.resolve("root/srv"));
            String refusal = "SHARE " + inUpper + " refused: it lies in " + otherBase.resolve("root")
                    + ", the UPPER of subhost " + other + ", where root inside that subhost can write: it could swap "
                    + inUpper + " for a symbolic link or another directory between two boots; share a directory that"
                    + " no subhost writes";
            config = minimal().addShare(new Share(inUpper, Path.of("/srv/other"))).build();
            assertThatThrownBy(() -> subhosts.boot(config)).isInstanceOf(SubhostException.class)
                    .hasMessageEndingWith(refusal);

            Subhost s = subhosts.boot(minimal().build());
            assertThatThrownBy(() -> s.share(inUpper, Path.of("/srv/other"))).isInstanceOf(SubhostException.class)
                    .hasMessageEndingWith(refusal);
            s.stop(TEN_SECONDS);
            running.stop(TEN_SECONDS);
        } finally {
            KernelFixture.stopAndCheckNothingLeft(subhosts, otherConfig, other, otherBase);
        }
    }

    @Test
    void aShareInTheUpperOfASubhostThatTheListNamesIsRefusedBeforeItBoots() throws Exception {
        Path listedBase = Files.createDirectories(base.resolve("listed"));
        Path conf = listedBase.resolve("lst.conf");
        Files.writeString(conf, "BASE=.\nNAME=lst" + name.substring(3) + "\n");
        Path list = Files.writeString(base.resolve("subhosts.conf"), "# booted with the host\n" + conf + "\n");
        Path inUpper = Files.createDirectories(listedBase.resolve("root/data"));
        config = minimal().addShare(new Share(inUpper, Path.of("/data"))).build();

        assertThatThrownBy(() -> LinuxSubhosts.create(Path.of("/run/subhost"), list).boot(config))
                .isInstanceOf(SubhostException.class).hasMessageEndingWith("SHARE " + inUpper + " refused: it lies in "
                        + listedBase.resolve("root") + ", the UPPER of subhost lst" + name.substring(3)
                        + ", where root inside that subhost can write: it could swap " + inUpper + " for a symbolic"
                        + " link or another directory between two boots; share a directory that no subhost writes");
        KernelFixture.assertNothingLeft(name, base);
    }

    @Test
    void aKernelLogNodePlantedInLowerUpperOrAShareCannotBeOpened() throws Exception {
        // Issue 21, way 4: old chroots and debootstrap trees carry device nodes. A node 1:11
        // (the host's /dev/kmsg) in LOWER, UPPER or a shared tree let root inside write the
        // host's kernel log: opening it for writing needs no capability.
        Path shared = Files.createDirectories(base.resolve("tree"));
        Path inLower = base.resolve("lower-kmsg"); // LOWER is /: the subhost sees it at the same path
        Mounts.mknod(inLower.toString(), Mounts.S_IFCHR | 0622, 1, 11);
        Mounts.mknod(base.resolve("root/upper-kmsg").toString(), Mounts.S_IFCHR | 0622, 1, 11);
        Mounts.mknod(shared.resolve("kmsg").toString(), Mounts.S_IFCHR | 0622, 1, 11);
        config = minimal().addShare(new Share(shared, Path.of("/srv/tree"))).build();
        Subhost s = subhosts.boot(config);

        for (String node : List.of(inLower.toString(), "/upper-kmsg", "/srv/tree/kmsg")) {
            assertThat(writeTo(s, node)).as(node).isEqualTo("dd: failed to open '" + node + "': Permission denied\n");
        }
        ExecResult devNull = s.exec(List.of("/bin/sh", "-c", "echo x > /dev/null && echo dev-null-works"), TEN_SECONDS);
        assertThat(devNull.stdout()).as("the built-in /dev is not nodev").isEqualTo("dev-null-works\n");
        s.share(shared, Path.of("/mnt/tree"));
        assertThat(writeTo(s, "/mnt/tree/kmsg")).isEqualTo("dd: failed to open '/mnt/tree/kmsg': Permission denied\n");
        s.stop(TEN_SECONDS);
    }

    /** Writes a line to {@code node} inside {@code s}: what dd says on standard error. */
    private static String writeTo(Subhost s, String node) throws SubhostException {
        return s.exec(List.of("/bin/sh", "-c", "printf 'subhost test: a planted 1:11 reached the kernel log\\n'"
                + " | dd of=" + node + " status=none"), TEN_SECONDS).stderr();
    }
}
