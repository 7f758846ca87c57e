package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The SysV init script {@code init/subhosts} with a stand-in for the subhosts program that
 * prints how it was called: its LSB header, what each action runs, and the LSB exit
 * statuses for a program that is not installed or a list that does not exist. That it
 * drives real subhosts is {@link HostStartKernelTest}'s part. Needs no root.
 */
class InitScriptTest {
    private static final Path SCRIPT = TestCheckout.REPO.resolve("init/subhosts");

    @TempDir
    Path tmp;

    private Path program;
    private Path list;

    @BeforeEach
    void standIn() throws Exception {
        program = tmp.resolve("subhosts");
        Files.writeString(program, """
                #!/bin/sh
                echo "subhosts $* with SUBHOSTS_CONF=$SUBHOSTS_CONF"
                exit "${STAND_IN_STATUS:-0}"
                """);
        Files.setPosixFilePermissions(program, PosixFilePermissions.fromString("rwxr-xr-x"));
        list = Files.writeString(tmp.resolve("subhosts.conf"), "# none\n");
    }

    private TestCheckout.Ran script(Map<String, String> extra, String... args) throws Exception {
        Map<String, String> env = new HashMap<>(Map.of("PATH", TestCheckout.SYSTEM_PATH,
                "SUBHOSTS_PROGRAM", program.toString(), "SUBHOSTS_CONF", list.toString()));
        env.putAll(extra);
        List<String> command = new ArrayList<>(List.of(SCRIPT.toString()));
        command.addAll(List.of(args));
        return TestCheckout.run(env, command);
    }

    @Test
    void hasAnLsbHeaderThatStartsItAfterFileSystemsAndNetwork() throws Exception {
        String text = Files.readString(SCRIPT);
        assertThat(text).startsWith("#!/bin/sh\n### BEGIN INIT INFO\n").contains("\n### END INIT INFO\n")
                .containsPattern("(?m)^# Provides: +subhosts$")
                .containsPattern("(?m)^# Required-Start: +\\$local_fs \\$remote_fs \\$network( |$)")
                .containsPattern("(?m)^# Required-Stop: +\\$local_fs \\$remote_fs \\$network( |$)")
                .containsPattern("(?m)^# Default-Start: +2 3 4 5$")
                .containsPattern("(?m)^# Default-Stop: +0 1 6$")
                .containsPattern("(?m)^# Short-Description: .+$");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(SCRIPT))).isEqualTo("rwxr-xr-x");
    }

    @Test
    void eachActionRunsTheProgramWithTheList() throws Exception {
        String with = " with SUBHOSTS_CONF=" + list + "\n";
        assertThat(script(Map.of(), "start")).isEqualTo(new TestCheckout.Ran(0, "subhosts start" + with, ""));
        assertThat(script(Map.of(), "stop")).isEqualTo(new TestCheckout.Ran(0, "subhosts stop" + with, ""));
        assertThat(script(Map.of("SUBHOSTS_STOP_OPTIONS", "--grace 30"), "stop"))
                .isEqualTo(new TestCheckout.Ran(0, "subhosts stop --grace 30" + with, ""));
        assertThat(script(Map.of(), "restart"))
                .isEqualTo(new TestCheckout.Ran(0, "subhosts stop" + with + "subhosts start" + with, ""));
        assertThat(script(Map.of(), "force-reload"))
                .isEqualTo(new TestCheckout.Ran(0, "subhosts stop" + with + "subhosts start" + with, ""));
        assertThat(script(Map.of("STAND_IN_STATUS", "3"), "status"))
                .as("the program's status passed on").isEqualTo(new TestCheckout.Ran(3, "subhosts status" + with, ""));
    }

    @Test
    void theListDefaultsToEtcSubhostsConf() throws Exception {
        // Only where this host has none: the script checks that the list exists.
        Path etc = Path.of("/etc/subhosts.conf");
        assumeTrue(!Files.exists(etc), "this host has an /etc/subhosts.conf");
        TestCheckout.Ran ran = TestCheckout.run(Map.of("PATH", TestCheckout.SYSTEM_PATH,
                "SUBHOSTS_PROGRAM", program.toString()), List.of(SCRIPT.toString(), "start"));
        assertThat(ran.status()).isEqualTo(6);
        assertThat(ran.err()).isEqualTo("subhosts: no list of subhosts (/etc/subhosts.conf); create it, or name"
                + " another with SUBHOSTS_CONF in /etc/default/subhosts\n");
    }

    @Test
    void exitsAsTheLsbAsksWhenTheListOrTheProgramIsMissing() throws Exception {
        Map<String, String> noList = Map.of("SUBHOSTS_CONF", tmp.resolve("none.conf").toString());
        String noListMessage = "subhosts: no list of subhosts (" + tmp.resolve("none.conf") + "); create it, or name"
                + " another with SUBHOSTS_CONF in /etc/default/subhosts\n";
        for (String action : List.of("start", "stop", "restart")) {
            assertThat(script(noList, action)).as(action).isEqualTo(new TestCheckout.Ran(6, "", noListMessage));
        }
        assertThat(script(noList, "status")).isEqualTo(new TestCheckout.Ran(4, "", noListMessage));

        Map<String, String> noProgram = Map.of("SUBHOSTS_PROGRAM", tmp.resolve("gone/subhosts").toString());
        String noProgramMessage = "subhosts: " + tmp.resolve("gone/subhosts") + " is not installed\n";
        assertThat(script(noProgram, "start")).isEqualTo(new TestCheckout.Ran(5, "", noProgramMessage));
        assertThat(script(noProgram, "status")).isEqualTo(new TestCheckout.Ran(4, "", noProgramMessage));
    }

    @Test
    void rejectsAnUnknownAction() throws Exception {
        String usage = "Usage: " + SCRIPT + " {start|stop|restart|force-reload|status}\n";
        assertThat(script(Map.of(), "reload")).isEqualTo(new TestCheckout.Ran(2, "", usage));
        assertThat(script(Map.of())).isEqualTo(new TestCheckout.Ran(2, "", usage));
    }
}
