package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The command-line split that the commands share, and its messages. */
class CliArgsTest {
    private static final CliArgs.Syntax SYNTAX = CliArgs.Syntax.operands(2).flag("-f").value("--v", "a number of seconds");

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private static CliArgs parse(String... args) throws CommandExit {
        return CliArgs.parse(SYNTAX, List.of(args));
    }

    /** What {@link Command#run} prints for the usage error that parsing {@code args} ends with. */
    private String refusal(String... args) {
        err.reset();
        CommandExit exit = catchThrowableOfType(CommandExit.class, () -> parse(args));
        assertThat(exit).as("the end of parsing %s", List.of(args)).isNotNull();
        assertThat(exit.status()).isEqualTo(2);
        exit.report("cmd", "Usage: cmd [-f] [--v S] A [B]", new PrintStream(err, true, StandardCharsets.UTF_8));
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
        assertThat(refusal("-x")).isEqualTo("cmd: unknown option (-x)\nUsage: cmd [-f] [--v S] A [B]\n"
                + "Try 'cmd --help' for more.\n");
        assertThat(refusal("a", "--v")).startsWith("cmd: --v needs a number of seconds\n");
        assertThat(refusal("a", "b", "c")).startsWith("cmd: too many arguments (c)\n");
    }

    @Test
    void readsSecondsOrRefusesThemNamingTheOption() throws Exception {
        assertThat(parse("--v", "30", "a").seconds("--v", 1, null)).hasSeconds(30);
        assertThat(parse("a").seconds("--v", 1, java.time.Duration.ZERO)).isZero();
        assertThatThrownBy(() -> parse("--v", "0", "a").seconds("--v", 1, null)).isInstanceOf(CommandExit.class)
                .hasMessage("--v (0) must be 1 to 86400 seconds");
    }

    @Test
    void withTheFirstOperandEndingTheOptionsTheRestIsPassedOn() throws Exception {
        CliArgs.Syntax go = CliArgs.Syntax.operands(Integer.MAX_VALUE).optionsBeforeOperandsOnly();
        assertThat(CliArgs.parse(go, List.of("ex1", "ls", "-l", "--", "--help")).operands())
                .containsExactly("ex1", "ls", "-l", "--", "--help");
        assertThat(go.wantsHelp(List.of("ex1", "ls", "--help"))).isFalse();
        assertThat(go.wantsHelp(List.of("--help", "ex1"))).isTrue();
        assertThatThrownBy(() -> CliArgs.parse(go, List.of("-l", "ex1"))).isInstanceOf(CommandExit.class)
                .hasMessage("unknown option (-l)");
    }

    @Test
    void helpWinsWhereAnOptionMayStandButNotAfterDoubleDash() {
        assertThat(SYNTAX.wantsHelp(List.of("--bogus", "a", "b", "c", "-h"))).isTrue();
        assertThat(SYNTAX.wantsHelp(List.of("a", "--help"))).isTrue();
        assertThat(SYNTAX.wantsHelp(List.of("a", "--", "--help"))).isFalse();
    }
}
