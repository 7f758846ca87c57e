package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.subhost.ProgressListener;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.config.SubhostConfig;

/**
 * Issue 21, ways 6 and 7, and issue 23's test of LOG: LOG is bounded by LOG_MAX (its newest
 * part kept in LOG.1), a LOG with a second name is refused, and what a subhost writes or
 * names reaches LOG and the stop's output as one line each, with no control character.
 */
class LogBoundKernelTest extends SubhostKernelTest {
    private static final long LOG_MAX = 64 << 10;

    @Test
    void aServiceThatPrintsWithoutEndLeavesAtMostAboutTwiceLogMaxOfLog() throws Exception {
        Path log = base.resolve("log");
        Path rotated = base.resolve("log.1");
        config = SubhostConfig.builder(name, base).log(log).logMax(LOG_MAX).start("none")
                .init("echo 'while :; do echo spam-spam-spam-spam-spam-spam-spam-spam; done'").build();
        Subhost s = subhosts.boot(config);

        // Two rotations at least: LOG.1 then holds output alone, no line of the boot's. The
        // service was never held up by its output meanwhile.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!(Files.exists(rotated) && Files.readString(rotated).startsWith("spam-"))) {
            assertThat(System.nanoTime()).as("LOG.1 never held output alone").isLessThan(deadline);
            assertThat(Files.size(log) + (Files.exists(rotated) ? Files.size(rotated) : 0))
                    .isLessThanOrEqualTo(2 * LOG_MAX + 16384);
            Thread.sleep(20);
        }
        for (int i = 0; i < 20; i++) {
            assertThat(Files.size(log) + Files.size(rotated)).isLessThanOrEqualTo(2 * LOG_MAX + 16384);
            Thread.sleep(50);
        }
        s.stop(Duration.ofSeconds(2));
        assertThat(Files.size(log) + Files.size(rotated)).isLessThanOrEqualTo(2 * LOG_MAX + 16384);
        assertThat(Files.readString(log) + Files.readString(rotated))
                .as("the stop's lines, though LOG was rotated while it ran")
                .contains("overlay-stop[" + name + "]: stopped; nothing of it is left");
    }

    @Test
    void aLogWithASecondNameIsRefused() throws Exception {
        Path log = Files.writeString(base.resolve("log"), "");
        Files.createLink(base.resolve("other-name"), log);
        config = SubhostConfig.builder(name, base).log(log).start("none").build();

        assertThatThrownBy(() -> subhosts.boot(config)).isInstanceOf(SubhostException.class)
                .hasMessageEndingWith("LOG (" + log + ") has 2 names (hard links); refused: another name could be a"
                        + " file of the host's, which writing and rotating LOG would change; remove it, or set LOG to"
                        + " another path");
        assertThat(Files.size(log)).isZero();
    }

    @Test
    void whatASubhostPrintsReachesLogWithItsLinesAndNoControlCharacter() throws Exception {
        Path log = base.resolve("log");
        // ESC ] 0 ; title BEL (a terminal's title), CR, U+0085 (C1 NEL), U+2028, a byte that is no UTF-8.
        Files.writeString(base.resolve("root/printer.sh"),
                "printf 'a\\033]0;title\\007b\\r\\n\\302\\205\\342\\200\\250\\377tab\\tend\\n'\n");
        config = SubhostConfig.builder(name, base).log(log).start("none").init("echo /bin/sh /printer.sh").build();
        subhosts.boot(config);

        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Files.readString(log, StandardCharsets.ISO_8859_1).contains("tab\tend")) {
            assertThat(System.nanoTime()).as("the output in LOG").isLessThan(deadline);
            Thread.sleep(20);
        }
        String text = new String(Files.readAllBytes(log), StandardCharsets.UTF_8);
        assertThat(text).contains("a\\x1b]0;title\\x07b\\x0d\n\\u0085\\u2028\\xfftab\tend\n");
    }

    @Test
    void aRenamedPid1ProgramForgesNoLineOfLogOrOfTheStop() throws Exception {
        // Issue 21, way 6: /.reaper renamed inside to a name with a line break put a line of
        // the subhost's choosing into LOG and into overlay-stop's output ("<0>" is an
        // emergency to the journal).
        Path log = base.resolve("log");
        config = SubhostConfig.builder(name, base).log(log).start("none").build();
        Subhost s = subhosts.boot(config);
        s.exec(List.of("/bin/sh", "-c", "mv /.reaper \"$(printf '/x\\n<0>forged')\""), Duration.ofSeconds(10));

        List<String> lines = new ArrayList<>();
        subhosts.stop(config, Duration.ofSeconds(2), (severity, line) -> lines.add(line));

        assertThat(lines).isNotEmpty().noneMatch(line -> line.contains("\n") || line.startsWith("<"));
        assertThat(Files.readAllLines(log)).noneMatch(line -> line.startsWith("<0>"));
    }
}
