package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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

/**
 * Issue 21, way 5: with LOWER {@code /}, a subhost read every other's UPPER, their LOGs and
 * {@code /run/subhost}. Now each subhost finds them empty (directories) or unopenable
 * (files): those running when it boots, those that boot later, those that {@code
 * /etc/subhosts.conf} lists, through its root and through its shares; and the paths its
 * HIDE names.
 */
class HidingKernelTest {
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

    private final Subhosts subhosts = Subhosts.linux();
    /** The subhosts a test made, by name, with their bases: the tear-down stops and checks them. */
    private final List<SubhostConfig> made = new ArrayList<>();
    private final List<Path> dirs = new ArrayList<>();

    @BeforeEach
    void root() {
        KernelFixture.requireRoot();
    }

    @AfterEach
    void tearDown() throws Exception {
        for (SubhostConfig c : made) {
            KernelFixture.stopAndCheckNothingLeft(subhosts, c, c.name(), c.base());
        }
        for (Path dir : dirs) {
            KernelFixture.deleteTree(dir);
        }
    }

    /** A subhost with LOWER / whose /run is the host's (RAM_SIZE none), in a base of its own. */
    private SubhostConfig.Builder subhost() throws IOException {
        String name = KernelFixture.uniqueName();
        Path base = KernelFixture.base(name);
        return SubhostConfig.builder(name, base).start("none").ramSize("none").log(base.resolve("log"));
    }

    private SubhostConfig made(SubhostConfig config) {
        made.add(config);
        return config;
    }

    private Path dir(String what) throws IOException {
        Path dir = Files.createTempDirectory("subhost-test-" + what + "-").toRealPath();
        dirs.add(dir);
        return dir;
    }

    /** Runs {@code script} in {@code s}: its standard output, then its standard error. */
    private static String sh(Subhost s, String script) throws SubhostException {
        ExecResult r = s.exec(List.of("/bin/sh", "-c", script), TEN_SECONDS);
        return r.stdout() + r.stderr();
    }

    @Test
    void anotherSubhostsBaseLogAndStateAreHiddenFromOneThatBootsLaterAndTheOtherWayRound() throws Exception {
        Path logs = dir("logs");
        Files.writeString(logs.resolve("neighbour.txt"), "not a subhost's\n");
        SubhostConfig first = made(subhost().log(logs.resolve("first.log")).build());
        Files.writeString(first.upper().resolve("secret"), "first's\n");
        Subhost a = subhosts.boot(first);
        SubhostConfig second = made(subhost().build());
        Files.writeString(second.upper().resolve("secret"), "second's\n");
        Subhost b = subhosts.boot(second);

        assertThat(sh(b, "ls -A " + first.base() + "; cat " + first.upper() + "/secret")).isEqualTo(
                "cat: " + first.upper() + "/secret: No such file or directory\n");
        assertThat(sh(b, "cat " + logs + "/neighbour.txt; cat " + first.log())).isEqualTo(
                "not a subhost's\ncat: " + first.log() + ": Permission denied\n");
        assertThat(sh(b, "ls -A /run/subhost")).isEmpty();
        assertThat(sh(a, "cat " + second.upper() + "/secret; ls -A " + second.base())).as("carried into the first")
                .isEqualTo("cat: " + second.upper() + "/secret: No such file or directory\n");
        assertThat(sh(a, "ls -A /run/subhost")).isEmpty();
    }

    @Test
    void aSubhostThatTheListNamesIsHiddenBeforeItBoots() throws Exception {
        Path listed = dir("listed");
        Files.createDirectories(listed.resolve("root"));
        Files.writeString(listed.resolve("root/secret"), "listed's\n");
        Path conf = Files.writeString(listed.resolve("lst.conf"), "BASE=.\nNAME=lst\nLOG=lst.log\n");
        Path list = Files.writeString(dir("list").resolve("subhosts.conf"), conf + "\n");
        SubhostConfig config = made(subhost().build());

        Subhost s = LinuxSubhosts.create(Path.of("/run/subhost"), list).boot(config);

        assertThat(sh(s, "cat " + listed + "/root/secret; ls -A " + listed)).isEqualTo(
                "cat: " + listed + "/root/secret: No such file or directory\n");
    }

    @Test
    void hideCoversTheAdminsOwnDirectoriesAndFiles() throws Exception {
        Path admin = dir("admin");
        Path keys = Files.createDirectories(admin.resolve("ssh"));
        Files.writeString(keys.resolve("ssh_host_ed25519_key"), "private\n");
        Path token = Files.writeString(admin.resolve("token"), "secret\n");
        Files.writeString(admin.resolve("public"), "public\n");
        SubhostConfig config = made(subhost().hide(keys + " " + token).build());
        Subhost s = subhosts.boot(config);

        assertThat(sh(s, "ls -A " + keys + "; cat " + admin + "/public; cat " + token)).isEqualTo(
                "public\ncat: " + token + ": Permission denied\n");
    }

    @Test
    void aShareShowsNoOtherSubhostsTreesAtBootNorLive() throws Exception {
        SubhostConfig other = made(subhost().build());
        Files.writeString(other.upper().resolve("secret"), "other's\n");
        subhosts.boot(other);
        Path tmp = other.base().getParent();
        SubhostConfig config = made(subhost().addShare(new Share(tmp, Path.of("/mnt/boot"))).build());
        Subhost s = subhosts.boot(config);
        String inside = other.base().getFileName() + "/root/secret";

        assertThat(sh(s, "cat /mnt/boot/" + inside)).isEqualTo("cat: /mnt/boot/" + inside
                + ": No such file or directory\n");
        s.share(tmp, Path.of("/mnt/live"));
        assertThat(sh(s, "cat /mnt/live/" + inside)).isEqualTo("cat: /mnt/live/" + inside
                + ": No such file or directory\n");
    }

    @Test
    void aDirectoryOfNothingButSubhostsIsHiddenWholeAndCoversThoseBootedThereLater() throws Exception {
        Path group = dir("group");
        List<Subhost> running = new ArrayList<>();
        List<SubhostConfig> configs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            String name = KernelFixture.uniqueName();
            Path base = Files.createDirectories(group.resolve(name));
            for (String d : new String[] {"root", "work", "live"}) {
                Files.createDirectories(base.resolve(d));
            }
            Files.writeString(base.resolve("root/secret"), name + "'s\n");
            SubhostConfig c = made(SubhostConfig.builder(name, base).start("none").log(base.resolve("log")).build());
            configs.add(c);
            running.add(subhosts.boot(c));
        }
        // Each found nothing but subhosts in the directory: all of it is hidden from each,
        // with one mount, the first's too, so that no later boot had a subhost to enter.
        for (Subhost s : running) {
            String mounts = sh(s, "cut -d' ' -f5 /proc/self/mountinfo");
            assertThat(mounts.lines()).as(s.name()).contains(group.toString())
                    .noneMatch(m -> m.startsWith(group + "/"));
            assertThat(sh(s, "ls -A " + group)).as(s.name()).isEmpty();
        }
        assertThat(sh(running.get(0), "cat " + configs.get(2).upper() + "/secret")).isEqualTo("cat: "
                + configs.get(2).upper() + "/secret: No such file or directory\n");
    }
}
