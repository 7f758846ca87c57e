package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.testing.HostLeftovers;
import org.subhost.testing.Uid;

/**
 * {@code bin/overlay-go NAME} on a terminal, as a user runs it: {@code script} makes the
 * terminal (a pty, as a terminal emulator would) and the test types into it. What the user
 * sees: {@code tty} inside prints {@code /dev/pts/N} of the subhost's own devpts, the shell
 * leads a session of its own, the window size is the caller's, and keys that the subhost
 * pushes with TIOCSTI never reach the caller's terminal.
 */
class OverlayGoTerminalIT {
    private static final Path CHECKOUT = Path.of(System.getProperty("user.dir")).getParent();

    @Test
    void anInteractiveShellHasATerminalOfTheSubhostsOwn(@TempDir Path tmp) throws Exception {
        assumeTrue(Uid.isRoot(), "a boot needs root (namespaces, mounts and links)");
        Path dir = tmp.toRealPath();
        for (String sub : List.of("root", "work", "live")) {
            Files.createDirectories(dir.resolve(sub));
        }
        String name = "sgo" + Long.toString(System.nanoTime() & 0xffffffL, 36);
        Path conf = Files.write(dir.resolve(name + ".conf"),
                List.of("NAME=" + name, "BASE=.", "START=none", "LOG=" + dir.resolve("log")));
        try {
            assertThat(run(dir, "overlay-boot", conf.toString())).isZero();
            String command = "stty cols 101 rows 33; " + CHECKOUT.resolve("bin/overlay-go") + " " + name
                    + "; echo CALLER-GOT-BACK; if read -t 3 line; then echo CALLER-READ:$line; else"
                    + " echo CALLER-READ-NOTHING; fi";
            Process script = new ProcessBuilder("script", "-qfec", command, "/dev/null").directory(dir.toFile())
                    .redirectErrorStream(true).start();
            try {
                OutputStream keys = script.getOutputStream();
                Thread.sleep(3000); // the launcher's JVM starts; keys typed earlier only wait
                keys.write(("tty; ps -o pid,sid,tty,comm -p $$; stty size; python3 -c \"import fcntl, termios;"
                        + " [fcntl.ioctl(0, termios.TIOCSTI, bytes([c])) for c in b'echo PUSHED\\n']\""
                        + " || echo TIOCSTI-REFUSED; exit\n").getBytes(StandardCharsets.UTF_8));
                keys.flush();
                Thread.sleep(500);
                keys.close();
                assertThat(script.waitFor(60, TimeUnit.SECONDS)).as("script ended").isTrue();
                // Without the carriage returns and the terminal controls that bash sends (such as
                // bracketed paste on and off around each prompt).
                String seen = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                        .replace("\r", "").replaceAll("\u001B\\[[0-9;?]*[a-zA-Z]", "");
                assertThat(seen).as(seen).containsPattern("(?m)^/dev/pts/\\d+$")
                        .containsPattern("(?m)^ +(\\d+) +\\1 pts/\\d+ +(bash|sh)$")
                        .contains("33 101")
                        .containsPattern("(?m)^(echo PUSHED|TIOCSTI-REFUSED)$")
                        .contains("CALLER-GOT-BACK").contains("CALLER-READ-NOTHING").doesNotContain("CALLER-READ:");
            } finally {
                script.destroyForcibly();
                script.waitFor(10, TimeUnit.SECONDS);
            }
        } finally {
            run(dir, "overlay-stop", conf.toString());
            assertThat(HostLeftovers.of(name).under(dir).find()).as("what %s left behind", name).isEmpty();
        }
    }

    private static int run(Path dir, String command, String... args) throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of(CHECKOUT.resolve("bin/" + command).toString()));
        argv.addAll(List.of(args));
        Process p = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }
}
