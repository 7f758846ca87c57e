package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SysV init script and the systemd units, as installed by {@code bin/install} into a
 * temporary DESTDIR, drive real subhosts listed in a temporary subhosts.conf: what they run
 * is the installed {@code subhosts} launcher, with the installed jars, in an environment
 * like the one init or systemd gives (PATH only; for the unit, not even JAVA_HOME). The
 * units' command lines are those of their ExecStart and ExecStop with the instance's {@code %f}
 * expanded (the real systemd runs them in {@code SystemdSubhostKernelTest}).
 */
class HostStartKernelTest {
    @TempDir
    Path tmp;

    private final List<InterruptedRun> runs = new ArrayList<>();
    private Path destdir;
    private Path list;

    @BeforeEach
    void setUp() throws Exception {
        for (int i = 0; i < 2; i++) {
            runs.add(InterruptedRun.create()); // skips with a reason when not root
        }
        Path dir = tmp.toRealPath();
        TestCheckout checkout = TestCheckout.create(Files.createDirectories(dir.resolve("checkout")));
        destdir = Files.createDirectories(dir.resolve("dest"));
        TestCheckout.Ran install = TestCheckout.run(TestCheckout.serviceEnv(),
                List.of(checkout.path("bin/install").toString(), "--destdir", destdir.toString()));
        assertThat(install.status()).as(install.describe()).isZero();
        list = Files.createDirectories(dir.resolve("lists of subhosts")).resolve("subhosts.conf");
        String relative = list.getParent().relativize(Path.of(runs.get(1).conf)).toString();
        Files.write(list, List.of("# the subhosts of this test", runs.get(0).conf, relative));
    }

    @AfterEach
    void tearDown() throws IOException {
        for (InterruptedRun run : runs) {
            run.close();
        }
        for (InterruptedRun run : runs) {
            assertThat(run.leftovers()).as("what %s left behind", run.name).isEmpty();
        }
    }

    @Test
    void initScriptStartsShowsRestartsAndStopsTheListedSubhosts() throws Exception {
        Map<String, String> env = Map.of("PATH", TestCheckout.SYSTEM_PATH, "SUBHOSTS_CONF", list.toString(),
                "SUBHOSTS_PROGRAM", destdir.resolve("usr/local/sbin/subhosts").toString(),
                "SUBHOSTS_STOP_OPTIONS", "--grace 2");
        String script = destdir.resolve("etc/init.d/subhosts").toString();
        String a = runs.get(0).name;
        String b = runs.get(1).name;

        TestCheckout.Ran start = TestCheckout.run(env, List.of(script, "start"));
        assertThat(start.status()).as(start.describe()).isZero();
        assertThat(start.out()).isEqualTo(a + ": started\n" + b + ": started\n");
        assertThat(start.err()).isEmpty();
        assertRunning(true);

        TestCheckout.Ran status = TestCheckout.run(env, List.of(script, "status"));
        assertThat(status.status()).as(status.describe()).isZero();
        assertThat(status.out().lines().skip(1).toList()).hasSize(2)
                .anyMatch(line -> line.matches(a + " +running +\\d+ " + Pattern.quote(runs.get(0).conf)))
                .anyMatch(line -> line.matches(b + " +running +\\d+ " + Pattern.quote(runs.get(1).conf)));

        TestCheckout.Ran restart = TestCheckout.run(env, List.of(script, "restart"));
        assertThat(restart.status()).as(restart.describe()).isZero();
        assertThat(restart.out()).isEqualTo(b + ": stopped\n" + a + ": stopped\n" + a + ": started\n" + b + ": started\n");
        assertRunning(true);

        TestCheckout.Ran stop = TestCheckout.run(env, List.of(script, "stop"));
        assertThat(stop.status()).as(stop.describe()).isZero();
        assertThat(stop.out()).isEqualTo(b + ": stopped\n" + a + ": stopped\n");
        assertRunning(false);

        status = TestCheckout.run(env, List.of(script, "status"));
        assertThat(status.status()).as("status when stopped: LSB's 'not running' (%s)", status.describe()).isEqualTo(3);
        assertThat(status.out().lines().skip(1)).hasSize(2).allMatch(line -> line.matches("\\S+ +stopped +- .*"));
    }

    @Test
    void unitOfOneSubhostBootsAndStopsTheSubhostOfTheConfigurationItsInstanceNames() throws Exception {
        SystemdUnit unit = SystemdUnit.read(destdir.resolve("usr/local/lib/systemd/system/subhosts@.service"));
        assertThat(unit.value("Service", "Type")).isEqualTo("notify");
        assertThat(unit.value("Service", "Delegate")).isEqualTo("yes");
        assertThat(unit.value("Unit", "After").split(" ")).contains("network.target", "local-fs.target");
        assertThat(unit.value("Install", "WantedBy")).isEqualTo("multi-user.target");

        InterruptedRun run = runs.get(0);
        String instance = SystemdUnit.escapePath(run.conf);
        assertThat(SystemdUnits.escapePath(Path.of(run.conf))).as("subhosts --units names the same unit").isEqualTo(instance);
        assertThat(SystemdUnit.unescapePath(instance)).as("%%f of the instance").isEqualTo(run.conf);

        // What systemd gives a service: PATH, no JAVA_HOME; no NOTIFY_SOCKET here (no systemd
        // runs this test), so overlay-boot says nothing to it.
        Map<String, String> env = new HashMap<>(unit.environment(instance));
        env.put("PATH", TestCheckout.SYSTEM_PATH);
        List<String> start = inDestdir(unit.command("ExecStart", instance), "overlay-boot");
        List<String> stop = inDestdir(unit.command("ExecStop", instance), "overlay-stop");
        assertThat(start.subList(1, start.size())).containsExactly(run.conf);
        assertThat(stop.subList(1, stop.size())).containsExactly(run.conf);
        assertThat(unit.command("ExecStopPost", instance)).as("the stop after pid 1 died").isEqualTo(
                unit.command("ExecStop", instance));

        TestCheckout.Ran started = TestCheckout.run(env, start);
        assertThat(started.status()).as(started.describe()).isZero();
        assertRunning(run, true);

        TestCheckout.Ran stopped = TestCheckout.run(env, stop);
        assertThat(stopped.status()).as(stopped.describe()).isZero();
        assertRunning(run, false);
    }

    @Test
    void unitOfTheListStartsAndStopsEachSubhostAsItsOwnUnit() throws Exception {
        SystemdUnit unit = SystemdUnit.read(destdir.resolve("usr/local/lib/systemd/system/subhosts.service"));
        assertThat(unit.value("Service", "Type")).isEqualTo("oneshot");
        assertThat(unit.value("Service", "RemainAfterExit")).isEqualTo("yes");
        assertThat(unit.environment("")).containsEntry("SUBHOSTS_CONF", "/etc/subhosts.conf");
        assertThat(inDestdir(unit.command("ExecStart", ""), "subhosts").subList(1, 3)).containsExactly("--units", "start");
        assertThat(inDestdir(unit.command("ExecStop", ""), "subhosts").subList(1, 3)).containsExactly("--units", "stop");
    }

    /** The command with its program taken from DESTDIR, where the install put it. */
    private List<String> inDestdir(List<String> command, String program) {
        assertThat(command.getFirst()).isEqualTo("/usr/local/sbin/" + program);
        List<String> mapped = new ArrayList<>(command);
        mapped.set(0, destdir + command.getFirst());
        return mapped;
    }

    /** Whether both subhosts run, from /run/netns and the state of each; when not, nothing of them is left. */
    private void assertRunning(boolean running) throws IOException {
        for (InterruptedRun run : runs) {
            assertRunning(run, running);
        }
    }

    /** Whether {@code run} runs, from /run/netns and its state; when not, nothing of it is left. */
    private static void assertRunning(InterruptedRun run, boolean running) throws IOException {
        {
            if (running) {
                assertThat(Path.of("/run/netns", run.name)).as("netns of %s", run.name).exists();
                assertThat(Path.of("/run/subhost", run.name)).as("state of %s", run.name).isDirectory();
            } else {
                assertThat(run.leftovers()).as("what %s left", run.name).isEmpty();
            }
        }
    }
}
