package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.ExecResult;
import org.subhost.NotRunningException;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;

/**
 * Public behaviour of a running subhost through the API, on the real kernel: {@link
 * Subhost#exec} past its time limit, {@link Subhost#share(Path, Path)} of a directory and of
 * a single file onto another path, live, and its errors, and a subhost whose pid 1 died on
 * its own (not through a stop). Each test leaves nothing (tearDown, {@link KernelFixture}).
 */
class SubhostApiKernelTest {
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

    private final Subhosts subhosts = Subhosts.linux();
    private String name;
    private Path base;
    private Path hostDir;
    private SubhostConfig config;

    @BeforeEach
    void setUp() throws Exception {
        KernelFixture.requireRoot();
        name = KernelFixture.uniqueName();
        base = KernelFixture.base(name);
        hostDir = Files.createTempDirectory("subhost-api-" + name + "-").toRealPath();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (name == null) {
            return;
        }
        KernelFixture.stopAndCheckNothingLeft(subhosts, config, name, base);
        KernelFixture.deleteTree(hostDir);
    }

    private Subhost boot(String cables) throws SubhostException {
        config = SubhostConfig.builder(name, base).start("none").cables(cables).log(base.resolve("log")).build();
        return subhosts.boot(config);
    }

    private static String inside(Subhost s, String script) throws SubhostException {
        ExecResult r = s.exec(List.of("/bin/sh", "-c", script), TEN_SECONDS);
        assertThat(r.status()).as("status of %s (stderr: %s)", script, r.stderr()).isZero();
        return r.stdout();
    }

    @Test
    void execPastItsTimeLimitKillsTheCommandWithItsChildrenAndFails() throws Exception {
        Subhost s = boot("");
        // A marker in the sleeps' command lines, to find them on the host afterwards.
        String sleep = "sleep 300." + Long.toString(System.nanoTime() % 1_000_000_000L);
        String script = sleep + " & " + sleep;
        List<String> command = List.of("/bin/sh", "-c", script);

        assertThatThrownBy(() -> s.exec(command, Duration.ofSeconds(1))).isInstanceOf(SubhostException.class)
                .isNotInstanceOf(NotRunningException.class)
                .hasMessage("command in " + name + " (/bin/sh -c " + script + ") did not finish within 1 s and was killed");

        assertThat(processesWith(sleep)).as("processes of the killed command").isEmpty();
        assertThat(s.status().pid()).as("the subhost itself runs on").isEqualTo(s.pid());
        assertThat(inside(s, "echo still here")).isEqualTo("still here\n");
    }

    @Test
    void shareOfADirectoryOntoAnotherPathIsLive() throws Exception {
        Files.writeString(hostDir.resolve("before"), "made before the share\n");
        Subhost s = boot("");

        s.share(hostDir, Path.of("/srv/elsewhere"));

        assertThat(inside(s, "cat /srv/elsewhere/before")).isEqualTo("made before the share\n");
        // Live both ways: the host's own tree, not a copy.
        Files.writeString(hostDir.resolve("after"), "made after the share\n");
        assertThat(inside(s, "cat /srv/elsewhere/after")).isEqualTo("made after the share\n");
        inside(s, "echo from inside > /srv/elsewhere/inside");
        assertThat(Files.readString(hostDir.resolve("inside"))).isEqualTo("from inside\n");
        assertThat(inside(s, "grep -c ' /srv/elsewhere ' /proc/self/mountinfo")).isEqualTo("1\n");
    }

    @Test
    void shareOfASingleFileOntoAnotherPathIsLive() throws Exception {
        Path file = Files.writeString(hostDir.resolve("setting"), "first\n");
        Subhost s = boot("");

        s.share(file, Path.of("/etc/shared-setting"));

        assertThat(inside(s, "cat /etc/shared-setting")).isEqualTo("first\n");
        // Rewritten in place (the same inode): the subhost reads the new text.
        Files.writeString(file, "second\n", StandardOpenOption.TRUNCATE_EXISTING);
        assertThat(inside(s, "cat /etc/shared-setting")).isEqualTo("second\n");
        assertThat(inside(s, "test -f /etc/shared-setting && ! test -d /etc/shared-setting && echo file"))
                .isEqualTo("file\n");
    }

    @Test
    void shareRefusesAMissingHostPathAndRelativePaths() throws Exception {
        Subhost s = boot("");
        Path missing = hostDir.resolve("missing");

        assertThatThrownBy(() -> s.share(missing, Path.of("/srv/x"))).isInstanceOf(SubhostException.class)
                .hasMessage("share " + missing + " into " + name + ": no such file or directory on the host");
        assertThatThrownBy(() -> s.share(Path.of("relative"), Path.of("/srv/x")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("share paths (relative, /srv/x) must be absolute");
        assertThatThrownBy(() -> s.share(hostDir, Path.of("srv/x"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("share paths (" + hostDir + ", srv/x) must be absolute");
        assertThat(inside(s, "test -e /srv/x && echo made || echo nothing")).isEqualTo("nothing\n");
    }

    /**
     * pid 1 killed from the host, not through a stop: the subhost counts as not running for
     * exec, share and status, and a stop still removes its network namespace and its
     * cables' host ends (tearDown checks that nothing else is left).
     */
    @Test
    void aSubhostWhosePid1DiedIsNotRunningAndItsStopClearsWhatIsLeft() throws Exception {
        Subhost s = boot("= =");
        int pid = s.pid();
        ProcessHandle pid1 = ProcessHandle.of(pid).orElseThrow();
        assertThat(pid1.destroyForcibly()).isTrue();
        pid1.onExit().get();
        // Reaped or a zombie: either way no longer alive for the kernel.
        while (Files.isReadable(Path.of("/proc", Integer.toString(pid), "exe"))
                && processState(pid) != 'Z') {
            Thread.sleep(5);
        }

        assertThatThrownBy(() -> s.exec(List.of("/bin/true"), TEN_SECONDS)).isInstanceOf(NotRunningException.class)
                .hasMessage(name + " is not running");
        assertThatThrownBy(() -> s.share(hostDir)).isInstanceOf(NotRunningException.class)
                .hasMessage(name + " is not running");
        assertThatThrownBy(s::status).isInstanceOf(NotRunningException.class).hasMessage(name + " is not running");
        assertThat(subhosts.find(name)).isEmpty();
        assertThat(Path.of("/run/netns", name)).as("left until a stop").exists();

        // The stop says that it was not running, as for a NAME that never ran, but clears
        // what the dead boot left.
        assertThatThrownBy(() -> subhosts.stop(config, Duration.ofSeconds(2))).isInstanceOf(NotRunningException.class)
                .hasMessage(name + " is not running");

        assertThat(Path.of("/run/netns", name)).doesNotExist();
        assertThat(Path.of("/sys/class/net", name + "0")).doesNotExist();
        assertThat(Path.of("/sys/class/net", name + "1")).doesNotExist();
        assertThat(KernelFixture.leftovers(name, base)).isEmpty();
        config = null;
    }

    /** The state letter of /proc/PID/stat, or 'X' once the process is gone. */
    private static char processState(int pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Integer.toString(pid), "stat"));
            return stat.charAt(stat.lastIndexOf(')') + 2);
        } catch (IOException e) {
            return 'X';
        }
    }

    /** The pids of the host's processes whose command line contains {@code marker}. */
    static List<Long> processesWith(String marker) throws IOException {
        List<Long> pids = new ArrayList<>();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmdline = new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8);
                    if (cmdline.replace('\0', ' ').contains(marker)) {
                        pids.add(Long.parseLong(p.getFileName().toString()));
                    }
                } catch (IOException e) {
                    // ended while we looked
                }
            }
        }
        return pids;
    }
}
