package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.subhost.Subhost;
import org.subhost.config.SubhostConfig;

/**
 * An init system as pid 1 ({@code --exec}), played by a small shell script named {@code
 * init} that traps the stop's SIGPWR, so that no real init system is needed: what pid 1 of
 * subhost-init sets up for it before it execs, and what it leaves running inside.
 */
class InitSystemKernelTest extends SubhostKernelTest {
    /**
     * The stand-in init system: a line on the console, READY=1 on its NOTIFY_SOCKET (an
     * abstract name, as the boot waits for it), then it waits for the stop.
     */
    private static final String INIT = """
            #!/bin/sh
            trap 'exit 0' PWR TERM
            echo "init system on the console" > /dev/console
            python3 -c 'import os, socket; a = os.environ["NOTIFY_SOCKET"]; s = socket.socket(socket.AF_UNIX,\
             socket.SOCK_DGRAM); s.connect("\\0" + a[1:]); s.send(b"READY=1")'
            while :; do sleep 0.1; done
            """;

    private Subhost boot(SubhostConfig.Builder builder) throws Exception {
        Path init = Files.createDirectories(base.resolve("root/srv")).resolve("init");
        Files.writeString(init, INIT);
        Files.setPosixFilePermissions(init, PosixFilePermissions.fromString("rwxr-xr-x"));
        config = builder.initSystem("/srv/init").log(base.resolve("log")).build();
        return subhosts.boot(config);
    }

    private Path cgroup() {
        Path unified = Path.of("/sys/fs/cgroup/unified", name);
        return Files.isDirectory(unified) ? unified : Path.of("/sys/fs/cgroup", name);
    }

    /** The fields of {@code /proc/PID/status} that say how a process is confined. */
    private static Map<String, String> confinementOf(int pid) throws IOException {
        return Files.readAllLines(Path.of("/proc", Integer.toString(pid), "status")).stream()
                .filter(l -> l.matches("^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|Seccomp|NoNewPrivs):.*"))
                .collect(Collectors.toMap(l -> l.substring(0, l.indexOf(':')), l -> l.substring(l.indexOf(':') + 1).strip()));
    }

    /** The host pid of the subhost's process named {@code comm}, from its control group. */
    private Optional<Integer> process(String comm) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            for (String line : Files.readAllLines(cgroup().resolve("cgroup.procs"))) {
                int pid = Integer.parseInt(line.strip());
                try {
                    if (Files.readString(Path.of("/proc", line.strip(), "comm")).strip().equals(comm)) {
                        return Optional.of(pid);
                    }
                } catch (IOException e) {
                    // ended meanwhile
                }
            }
            Thread.sleep(20);
        }
        return Optional.empty();
    }

    /**
     * An init system makes groups below the subhost's (its own cgroup2 mount is the
     * subhost's group): not without end. The host side bounds how deep and how many, and the
     * init system cannot raise the bounds through its mount.
     */
    @Test
    void theSubhostsGroupsAreBoundedInDepthAndNumber() throws Exception {
        Subhost s = boot(SubhostConfig.builder(name, base).start("none"));
        assertThat(Files.readString(cgroup().resolve("cgroup.max.depth")).strip())
                .isEqualTo(Integer.toString(ControlGroup.MAX_DEPTH));
        assertThat(Files.readString(cgroup().resolve("cgroup.max.descendants")).strip())
                .isEqualTo(Integer.toString(ControlGroup.MAX_DESCENDANTS));
        org.subhost.ExecResult r = s.exec(List.of("/bin/sh", "-c", "cd /sys/fs/cgroup && cat cgroup.max.depth"
                + " && (echo max > cgroup.max.depth) 2>/dev/null && echo RAISED; d=.; for i in $(seq 20); do d=$d/n$i;"
                + " mkdir $d 2>/dev/null || { echo refused at $i; break; }; done"), Duration.ofSeconds(10));
        assertThat(r.stdout()).as(r.toString()).isEqualTo(ControlGroup.MAX_DEPTH + "\nrefused at "
                + (ControlGroup.MAX_DEPTH + 1) + "\n");
    }

    /**
     * An INIT whose script (not known before it runs) execs an init system: pid 1 gets the
     * admin level, and a process that enters later (overlay-go, exec) gets the same as pid
     * 1 and the services, not the default level that the configuration alone would give.
     */
    @Test
    void anEnteringProcessGetsTheConfinementOfAnInitSystemFoundAtTheBoot() throws Exception {
        Path init = Files.createDirectories(base.resolve("root/srv")).resolve("init");
        Files.writeString(init, INIT);
        Files.setPosixFilePermissions(init, PosixFilePermissions.fromString("rwxr-xr-x"));
        config = SubhostConfig.builder(name, base).init("printf 'exec /srv/init\\n'").log(base.resolve("log")).build();
        Subhost s = subhosts.boot(config);
        // pid 1 is the interpreter of the stand-in init now: not subhost-init.
        assertThat(s.status().initSystem()).isPresent();
        assertThat(s.status().confinement().capabilitiesText()).isEqualTo("admin");
        org.subhost.ExecResult r = s.exec(List.of("grep", "-E", "^(CapBnd|Seccomp):", "/proc/self/status",
                "/proc/1/status"), Duration.ofSeconds(10));
        List<String> lines = r.stdout().lines().map(l -> l.substring(l.indexOf(':') + 1)).toList();
        assertThat(lines).as(r.toString()).hasSize(4);
        assertThat(lines.subList(0, 2)).as("the entering process's against pid 1's").isEqualTo(lines.subList(2, 4));
    }

    /**
     * pid 1 is known as subhost-init by the SDK's copy it runs (its inode, recorded at the
     * boot), not by a path: the subhost's root renames whatever file it likes (here the
     * program the old tool and older versions ran pid 1 from, {@code /.reaper}, to a name with
     * a newline). The built-in init's pid 1 is still no init system: status says none, and
     * the stop runs the START service's stop before it ends pid 1 with SIGTERM.
     */
    @Test
    void renamingFilesInsideDoesNotMakePid1AnInitSystem() throws Exception {
        Path service = Files.createDirectories(base.resolve("root/srv")).resolve("svc");
        Files.writeString(service, "#!/bin/sh\necho \"$1\" >> /srv/svc.log\n");
        Files.setPosixFilePermissions(service, PosixFilePermissions.fromString("rwxr-xr-x"));
        config = SubhostConfig.builder(name, base).start("/srv/svc").log(base.resolve("log")).build();
        Subhost s = subhosts.boot(config);
        org.subhost.ExecResult renamed = s.exec(List.of("/bin/sh", "-c", "mv /.reaper \"$(printf '/.reaper\\nx')\""
                + " 2>/dev/null; true"), Duration.ofSeconds(10));
        assertThat(renamed.status()).as(renamed.toString()).isZero();
        assertThat(s.status().initSystem()).as("after %s", renamed.stdout()).isEmpty();

        subhosts.stop(config, Duration.ofSeconds(5));
        config = null;
        assertThat(Files.readString(base.resolve("root/srv/svc.log"))).isEqualTo("start\nstop\n");
        assertThat(Files.readString(base.resolve("log"))).contains("stopping pid 1 (").contains("): SIGTERM")
                .doesNotContain("the init system");
    }

    /**
     * Over LOWER=/ the subhost's {@code /etc/machine-id} is the host's, and the boot writes
     * one of its own into the upper layer, while it holds every capability and the NAME's
     * lock. Its root has planted a FIFO where the new file is written first: opened for
     * writing, it would block the boot for ever. It is removed, never opened, and the
     * subhost gets its own id all the same.
     */
    @Test
    void aFifoPlantedWhereTheMachineIdIsWrittenDoesNotHangTheBoot() throws Exception {
        String host = InitSystem.hostMachineId();
        org.junit.jupiter.api.Assumptions.assumeFalse(host.isEmpty(), "the host has no /etc/machine-id");
        Path fifo = Files.createDirectories(base.resolve("root/etc")).resolve("machine-id.subhost-new");
        KernelFixture.run("mkfifo", fifo.toString());
        java.util.concurrent.CompletableFuture<Subhost> booting = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return boot(SubhostConfig.builder(name, base).start("none"));
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        try {
            booting.get(20, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            // Let the hung write go, so that the other tests can go on: a reader opens the FIFO
            // as the boot thread sees it, through the overlay in its root (opened through the
            // upper layer, it would be another FIFO's inode).
            unblock(fifo);
            booting.get(30, java.util.concurrent.TimeUnit.SECONDS);
            throw new AssertionError("the boot hung on the FIFO planted at " + fifo);
        }
        Path id = base.resolve("root/etc/machine-id");
        assertThat(Files.isRegularFile(id, java.nio.file.LinkOption.NOFOLLOW_LINKS)).as("%s", id).isTrue();
        String own = Files.readString(id).strip();
        assertThat(own).hasSize(32).isNotEqualTo(host);
        assertThat(fifo).doesNotExist();
    }

    /**
     * The subhost's root has replaced its {@code /etc/machine-id} by a file of 3 GiB (sparse:
     * it costs nothing). The boot reads it while it holds every capability and the NAME's
     * lock: only its first few KiB may be looked at (a read of the whole would fill the JVM's
     * heap); it is not the host's id, so it is the subhost's business and stays as it is.
     */
    @Test
    void aHugeMachineIdIsNotReadWhole() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeFalse(InitSystem.hostMachineId().isEmpty(),
                "the host has no /etc/machine-id");
        Path id = Files.createDirectories(base.resolve("root/etc")).resolve("machine-id");
        long size = 3L << 30;
        try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(id.toFile(), "rw")) {
            file.setLength(size);
        }
        boot(SubhostConfig.builder(name, base).start("none"));
        assertThat(Files.size(id)).isEqualTo(size);
    }

    /** Opens {@code fifo} (in UPPER) for reading where the boot thread of this JVM sees it. */
    private void unblock(Path fifo) throws Exception {
        String thread = ("boot " + name).substring(0, Math.min(15, ("boot " + name).length()));
        try (java.util.stream.Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                if (Files.readString(task.resolve("comm")).strip().equals(thread)) {
                    Path inside = task.resolve("root").resolve(base.resolve("root").relativize(fifo).toString());
                    int fd = org.subhost.linux.Fds.open(inside.toString(), org.subhost.linux.Fds.O_RDONLY
                            | org.subhost.linux.Fds.O_NONBLOCK | org.subhost.linux.Fds.O_CLOEXEC);
                    Thread.sleep(1000);
                    org.subhost.linux.Fds.close(fd);
                }
            }
        }
    }

    /**
     * pid 1 forks the console relay while it still holds every capability (it mounts the
     * console): the relay must confine itself before it runs inside the subhost for as long as
     * the subhost lives, or root inside (which keeps SYS_PTRACE at the admin level of an init
     * system) could take it over: no capability left in any set, the filter on, no_new_privs.
     * It still copies the console to LOG.
     */
    @Test
    void theConsoleRelayRunsConfinedAndKeepsNoCapability() throws Exception {
        boot(SubhostConfig.builder(name, base).start("none"));
        int relay = process("console-relay").orElseThrow(() -> new AssertionError("no console-relay in " + cgroup()));
        Map<String, String> status = confinementOf(relay);
        assertThat(status).as("console-relay (pid %d)", relay).containsEntry("CapEff", "0000000000000000")
                .containsEntry("CapPrm", "0000000000000000").containsEntry("CapBnd", "0000000000000000")
                .containsEntry("CapInh", "0000000000000000").containsEntry("CapAmb", "0000000000000000")
                .containsEntry("Seccomp", "2").containsEntry("NoNewPrivs", "1");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!Files.readString(base.resolve("log")).contains("init system on the console")) {
            assertThat(System.nanoTime()).as("the console's line in LOG: %s", Files.readString(base.resolve("log")))
                    .isLessThan(deadline);
            Thread.sleep(20);
        }
        // The init system's own processes keep the confinement of its level.
        Map<String, String> pid1 = confinementOf(subhosts.find(name).orElseThrow().pid());
        assertThat(pid1.get("Seccomp")).isEqualTo("2");
        assertThat(pid1.get("CapBnd")).isNotEqualTo(status.get("CapBnd"));
        assertThat(List.of(pid1.get("CapEff"))).doesNotContain("000001ffffffffff");
    }
}
