package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The command-line split that the commands share, and its messages. */
class CliArgsTest {
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private CliArgs parse(String... args) throws CliSupport.Exit {
        return CliArgs.parse("cmd", "Usage: cmd [-f] [--v S] A [B]", List.of(args), Set.of("-f"),
                Map.of("--v", "a number of seconds"), 2, new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void takesFlagsValuesAndOperandsInAnyOrder() throws Exception {
        CliArgs a = parse("x", "-f", "--v", "3", "y");
        assertThat(a.has("-f")).isTrue();
        assertThat(a.value("--v")).contains("3");
        assertThat(a.operands()).containsExactly("x", "y");
        assertThat(parse("x").has("-f")).isFalse();
        assertThat(parse("x").value("--v")).isEmpty();
    }

    @Test
    void doubleDashEndsTheOptions() throws Exception {
        assertThat(parse("--", "-f", "--v").operands()).containsExactly("-f", "--v");
        assertThat(parse("-", "x").operands()).as("a lone dash is an operand").containsExactly("-", "x");
    }

    @Test
    void refusesWithTheFamilysMessagesAndTheUsage() {
        assertThatThrownBy(() -> parse("-x")).isInstanceOf(CliSupport.Exit.class);
        assertThat(err()).isEqualTo("cmd: unknown option (-x)\nUsage: cmd [-f] [--v S] A [B]\n"
                + "Try 'cmd --help' for more.\n");
        err.reset();
        assertThatThrownBy(() -> parse("a", "--v")).isInstanceOf(CliSupport.Exit.class);
        assertThat(err()).startsWith("cmd: --v needs a number of seconds\n");
        err.reset();
        assertThatThrownBy(() -> parse("a", "b", "c")).isInstanceOf(CliSupport.Exit.class);
        assertThat(err()).startsWith("cmd: too many arguments (c)\n");
    }
}
