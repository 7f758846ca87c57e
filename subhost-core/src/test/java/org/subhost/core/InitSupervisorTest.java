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

    @Test
    void builtinScriptStartsServicesInOrderAndReportsEach(@TempDir Path dir) throws Exception {
        Path a = dir.resolve("a");
        Files.writeString(a, "#!/bin/sh\necho \"a $1\"\n");
        Files.setAttribute(a, "unix:mode", 0755);
        Path b = dir.resolve("b");
        Files.writeString(b, "#!/bin/sh\necho \"b $1\"; exit 3\n");
        Files.setAttribute(b, "unix:mode", 0755);
        String script = InitSupervisor.builtinScript("t1", List.of(a.toString(), b.toString()), Duration.ofSeconds(30),
                reaper());
        Process p = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isZero();
        assertThat(out).isEqualTo(String.join("\n",
                "subhost-init[t1]: starting service " + a,
                "a start",
                "subhost-init[t1]: service " + a + " started",
                "subhost-init[t1]: starting service " + b,
                "b start",
                "subhost-init[t1]: service " + b + " failed (status 3)", ""));
    }

    @Test
    void builtinScriptWithNoServicesDoesNothing() throws Exception {
        String script = InitSupervisor.builtinScript("t1", List.of(), Duration.ofSeconds(30), reaper());
        Process p = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true).start();
        assertThat(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEmpty();
        assertThat(p.waitFor()).isZero();
    }

    @Test
    void builtinScriptCutsOffAServiceStartAtItsLimitAndGoesOn(@TempDir Path dir) throws Exception {
        Path hang = dir.resolve("hang");
        Files.writeString(hang, "#!/bin/sh\nexec sleep 600\n");
        Files.setAttribute(hang, "unix:mode", 0755);
        Path next = dir.resolve("next");
        Files.writeString(next, "#!/bin/sh\necho \"next $1\"\n");
        Files.setAttribute(next, "unix:mode", 0755);
        String script = InitSupervisor.builtinScript("t1", List.of(hang.toString(), next.toString()),
                Duration.ofSeconds(1), reaper());
        Process p = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).isZero();
        assertThat(out).isEqualTo(String.join("\n",
                "subhost-init[t1]: starting service " + hang,
                "subhost-init[t1]: time limit (1 s) passed: killed " + hang + " and its process group",
                "subhost-init[t1]: service " + hang + " timed out (killed after 1 s)",
                "subhost-init[t1]: starting service " + next,
                "next start",
                "subhost-init[t1]: service " + next + " started", ""));
        Path log = dir.resolve("log");
        Files.writeString(log, out);
        assertThat(InitSupervisor.serviceStates("t1", List.of(hang.toString(), next.toString()), log, 0))
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
    void quotesServiceNamesForTheShell() {
        assertThat(InitSupervisor.quote("it's")).isEqualTo("'it'\\''s'");
    }

    @Test
    void stopCommandsFollowTheSpec() {
        assertThat(InitSupervisor.stopCommand("/etc/init.d/postfix")).containsExactly("/etc/init.d/postfix", "stop");
        assertThat(InitSupervisor.stopCommand("ssh")).containsExactly("service", "ssh", "stop");
    }

    @Test
    void serviceStatesComeFromTheLogAfterTheBootsOffset(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("log");
        String old = "subhost-init[t1]: service ssh failed (status 1)\n";
        Files.writeString(log, old + "x subhost-init[t1]: service ssh started\n");
        assertThat(InitSupervisor.serviceStates("t1", List.of("ssh", "cron"), log, old.length()))
                .containsExactly(new ServiceStatus("ssh", "started"), new ServiceStatus("cron", "unknown"));
        assertThat(InitSupervisor.serviceStates("t1", List.of("ssh"), log, 0))
                .containsExactly(new ServiceStatus("ssh", "started"));
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
