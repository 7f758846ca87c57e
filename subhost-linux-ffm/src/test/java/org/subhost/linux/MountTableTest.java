package org.subhost.linux;

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

    /** Every mount point of this thread's table, as {@code /proc/thread-self/mountinfo} lists them, and nothing else. */
    @Test
    void readsThisThreadsTable() throws Exception {
        // Other programs may add a mount meanwhile (a /run/netns bind): read until the table
        // did not change around our read.
        Path mountinfo = Path.of("/proc/thread-self/mountinfo");
        java.util.List<String> lines;
        MountTable table;
        int reads = 0;
        do {
            lines = java.nio.file.Files.readAllLines(mountinfo);
            table = MountTable.ofThisThread();
        } while (!lines.equals(java.nio.file.Files.readAllLines(mountinfo)) && ++reads < 100);
        assertThat(table.mounts()).hasSize(lines.size());
        for (String line : lines) {
            String point = line.split(" ")[4];
            if (!point.contains("\\")) {
                assertThat(table.isMountPoint(Path.of(point))).as("%s is a mount point", point).isTrue();
            }
        }
        Path plain = java.nio.file.Files.createTempDirectory("subhost-mounttable-");
        try {
            assertThat(table.isMountPoint(plain)).as("a fresh directory").isFalse();
        } finally {
            java.nio.file.Files.delete(plain);
        }
    }
}
