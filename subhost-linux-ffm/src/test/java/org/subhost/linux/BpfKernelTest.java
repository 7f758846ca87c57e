package org.subhost.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A device filter attached to a cgroup v2 group of the test's own: the processes in the
 * group open what it allows and get EPERM for the rest; the group's removal takes the
 * program along. Needs only a cgroup v2 hierarchy, no controller.
 */
class BpfKernelTest {
    private Path group;

    @BeforeEach
    void makeGroup() throws IOException {
        KernelTests.requireRoot();
        Path root = Files.isRegularFile(Path.of("/sys/fs/cgroup/cgroup.procs"))
                && Files.exists(Path.of("/sys/fs/cgroup/cgroup.subtree_control"))
                ? Path.of("/sys/fs/cgroup") : Path.of("/sys/fs/cgroup/unified");
        group = Files.createDirectory(root.resolve(KernelTests.uniqueName()));
    }

    @AfterEach
    void removeGroup() throws IOException {
        if (group != null) {
            Files.deleteIfExists(group);
            assertThat(group).doesNotExist();
        }
    }

    @Test
    void aProcessInTheGroupOpensOnlyTheDevicesAllowed() throws Exception {
        attach(new DeviceFilter(List.of(new DeviceFilter.Rule('c', 1, 3, DeviceFilter.READ | DeviceFilter.WRITE),
                new DeviceFilter.Rule('c', 1, 5, DeviceFilter.READ))));
        assertThat(inGroup("head -c 1 /dev/null && echo null-read")).isEqualTo("null-read\n");
        assertThat(inGroup("echo x > /dev/null && echo null-written")).isEqualTo("null-written\n");
        assertThat(inGroup("head -c 1 /dev/zero | od -An -tx1")).isEqualTo(" 00\n");
        assertThat(inGroup("echo x > /dev/zero || echo zero-write-refused")).contains("Operation not permitted")
                .contains("zero-write-refused");
        assertThat(inGroup("head -c 1 /dev/urandom >/dev/null || echo urandom-refused"))
                .contains("Operation not permitted").contains("urandom-refused");
    }

    @Test
    void theProgramStaysAttachedAfterItsDescriptorIsClosed() throws Exception {
        attach(new DeviceFilter(List.of()));
        int dir = Fds.open(group.toString(), Fds.O_RDONLY | Fds.O_DIRECTORY | Fds.O_CLOEXEC);
        try {
            assertThat(Bpf.attached(dir, Bpf.ATTACH_CGROUP_DEVICE, group.toString())).hasSize(1);
        } finally {
            Fds.close(dir);
        }
        assertThat(inGroup("head -c 1 /dev/null || echo refused")).contains("refused");
    }

    @Test
    void aBadProgramIsRefusedWithTheVerifiersWords() {
        // r0 = r6; exit: r6 was never written, which the verifier refuses.
        byte[] readsAnUnsetRegister = java.util.HexFormat.of().parseHex("bf60000000000000" + "9500000000000000");
        assertThatThrownBy(() -> Bpf.loadDeviceProgram(readsAnUnsetRegister, "subhost_bad")).isInstanceOf(SyscallException.class).hasMessageStartingWith(
                "bpf(BPF_PROG_LOAD, cgroup device program subhost_bad of 2 instructions): EACCES (Permission denied):"
                        + " verifier: ");
    }

    private void attach(DeviceFilter filter) throws SyscallException {
        int program = Bpf.loadDeviceFilter(filter, "subhost_test");
        try {
            int dir = Fds.open(group.toString(), Fds.O_RDONLY | Fds.O_DIRECTORY | Fds.O_CLOEXEC);
            try {
                Bpf.attach(dir, program, Bpf.ATTACH_CGROUP_DEVICE, Bpf.F_ALLOW_MULTI, group.toString());
            } finally {
                Fds.close(dir);
            }
        } finally {
            Fds.close(program);
        }
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
