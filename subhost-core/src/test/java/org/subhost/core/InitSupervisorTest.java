package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.SubhostStatus.ServiceStatus;

class InitSupervisorTest {

    /**
     * The built-in init as pid 1 runs it, here in the calling process ({@code
     * --start-services}): LOG lines for people on standard error, and the states on the
     * status channel (fd 3 here), which status reads.
     */
    private static String[] startServices(Path dir, Duration limit, Path... services) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(reaper(), "--name", "t1", "--start-services",
                "--service-limit", Long.toString(limit.toSeconds()), "--status-fd", "3"));
        for (Path service : services) {
            command.add("--service");
            command.add(service.toString());
        }
        Path status = dir.resolve("services");
        String quoted = command.stream().map(a -> "'" + a + "'").reduce((a, b) -> a + " " + b).orElseThrow();
        Process p = new ProcessBuilder("/bin/sh", "-c", "exec " + quoted + " 3>" + status).redirectErrorStream(true)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isZero();
        return new String[] {out, Files.readString(status)};
    }

    @Test
    void builtinInitStartsServicesInOrderAndReportsEach(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a");
        Files.writeString(a, "#!/bin/sh\necho \"a $1\"\n");
        Files.setAttribute(a, "unix:mode", 0755);
        Path b = dir.resolve("b");
        Files.writeString(b, "#!/bin/sh\necho \"b $1\"; exit 3\n");
        Files.setAttribute(b, "unix:mode", 0755);
        String[] run = startServices(dir, Duration.ofSeconds(30), a, b);
        assertThat(run[0]).isEqualTo(String.join("\n",
                "subhost-init[t1]: starting service " + a,
                "a start",
                "subhost-init[t1]: service " + a + " started",
                "subhost-init[t1]: starting service " + b,
                "b start",
                "subhost-init[t1]: service " + b + " failed (status 3)", ""));
        assertThat(run[1]).isEqualTo(a + " started\n" + b + " failed (status 3)\n");
        assertThat(LogRelay.serviceStates(dir, List.of(a.toString(), b.toString(), "cron")))
                .containsExactly(new ServiceStatus(a.toString(), "started"),
                        new ServiceStatus(b.toString(), "failed (status 3)"), new ServiceStatus("cron", "unknown"));
    }

    @Test
    void builtinInitWithNoServicesDoesNothing(@TempDir Path dir) throws Exception {
        String[] run = startServices(dir, Duration.ofSeconds(30));
        assertThat(run[0]).isEmpty();
        assertThat(run[1]).isEmpty();
    }

    @Test
    void builtinInitCutsOffAServiceStartAtItsLimitAndGoesOn(@TempDir Path dir) throws Exception {
        Path hang = dir.resolve("hang");
        Files.writeString(hang, "#!/bin/sh\nexec sleep 600\n");
        Files.setAttribute(hang, "unix:mode", 0755);
        Path next = dir.resolve("next");
        Files.writeString(next, "#!/bin/sh\necho \"next $1\"\n");
        Files.setAttribute(next, "unix:mode", 0755);
        String[] run = startServices(dir, Duration.ofSeconds(1), hang, next);
        assertThat(run[0]).isEqualTo(String.join("\n",
                "subhost-init[t1]: starting service " + hang,
                "subhost-init[t1]: time limit (1 s) passed: killed " + hang + " and its process group",
                "subhost-init[t1]: service " + hang + " timed out (killed after 1 s)",
                "subhost-init[t1]: starting service " + next,
                "next start",
                "subhost-init[t1]: service " + next + " started", ""));
        assertThat(LogRelay.serviceStates(dir, List.of(hang.toString(), next.toString())))
                .containsExactly(new ServiceStatus(hang.toString(), "timed out (killed after 1 s)"),
                        new ServiceStatus(next.toString(), "started"));
    }

    /** subhost-init as the build put it into the class path. */
    private static String reaper() throws Exception {
        var url = InitSupervisorTest.class.getResource("/org/subhost/core/subhost-init");
        assertThat(url).as("subhost-init in the class path").isNotNull();
        return Path.of(url.toURI()).toString();
    }

    @Test
    void stopCommandsFollowTheSpec() {
        assertThat(InitSupervisor.stopCommand("/etc/init.d/postfix")).containsExactly("/etc/init.d/postfix", "stop");
        assertThat(InitSupervisor.stopCommand("ssh")).containsExactly("service", "ssh", "stop");
    }

    @Test
    void serviceStatesAreTheLastToldForEachAndUnknownWithoutAFile(@TempDir Path dir) throws Exception {
        assertThat(LogRelay.serviceStates(dir, List.of("ssh"))).containsExactly(new ServiceStatus("ssh", "unknown"));
        Files.writeString(dir.resolve("services"), "ssh started\nssh failed (status 1)\ncron started\n");
        assertThat(LogRelay.serviceStates(dir, List.of("ssh", "cron", "postfix"))).containsExactly(
                new ServiceStatus("ssh", "failed (status 1)"), new ServiceStatus("cron", "started"),
                new ServiceStatus("postfix", "unknown"));
    }

    @Test
    void interfacesFileHasLoopbackAndOneManualStanzaPerCable() {
        var step = new InitSupervisor.WriteInterfaces(Path.of("/ex1/root"), List.of("eth0", "eth1"));
        assertThat(step.file()).isEqualTo(Path.of("/ex1/root/etc/network/interfaces"));
        assertThat(step.text()).isEqualTo("""
                # written by overlay-boot: the subhost's own interfaces
                auto lo
                iface lo inet loopback

                auto eth0
                iface eth0 inet manual

                auto eth1
                iface eth1 inet manual
                """);
    }
}
