package org.subhost.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.subhost.linux.Namespaces.CLONE_NEWNS;
import static org.subhost.linux.Namespaces.CLONE_NEWPID;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Programs started with {@link Spawn}, checked from the outside through /proc/PID: their
 * pid namespace, descriptors, session, working directory and output.
 */
class SpawnKernelTest {
    private static final Path SH = Path.of("/bin/sh");
    private static final Path SLEEP = Path.of("/bin/sleep");

    private Path dir;
    private final List<Integer> started = new ArrayList<>();

    @BeforeEach
    void makeDirectory() throws Exception {
        dir = Files.createTempDirectory(KernelTests.uniqueName());
    }

    @AfterEach
    void killAndReap() throws Exception {
        try {
            for (int pid : started) {
                try (Pidfd process = Pidfd.open(pid)) {
                    if (process.isAlive()) {
                        process.sendSignal(Signals.SIGKILL);
                    }
                    process.awaitExit(Duration.ofSeconds(30));
                } catch (SyscallException e) {
                    if (!e.is(Errno.ESRCH)) {
                        throw e;
                    }
                    // ESRCH: already reaped by the test itself.
                }
            }
        } finally {
            KernelTests.deleteTree(dir);
        }
    }

    @Test
    void childOfThreadThatUnsharedPidNamespaceIsPidOne() throws Exception {
        KernelTests.requireRoot();
        int pid = NamespaceThread.run("pid1", NamespaceRequest.builder().unshare(CLONE_NEWPID | CLONE_NEWNS).build(),
                () -> track(Spawn.program(SLEEP).args("600").newSession().spawn()));
        assertThat(statusField(pid, "NSpid")).isEqualTo(pid + "\t1");
        assertThat(KernelTests.namespace(Integer.toString(pid), "pid"))
                .isNotEqualTo(KernelTests.namespace("self", "pid"));
        try (Pidfd init = Pidfd.open(pid)) {
            // From the parent namespace, pid 1 without a handler ignores SIGTERM; SIGKILL is forced.
            init.sendSignal(Signals.SIGKILL);
            assertThat(init.awaitExit(Duration.ofSeconds(30))).hasValue(128 + Signals.SIGKILL);
        }
    }

    /**
     * {@link Spawn#programIn}: a sealed memfd of this JVM, run as its entry in the directory
     * {@code /proc/self/fd} opened beforehand (as the SDK runs pid 1 from a thread whose
     * root has no {@code /proc}): it runs, starts in that directory, and holds no descriptor
     * but 0, 1 and 2 (the directory's copy is closed before the exec).
     */
    @Test
    void aProgramRunsAsAnEntryOfADirectoryDescriptor() throws Exception {
        KernelTests.requireRoot();
        Path source = Files.writeString(dir.resolve("where.c"), """
                #include <fcntl.h>
                #include <stdio.h>
                #include <unistd.h>
                int main(void)
                {
                    char cwd[4096];
                    printf("%s\\n", getcwd(cwd, sizeof cwd));
                    for (int fd = 3; fd < 1024; fd++)
                        if (fcntl(fd, F_GETFD) != -1)
                            printf("open %d\\n", fd);
                    return 0;
                }
                """);
        Path compiled = dir.resolve("where");
        Process cc = new ProcessBuilder("cc", "-static", "-o", compiled.toString(), source.toString()).inheritIO().start();
        assertThat(cc.waitFor()).as("cc -static where.c").isZero();
        Path out = dir.resolve("out");
        int program = Fds.sealedMemfd("spawn test", Files.readAllBytes(compiled));
        int fdDirectory = Fds.open("/proc/self/fd", Fds.O_PATH | Fds.O_DIRECTORY | Fds.O_CLOEXEC);
        int output = Fds.open(out.toString(), Fds.O_WRONLY | Fds.O_CREAT | Fds.O_CLOEXEC, 0600);
        try {
            int pid = track(Spawn.programIn(fdDirectory, Integer.toString(program)).argv0("where")
                    .stdout(Redirect.fd(output)).spawn());
            assertThat(Spawn.waitFor(pid)).isZero();
        } finally {
            Fds.close(output);
            Fds.close(fdDirectory);
            Fds.close(program);
        }
        assertThat(Files.readAllLines(out)).containsExactly("/proc/" + ProcessHandle.current().pid() + "/fd");
        assertThatThrownBy(() -> Spawn.programIn(3, "x").cwd(Path.of("/")))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void pidNamespaceWhoseFirstExecFailedIsRenewedForTheNextSpawn() throws Exception {
        KernelTests.requireRoot();
        // A program that is still open for writing cannot be executed (ETXTBSY): the race
        // of a program file that another thread's child still holds open for writing.
        Path program = dir.resolve("busy-sleep");
        Files.copy(SLEEP, program);
        int writer = Fds.open(program.toString(), Fds.O_WRONLY | Fds.O_CLOEXEC);
        AtomicBoolean writerOpen = new AtomicBoolean(true);
        int pid;
        try {
            pid = NamespaceThread.run("pid1-retry", NamespaceRequest.builder().unshare(CLONE_NEWPID).build(), () -> {
                assertThatThrownBy(() -> Spawn.program(program).args("600").spawn())
                        .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.is(Errno.ETXTBSY)).isTrue());
                writerOpen.set(false);
                Fds.close(writer);
                // The failed child was the namespace's pid 1: the namespace takes no one else.
                assertThatThrownBy(() -> Spawn.program(program).args("600").spawn())
                        .isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.is(Errno.ENOMEM)).isTrue());
                Namespaces.renewPidNamespaceForChildren();
                return track(Spawn.program(program).args("600").newSession().spawn());
            });
        } finally {
            if (writerOpen.get()) {
                Fds.close(writer);
            }
        }
        assertThat(statusField(pid, "NSpid")).isEqualTo(pid + "\t1");
        assertThat(KernelTests.namespace(Integer.toString(pid), "pid"))
                .isNotEqualTo(KernelTests.namespace("self", "pid"));
    }

    @Test
    void outputGoesToLogAtItsEndWithEnvAndCwdApplied() throws Exception {
        Path log = dir.resolve("sht.log");
        Files.writeString(log, "boot\n");
        Path work = Files.createDirectory(dir.resolve("work"));
        int pid = track(Spawn.program(SH).args("-c", "echo \"$GREETING\"; pwd; echo oops >&2; exit 3")
                .env(Map.of("GREETING", "hello from sht", "PATH", "/usr/bin:/bin"))
                .cwd(work)
                .stdout(Redirect.appendTo(log))
                .stderr(Redirect.appendTo(log))
                .spawn());
        assertThat(Spawn.waitFor(pid)).isEqualTo(3);
        assertThat(Files.readString(log)).isEqualTo("boot\nhello from sht\n" + work + "\noops\n");
    }

    @Test
    void childGetsOnlyStandardAndKeptDescriptors() throws Exception {
        int leaked = Fds.open("/dev/null", Fds.O_RDONLY); // deliberately without O_CLOEXEC
        int[] ready = Fds.pipe2(Fds.O_CLOEXEC);
        int[] hold = Fds.pipe2(Fds.O_CLOEXEC);
        try {
            // The shell reports once it runs (the dynamic loader's short-lived descriptors
            // are gone by then) and waits on its stdin, which only we can end. No
            // redirection in the script: the shell would save descriptors above 9 for it.
            int pid = track(Spawn.program(SH).args("-c", "echo up; read line")
                    .stdin(Redirect.fd(hold[0])).stdout(Redirect.fd(ready[1]))
                    .keepFd(ready[1], 3).keepFd(ready[0], 7).spawn());
            assertThat(new String(Fds.read(ready[0], 64))).isEqualTo("up\n");
            String proc = "/proc/" + pid;
            try (Stream<Path> fds = Files.list(Path.of(proc, "fd"))) {
                assertThat(fds.map(p -> p.getFileName().toString()))
                        .containsExactlyInAnyOrder("0", "1", "2", "3", "7");
            }
            assertThat(Files.readSymbolicLink(Path.of(proc, "fd", "0")))
                    .isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/fd/" + hold[0])));
            assertThat(Files.readSymbolicLink(Path.of(proc, "fd", "3")))
                    .isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/fd/" + ready[1])));
            assertThat(Files.readSymbolicLink(Path.of(proc, "fd", "1")))
                    .isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/fd/" + ready[1])));
            assertThat(Files.readSymbolicLink(Path.of(proc, "fd", "2")))
                    .isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/fd/2")));
            Fds.close(hold[1]);
            hold[1] = -1;
            assertThat(Spawn.waitFor(pid)).as("read ends at end of file").isEqualTo(1);
        } finally {
            for (int fd : new int[] {leaked, ready[0], ready[1], hold[0], hold[1]}) {
                if (fd >= 0) {
                    Fds.close(fd);
                }
            }
        }
    }

    @Test
    void childHasOwnSessionNullStdinAndDefaultSignals() throws Exception {
        int pid = track(Spawn.program(SLEEP).args("600").newSession().spawn());
        assertThat(Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/0"))).isEqualTo(Path.of("/dev/null"));
        String[] stat = statFields(pid);
        assertThat(stat[5]).as("session").isEqualTo(Integer.toString(pid));
        assertThat(stat[4]).as("process group").isEqualTo(Integer.toString(pid));
        assertThat(statusField(pid, "SigBlk")).isEqualTo("0000000000000000");
        assertThat(statusField(pid, "SigIgn")).isEqualTo("0000000000000000");
    }

    @Test
    void keptDescriptorsMayBeSwapped() throws Exception {
        int[] first = Fds.pipe2(Fds.O_CLOEXEC);
        int[] second = Fds.pipe2(Fds.O_CLOEXEC);
        try {
            // Each source sits on the other's target number.
            int pid = track(Spawn.program(SLEEP).args("600")
                    .keepFd(first[0], second[0]).keepFd(second[0], first[0]).spawn());
            assertThat(Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/" + second[0])))
                    .isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/fd/" + first[0])));
            assertThat(Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/" + first[0])))
                    .isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/fd/" + second[0])));
        } finally {
            for (int fd : new int[] {first[0], first[1], second[0], second[1]}) {
                Fds.close(fd);
            }
        }
    }

    @Test
    void descriptorsFromNumbersAboveEveryTargetArriveWithoutCloseOnExec() throws Exception {
        // Every source above every target (as a boot's are: the JVM holds dozens below them),
        // so each dup2 goes straight to its target; all of them close-on-exec here.
        int[] first = Fds.pipe2(Fds.O_CLOEXEC);
        int[] second = Fds.pipe2(Fds.O_CLOEXEC);
        int null1 = Fds.open("/dev/null", Fds.O_RDWR | Fds.O_CLOEXEC);
        try {
            java.util.NavigableMap<Integer, Integer> sources = new java.util.TreeMap<>(java.util.Map.of(0, null1,
                    1, first[1], 2, first[1], 3, second[1], 5, second[0]));
            assertThat(Spawn.Builder.overlaps(sources)).isFalse();
            int pid = track(Spawn.program(SLEEP).args("600").stdin(Redirect.fd(null1)).stdout(Redirect.fd(first[1]))
                    .stderr(Redirect.fd(first[1])).keepFd(second[1], 3).keepFd(second[0], 5).spawn());
            String proc = "/proc/" + pid;
            try (Stream<Path> fds = Files.list(Path.of(proc, "fd"))) {
                assertThat(fds.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("0", "1", "2", "3", "5");
            }
            assertThat(Files.readSymbolicLink(Path.of(proc, "fd", "0"))).isEqualTo(Path.of("/dev/null"));
            for (String fd : List.of("1", "2")) {
                assertThat(Files.readSymbolicLink(Path.of(proc, "fd", fd)))
                        .isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/fd/" + first[1])));
            }
            assertThat(Files.readSymbolicLink(Path.of(proc, "fd", "3")))
                    .isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/fd/" + second[1])));
            assertThat(Files.readSymbolicLink(Path.of(proc, "fd", "5")))
                    .isEqualTo(Files.readSymbolicLink(Path.of("/proc/self/fd/" + second[0])));
        } finally {
            for (int fd : new int[] {first[0], first[1], second[0], second[1], null1}) {
                Fds.close(fd);
            }
        }
    }

    @Test
    void aSourceThatIsAlsoATargetGoesThroughATemporaryNumber() {
        // 3 -> 4 and 4 -> 3; and a descriptor kept at its own number (the JVM's stderr as 2).
        assertThat(Spawn.Builder.overlaps(new java.util.TreeMap<>(java.util.Map.of(3, 4, 4, 3)))).isTrue();
        assertThat(Spawn.Builder.overlaps(new java.util.TreeMap<>(java.util.Map.of(0, 40, 2, 2)))).isTrue();
        assertThat(Spawn.Builder.overlaps(new java.util.TreeMap<>(java.util.Map.of(0, 40, 1, 41, 3, 41)))).isFalse();
    }

    @Test
    void syncPipeOnFdThreeReportsReadiness() throws Exception {
        int[] pipe = Fds.pipe2(Fds.O_CLOEXEC);
        int pid;
        try {
            pid = track(Spawn.command("sh").args("-c", "echo ready >&3").keepFd(pipe[1], 3).spawn());
        } finally {
            Fds.close(pipe[1]);
        }
        try {
            assertThat(new String(Fds.read(pipe[0], 64))).isEqualTo("ready\n");
            assertThat(Fds.read(pipe[0], 64)).as("end of file once the child is gone").isEmpty();
        } finally {
            Fds.close(pipe[0]);
        }
        assertThat(Spawn.waitFor(pid)).isZero();
        assertThatThrownBy(() -> Spawn.reap(pid))
                .hasMessage("waitpid(pid " + pid + ", WNOHANG): ECHILD (No child processes)");
    }

    @Test
    void missingWorkingDirectoryFailsTheSpawn() {
        Path missing = dir.resolve("missing");
        assertThatThrownBy(() -> Spawn.program(SLEEP).args("1").cwd(missing).spawn())
                .isInstanceOf(SyscallException.class)
                .hasMessage("posix_spawn(/bin/sleep 1, cwd " + missing + "): ENOENT (No such file or directory)");
    }

    @Test
    void unopenableLogNamesTheFile() {
        Path log = dir.resolve("no/such/dir/sht.log");
        assertThatThrownBy(() -> Spawn.program(SLEEP).args("1").stdout(Redirect.appendTo(log)).spawn())
                .hasMessage("open(" + log + ", O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC, 0644): "
                        + "ENOENT (No such file or directory)");
    }

    @Test
    void childOfThreadThatUnsharedTimeNamespaceEntersItAtExec() throws Exception {
        KernelTests.requireRoot();
        // Kernels before about 6.1 refuse the CLONE_VM clone of posix_spawn with EINVAL here.
        String[] seen = NamespaceThread.run("time", NamespaceRequest.builder().unshare(Namespaces.CLONE_NEWTIME).build(),
                () -> {
                    String tid = Integer.toString(Fds.gettid());
                    int pid = track(Spawn.program(SLEEP).args("600").spawn());
                    return new String[] {KernelTests.namespace(tid, "time"),
                        KernelTests.namespace(tid, "time_for_children"), Integer.toString(pid)};
                });
        String jvm = KernelTests.namespace("self", "time");
        assertThat(seen[0]).as("the thread itself stays").isEqualTo(jvm);
        assertThat(seen[1]).isNotEqualTo(jvm);
        assertThat(KernelTests.namespace(seen[2], "time")).isEqualTo(seen[1]);
    }

    private int track(int pid) {
        started.add(pid);
        return pid;
    }

    private static String statusField(int pid, String name) throws Exception {
        return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
                .filter(line -> line.startsWith(name + ":"))
                .map(line -> line.substring(name.length() + 1).strip())
                .findFirst().orElseThrow();
    }

    /** /proc/PID/stat fields, counted from 0 (man proc: field N is [N-1]); [1], the command name, left out. */
    private static String[] statFields(int pid) throws Exception {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] rest = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        String[] fields = new String[rest.length + 2];
        fields[0] = Integer.toString(pid);
        System.arraycopy(rest, 0, fields, 2, rest.length);
        return fields;
    }
}
