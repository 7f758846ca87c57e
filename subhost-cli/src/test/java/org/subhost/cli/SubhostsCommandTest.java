package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code subhosts}'s arguments, help and the missing list; what needs no root. */
class SubhostsCommandTest {
    private static final String USAGE = "Usage: subhosts [--grace SECONDS] [--units] {start|stop|status}\n"
            + "Try 'subhosts --help' for more.\n";

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(Map<String, String> env, String... args) {
        out.reset();
        err.reset();
        return new SubhostsCommand(env::get).run(List.of(args), print(out), print(err));
    }

    private static PrintStream print(ByteArrayOutputStream bytes) {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void helpNamesTheActionsTheListAndTheExitStatuses() {
        assertThat(run(Map.of(), "--help")).isZero();
        assertThat(out()).startsWith("Usage: subhosts [--grace SECONDS] [--units] {start|stop|status}\n")
                .contains("/etc/subhosts.conf", "SUBHOSTS_CONF", "relative to the directory of the\nlist file",
                        "--grace SECONDS", "--units", "subhosts@CONF.service", "-h, --help", "Exit status: 0", "3 (status) a listed subhost is not running");
        assertThat(err()).isEmpty();
    }

    @Test
    void usageErrors() {
        Map<String, String> env = Map.of();
        assertThat(run(env)).isEqualTo(2);
        assertThat(err()).isEqualTo("subhosts: missing action\n" + USAGE);
        assertThat(run(env, "reload")).isEqualTo(2);
        assertThat(err()).isEqualTo("subhosts: unknown action (reload)\n" + USAGE);
        assertThat(run(env, "start", "stop")).isEqualTo(2);
        assertThat(err()).isEqualTo("subhosts: too many arguments (stop)\n" + USAGE);
        assertThat(run(env, "--all", "start")).isEqualTo(2);
        assertThat(err()).isEqualTo("subhosts: unknown option (--all)\n" + USAGE);
        assertThat(run(env, "--units", "--grace", "30", "stop")).isEqualTo(2);
        assertThat(err()).isEqualTo("subhosts: --grace is not for --units (the unit's stop has its own)\n" + USAGE);
        assertThat(run(env, "--grace", "30", "start")).isEqualTo(2);
        assertThat(err()).isEqualTo("subhosts: --grace is for stop only\n" + USAGE);
        assertThat(run(env, "stop", "--grace", "soon")).isEqualTo(2);
        assertThat(err()).isEqualTo("subhosts: --grace (soon) must be 0 to 86400 seconds\n" + USAGE);
        assertThat(run(env, "stop", "--grace")).isEqualTo(2);
        assertThat(err()).isEqualTo("subhosts: --grace needs a number of seconds\n" + USAGE);
        assertThat(out()).isEmpty();
    }

    @Test
    void aMissingListNamesTheFileAndSubhostsConf(@TempDir Path tmp) {
        Path missing = tmp.resolve("subhosts.conf");
        for (String action : List.of("start", "stop", "status")) {
            assertThat(run(Map.of("SUBHOSTS_CONF", missing.toString()), action)).as(action).isEqualTo(2);
            assertThat(err()).isEqualTo("subhosts: list of subhosts (" + missing
                    + ") does not exist; create it, or name another file with SUBHOSTS_CONF=FILE\n");
            assertThat(out()).isEmpty();
        }
    }

    @Test
    void isOneOfTheCommandsOfTheCli() {
        int status = Cli.run(List.of("subhosts", "--help"), print(out), print(err));
        assertThat(status).isZero();
        assertThat(out()).startsWith("Usage: subhosts ");
    }
}
