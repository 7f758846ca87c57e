package org.subhost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.subhost.config.ConfFiles.read;
import static org.subhost.config.ConfFiles.real;
import static org.subhost.config.ConfFiles.write;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Lines that the reading ignores, as the old tool does, although they look meant: each is a
 * warning naming the file, the line and the known variable nearest to it; a strict reading
 * refuses them all at once.
 */
class ConfWarningsTest {
    @TempDir
    Path tmp;
    Path dir;

    @BeforeEach
    void realDirectory() {
        dir = real(tmp);
    }

    private static List<String> warnings(SubhostConfig config) {
        return config.warnings().stream().map(ConfigWarning::toString).toList();
    }

    @Test
    void aMisspeltVariableIsIgnoredWithAWarningNamingTheOneMeant() throws Exception {
        Path conf = write(dir, "ex1.conf", "BASE=.", "STRAT=none");
        SubhostConfig c = read(conf);
        assertThat(c.start()).as("ignored, as the old tool does").containsExactly("networking", "ssh");
        assertThat(warnings(c)).containsExactly(conf + ":2: warning: STRAT: unknown variable; did you mean START?");
        assertThat(c.warnings().getFirst()).isEqualTo(new ConfigWarning(conf, 2, "STRAT",
                "STRAT: unknown variable; did you mean START?"));
    }

    @Test
    void warnsAboutEachTypoOfTheIssueInFileOrder() throws Exception {
        Path conf = write(dir, "ex1.conf",
                "BASE=.",
                "STRAT=none",
                "CABELS= =",
                "name=x",
                "START = none");
        SubhostConfig c = read(conf);
        assertThat(c.cables()).isEmpty();
        assertThat(c.name()).isEqualTo("ex1");
        assertThat(warnings(c)).containsExactly(
                conf + ":2: warning: STRAT: unknown variable; did you mean START?",
                conf + ":3: warning: CABELS: unknown variable; did you mean CABLES?",
                conf + ":4: warning: name: unknown variable; did you mean NAME?",
                conf + ":5: warning: START: ignored, as white space stands before =; did you mean START=none?");
    }

    @Test
    void anIndentedAssignmentIsIgnoredWithAWarning() throws Exception {
        Path conf = write(dir, "ex1.conf", "BASE=.", "  CABLES=br0=");
        SubhostConfig c = read(conf);
        assertThat(c.cables()).isEmpty();
        assertThat(warnings(c)).containsExactly(
                conf + ":2: warning: CABLES: ignored, as the line is indented; did you mean CABLES=br0=?");
    }

    @Test
    void aSecondAssignmentIsIgnoredWithAWarningNamingTheFirst() throws Exception {
        Path conf = write(dir, "ex1.conf", "BASE=.", "CABLES=", "START=none", "CABLES=br0=");
        SubhostConfig c = read(conf);
        assertThat(c.cables()).as("the first, empty, assignment counts").isEmpty();
        assertThat(warnings(c)).containsExactly(conf
                + ":4: warning: CABLES: assigned again; the first assignment (line 2) counts, this one is ignored");
    }

    @Test
    void anUnknownVariableWithNoneNearIsNamedAlone() throws Exception {
        Path conf = write(dir, "ex1.conf", "BASE=.", "COLOUR=blue");
        assertThat(warnings(read(conf))).containsExactly(conf + ":2: warning: COLOUR: unknown variable");
    }

    @Test
    void aLongValueIsQuotedShortAndPrintable() throws Exception {
        Path conf = write(dir, "ex1.conf", "BASE=.", "INIT =echo \u001b[31m" + "x".repeat(60));
        assertThat(warnings(read(conf))).containsExactly(conf + ":2: warning: INIT: ignored, as white space stands"
                + " before =; did you mean INIT=echo \\x1b[31m" + "x".repeat(27) + "...?");
    }

    @Test
    void commentsFreeTextRepeatedSharesAndCleanFilesGiveNoWarning() throws Exception {
        Path conf = write(dir, "ex1.conf",
                "# STRAT=none in a comment",
                "   # indented comment: CABLES=br0=",
                "A line of free text, with = in it",
                "export PATH=/bin",
                "BASE=.",
                "SHARE=/srv/a",
                "SHARE=/srv/b",
                "",
                "START=none");
        assertThat(read(conf).warnings()).isEmpty();
    }

    @Test
    void aConfigurationBuiltInCodeHasNoWarnings() {
        assertThat(SubhostConfig.builder("t1", dir).build().warnings()).isEmpty();
    }

    @Test
    void derivedConfigurationsKeepTheWarnings() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "STRAT=none"));
        assertThat(c.toBuilder().start("none").build().warnings()).isEqualTo(c.warnings());
    }

    @Test
    void aStrictReadingRefusesEveryWarningAtOnceBeforeAnyCommandRuns() {
        Path marker = dir.resolve("ran");
        Path conf = write(dir, "ex1.conf", "BASE=.", "INIT=!touch " + marker + "; echo true", "STRAT=none",
                "CABELS= =");
        assertThatThrownBy(() -> SubhostConfig.readStrict(conf, "overlay-boot", Duration.ofSeconds(20)))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e.getMessage()).isEqualTo(conf + ":3: STRAT: unknown variable; did you mean START?\n"
                            + conf + ":4: CABELS: unknown variable; did you mean CABLES?");
                    assertThat(e.line()).hasValue(3);
                    assertThat(e.variable()).contains("STRAT");
                    assertThat(e.reason()).isEqualTo("STRAT: unknown variable; did you mean START?\n"
                            + "CABELS: unknown variable; did you mean CABLES?");
                });
        assertThat(marker).as("INIT's ! command").doesNotExist();
    }

    @Test
    void aStrictReadingOfACleanFileIsTheUsualReading() throws Exception {
        Path conf = write(dir, "ex1.conf", "BASE=.", "START=none");
        assertThat(SubhostConfig.readStrict(conf, "overlay-boot", Duration.ofSeconds(20))).isEqualTo(read(conf));
    }

    @Test
    void theNearestVariableAllowsOneSlipPerThreeLetters() {
        assertThat(ConfReader.nearestVariable("STRAT")).contains("START");
        assertThat(ConfReader.nearestVariable("RAMSIZE")).contains("RAM_SIZE");
        assertThat(ConfReader.nearestVariable("CAPABILITY")).contains("CAPABILITIES");
        assertThat(ConfReader.nearestVariable("Lower")).contains("LOWER");
        assertThat(ConfReader.nearestVariable("LOGS")).contains("LOG");
        assertThat(ConfReader.nearestVariable("SHARES")).contains("SHARE");
        assertThat(ConfReader.nearestVariable("X")).isEmpty();
        assertThat(ConfReader.nearestVariable("PATH")).isEmpty();
        assertThat(ConfReader.nearestVariable("COLOUR")).isEmpty();
    }

    @Test
    void editDistanceCountsASwapOfNeighboursAsOne() {
        assertThat(ConfReader.editDistance("STRAT", "START")).isEqualTo(1);
        assertThat(ConfReader.editDistance("CABELS", "CABLES")).isEqualTo(1);
        assertThat(ConfReader.editDistance("", "LOG")).isEqualTo(3);
        assertThat(ConfReader.editDistance("LOWER", "LOWER")).isZero();
        assertThat(ConfReader.editDistance("KITTEN", "SITTING")).isEqualTo(3);
    }

    @Test
    void aWarningPointsAtALine() {
        assertThatThrownBy(() -> new ConfigWarning(dir, 0, "X", "x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("line (0) must be at least 1");
    }
}
