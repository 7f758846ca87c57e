package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.ExecResult;
import org.subhost.Subhost;
import org.subhost.Subhosts;
import org.subhost.config.Share;
import org.subhost.config.SubhostConfig;

/**
 * The escape suite of docs/security.md, run for real: {@code src/test/c/escape-probe.c}
 * tries each way a subhost's root could act on the whole host, harmlessly, from inside a
 * subhost, both as a START service (a child of pid 1) and through {@link Subhost#exec}
 * (a process that enters later); every way that the host's own root can take on this
 * machine must be blocked by default and open again when its override is set. A way the
 * host itself cannot take here (a kernel without modules, kexec, {@code /proc/kcore} or
 * {@code /proc/sysrq-trigger}) is not applicable: it is printed, never counted as passed.
 */
class EscapeProbeTest {
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);
    /** Every way the probe tries, in its order. */
    private static final List<String> WAYS = List.of("core-pattern", "sysctl", "sysrq", "sys-write", "kallsyms",
            "kcore", "kernel-log", "clock", "module", "raw-io", "kexec", "swap", "audit", "bpf", "keyring", "handle",
            "fresh-procfs", "fresh-sysfs", "mknod", "unconfined");

    private static Path work;
    private static Path probe;
    /** What the probe says on the host: the ways that are applicable here are "open". */
    private static Map<String, String> host;

    private final Subhosts subhosts = Subhosts.linux();
    private String name;
    private Path base;
    private Path shared;
    private SubhostConfig config;

    @BeforeAll
    static void buildTheProbeAndTryItOnTheHost() throws Exception {
        KernelFixture.requireRoot();
        work = Files.createTempDirectory("subhost-test-escape-probe-").toRealPath();
        probe = work.resolve("escape-probe");
        // Static, so that it runs over any LOWER; glibc's static archive comes with libc6-dev.
        String compiled = KernelFixture.run("cc", "-static", "-O2", "-Wall", "-Werror", "-o", probe.toString(),
                Path.of("src/test/c/escape-probe.c").toAbsolutePath().toString());
        assertThat(probe).as("cc -static escape-probe.c: %s", compiled).isExecutable();
        Path file = Files.writeString(work.resolve("file"), "a file of the host\n");
        host = verdicts(KernelFixture.run(probe.toString(), "--host", file.toString()));
        System.out.println("escape-probe on the host: " + host);
        for (String way : WAYS) {
            if (!host.get(way).startsWith("open")) {
                System.out.println("escape-probe: " + way + " is not applicable here (the host's root cannot take it: "
                        + host.get(way) + ")");
            }
        }
    }

    @AfterAll
    static void removeTheProbe() throws IOException {
        KernelFixture.deleteTree(work);
    }

    @BeforeEach
    void setUp() throws Exception {
        KernelFixture.requireRoot();
        name = KernelFixture.uniqueName();
        base = KernelFixture.base(name);
        shared = Files.createDirectory(base.resolve("shared"));
        Files.writeString(shared.resolve("file"), "a file of the host, shared\n");
        Path root = base.resolve("root");
        Files.copy(probe, root.resolve("escape-probe"));
        Path service = root.resolve("escape-probe-service");
        Files.writeString(service, "#!/bin/sh\nexec /escape-probe --out /escape-probe.start /shared/file\n");
        Files.setPosixFilePermissions(service, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (name == null) {
            return;
        }
        KernelFixture.stopAndCheckNothingLeft(subhosts, config, name, base);
    }

    @Test
    void everyWayIsBlockedByDefault() throws Exception {
        Map<String, Map<String, String>> seen = probe(b -> b);
        assertBlocked(seen, WAYS);
        // The filter answers before the kernel does: EPERM even where this kernel has no
        // modules or kexec at all (ENOSYS on the host).
        seen.forEach((how, verdicts) -> {
            assertThat(verdicts.get("module")).as("module %s", how).startsWith("blocked");
            assertThat(verdicts.get("kexec")).as("kexec %s", how).startsWith("blocked");
        });
    }

    @Test
    void aCapabilityGivenBackOpensItsWayAndTheFilterFollows() throws Exception {
        List<String> opened = List.of("kernel-log", "clock", "module", "raw-io", "audit", "bpf", "mknod");
        // sys_boot is for reboot(2), which ends the subhost's own pid namespace; sys_admin is
        // for mounts: neither opens kexec or the host's swap, which only the level all does.
        // mknod needs the device in the policy too (DEVICES): the probe makes block 7:0.
        Map<String, Map<String, String>> seen = probe(b -> b.capabilities(
                "+syslog +sys_time +sys_module +sys_rawio +sys_boot +sys_admin +audit_read +bpf +mknod")
                .devices("b:7:0:m"));
        assertOpen(seen, opened);
        assertBlocked(seen, without(WAYS, List.of("kernel-log", "clock", "module", "raw-io", "audit", "bpf", "mknod",
                "fresh-procfs", "fresh-sysfs")));
        assertRefusedByTheFilter(seen, "kexec", "swap");
    }

    @Test
    void theLevelAllLetsKexecAndTheHostsSwapThroughTheFilter() throws Exception {
        // The device policy holds at every level: block 7:0 is given for the mknod way.
        Map<String, Map<String, String>> seen = probe(b -> b.capabilities("all").devices("b:7:0:m"));
        assertOpen(seen, List.of("swap", "kexec", "module", "clock", "mknod"));
        seen.forEach((how, verdicts) -> assertThat(verdicts.get("kexec")).as("kexec %s", how)
                .doesNotStartWith("blocked"));
        // The filter stays: what it refuses whatever is kept.
        assertBlocked(seen, List.of("keyring", "handle"));
    }

    @Test
    void mknodGivenBackMakesNoDeviceOutsideTheDevicePolicy() throws Exception {
        Map<String, Map<String, String>> seen = probe(b -> b.capabilities("+mknod"));
        seen.forEach((how, verdicts) -> assertThat(verdicts.get("mknod")).as("mknod %s", how)
                .isEqualTo("blocked mknod(block 7:0): Operation not permitted"));
    }

    @Test
    void confineFilesOffOpensTheKernelsFiles() throws Exception {
        List<String> opened = List.of("core-pattern", "sysctl", "sysrq", "sys-write", "kallsyms", "kcore");
        Map<String, Map<String, String>> seen = probe(b -> b.confineFiles(false));
        assertOpen(seen, opened);
        assertBlocked(seen, without(WAYS, opened));
    }

    @Test
    void theAdminLevelMountsAFreshProcfsAndUndoesTheReadOnlyPaths() throws Exception {
        // nspawn's level: protection against accidents, not attacks (docs/security.md).
        List<String> opened = List.of("fresh-procfs", "fresh-sysfs");
        Map<String, Map<String, String>> seen = probe(b -> b.capabilities("admin"));
        assertOpen(seen, opened);
        for (Map<String, String> verdicts : seen.values()) {
            assertThat(verdicts.get("fresh-procfs")).contains("then open(sys/kernel/core_pattern, O_WRONLY) succeeded");
        }
        assertBlocked(seen, without(WAYS, opened));
        // Its SYS_BOOT and SYS_ADMIN (for reboot and mounts inside) do not open the calls that
        // act on the whole host: kexec and the host's swap stay refused by the filter.
        assertRefusedByTheFilter(seen, "kexec", "swap", "module", "clock");
    }

    @Test
    void openByHandleStaysRefusedWithDacReadSearchUntilTheFilterIsOff() throws Exception {
        assertBlocked(probe(b -> b.capabilities("+dac_read_search")), WAYS);
        stop();
        // Without the filter every process of the subhost is one that escapes it.
        List<String> opened = List.of("handle", "keyring", "unconfined");
        Map<String, Map<String, String>> seen = probe(b -> b.capabilities("+dac_read_search").seccomp(false));
        assertOpen(seen, opened);
        assertBlocked(seen, without(WAYS, opened));
    }

    /** Boots a subhost so configured, runs the probe both ways, and returns what each said. */
    private Map<String, Map<String, String>> probe(UnaryOperator<SubhostConfig.Builder> change) throws Exception {
        Files.deleteIfExists(base.resolve("root/escape-probe.start"));
        config = change.apply(SubhostConfig.builder(name, base).log(base.resolve("log"))
                .start("/escape-probe-service").addShare(new Share(shared, Path.of("/shared")))).build();
        Subhost s = subhosts.boot(config);
        Map<String, Map<String, String>> seen = new LinkedHashMap<>();
        seen.put("as a START service", verdicts(awaitServiceOutput()));
        ExecResult entered = s.exec(List.of("/escape-probe", "/shared/file"), TEN_SECONDS);
        assertThat(entered.status()).as("exec escape-probe: %s", entered.stderr()).isZero();
        seen.put("through exec", verdicts(entered.stdout()));
        return seen;
    }

    private void stop() throws Exception {
        subhosts.stop(config, Duration.ofSeconds(2));
        config = null;
        KernelFixture.assertNothingLeft(name, base);
    }

    private String awaitServiceOutput() throws Exception {
        Path out = base.resolve("root/escape-probe.start");
        long deadline = System.nanoTime() + TEN_SECONDS.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(out)) {
                String text = Files.readString(out);
                if (text.endsWith("done\n")) {
                    return text;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("the START service escape-probe wrote no complete " + out + "; LOG: "
                + Files.readString(base.resolve("log")));
    }

    /** Each applicable way in {@code ways} must be blocked, both as a service and entered. */
    private static void assertBlocked(Map<String, Map<String, String>> seen, List<String> ways) {
        seen.forEach((how, verdicts) -> {
            for (String way : applicable(ways)) {
                assertThat(verdicts.get(way)).as("%s %s (on the host: %s)", way, how, host.get(way))
                        .startsWith("blocked");
            }
        });
    }

    /**
     * Each of {@code ways} must be refused with EPERM, applicable here or not: the filter
     * answers before the kernel would (which says ENOSYS where it lacks kexec or modules).
     */
    private static void assertRefusedByTheFilter(Map<String, Map<String, String>> seen, String... ways) {
        seen.forEach((how, verdicts) -> {
            for (String way : ways) {
                assertThat(verdicts.get(way)).as("%s %s (on the host: %s)", way, how, host.get(way))
                        .startsWith("blocked").contains("Operation not permitted");
            }
        });
    }

    /** Each applicable way in {@code ways} must be open again. */
    private static void assertOpen(Map<String, Map<String, String>> seen, List<String> ways) {
        seen.forEach((how, verdicts) -> {
            for (String way : applicable(ways)) {
                assertThat(verdicts.get(way)).as("%s %s with its override (on the host: %s)", way, how, host.get(way))
                        .startsWith("open");
            }
        });
    }

    private static List<String> applicable(List<String> ways) {
        return ways.stream().filter(way -> host.get(way).startsWith("open")).toList();
    }

    private static List<String> without(List<String> ways, List<String> removed) {
        List<String> left = new ArrayList<>(ways);
        left.removeAll(Set.copyOf(removed));
        return left;
    }

    /** "WAY VERDICT DETAIL" lines as WAY to "VERDICT DETAIL"; every way must be there. */
    private static Map<String, String> verdicts(String output) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : output.lines().toList()) {
            int space = line.indexOf(' ');
            if (space > 0) {
                m.put(line.substring(0, space), line.substring(space + 1));
            }
        }
        assertThat(m.keySet()).as("the probe's output:\n%s", output).containsAll(WAYS);
        return m;
    }
}
