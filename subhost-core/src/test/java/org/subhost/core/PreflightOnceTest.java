package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.subhost.BootProblem;
import org.subhost.Subhost;
import org.subhost.config.SubhostConfig;

/**
 * overlay-boot runs the preflight and then boots the same configuration: the boot writes
 * the answer it got to LOG instead of probing the host a second time, once.
 */
class PreflightOnceTest extends SubhostKernelTest {
    private static final String STALE = "names no eth0, which CABLES makes";

    @Test
    void aBootRightAfterThePreflightOfItsConfigurationLogsThatAnswerOnceThenProbesAnew() throws Exception {
        Path interfaces = Files.createDirectories(base.resolve("root/etc/network")).resolve("interfaces");
        Files.writeString(interfaces, "auto lo\niface lo inet loopback\n");
        config = SubhostConfig.builder(name, base).cables("=").start("none").log(base.resolve("log")).build();
        List<BootProblem> problems = subhosts.preflight(config);
        assertThat(problems).anyMatch(p -> p.toString().contains(STALE));
        // The file is right by the time of the boot: a second probe would not warn.
        Files.writeString(interfaces, "auto lo\niface lo inet loopback\nauto eth0\niface eth0 inet manual\n");

        Subhost first = subhosts.boot(config);
        String firstLog = Files.readString(config.log());
        first.stop(Duration.ofSeconds(5));
        subhosts.boot(config);
        String secondLog = Files.readString(config.log()).substring(firstLog.length());

        assertThat(firstLog.lines().filter(l -> l.contains(STALE))).as("the preflight's answer, in LOG").hasSize(1);
        assertThat(secondLog).as("the second boot probed anew").doesNotContain(STALE).contains("booted: pid 1 is ");
    }

    /**
     * A boot of the library without overlay-boot's preflight before it probes the host
     * itself, on a thread of its own while it takes its lock and plans: its warnings are in
     * LOG once, before the first step, as the host was before the boot made anything (the
     * boot then writes an interfaces file of its own only where there is none).
     */
    @Test
    void aBootWithoutAPreflightLogsItsOwnProbesWarningsOnceBeforeItsFirstStep() throws Exception {
        Path interfaces = Files.createDirectories(base.resolve("root/etc/network")).resolve("interfaces");
        Files.writeString(interfaces, "auto lo\niface lo inet loopback\n");
        config = SubhostConfig.builder(name, base).cables("=").start("none").log(base.resolve("log")).build();

        subhosts.boot(config);

        List<String> log = Files.readAllLines(config.log());
        int warning = indexOf(log, STALE);
        assertThat(log.stream().filter(l -> l.contains(STALE))).as("the probe's warning, in LOG").hasSize(1);
        assertThat(warning).as("the warning, before step 1").isLessThan(indexOf(log, ": step 1: "));
    }

    private static int indexOf(List<String> lines, String text) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(text)) {
                return i;
            }
        }
        throw new AssertionError("no line with " + text + " in " + lines);
    }
}
