package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.subhost.config.Limits;

/**
 * The control group steps' lines, built with loops since they are interpreted on every
 * boot's path, are the lines that their earlier form with streams (kept here) made: with and
 * without v1 groups and v2 controllers, with no limit set, with several, and with DISK_MAX,
 * which is no group's.
 */
class ControlGroupDescribeTest {
    private static final DevicePolicy DEVICES = DevicePolicy.of(List.of());

    /** The earlier form of {@link ControlGroup.Create#describe()}. */
    private static String streams(SubhostGroups groups, Limits limits) {
        List<String> set = Limits.VARIABLES.stream().filter(v -> !v.equals("DISK_MAX") && !limits.isKernelDefault(v))
                .map(v -> v + "=" + limits.text(v)).toList();
        return "control groups " + String.join(", ", groups.directories().stream().map(Path::toString).toList())
                + (groups.v2Controllers().isEmpty() ? "" : " (v2 controllers " + String.join(" ",
                        new java.util.TreeSet<>(groups.v2Controllers())) + ")")
                + "; " + (set.isEmpty() ? "no limits" : String.join(" ", set))
                + "; devices " + DEVICES.describe();
    }

    @Test
    void theLinesAreTheLinesOfTheEarlierForm() {
        List<SubhostGroups> groupings = List.of(
                new SubhostGroups(Optional.of(Path.of("/sys/fs/cgroup/d1")), Set.of("pids", "memory", "cpu"), Map.of()),
                new SubhostGroups(Optional.of(Path.of("/sys/fs/cgroup/unified/d1")), Set.of(),
                        new java.util.LinkedHashMap<>(Map.of("memory", Path.of("/sys/fs/cgroup/memory/d1")))),
                new SubhostGroups(Optional.empty(), Set.of(), Map.of("pids", Path.of("/sys/fs/cgroup/pids/d1"))));
        List<Limits> limits = List.of(Limits.DEFAULT, Limits.DEFAULT.with("PIDS_MAX", "none"),
                Limits.DEFAULT.with("MEMORY_MAX", "512M").with("CPU_WEIGHT", "300").with("DISK_MAX", "1G"),
                Limits.DEFAULT.with("PIDS_MAX", "none").with("DISK_MAX", "1G"));
        int noLimits = 0;
        for (SubhostGroups groups : groupings) {
            for (Limits l : limits) {
                String line = new ControlGroup.Create(groups, l, DEVICES, null).describe();
                assertThat(line).isEqualTo(streams(groups, l));
                noLimits += line.contains("; no limits;") ? 1 : 0;
            }
        }
        assertThat(noLimits).as("lines without a limit").isEqualTo(2 * groupings.size());
    }
}
