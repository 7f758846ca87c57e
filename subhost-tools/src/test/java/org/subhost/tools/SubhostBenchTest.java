package org.subhost.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.subhost.testing.Uid;
import org.subhost.testing.HostLeftovers;

/** The benchmark run in-process with small numbers: its output's shape and that it leaves nothing behind. */
class SubhostBenchTest {
    private static final Pattern LAST = Pattern.compile("boot_ms_median=(\\d+\\.\\d) boot_ms_p95=(\\d+\\.\\d) "
            + "stop_ms_median=(\\d+\\.\\d) pss_kb_per_subhost=(\\d+) boot100_s=(\\d+\\.\\d\\d)");

    @Test
    void helpStartsWithUsage() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        assertThat(SubhostBench.run(List.of("--help"), new PrintStream(bytes, true, StandardCharsets.UTF_8))).isZero();
        assertThat(bytes.toString(StandardCharsets.UTF_8)).startsWith("Usage: subhost-bench [--count N]");
    }

    @Test
    void aBadLimitIsAUsageErrorThatNamesIt() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        java.io.PrintStream err = System.err;
        ByteArrayOutputStream errors = new ByteArrayOutputStream();
        System.setErr(new PrintStream(errors, true, StandardCharsets.UTF_8));
        try {
            assertThat(SubhostBench.run(List.of("--limits", "PIDS_MAX=lots"),
                    new PrintStream(bytes, true, StandardCharsets.UTF_8))).isEqualTo(2);
        } finally {
            System.setErr(err);
        }
        assertThat(errors.toString(StandardCharsets.UTF_8)).startsWith("subhost-bench: PIDS_MAX (lots) must be");
    }

    @Test
    void aSmallRunPrintsTheStepsAndTheFiguresAndLeavesNothing() throws IOException {
        Assumptions.assumeTrue(Uid.isRoot(),
                "the benchmark needs root (it makes namespaces, mounts and links)");
        List<String> before = leftovers();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = SubhostBench.run(List.of("--count", "3", "--parallel", "4"),
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();

        assertThat(status).as("exit status; output:%n%s", String.join("\n", lines)).isZero();
        Matcher last = LAST.matcher(lines.getLast());
        assertThat(last.matches()).as("last line: %s", lines.getLast()).isTrue();
        for (int g = 1; g <= 5; g++) {
            assertThat(Double.parseDouble(last.group(g))).as("figure %d of %s", g, lines.getLast()).isPositive();
        }
        assertThat(lines).as("the file system's state before and after")
                .anyMatch(l -> l.matches("file creation: \\d+\\.\\d\\d ms each under /tmp/\\S+, \\d+\\.\\d\\d ms each under /run \\(20 .*"))
                .anyMatch(l -> l.startsWith("after the runs, file creation: "));
        assertThat(lines).anyMatch(l -> l.startsWith("boot time by step (mean over 3 boots, from the LOG's millisecond times;"));
        assertThat(lines).as("the boots at once too")
                .anyMatch(l -> l.startsWith("of the boots at once, boot time by step (mean over 4 boots,"));
        assertThat(lines).as("a namespace step").anyMatch(l -> l.matches("  step +\\d+ ns +\\d+\\.\\d\\d ms  pivot_root .*"));
        assertThat(lines).as("a cable made alongside")
                .anyMatch(l -> l.matches("  step +\\d+ \\|\\| +\\d+\\.\\d\\d ms  cable 0: .*"));
        assertThat(lines).anyMatch(l -> l.matches("  step  1 +\\d+\\.\\d\\d ms  \\S.*"));
        assertThat(lines).anyMatch(l -> l.matches("  step  - +\\d+\\.\\d\\d ms  before step 1 .*"));
        assertThat(lines.stream().filter(l -> l.startsWith("  step ")).toList()).hasSizeGreaterThan(5);
        assertThat(leftovers()).as("left behind by the benchmark").isEqualTo(before);
    }

    @Test
    void scalingLevelsPrintEachLevelTheStepsAtTheLastAndTheRatio() throws IOException {
        Assumptions.assumeTrue(Uid.isRoot(), "the benchmark needs root (it makes namespaces, mounts and links)");
        List<String> before = leftovers();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = SubhostBench.run(List.of("--count", "2", "--parallel", "2", "--scaling", "--levels", "1,3"),
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();

        assertThat(status).as("exit status; output:%n%s", String.join("\n", lines)).isZero();
        assertThat(lines).anyMatch(l -> l.matches("boot_ms_with_1_running=\\d+\\.\\d \\(median of 9\\)"));
        assertThat(lines).anyMatch(l -> l.matches("boot_ms_with_3_running=\\d+\\.\\d \\(median of 9\\)"));
        assertThat(lines).anyMatch(l -> l.startsWith("with 3 running, boot time by step (mean over 9 boots"));
        assertThat(lines).anyMatch(l -> l.matches("scaling_ratio_3_to_1=\\d+\\.\\d\\d"));
        assertThat(LAST.matcher(lines.getLast()).matches()).as("last line: %s", lines.getLast()).isTrue();
        assertThat(leftovers()).as("left behind by the benchmark").isEqualTo(before);
    }

    @Test
    void virtualThreadsBootEnterAndStopEachSizeAndPrintTheRatio() throws IOException {
        Assumptions.assumeTrue(Uid.isRoot(), "the benchmark needs root (it makes namespaces, mounts and links)");
        List<String> before = leftovers();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int status = SubhostBench.run(List.of("--virtual-threads", "--sizes", "2,4"),
                new PrintStream(bytes, true, StandardCharsets.UTF_8));
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();

        assertThat(status).as("exit status; output:%n%s", String.join("\n", lines)).isZero();
        assertThat(lines).anyMatch(l -> l.matches("virtual threads: 2 subhosts booted, entered and stopped in \\d+\\.\\d\\d s"));
        assertThat(lines.getLast()).matches("vt_ms_per_subhost_2=\\d+\\.\\d vt_ms_per_subhost_4=\\d+\\.\\d vt_ratio_4_to_2=\\d+\\.\\d\\d");
        assertThat(leftovers()).as("left behind by the benchmark").isEqualTo(before);
    }

    @Test
    void aListWithANonNumberIsAUsageError() {
        assertThat(SubhostBench.run(List.of("--levels", "1,x"), new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8))).isEqualTo(2);
    }

    /**
     * What the benchmark could leave: of its subhosts (NAMEs sb*) the netns, links, mounts,
     * state directories, lock files, cgroups and processes ({@link HostLeftovers}), any
     * overlay mount, its temporary directories, and mount namespaces this JVM holds.
     */
    private static List<String> leftovers() throws IOException {
        List<String> left = new ArrayList<>(HostLeftovers.matching(n -> n.startsWith("sb")).markers("subhost-bench-")
                .find());
        left.addAll(names(Path.of("/tmp"), "subhost-bench-"));
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            if (f[dash + 1].equals("overlay") || f[4].contains("subhost-bench-")) {
                left.add("mount " + f[4]);
            }
        }
        return left;
    }

    private static List<String> names(Path dir, String prefix) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.map(p -> p.toString()).filter(p -> Path.of(p).getFileName().toString().startsWith(prefix))
                    .sorted().toList();
        }
    }
}
