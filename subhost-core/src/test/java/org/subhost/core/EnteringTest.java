package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.subhost.ExecResult;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.config.SubhostConfig;

/**
 * Processes that enter a running subhost (exec, execInteractive, the services' stops): they
 * run in the subhost's control group, hold none of the host's files, get a bounded output,
 * and, on a terminal, a terminal of the subhost's own. Checked from the host, through
 * /proc, not through our own API.
 */
class EnteringTest extends SubhostKernelTest {
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

    private Subhost boot() throws SubhostException {
        config = SubhostConfig.builder(name, base).start("none").log(base.resolve("log")).build();
        return subhosts.boot(config);
    }

    private Path cgroup() {
        Path unified = Path.of("/sys/fs/cgroup/unified", name);
        return Files.isDirectory(unified) ? unified : Path.of("/sys/fs/cgroup", name);
    }

    /** Host pids of the processes in the subhost's control group. */
    private List<Integer> processes() throws IOException {
        return Files.readAllLines(cgroup().resolve("cgroup.procs")).stream().map(Integer::parseInt).toList();
    }

    @Test
    void anExecutedCommandRunsInTheSubhostsControlGroupAndSeesWhatPid1Sees() throws Exception {
        Subhost s = boot();
        CompletableFuture<ExecResult> sleeper = CompletableFuture.supplyAsync(() -> {
            try {
                return s.exec(List.of("/bin/sh", "-c", "exec sleep 30"), TEN_SECONDS.multipliedBy(4));
            } catch (SubhostException e) {
                throw new RuntimeException(e);
            }
        });
        int sleep = -1;
        for (int i = 0; i < 200 && sleep < 0; i++) {
            for (int pid : processes()) {
                if (comm(pid).equals("sleep")) {
                    sleep = pid;
                }
            }
            Thread.sleep(25);
        }
        assertThat(sleep).as("the exec'd sleep, among the processes of the subhost's group").isPositive();
        // On the host: the group is /NAME of the host's hierarchy, as for pid 1.
        String host = Files.readString(Path.of("/proc", Integer.toString(sleep), "cgroup"));
        assertThat(host).contains("0::/" + name + "\n");
        assertThat(Files.readString(Path.of("/proc", Integer.toString(sleep), "cgroup")))
                .isEqualTo(Files.readString(Path.of("/proc", Integer.toString(s.pid()), "cgroup")));
        KernelFixture.run("kill", Integer.toString(sleep));
        assertThat(sleeper.get(10, TimeUnit.SECONDS).status()).isEqualTo(128 + 15);

        // Inside: the same view of its own group as pid 1 has, and the subhost's namespaces.
        ExecResult r = s.exec(List.of("/bin/sh", "-c", "grep ^0:: /proc/self/cgroup; grep ^0:: /proc/1/cgroup;"
                + " readlink /proc/self/ns/mnt /proc/1/ns/mnt /proc/self/ns/cgroup /proc/1/ns/cgroup"), TEN_SECONDS);
        List<String> lines = r.stdout().lines().toList();
        assertThat(lines).as(r.toString()).hasSize(6);
        assertThat(lines.get(0)).isEqualTo(lines.get(1));
        assertThat(lines.get(2)).isEqualTo(lines.get(3));
        assertThat(lines.get(4)).isEqualTo(lines.get(5));
    }

    @Test
    void anExecutedCommandHoldsNoFileOfTheHost() throws Exception {
        Subhost s = boot();
        // Its input is the subhost's own /dev/null; its outputs are pipes that we read.
        ExecResult r = s.exec(List.of("/bin/sh", "-c",
                "stat -L -c '%d %i' /dev/null /proc/self/fd/0; readlink /proc/self/fd/1 /proc/self/fd/2;"
                + " ls /proc/self/fd"), TEN_SECONDS);
        List<String> lines = r.stdout().lines().toList();
        assertThat(lines).as(r.toString()).hasSizeGreaterThan(4);
        assertThat(lines.get(1)).as("fd 0 is the subhost's /dev/null").isEqualTo(lines.get(0));
        assertThat(lines.get(0)).as("the subhost's /dev/null is not the host's").isNotEqualTo(devAndInode(Path.of("/dev/null")));
        assertThat(lines.get(2)).startsWith("pipe:[");
        assertThat(lines.get(3)).startsWith("pipe:[");
        // 0, 1, 2 and the one ls opens to list them: nothing of ours slipped in.
        assertThat(lines.subList(4, lines.size())).containsExactly("0", "1", "2", "3");
    }

    @Test
    void anExecutedCommandIsConfinedAsPid1Is() throws Exception {
        Subhost s = boot();
        String fields = "^(CapInh|CapEff|CapBnd|CapAmb|Seccomp|NoNewPrivs):";
        ExecResult self = s.exec(List.of("grep", "-E", fields, "/proc/self/status"), TEN_SECONDS);
        ExecResult pid1 = s.exec(List.of("grep", "-E", fields, "/proc/1/status"), TEN_SECONDS);
        assertThat(self.stdout()).as(self.toString()).contains("CapBnd:").contains("Seccomp:\t2");
        assertThat(self.stdout()).isEqualTo(pid1.stdout());
        String host = Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("CapBnd:"))
                .findFirst().orElseThrow();
        assertThat(self.stdout()).doesNotContain(host);
    }

    /**
     * The subhost's root owns its {@code /dev}: it replaces {@code /dev/null} with a link to
     * a file of its own (or to a FIFO, or to a device node its lower layer carries). The
     * entering process, which still holds every capability then, must not open it: the
     * command does not run, and the message names what {@code /dev/null} is.
     */
    @Test
    void anExecutedCommandRefusesAPlantedDevNull() throws Exception {
        Subhost s = boot();
        ExecResult planted = s.exec(List.of("/bin/sh", "-c", "echo PLANTED > /srv-planted && rm /dev/null"
                + " && ln -s /srv-planted /dev/null && echo done"), TEN_SECONDS);
        assertThat(planted.stdout()).as(planted.toString()).isEqualTo("done\n");
        assertThatThrownBy(() -> s.exec(List.of("cat"), TEN_SECONDS))
                .isInstanceOf(SubhostException.class)
                // The errno's text after "ELOOP (" is the C library's (glibc's or musl's).
                .hasMessageStartingWith("exec in " + name + " (cat): could not enter the subhost: subhost-init[" + name
                        + "]: the subhost's /dev/null: /dev/null is a symbolic link (or has one on its way), not the"
                        + " null device (1:3); not opened: ELOOP (");
    }

    @Test
    void outputPastTheLimitKillsTheCommandWithAClearError() throws Exception {
        Subhost s = boot();
        long mib = ExecResult.OUTPUT_LIMIT >> 20;
        assertThatThrownBy(() -> s.exec(List.of("/bin/sh", "-c", "head -c " + (mib + 1) + "M /dev/zero; sleep 20"),
                        TEN_SECONDS.multipliedBy(3)))
                .isInstanceOf(SubhostException.class)
                .hasMessageContaining("standard output passed the limit of " + mib + " MiB")
                .hasMessageContaining("the command was killed");
        // Just under it: the whole output.
        ExecResult r = s.exec(List.of("/bin/sh", "-c", "head -c " + (mib - 1) + "M /dev/zero >&2"), TEN_SECONDS);
        assertThat(r.stderr()).hasSize((int) ((mib - 1) << 20));
        assertThat(r.stdout()).isEmpty();
    }

    @Test
    void aCommandThatCannotBeFoundSaysSoAsAShellWould() throws Exception {
        Subhost s = boot();
        ExecResult r = s.exec(List.of("no-such-program-here"), TEN_SECONDS);
        assertThat(r.status()).isEqualTo(127);
        assertThat(r.stderr()).contains("execvp no-such-program-here: ENOENT");
    }

    /**
     * A shell through {@link Subhost#execInteractive} on a terminal (a pty that {@code script}
     * makes, as a user's terminal emulator would): it gets a terminal of the subhost's own,
     * in a session of its own, with our window size; a TIOCSTI inside reaches the subhost's
     * terminal only, never the caller's.
     */
    @Test
    void anInteractiveShellGetsATerminalOfTheSubhostsOwn() throws Exception {
        Subhost s = boot();
        String java = ProcessHandle.current().info().command().orElseThrow();
        String command = "stty cols 123 rows 45; " + java + " --enable-native-access=ALL-UNNAMED -cp "
                + System.getProperty("java.class.path") + " " + InteractiveMain.class.getName() + " " + name
                + " /bin/sh; echo CALLER-GOT-BACK; if read -t 3 line; then echo CALLER-READ:$line; else echo"
                + " CALLER-READ-NOTHING; fi";
        Process script = new ProcessBuilder("script", "-qfec", command, "/dev/null").redirectErrorStream(true).start();
        try {
            OutputStream keys = script.getOutputStream();
            // TIOCSTI pushes a command into the terminal's input, as a subhost whose
            // /bin/bash was replaced could, and the shell ends at once: the pushed line stays
            // in the terminal's queue. Were that the caller's terminal, the caller's next read
            // would get it. Where the kernel refuses TIOCSTI (dev.tty.legacy_tiocsti=0
            // without CAP_SYS_ADMIN), nothing is pushed anywhere and python says so.
            String tiocsti = "python3 -c \"import fcntl, termios; [fcntl.ioctl(0, termios.TIOCSTI, bytes([c]))"
                    + " for c in b'echo INJECTED-BY-THE-SUBHOST\\n']\" || echo TIOCSTI-REFUSED";
            Thread.sleep(3000); // the JVM's start; keys typed earlier would only wait in the terminal
            keys.write(("tty; ps -o pid,sid,tty,comm -p $$; stty size; " + tiocsti + "; exit\n")
                    .getBytes(StandardCharsets.UTF_8));
            keys.flush();
            Thread.sleep(500);
            keys.close();
            assertThat(script.waitFor(60, TimeUnit.SECONDS)).as("script ended").isTrue();
            String seen = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8).replace("\r", "");
            assertThat(seen).as(seen).containsPattern("(?m)^/dev/pts/\\d+$");
            // The shell leads a session of its own on that terminal.
            assertThat(seen).as(seen).containsPattern("(?m)^ +(\\d+) +\\1 pts/\\d+ +sh$");
            assertThat(seen).as(seen).contains("45 123");
            // The pushed keys went into the subhost's own terminal (which echoed them) ...
            assertThat(seen).as(seen).containsPattern("(?m)^(echo INJECTED-BY-THE-SUBHOST|TIOCSTI-REFUSED)$");
            // ... and nothing reached the caller's terminal after the session.
            assertThat(seen).as(seen).contains("CALLER-GOT-BACK").contains("CALLER-READ-NOTHING")
                    .doesNotContain("CALLER-READ:");
        } finally {
            script.destroyForcibly();
            script.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /**
     * {@link Subhost#execInteractive} not on a terminal, with a file of the host as input
     * and another as output (as {@code overlay-go NAME CMD < in > out} gives): the command
     * reads and writes pipes, which subhost-init copies, never the host's files.
     */
    @Test
    void anInteractiveCommandOffATerminalGetsPipesNotTheCallersFiles() throws Exception {
        boot();
        Path in = Files.writeString(base.resolve("in"), "line one\nline two\n");
        Path out = base.resolve("out");
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), InteractiveMain.class.getName(), name, "/bin/sh", "-c",
                "readlink /proc/self/fd/0 /proc/self/fd/1 /proc/self/fd/2; cat; echo to-errors >&2; exit 6")
                .redirectInput(in.toFile()).redirectOutput(out.toFile()).redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(6);
        List<String> lines = Files.readAllLines(out);
        assertThat(lines).as(lines.toString()).hasSize(6);
        assertThat(lines.subList(0, 3)).allMatch(l -> l.startsWith("pipe:["));
        assertThat(lines.subList(3, 6)).containsExactly("line one", "line two", "to-errors");
    }

    /**
     * What a subhost's root tries against the caller's terminal: open {@code /dev/tty} (the
     * controlling terminal of the process's session) and push a command into its input with
     * TIOCSTI, which the caller's shell would read next. Prints PUSHED, or NO-TERMINAL with
     * the reason when there is none to open.
     */
    private static final String TTY_ATTACK = """
            import errno, fcntl, os, termios
            try:
                fd = os.open("/dev/tty", os.O_RDWR | os.O_NOCTTY)
            except OSError as e:
                print("NO-TERMINAL", errno.errorcode[e.errno], flush=True)
            else:
                for c in b"echo INJECTED-BY-THE-SUBHOST\\n":
                    fcntl.ioctl(fd, termios.TIOCSTI, bytes([c]))
                print("PUSHED", flush=True)
            """;

    /**
     * {@code overlay-go NAME CMD | cat}, and {@code overlay-go NAME CMD < /dev/null}, from a
     * shell on a terminal (a pty that {@code script} makes, the controlling terminal of the
     * caller's session): one of standard input and output is no terminal, so the command gets
     * pipes, and it must not reach the caller's terminal by {@code /dev/tty} either: it runs
     * in a session of its own, without a controlling terminal. Were it in the caller's, the
     * keys it pushed would be the caller's shell's next input line.
     */
    @Test
    void anInteractiveCommandOffATerminalCannotReachTheCallersTerminal() throws Exception {
        boot();
        for (String redirect : List.of("| cat", "< /dev/null")) {
            assertTheTtyAttackCannotReachTheCallersTerminal("", redirect);
        }
    }

    /**
     * {@link Subhost#exec} called by a program that runs on the caller's terminal (its
     * controlling terminal, as a tool of the admin's would be): the command's output is
     * collected, its input is the subhost's /dev/null, and it must not reach that terminal by
     * {@code /dev/tty} either.
     */
    @Test
    void anExecutedCommandCannotReachTheCallersTerminal() throws Exception {
        boot();
        assertTheTtyAttackCannotReachTheCallersTerminal("--exec ", "");
    }

    /**
     * Runs {@link #TTY_ATTACK} in the subhost through {@link InteractiveMain} (with {@code
     * mode}, then {@code redirect}) from a shell on a terminal that {@code script} makes, and
     * checks that the attack found no terminal and the shell read nothing afterwards.
     */
    private void assertTheTtyAttackCannotReachTheCallersTerminal(String mode, String redirect) throws Exception {
        Files.createDirectories(base.resolve("root/srv"));
        Files.writeString(base.resolve("root/srv/tty.py"), TTY_ATTACK);
        String java = ProcessHandle.current().info().command().orElseThrow();
        String go = java + " --enable-native-access=ALL-UNNAMED -cp " + System.getProperty("java.class.path") + " "
                + InteractiveMain.class.getName() + " " + mode + name + " python3 /srv/tty.py";
        String command = "stty -echo; " + go + " " + redirect + "; echo CALLER-GOT-BACK; if read -t 3 line; then"
                + " echo CALLER-READ:$line; else echo CALLER-READ-NOTHING; fi";
        Process script = new ProcessBuilder("script", "-qfec", command, "/dev/null").redirectErrorStream(true)
                .start();
        try {
            assertThat(script.waitFor(60, TimeUnit.SECONDS)).as("script ended").isTrue();
            String seen = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                    .replace("\r", "");
            assertThat(seen).as("%s%s %s: %s", mode, name, redirect, seen).contains("NO-TERMINAL ENXIO")
                    .doesNotContain("PUSHED").contains("CALLER-GOT-BACK").contains("CALLER-READ-NOTHING")
                    .doesNotContain("CALLER-READ:");
        } finally {
            script.destroyForcibly();
            script.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static String comm(int pid) {
        try {
            return Files.readString(Path.of("/proc", Integer.toString(pid), "comm")).strip();
        } catch (IOException e) {
            return "";
        }
    }

    /** "DEV INODE" of what {@code path} names, as {@code stat -L -c '%d %i'} prints it. */
    static String devAndInode(Path path) throws IOException {
        return Files.getAttribute(path, "unix:dev") + " " + Files.getAttribute(path, "unix:ino");
    }

    /** Every descriptor of every process of the subhost, as "PID/FD -> DEV INODE". */
    static List<String> descriptors(List<Integer> pids) {
        List<String> out = new ArrayList<>();
        for (int pid : pids) {
            try (Stream<Path> fds = Files.list(Path.of("/proc", Integer.toString(pid), "fd"))) {
                for (Path fd : fds.toList()) {
                    try {
                        out.add(pid + "/" + fd.getFileName() + " -> " + devAndInode(fd));
                    } catch (IOException e) {
                        // closed meanwhile
                    }
                }
            } catch (IOException e) {
                // the process ended meanwhile
            }
        }
        return out;
    }
}
