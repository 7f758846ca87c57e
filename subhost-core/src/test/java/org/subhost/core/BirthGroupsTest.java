package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.linux.Spawn;

/**
 * What the SDK makes of the report of a program that clones a process into its groups
 * ({@code src/main/c/birth.h}): the child's pid, or the group that refused it, by its
 * directory and the call; on directories made here in place of a host's cgroup mounts.
 */
class BirthGroupsTest {
    @TempDir
    Path tmp;

    private BirthGroups open() throws Exception {
        Path v2 = Files.createDirectories(tmp.resolve("unified/ex1"));
        Path pids = Files.createDirectories(tmp.resolve("pids/ex1"));
        Files.createFile(pids.resolve("tasks"));
        Map<String, Path> v1 = new LinkedHashMap<>();
        v1.put("pids", pids);
        SubhostGroups groups = new SubhostGroups(Optional.of(v2), Set.of(), v1);
        return BirthGroups.open(groups, groups.directories());
    }

    @Test
    void theV2GroupIsGivenByItsDirectoryAndEachV1GroupByItsTasksFileInOrder() throws Exception {
        try (BirthGroups groups = open()) {
            List<String> options = groups.passTo(Spawn.program(Path.of("/bin/true")), 12);

            assertThat(options).containsExactly("--cgroup-fd", "12", "--tasks-fd", "13");
            assertThat(groups.count()).isEqualTo(2);
        }
    }

    @Test
    void aReportOfAPidIsThePid() throws Exception {
        try (BirthGroups groups = open()) {
            assertThat(groups.bornPid("4321\n", 12, "pid 1")).isEqualTo(4321);
            assertThat(groups.bornPid("", 12, "pid 1")).as("nothing told: the caller says why").isEqualTo(-1);
            assertThat(groups.bornPid("0\n", 12, "pid 1")).isEqualTo(-1);
        }
    }

    @Test
    void aV1GroupThatRefusedIsNamedByItsTasksFileAndTheErrnoEvenAfterThePid() throws Exception {
        try (BirthGroups groups = open()) {
            // The launcher tells the pid; its child, refused by a v1 group, tells why and exits.
            assertThatThrownBy(() -> groups.bornPid("4321\n!13 19\n", 12, "pid 1")).isInstanceOf(IOException.class)
                    .hasMessage("pid 1 could not be born in the subhost's control groups: write("
                            + tmp.resolve("pids/ex1/tasks") + ", \"0\"): ENODEV (No such device)");
        }
    }

    @Test
    void aV2GroupThatRefusedTheCloneIsNamedWithTheCall() throws Exception {
        try (BirthGroups groups = open()) {
            assertThatThrownBy(() -> groups.bornPid("!12 22\n", 12, "the log relay")).isInstanceOf(IOException.class)
                    .hasMessage("the log relay could not be born in the subhost's control groups: clone3(CLONE_INTO_CGROUP"
                            + " of " + tmp.resolve("unified/ex1") + "): EINVAL (Invalid argument)");
        }
    }

    @Test
    void aRefusalOfADescriptorNotGivenIsNoneOfTheGroups() throws Exception {
        try (BirthGroups groups = open()) {
            assertThat(groups.bornPid("!9 19\n", 12, "pid 1")).isEqualTo(-1);
            assertThat(groups.bornPid("!14 19\n", 12, "pid 1")).isEqualTo(-1);
            assertThat(groups.bornPid("!x 19\n", 12, "pid 1")).isEqualTo(-1);
        }
    }

    @Test
    void noGroupsPassNothing() {
        assertThat(BirthGroups.NONE.passTo(Spawn.program(Path.of("/bin/true")), 12)).isEmpty();
        assertThat(BirthGroups.NONE.count()).isZero();
    }
}
