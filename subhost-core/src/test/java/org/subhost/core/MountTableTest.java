package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class MountTableTest {
    private static final List<String> LINES = List.of(
            "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw",
            "30 22 0:26 / /sys/fs/cgroup/unified rw,nosuid shared:9 - cgroup2 cgroup2 rw",
            "31 22 0:27 / /mnt/with\\040space rw - tmpfs tmpfs rw",
            "garbage line");

    @Test
    void findsMountPointsWithEscapedSpaces() {
        MountTable table = MountTable.parse(LINES);
        assertThat(table.isMountPoint(Path.of("/mnt/with space"))).isTrue();
        assertThat(table.isMountPoint(Path.of("/mnt"))).isFalse();
        assertThat(table.mounts()).hasSize(3);
    }

    @Test
    void findsTheCgroup2Hierarchy() {
        assertThat(MountTable.parse(LINES).firstOfType("cgroup2")).contains(Path.of("/sys/fs/cgroup/unified"));
        assertThat(MountTable.parse(LINES).firstOfType("nfs")).isEmpty();
    }

    @Test
    void readsThisThreadsTable() throws Exception {
        assertThat(MountTable.ofThisThread().isMountPoint(Path.of("/"))).isTrue();
    }
}
