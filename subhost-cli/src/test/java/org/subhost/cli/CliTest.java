package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dispatch on the command name, and what every command does alike: --help, usage errors, CONF's path rule. */
class CliTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Cli.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void dispatchesToOverlayBoot() {
        assertThat(run("overlay-boot", "--help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("Usage: overlay-boot [--dry-run] [--strict] [-q] [--hook-timeout SECONDS]");
    }

    @Test
    void rejectsAnUnknownCommand() {
        assertThat(run("overlay-frobnicate")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .isEqualTo("subhost: unknown command (overlay-frobnicate); known are overlay-boot, overlay-stop, overlay-go, "
                        + "overlay-share, overlay-list, subhosts, overlay-diskfile, overlay-service, overlay-limit\n");
    }

    @Test
    void rejectsNoCommand() {
        assertThat(run()).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("Usage: Cli COMMAND [ARGS...], COMMAND one of "
                + "overlay-boot, overlay-stop, overlay-go, overlay-share, overlay-list, subhosts, overlay-diskfile, overlay-service, overlay-limit\n");
    }

    @Test
    void everyCommandPrintsItsHelpOnStandardOutput() {
        for (String command : List.of("overlay-boot", "overlay-stop", "overlay-go", "overlay-share", "overlay-list",
                "subhosts", "overlay-service", "overlay-limit")) {
            out.reset();
            err.reset();
            assertThat(run(command, "--help")).as(command).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).as(command)
                    .startsWith("Usage: " + command).contains("-h, --help", "Exit status");
            assertThat(err.toString(StandardCharsets.UTF_8)).as(command).isEmpty();
        }
    }

    @Test
    void commandsTakingConfRefuseANonCanonicalPath(@TempDir Path tmp) throws IOException {
        Path dir = tmp.toRealPath();
        Path conf = Files.write(dir.resolve("ex1.conf"), List.of("BASE=.", "START=none"));
        String dotted = dir + "/./ex1.conf";
        for (String command : List.of("overlay-boot", "overlay-stop")) {
            out.reset();
            err.reset();
            assertThat(run(command, dotted)).as(command).isEqualTo(2);
            assertThat(err.toString(StandardCharsets.UTF_8)).as(command).isEqualTo(
                    command + ": CONF (" + dotted + ") must be the canonical absolute path (" + conf + ")\n");
            assertThat(out.toString(StandardCharsets.UTF_8)).as(command).isEmpty();
        }
    }

    @Test
    void unknownOptionsAreUsageErrors() {
        for (String command : List.of("overlay-boot", "overlay-stop", "overlay-go", "overlay-share", "overlay-list",
                "subhosts", "overlay-service", "overlay-limit")) {
            err.reset();
            assertThat(run(command, "--frobnicate")).as(command).isEqualTo(2);
            assertThat(err.toString(StandardCharsets.UTF_8)).as(command)
                    .startsWith(command + ": unknown ")
                    .contains("(--frobnicate)\nUsage: " + command)
                    .endsWith("Try '" + command + " --help' for more.\n");
        }
    }

    @Test
    void everyCommandReadsItsArgumentsWithTheSameMessages() {
        for (String command : List.of("overlay-boot", "overlay-stop", "overlay-share", "overlay-list", "subhosts",
                "overlay-diskfile", "overlay-service")) {
            err.reset();
            assertThat(run(command, "a", "b", "c", "d", "e")).as(command).isEqualTo(2);
            assertThat(err.toString(StandardCharsets.UTF_8)).as(command)
                    .matches(command + ": too many arguments \\([a-e]\\)\nUsage: " + command + " .*\n"
                            + "Try '" + command + " --help' for more.\n");
        }
        err.reset();
        assertThat(run("overlay-list", "--json", "x")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("overlay-list: too many arguments (x)\n"
                + "Usage: overlay-list [--json]\nTry 'overlay-list --help' for more.\n");
    }

    @Test
    void helpWinsOverAMistakeInEveryCommand() {
        for (String command : List.of("overlay-boot", "overlay-stop", "overlay-go", "overlay-share", "overlay-list",
                "subhosts", "overlay-diskfile", "overlay-service", "overlay-limit")) {
            out.reset();
            err.reset();
            assertThat(run(command, "--frobnicate", "-h")).as(command).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).as(command).startsWith("Usage: " + command);
            assertThat(err.toString(StandardCharsets.UTF_8)).as(command).isEmpty();
        }
    }

    @Test
    void overlayServiceNamesWhatIsMissingAndRefusesAnUnknownAction() {
        assertThat(run("overlay-service", "ex1")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("overlay-service: missing SERVICE\n");
        err.reset();
        assertThat(run("overlay-service", "ex1", "ssh")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("overlay-service: missing start|stop|restart|status\n");
        err.reset();
        assertThat(run("overlay-service", "ex1", "ssh", "reload")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("overlay-service: unknown action (reload); give start,"
                + " stop, restart or status\nUsage: overlay-service [--timeout SECONDS] NAME SERVICE"
                + " start|stop|restart|status\nTry 'overlay-service --help' for more.\n");
        err.reset();
        assertThat(run("overlay-service", "--timeout", "0", "ex1", "ssh", "stop")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("overlay-service: --timeout (0) must be 1 to 86400"
                + " seconds\n");
    }

    @Test
    void overlayLimitChecksEveryAssignmentBeforeItAsksTheSubhost() {
        assertThat(run("overlay-limit", "nosuch", "PIDS_MAX=500", "MEMORY_MAX=lots")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("overlay-limit: MEMORY_MAX (lots) must be none or a"
                + " size: bytes, or a number with K, M, G or T\n");
        err.reset();
        assertThat(run("overlay-limit", "nosuch", "SWAP_MAX=1G")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("overlay-limit: limit (SWAP_MAX) is not known; the"
                + " limits are MEMORY_MAX, MEMORY_HIGH, PIDS_MAX, CPU_WEIGHT, CPU_MAX, IO_WEIGHT, DISK_MAX\n");
        err.reset();
        assertThat(run("overlay-limit", "nosuch", "PIDS_MAX")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("overlay-limit: an assignment (PIDS_MAX) must be"
                + " VAR=VALUE\nUsage: overlay-limit [-q] NAME [VAR=VALUE...]\nTry 'overlay-limit --help' for more.\n");
        err.reset();
        assertThat(run("overlay-limit")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("overlay-limit: missing NAME\n");
    }

    @Test
    void overlayGoPassesWhatFollowsNameToTheCommand() {
        CliArgs.Syntax go = new OverlayGoCommand().syntax();
        assertThat(go.wantsHelp(List.of("ex1", "ls", "--help"))).isFalse();
        assertThat(go.wantsHelp(List.of("-h"))).isTrue();
    }

    @Test
    void aCommandIsNamedByItsUsageLine() {
        assertThat(new OverlayGoCommand().name()).isEqualTo("overlay-go");
        assertThat(new SubhostsCommand().name()).isEqualTo("subhosts");
        assertThatThrownBy(() -> new Command("overlay-x CONF", "X.\n", CliArgs.Syntax.operands(1)) {
            @Override
            int execute(CliArgs args, PrintStream out, PrintStream err) {
                return 0;
            }
        }).isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("usage line (overlay-x CONF) must start");
    }

    @Test
    void anUnexpectedExceptionIsOneLineNamingTheCommandWithoutATrace() {
        Command broken = new Command("Usage: overlay-broken", "Breaks.\n", CliArgs.Syntax.operands(0)) {
            @Override
            int execute(CliArgs args, PrintStream out, PrintStream err) {
                throw new IllegalStateException("no state (x) here");
            }
        };
        int status = broken.run(List.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(status).isEqualTo(1);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(err.toString(StandardCharsets.UTF_8)).as("(unless SUBHOST_DEBUG is set)").startsWith(
                "overlay-broken: internal error: java.lang.IllegalStateException: no state (x) here\n");
        if (System.getenv(Command.DEBUG_VARIABLE) == null) {
            assertThat(err.toString(StandardCharsets.UTF_8)).hasLineCount(1);
        }
    }
}
