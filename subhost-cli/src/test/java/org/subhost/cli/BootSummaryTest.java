package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.subhost.ProgressListener;
import org.subhost.SubhostStatus.ServiceStatus;

/** The line a successful boot ends with, and the warnings it counts. */
class BootSummaryTest {
    private static final Path LOG = Path.of("/tmp/oly-ex1.log");

    @Test
    void namesPidOneLogEachServicesStateAndTheWarnings() {
        assertThat(BootSummary.line("ex1", 41233, LOG, List.of(new ServiceStatus("networking", "started"),
                new ServiceStatus("ssh", "failed (status 1)")), 1))
                .isEqualTo("ex1 booted: pid 1 is 41233; LOG /tmp/oly-ex1.log; services: networking started,"
                        + " ssh failed (status 1); 1 warning");
    }

    @Test
    void saysNoneForNoServiceAndNoWarning() {
        assertThat(BootSummary.line("ex1", 7, LOG, List.of(), 0))
                .isEqualTo("ex1 booted: pid 1 is 7; LOG /tmp/oly-ex1.log; services: none; no warnings");
    }

    @Test
    void aServiceTheInitHasNotReachedIsStarting() {
        assertThat(BootSummary.line("ex1", 7, LOG, List.of(new ServiceStatus("ssh", "unknown")), 2))
                .isEqualTo("ex1 booted: pid 1 is 7; LOG /tmp/oly-ex1.log; services: ssh starting; 2 warnings");
    }

    @Test
    void countsTheWarningLinesAndPassesEveryLineOn() {
        List<String> passed = new ArrayList<>();
        BootSummary summary = new BootSummary((severity, text) -> passed.add(severity + " " + text));
        summary.line(ProgressListener.Severity.INFO, "booting ex1");
        summary.line(ProgressListener.Severity.WARNING, "/ex1/ex1.conf:2: warning: STRAT: unknown variable");
        summary.line(ProgressListener.Severity.ERROR, "undo failed");
        summary.line(ProgressListener.Severity.WARNING, "warning: UPPER can be reached");
        assertThat(summary.warnings()).isEqualTo(2);
        assertThat(passed).containsExactly("INFO booting ex1", "WARNING /ex1/ex1.conf:2: warning: STRAT: unknown variable",
                "ERROR undo failed", "WARNING warning: UPPER can be reached");
    }
}
