package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.config.SubhostConfig;

/**
 * The boot plans that the docs show are the planner's, so that they cannot drift: each
 * numbered step of a listing in docs/guide/cli.md and docs/architecture.md is the line that
 * {@code overlay-boot --dry-run} prints for {@code subhost-examples/example/minimal.conf}
 * in {@code /ex1} on a hybrid host (cgroup v2 at {@code /sys/fs/cgroup/unified}), and the
 * step a failure example names is the one with that description.
 */
class DocsPlanTest {
    /** The host the docs describe: hybrid cgroups, /etc/adjtime, ifupdown; no systemd unit. */
    private static final HostFacts DOCS_HOST = new HostFacts(Optional.of(Path.of("/sys/fs/cgroup/unified")), true,
            Optional.of(Path.of("/usr/sbin/ifup")), Optional.empty(), CgroupLayout.read(
                    Optional.of(Path.of("/sys/fs/cgroup/unified")), Optional.empty(),
                    "8:pids:/\n5:devices:/\n4:memory:/\n2:cpuacct:/\n1:cpu:/\n7:blkio:/\n0::/\n",
                    controllers -> Optional.of(Path.of("/sys/fs/cgroup", String.join(",", controllers))),
                    group -> java.util.Set.of()));
    /** A step of a listing in a code block: four spaces, then the plan's own line. */
    private static final Pattern LISTED_STEP = Pattern.compile("^    ( ?\\d+\\. \\[[a-z, ]+\\] .*)$", Pattern.MULTILINE);
    /** The failure example: {@code step N (DESCRIPTION (...)) failed}. */
    private static final Pattern FAILED_STEP = Pattern.compile("boot (\\w+): step (\\d+) \\((.*?) \\(\\.\\.\\.\\)\\) failed");

    @TempDir
    Path tmp;

    /** The plan lines of the minimal example as --dry-run prints them, with its BASE shown as /ex1. */
    private List<String> minimalPlan() throws Exception {
        Path base = tmp.toRealPath();
        Files.copy(checkout().resolve("subhost-examples/example/minimal.conf"), base.resolve("minimal.conf"));
        SubhostConfig config = SubhostConfig.read(base.resolve("minimal.conf"), "overlay-boot");
        return BootPlanner.plan(config, DOCS_HOST).lines().stream().map(line -> line.replace(base.toString(), "/ex1"))
                .toList();
    }

    @Test
    void theCliGuidesListingIsTheMinimalExamplesPlan() throws Exception {
        assertListedStepsAreThePlans("docs/guide/cli.md", minimalPlan());
    }

    @Test
    void theArchitecturesListingIsTheMinimalExamplesWholePlan() throws Exception {
        List<String> plan = minimalPlan();
        List<String> listed = assertListedStepsAreThePlans("docs/architecture.md", plan);
        assertThat(listed).as("the whole plan").containsExactlyElementsOf(plan);
    }

    @Test
    void theCliGuidesFailureNamesTheStepOfItsDescription() throws Exception {
        String text = Files.readString(checkout().resolve("docs/guide/cli.md"));
        Matcher m = FAILED_STEP.matcher(text);
        assertThat(m.find()).as("a failure example in docs/guide/cli.md").isTrue();
        Path base = tmp.toRealPath();
        SubhostConfig config = SubhostConfig.builder(m.group(1), base).build();
        List<String> plan = BootPlanner.plan(config, DOCS_HOST).lines().stream()
                .map(line -> line.replace(base.toString(), "/ex1")).toList();
        int step = Integer.parseInt(m.group(2));
        assertThat(plan.get(step - 1)).as("step %d of a subhost %s with BASE=. and no cable", step, m.group(1))
                .matches(" ?" + step + "\\. \\[[a-z, ]+\\] " + Pattern.quote(m.group(3)) + " \\(.*\\)");
    }

    /** Asserts that each numbered step listed in {@code doc} is that step of {@code plan}; returns them. */
    private static List<String> assertListedStepsAreThePlans(String doc, List<String> plan) throws IOException {
        Matcher m = LISTED_STEP.matcher(Files.readString(checkout().resolve(doc)));
        List<String> listed = new ArrayList<>();
        while (m.find()) {
            listed.add(m.group(1));
        }
        assertThat(listed).as("steps listed in %s", doc).isNotEmpty();
        for (String line : listed) {
            int step = Integer.parseInt(line.trim().substring(0, line.trim().indexOf('.')));
            assertThat(step).as("%s: step number of %s", doc, line).isBetween(1, plan.size());
            assertThat(line).as("%s: step %d", doc, step).isEqualTo(plan.get(step - 1));
        }
        return listed;
    }

    /** The checkout: the nearest directory upwards with docs/guide/cli.md. */
    private static Path checkout() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("docs/guide/cli.md"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no checkout (docs/guide/cli.md) above " + Path.of("").toAbsolutePath());
    }
}
