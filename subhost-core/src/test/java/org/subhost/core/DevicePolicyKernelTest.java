package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.subhost.config.DeviceRule;

/**
 * The device policy's v1 form, which a host without cgroup v2 gets: a group of the test's own
 * in this machine's v1 devices hierarchy denies all, then allows the defaults and DEVICES; a
 * shell moved into it opens what is allowed and gets EPERM for the rest. (With v2, as every
 * boot here has, the BPF program applies it: {@link LimitsKernelTest}.)
 */
class DevicePolicyKernelTest {
    private Path group;

    @AfterEach
    void removeGroup() throws IOException {
        if (group != null) {
            ControlGroup.remove(group);
            assertThat(group).doesNotExist();
        }
    }

    @Test
    void aV1DevicesGroupAllowsTheDefaultsAndDevicesAndNothingElse() throws Exception {
        KernelFixture.requireRoot();
        Path devices = Path.of("/sys/fs/cgroup/devices");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isRegularFile(devices.resolve("devices.list")),
                "this host has no v1 devices hierarchy at /sys/fs/cgroup/devices");
        group = devices.resolve(KernelFixture.uniqueName());
        SubhostGroups groups = new SubhostGroups(Optional.empty(), Set.of(), Map.of("devices", group));
        Cgroups.make(groups);
        List<String> logged = new ArrayList<>();

        String how = DevicePolicy.of(DeviceRule.parseList("c:1:7:r /dev/net/tun")).apply(groups, logged::add);

        assertThat(how).isEqualTo("v1 devices controller");
        assertThat(logged).isEmpty();
        assertThat(group.resolve("devices.list")).content(StandardCharsets.UTF_8).isEqualTo("c 1:3 rwm\nc 1:5 rwm\n"
                + "c 1:7 rwm\nc 1:8 rwm\nc 1:9 rwm\nc 5:0 rwm\nc 5:2 rwm\nc 136:* rwm\nc 10:200 rwm\n");
        assertThat(inGroup("head -c 1 /dev/zero | od -An -tx1; echo x > /dev/null && echo null-ok"))
                .isEqualTo(" 00\nnull-ok\n");
        assertThat(inGroup("head -c 1 /dev/kmsg > /dev/null || echo kmsg-refused")).contains("Operation not permitted")
                .endsWith("kmsg-refused\n");
    }

    /** Runs {@code script} in a shell that first moves itself into the group; its output and errors. */
    private String inGroup(String script) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("/bin/sh", "-c", "echo $$ > " + group.resolve("cgroup.procs") + " && " + script)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return out;
    }
}
