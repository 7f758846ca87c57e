package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;

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
 *
 * <p>The script runs as a copy whose two paths under /etc (the default list, and
 * /etc/default/subhosts, which it reads) lie in the test's own directory: what this host
 * keeps in /etc (Debian's overlay-boot installs an /etc/subhosts.conf) changes nothing.
 */
class InitScriptTest {
    private static final Path SCRIPT = TestCheckout.REPO.resolve("init/subhosts");
    /** The lines of the script that name a path under /etc, and what else nothing in its code names. */
    private static final String DEFAULT_LIST = "SUBHOSTS_CONF=${SUBHOSTS_CONF:-/etc/subhosts.conf}";
    private static final String DEFAULTS_FILE = "[ -r /etc/default/subhosts ] && . /etc/default/subhosts";

    @TempDir
    Path tmp;

    private Path program;
    private Path list;
    /** The test's own /etc, and the copy of the script that uses it. */
    private Path etc;
    private Path script;

    @BeforeEach
    void standIn() throws Exception {
        etc = tmp.resolve("etc");
        Files.createDirectories(etc.resolve("default"));
        String text = Files.readString(SCRIPT);
        List<String> code = text.lines().filter(l -> !l.startsWith("#") && !l.contains("echo ")).toList();
        assertThat(code.stream().filter(l -> l.contains("/etc/")).toList()).as("the script's code lines that name /etc")
                .containsExactly(DEFAULT_LIST, DEFAULTS_FILE);
        script = tmp.resolve("init.d/subhosts");
        Files.createDirectories(script.getParent());
        Files.writeString(script, text.replace(DEFAULT_LIST, DEFAULT_LIST.replace("/etc/", etc + "/"))
                .replace(DEFAULTS_FILE, DEFAULTS_FILE.replace("/etc/", etc + "/")));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
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
        List<String> command = new ArrayList<>(List.of(script.toString()));
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
        Map<String, String> env = Map.of("PATH", TestCheckout.SYSTEM_PATH, "SUBHOSTS_PROGRAM", program.toString());
        Path defaultList = etc.resolve("subhosts.conf");
        TestCheckout.Ran none = TestCheckout.run(env, List.of(script.toString(), "start"));
        assertThat(none).isEqualTo(new TestCheckout.Ran(6, "", "subhosts: no list of subhosts (" + defaultList
                + "); create it, or name another with SUBHOSTS_CONF in /etc/default/subhosts\n"));

        Files.writeString(defaultList, "# none\n");
        assertThat(TestCheckout.run(env, List.of(script.toString(), "start")))
                .isEqualTo(new TestCheckout.Ran(0, "subhosts start with SUBHOSTS_CONF=" + defaultList + "\n", ""));
    }

    @Test
    void etcDefaultSubhostsNamesAnotherListAndStopOptions() throws Exception {
        Path other = Files.writeString(tmp.resolve("other.conf"), "# none\n");
        Files.writeString(etc.resolve("default/subhosts"), "SUBHOSTS_CONF=" + other + "\nSUBHOSTS_STOP_OPTIONS=\"--grace 30\"\n");
        Map<String, String> env = Map.of("PATH", TestCheckout.SYSTEM_PATH, "SUBHOSTS_PROGRAM", program.toString());
        assertThat(TestCheckout.run(env, List.of(script.toString(), "stop")))
                .isEqualTo(new TestCheckout.Ran(0, "subhosts stop --grace 30 with SUBHOSTS_CONF=" + other + "\n", ""));
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
        String usage = "Usage: " + script + " {start|stop|restart|force-reload|status}\n";
        assertThat(script(Map.of(), "reload")).isEqualTo(new TestCheckout.Ran(2, "", usage));
        assertThat(script(Map.of())).isEqualTo(new TestCheckout.Ran(2, "", usage));
    }
}
