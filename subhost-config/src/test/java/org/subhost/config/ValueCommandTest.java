package org.subhost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.subhost.config.ConfFiles.read;
import static org.subhost.config.ConfFiles.real;
import static org.subhost.config.ConfFiles.write;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code VAR=!command} values, run for real with /bin/sh. */
class ValueCommandTest {
    @TempDir
    Path tmp;
    Path dir;
    private final List<Path> pidFiles = new ArrayList<>();

    @BeforeEach
    void realDirectory() {
        dir = real(tmp);
    }

    /** Kills what a failed test may have left running. */
    @AfterEach
    void killLeftovers() throws IOException {
        for (Path pidFile : pidFiles) {
            if (Files.exists(pidFile)) {
                ProcessHandle.of(pid(pidFile)).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    @Test
    void usesTheFirstLineOfTheOutputTrimmed() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "NAME=!printf '  web1 \\nsecond\\n'"));
        assertThat(c.name()).isEqualTo("web1");
    }

    @Test
    void runsCommandsOfPathsAndLists() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "LOWER=!echo os", "START=!echo ssh cron",
                "CABLES=!echo br0=.3 | sed 's/^/= /'", "RAM_SIZE=!echo 10%"));
        assertThat(c.lower()).isEqualTo(dir.resolve("os"));
        assertThat(c.start()).containsExactly("ssh", "cron");
        assertThat(c.vlans()).extracting(Cable::hostName).containsExactly("ex10.3");
        assertThat(c.ramSize()).contains("10%");
        assertThat(c.describe()).contains("CABLES== br0=.3", "START=ssh cron");
    }

    @Test
    void givesConfigActionAndBaseAsWorkingDirectory() throws Exception {
        Path script = dir.resolve("value.sh");
        Files.writeString(script, "#!/bin/sh\nprintf '%s|%s|%s|%s\\n' \"$CONFIG\" \"$ACTION\" \"$(pwd)\" \"$1\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path conf = write(dir, "ex1.conf", "BASE=.", "INIT=!./value.sh 'an arg'");
        assertThat(read(conf).init()).contains(conf + "|overlay-boot|" + dir + "|an arg");
        assertThat(SubhostConfig.read(conf, "overlay-stop").init()).contains(conf + "|overlay-stop|" + dir + "|an arg");
    }

    @Test
    void runsNameLogAndBaseInTheFilesDirectoryAndTheRestInBase() throws Exception {
        Files.createDirectories(dir.resolve("b"));
        Path conf = write(dir.resolve("cfg"), "ex1.conf",
                "BASE=!echo ../b",
                "NAME=!basename \"$(pwd)\"",
                "LOG=!echo \"$(pwd)/boot.log\"",
                "LOWER=!pwd");
        SubhostConfig c = read(conf);
        assertThat(c.base()).isEqualTo(dir.resolve("b"));
        assertThat(c.name()).isEqualTo("cfg");
        assertThat(c.log()).isEqualTo(dir.resolve("cfg/boot.log"));
        assertThat(c.lower()).isEqualTo(dir.resolve("b"));
    }

    @Test
    void runsOnlyTheFirstAssignment() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "NAME=!echo one", "NAME=!touch second-ran; echo two"));
        assertThat(c.name()).isEqualTo("one");
        assertThat(dir.resolve("second-ran")).doesNotExist();
    }

    @Test
    void doesNotEvaluateTheOutputAgain() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "INIT=!echo '!touch marker'"));
        assertThat(c.init()).contains("!touch marker");
        assertThat(dir.resolve("marker")).doesNotExist();
    }

    @Test
    void rejectsAFailingCommandNamingVariableAndCommand() {
        Path conf = write(dir, "ex1.conf", "BASE=.", "", "LIVE=!false");
        assertThatThrownBy(() -> read(conf))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e).hasMessage(conf + ":3: bad LIVE config: command (false) failed with exit status 1");
                    assertThat(e.variable()).contains("LIVE");
                    assertThat(e.line()).hasValue(3);
                });
        Path three = write(dir, "ex2.conf", "BASE=.", "UPPER=!echo printed; exit 3");
        assertThatThrownBy(() -> read(three))
                .hasMessage(three + ":2: bad UPPER config: command (echo printed; exit 3) failed with exit status 3");
    }

    @Test
    void stopsAtTheFirstFailureBeforeLaterCommandsRun() {
        Path conf = write(dir, "ex1.conf", "INIT=!touch init-ran; echo x", "LIVE=!false", "BASE=.");
        assertThatThrownBy(() -> read(conf)).hasMessage(conf + ":2: bad LIVE config: command (false) failed with exit status 1");
        assertThat(dir.resolve("init-ran")).doesNotExist();
    }

    @Test
    void rejectsACommandThatPrintsNothing() {
        Path conf = write(dir, "ex1.conf", "BASE=.", "NAME=!true");
        assertThatThrownBy(() -> read(conf)).hasMessage(conf + ":2: bad NAME config: command (true) printed nothing");
        // Standard error is not the value (here it goes to /dev/null, to keep the build quiet).
        Path base = write(dir, "ex2.conf", "BASE=!echo on-stderr 2>/dev/null >&2");
        assertThatThrownBy(() -> read(base))
                .hasMessage(base + ":1: bad BASE config: command (echo on-stderr 2>/dev/null >&2) printed nothing");
    }

    @Test
    void rejectsAnEmptyFirstLine() {
        Path conf = write(dir, "ex1.conf", "BASE=.", "NAME=!printf ' \\nx\\n'");
        assertThatThrownBy(() -> read(conf))
                .hasMessage(conf + ":2: bad NAME config: command (printf ' \\nx\\n') printed an empty first line");
    }

    @Test
    void rejectsAFirstLineThatIsNotUtf8() {
        Path conf = write(dir, "ex1.conf", "BASE=.", "UPPER=!printf '\\377\\n'");
        assertThatThrownBy(() -> read(conf))
                .hasMessage(conf + ":2: bad UPPER config: command (printf '\\377\\n') printed a first line that is not valid UTF-8");
    }

    @Test
    void readsLargeOutputToTheEnd() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "NAME=!yes | head -c 1000000"));
        assertThat(c.name()).isEqualTo("y");
    }

    @Test
    void rejectsAFirstLineLongerThan64KiB() {
        Path conf = write(dir, "ex1.conf", "BASE=.", "INIT=!head -c 70000 /dev/zero | tr '\\0' a");
        assertThatThrownBy(() -> read(conf)).hasMessage(conf
                + ":2: bad INIT config: command (head -c 70000 /dev/zero | tr '\\0' a) printed a first line longer than 65536 bytes");
    }

    /**
     * The time limit kills the command's whole session: its background child and a child
     * re-parented away from it. Whatever the machine's speed, the check holds for every
     * process the command started (found by a marker in their command lines); the command
     * says when it has started them all, and on a machine too slow for that within the limit
     * the try is repeated with twice the limit, so the kill is tested with all of them
     * running.
     */
    @Test
    void killsACommandThatRunsTooLongWithItsWholeSession() throws Exception {
        Path background = dir.resolve("bg.pid");
        Path orphan = dir.resolve("orphan.pid");
        Path started = dir.resolve("started");
        pidFiles.add(background);
        pidFiles.add(orphan);
        String sleep = "sleep 300." + Long.toString(System.nanoTime() % 1_000_000_000L);
        String command = sleep + " & echo $! > bg.pid; (" + sleep + " & echo $! > orphan.pid); : > started; " + sleep;
        Path conf = write(dir, "ex1.conf", "BASE=.", "NAME=!" + command);
        long limit = 700;
        for (int tries = 1; ; tries++, limit *= 2) {
            Files.deleteIfExists(started);
            Duration timeLimit = Duration.ofMillis(limit);
            assertThatThrownBy(() -> SubhostConfig.read(conf, "overlay-boot", timeLimit))
                    .isInstanceOfSatisfying(ConfigException.class, e -> {
                        if (timeLimit.toMillis() == 700) {
                            assertThat(e).hasMessage(conf + ":2: bad NAME config: command (" + command
                                    + ") ran longer than 700 ms and was killed");
                        } else {
                            assertThat(e).hasMessageStartingWith(conf + ":2: bad NAME config: command (" + command
                                    + ") ran longer than ").hasMessageEndingWith(" and was killed");
                        }
                        assertThat(e.variable()).contains("NAME");
                    });
            assertThat(processesWith(sleep)).as("processes of the killed command (limit %s)", timeLimit).isEmpty();
            if (Files.exists(started)) {
                assertThat(isRunning(pid(background))).as("background sleep").isFalse();
                assertThat(isRunning(pid(orphan))).as("re-parented sleep").isFalse();
                return;
            }
            assertThat(tries).as("tries until the command started its children within the limit").isLessThan(6);
        }
    }

    /** The pids of the processes whose command line contains {@code marker}. */
    private static List<Long> processesWith(String marker) throws IOException {
        List<Long> pids = new ArrayList<>();
        try (var procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    if (new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ').contains(marker)) {
                        pids.add(Long.parseLong(p.getFileName().toString()));
                    }
                } catch (IOException e) {
                    // ended while we looked
                }
            }
        }
        return pids;
    }

    @Test
    void killsACommandWhoseBackgroundChildKeepsTheOutputOpen() throws Exception {
        Path background = dir.resolve("bg.pid");
        pidFiles.add(background);
        String command = "echo value; sleep 300 & echo $! > bg.pid";
        Path conf = write(dir, "ex1.conf", "BASE=.", "INIT=!" + command);
        assertThatThrownBy(() -> SubhostConfig.read(conf, "overlay-boot", Duration.ofSeconds(1)))
                .hasMessage(conf + ":2: bad INIT config: command (" + command + ") ran longer than 1 s and was killed");
        assertThat(isRunning(pid(background))).isFalse();
    }

    @Test
    void leavesABackgroundChildThatClosedItsOutput() throws Exception {
        Path background = dir.resolve("bg.pid");
        pidFiles.add(background);
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.",
                "INIT=!sleep 300 >/dev/null & echo $! > bg.pid; echo value"));
        assertThat(c.init()).contains("value");
        assertThat(isRunning(pid(background))).as("a daemon the user started on purpose").isTrue();
    }

    @Test
    void refusesATimeLimitThatIsNotPositive() {
        Path conf = write(dir, "ex1.conf", "BASE=.");
        assertThatThrownBy(() -> SubhostConfig.read(conf, "overlay-boot", Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("command timeout (PT0S) must be positive");
    }

    @Test
    void reportsACommandThatCannotBeStarted() {
        Path missing = dir.resolve("missing");
        assertThatThrownBy(() -> new ShellCommandRunner(Duration.ofSeconds(5))
                        .firstLine("echo x", missing, dir.resolve("ex1.conf"), "overlay-boot"))
                .isInstanceOf(ValueCommandException.class)
                .hasMessageStartingWith("could not be run: ")
                .hasMessageContaining(missing.toString());
    }

    private static long pid(Path pidFile) throws IOException {
        return Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).strip());
    }

    /** Whether {@code pid} is a process that is not a zombie, from /proc/PID/stat. */
    private static boolean isRunning(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.ISO_8859_1);
            char state = stat.charAt(stat.lastIndexOf(')') + 2);
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }
}
