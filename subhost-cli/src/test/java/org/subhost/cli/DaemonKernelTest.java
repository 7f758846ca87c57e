package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.subhost.cli.DebianFixtures.shell;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.config.Confinement;
import org.subhost.testing.HostLeftovers;
import org.subhost.testing.Uid;

/**
 * Real daemons under the default confinement (docs/security.md): a subhost whose LOWER is
 * a minimal Debian tree ({@code .ci/debian-tree}: openssh-server, cron, ifupdown, rsyslog) with
 * {@code START= rsyslog networking ssh cron}: rsyslog from its systemd unit (Debian 12 has
 * no init.d script for it), the others from their scripts. All four run the moment
 * overlay-boot returns; rsyslogd killed from the host comes back; sshd answers on port 22 at the address
 * that ifupdown gave the subhost's {@code eth0}, as seen from inside the subhost's network
 * namespace; {@code overlay-go NAME service ssh status} works; the daemons hold only the
 * default capabilities and the filter; and {@code overlay-stop} stops them in reverse and
 * leaves nothing. The cached tree is only a lower layer: it stays as it was.
 */
class DaemonKernelTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** TEST-NET-1 (RFC 5737): never routed, and only inside the subhost's own namespace. */
    private static final String ADDRESS = "192.0.2.2";

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private String name;
    private Path base;
    private String conf;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(Uid.isRoot(), "the daemon test needs root (it boots a subhost)");
        Path tree = DebianFixtures.cachedTree("usr/sbin/sshd");
        name = "shd" + uniqueSuffix();
        base = Files.createTempDirectory("subhost-daemon-" + name + "-").toRealPath();
        for (String dir : List.of("root", "work", "live")) {
            Files.createDirectories(base.resolve(dir));
        }
        // The subhost's own network setup, in its upper layer: ifupdown gives eth0 the address.
        Path interfaces = Files.createDirectories(base.resolve("root/etc/network")).resolve("interfaces");
        Files.writeString(interfaces, "auto lo\niface lo inet loopback\n\nauto eth0\niface eth0 inet static\n"
                + "    address " + ADDRESS + "/24\n");
        Path file = Files.write(base.resolve(name + ".conf"), List.of("BASE=.", "LOWER=" + tree, "CABLES==",
                "START= rsyslog networking ssh cron", "LOG=" + base.resolve("log")));
        conf = file.toRealPath().toString();
    }

    @AfterEach
    void tearDown() throws IOException {
        if (name == null) {
            return;
        }
        Cli.run(List.of("overlay-stop", "--grace", "2", conf), print(new ByteArrayOutputStream()),
                print(new ByteArrayOutputStream()));
        List<String> left = HostLeftovers.of(name).under(base).find();
        if (left.isEmpty()) {
            deleteTree(base);
        }
        assertThat(left).as("what subhost %s left behind", name).isEmpty();
    }

    @Test
    void rsyslogSshCronAndNetworkingRunConfinedAndStopInReverse() throws Exception {
        assertThat(run("overlay-boot", conf)).as("overlay-boot (err: %s; LOG: %s)", err(), log()).isZero();
        // The boot returns once every START service has started or failed: all four run now.
        assertThat(log()).contains("service networking started", "service ssh started", "service cron started")
                .containsPattern("service rsyslog running \\(pid [0-9]+, restarts 0\\)")
                .contains("/lib/systemd/system/rsyslog.service:", "rsyslog.service starts without what these"
                        + " directives ask, outside the built-in init's subset: StandardOutput= (line ");
        assertThat(err()).as("the unit's warning on the terminal").contains("rsyslog.service starts without");
        Map<String, Map<?, ?>> services = services();
        assertThat(services.keySet()).containsExactly("rsyslog", "networking", "ssh", "cron");
        assertThat(services.get("rsyslog").get("phase")).isEqualTo("running");
        assertThat(services.get("cron").get("state")).isEqualTo("started");
        long rsyslogd = pidOf("rsyslogd");
        assertThat(run("overlay-go", name, "logger", "-t", "t25", "hello from the subhost")).isZero();
        Path syslog = base.resolve("root/var/log/syslog");
        long logged = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!(Files.exists(syslog) && Files.readString(syslog).contains("t25: hello from the subhost"))) {
            assertThat(System.nanoTime()).as("rsyslogd wrote the line to the subhost's /var/log/syslog").isLessThan(logged);
            Thread.sleep(50);
        }

        // rsyslogd killed from the host comes back (Restart=on-failure of its unit).
        new ProcessBuilder("kill", "-KILL", Long.toString(rsyslogd)).start().waitFor();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(Long.valueOf(1).equals(services().get("rsyslog").get("restarts"))
                && "running".equals(services().get("rsyslog").get("phase")))) {
            assertThat(System.nanoTime()).as("rsyslog restarted; LOG: %s", log()).isLessThan(deadline);
            Thread.sleep(50);
        }
        assertThat(pidOf("rsyslogd")).isNotEqualTo(rsyslogd);

        String banner = shell("ip", "netns", "exec", name, "bash", "-c",
                "exec 3<>/dev/tcp/" + ADDRESS + "/22; timeout 5 head -n 1 <&3");
        assertThat(banner).as("what port 22 at %s says", ADDRESS).startsWith("SSH-2.0-OpenSSH");

        assertThat(run("overlay-go", name, "service", "ssh", "status")).as("service ssh status; LOG: %s", log())
                .isZero();
        assertThat(run("overlay-go", name, "pgrep", "-x", "cron")).as("cron runs").isZero();

        // One service at a time, through pid 1: rsyslog's unit, ssh's script.
        long before = pidOf("rsyslogd");
        assertThat(run("overlay-service", name, "rsyslog", "restart")).as("restart rsyslog (err: %s)", err()).isZero();
        String restarted = out();
        long after = pidOf("rsyslogd");
        assertThat(after).isNotEqualTo(before);
        assertThat(restarted).isEqualTo("rsyslog: running (pid " + inside(after) + ", restarts 1)\n");
        assertThat(run("overlay-service", name, "ssh", "stop")).as("stop ssh (err: %s)", err()).isZero();
        assertThat(out()).isEqualTo("ssh: stopped\n");
        assertThat(run("overlay-go", name, "service", "ssh", "status")).as("sshd is gone").isNotZero();
        assertThat(run("overlay-service", name, "ssh", "status")).isEqualTo(3);
        assertThat(out()).isEqualTo("ssh: stopped\n");
        assertThat(run("overlay-service", name, "ssh", "start")).as("start ssh (err: %s)", err()).isZero();
        assertThat(out()).isEqualTo("ssh: started\n");
        assertThat(run("overlay-go", name, "service", "ssh", "status")).as("sshd is back").isZero();
        assertThat(run("overlay-service", name, "sshd", "stop")).isEqualTo(1);
        assertThat(err()).isEqualTo("overlay-service: stop service sshd of " + name + ": no such service in START"
                + " (rsyslog networking ssh cron)\n");

        // The daemons hold the default bounding set (within this host's own) and the filter,
        // as the kernel reports it.
        long kept = Confinement.DEFAULT.capabilityMask() & boundingSetOfThisProcess();
        long pid1 = pid1();
        String pidns = Files.readSymbolicLink(Path.of("/proc/" + pid1 + "/ns/pid")).toString();
        List<String> daemons = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String comm = Files.readString(proc.resolve("comm")).trim();
                    if ((comm.equals("sshd") || comm.equals("cron"))
                            && Files.readSymbolicLink(proc.resolve("ns/pid")).toString().equals(pidns)) {
                        String status = Files.readString(proc.resolve("status"));
                        assertThat(status).as("%s (%s)", comm, proc)
                                .contains(String.format("CapBnd:\t%016x", kept))
                                .contains("Seccomp:\t2");
                        daemons.add(comm);
                    }
                } catch (IOException e) {
                    // the process ended meanwhile
                }
            }
        }
        assertThat(daemons).contains("sshd", "cron");

        assertThat(run("overlay-stop", conf)).as("overlay-stop (err: %s)", err()).isZero();
        String log = log();
        int stop = log.indexOf("pid 1 stops the START services in reverse order at its SIGTERM: cron ssh networking"
                + " rsyslog");
        assertThat(stop).as("LOG: %s", log).isNotNegative();
        int cron = log.indexOf("service cron stopping", stop);
        int ssh = log.indexOf("service ssh stopping", stop);
        int networking = log.indexOf("service networking stopping", stop);
        assertThat(cron).as("LOG: %s", log).isNotNegative();
        assertThat(ssh).as("ssh stopped after cron; LOG: %s", log).isGreaterThan(cron);
        assertThat(networking).as("networking stopped after ssh; LOG: %s", log).isGreaterThan(ssh);
        assertThat(log.indexOf("service rsyslog stopping", stop)).as("rsyslog, the first, stopped last; LOG: %s", log)
                .isGreaterThan(networking);
        assertThat(HostLeftovers.of(name).under(base).find()).isEmpty();
    }

    /** The test's own bounding set: a machine may run it with less than every capability. */
    private static long boundingSetOfThisProcess() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("CapBnd:")) {
                return Long.parseUnsignedLong(line.substring(7).trim(), 16);
            }
        }
        throw new IOException("/proc/self/status has no CapBnd line");
    }

    /** START's services as {@code overlay-list --json} shows them, by name, in START order. */
    private Map<String, Map<?, ?>> services() {
        assertThat(run("overlay-list", "--json")).isZero();
        for (Object entry : (List<?>) JsonText.parse(out())) {
            Map<?, ?> m = (Map<?, ?>) entry;
            if (name.equals(m.get("name"))) {
                Map<String, Map<?, ?>> byName = new java.util.LinkedHashMap<>();
                for (Object s : (List<?>) m.get("services")) {
                    byName.put((String) ((Map<?, ?>) s).get("name"), (Map<?, ?>) s);
                }
                return byName;
            }
        }
        throw new AssertionError(name + " is not listed: " + out());
    }

    /** The host pid of the subhost's process named {@code comm}. */
    private long pidOf(String comm) throws IOException {
        String pidns = Files.readSymbolicLink(Path.of("/proc/" + pid1() + "/ns/pid")).toString();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    if (Files.readString(proc.resolve("comm")).trim().equals(comm)
                            && Files.readSymbolicLink(proc.resolve("ns/pid")).toString().equals(pidns)) {
                        return Long.parseLong(proc.getFileName().toString());
                    }
                } catch (IOException e) {
                    // ended meanwhile
                }
            }
        }
        throw new AssertionError("no " + comm + " in subhost " + name);
    }

    private long pid1() {
        assertThat(run("overlay-list", "--json")).isZero();
        for (Object entry : (List<?>) JsonText.parse(out())) {
            Map<?, ?> m = (Map<?, ?>) entry;
            if (name.equals(m.get("name"))) {
                return (Long) m.get("pid");
            }
        }
        throw new AssertionError(name + " is not listed: " + out());
    }

    private String log() throws IOException {
        Path log = base.resolve("log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private int run(String... args) {
        out.reset();
        err.reset();
        return Cli.run(List.of(args), print(out), print(err));
    }

    /** The pid of the host's process {@code pid} inside the subhost's pid namespace (the last of NSpid). */
    private static long inside(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("NSpid:")) {
                String[] pids = line.substring(6).trim().split("\\s+");
                return Long.parseLong(pids[pids.length - 1]);
            }
        }
        throw new IOException("/proc/" + pid + "/status has no NSpid line");
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private static PrintStream print(ByteArrayOutputStream bytes) {
        return new PrintStream(bytes, true, StandardCharsets.UTF_8);
    }

    private static String uniqueSuffix() {
        String chars = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            b.append(chars.charAt(RANDOM.nextInt(chars.length())));
        }
        return b.toString();
    }

    private static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
