package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.ExecResult;
import org.subhost.Subhost;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;

/**
 * The Debian package of {@code bin/package-deb}, where a user would install it: a subhost
 * whose LOWER is a minimal Debian 12 without any Java ({@code .ci/debian-tree}, cached
 * between runs). Inside it the package is installed with dpkg, its commands run on the
 * package's own runtime (overlay-boot --help, --dry-run of a real .conf, overlay-list
 * --json, and a subhost booted inside the subhost, whose .conf loosens its confinement with
 * {@code CAPABILITIES=all} and {@code CONFINE_FILES=off}), and after {@code dpkg --purge}
 * nothing of it is left: no path that {@code dpkg -L} listed, and no file in the
 * subhost's writable layer that was not there before, outside dpkg's own records.
 * Runs after package (failsafe), on the packaged jars, as root.
 */
class DebianPackageIT {
    private static final Path CHECKOUT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Duration LIMIT = Duration.ofMinutes(3);
    /**
     * What is not the package's in the writable layer: dpkg's database and log, and /tmp
     * (the inner subhost's LOG, the JVM's hsperfdata).
     */
    private static final List<String> NOT_THE_PACKAGES = List.of("var/lib/dpkg/", "var/log/", "var/cache/", "tmp/");

    @Test
    void installsWorksAndPurgesCleanlyInADebianWithoutJava(@TempDir Path tmp) throws Exception {
        assumeTrue(CliSupport.isRoot(), "building the package and booting a subhost need root");
        Path dir = tmp.toRealPath();
        Path tree = Path.of(lastLine(run(dir, List.of(CHECKOUT.resolve(".ci/debian-tree").toString()))));
        assertThat(tree.resolve("usr/bin/java")).as("the Debian tree has no Java").doesNotExist();
        Path share = Files.createDirectories(dir.resolve("share"));
        Path deb = Path.of(lastLine(run(dir, List.of(CHECKOUT.resolve("bin/package-deb").toString(),
                "--output", share.toString()))));
        assertThat(deb.getFileName().toString()).matches("subhost_[0-9][^_]*_[a-z0-9]+\\.deb");

        String name = "shtpkg" + Long.toString(System.nanoTime() & 0xffffL, 36);
        for (String sub : List.of("root", "work", "live")) {
            Files.createDirectories(dir.resolve(sub));
        }
        // A subhost to boot inside, its directories on the share (an overlay cannot be the
        // writable layer of another overlay).
        for (String sub : List.of("root", "work", "live")) {
            Files.createDirectories(share.resolve("inner/" + sub));
        }
        Files.write(share.resolve("inner/inner.conf"), List.of("BASE=.", "NAME=shtinner", "START=none"));
        Path conf = Files.write(dir.resolve(name + ".conf"), List.of(
                "BASE=.", "NAME=" + name, "LOWER=" + tree, "START=none", "LOG=" + dir.resolve("log"),
                "SHARE=" + share + ":/srv/share", "CAPABILITIES=all", "CONFINE_FILES=off"));
        Subhosts subhosts = Subhosts.linux();
        Subhost subhost = subhosts.boot(SubhostConfig.read(conf, "overlay-boot"));
        try {
            assertThat(exec(subhost, "command -v java || echo none").stdout().strip())
                    .as("java in the subhost").isEqualTo("none");
            Set<String> before = files(dir.resolve("root"));

            String debInside = "/srv/share/" + deb.getFileName();
            ok(subhost, "dpkg -i " + debInside);
            assertThat(ok(subhost, "dpkg-query -W -f '${Status}' subhost")).isEqualTo("install ok installed");
            assertThat(ok(subhost, "overlay-boot --help")).contains("overlay-boot");
            String plan = ok(subhost, "overlay-boot --dry-run /srv/share/inner/inner.conf");
            assertThat(plan).contains("NAME=shtinner").contains("pivot_root");
            String list = ok(subhost, "overlay-list --json").strip();
            assertThat(list).startsWith("[").endsWith("]");
            // The commands ran on the package's runtime, with the start-up cache it brought.
            assertThat(ok(subhost, "SUBHOST_JAVA_OPTS=-Xlog:aot=info:stdout overlay-list"))
                    .containsPattern("Opened AOT cache /usr/(sbin/\\.\\./)?lib/subhost/subhost\\.aot");

            // A subhost inside the subhost, which its .conf allows (CAPABILITIES=all: admin alone lacks
            // mknod for /dev; CONFINE_FILES=off: the inner control group is made under /sys).
            ok(subhost, "overlay-boot /srv/share/inner/inner.conf");
            try {
                assertThat(ok(subhost, "overlay-list")).contains("shtinner");
                assertThat(ok(subhost, "overlay-go shtinner echo inside").strip()).isEqualTo("inside");
            } finally {
                ok(subhost, "overlay-stop /srv/share/inner/inner.conf");
            }
            assertThat(ok(subhost, "overlay-list")).doesNotContain("shtinner");
            assertThat(ok(subhost, "ls /run/netns 2>/dev/null; true")).doesNotContain("shtinner");

            List<String> packaged = ok(subhost, "dpkg -L subhost").lines().filter(p -> !p.isBlank()).toList();
            assertThat(packaged).contains("/usr/sbin/overlay-boot", "/usr/lib/subhost/runtime/bin/java",
                    "/usr/lib/subhost/subhost.aot", "/etc/init.d/subhosts");
            ok(subhost, "dpkg --purge subhost");
            String left = ok(subhost, "for p in " + String.join(" ", packaged.stream()
                    .filter(p -> p.contains("subhost") || p.contains("overlay-"))
                    .map(p -> "'" + p + "'").toList()) + "; do [ -e \"$p\" ] && echo \"$p\"; done; true");
            assertThat(left).as("the package's paths after the purge").isBlank();
            Set<String> after = files(dir.resolve("root"));
            after.removeAll(before);
            after.removeIf(p -> NOT_THE_PACKAGES.stream().anyMatch(p::startsWith));
            // A directory of the Debian tree that dpkg wrote into is copied up and stays.
            after.removeIf(p -> p.endsWith("/") && Files.isDirectory(tree.resolve(p)));
            assertThat(after).as("files in the subhost's writable layer that the package left").isEmpty();
        } finally {
            subhost.stop(Duration.ofSeconds(10));
        }
        // Nothing of the subhost is left on the host, by the kernel's own lists.
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(dir.toString());
        assertThat(run(dir, List.of("ip", "netns", "list"))).doesNotContain(name);
        assertThat(subhosts.find(name)).isEmpty();
    }

    /** Runs {@code script} with sh inside the subhost; the result whatever its status. */
    private static ExecResult exec(Subhost subhost, String script) throws Exception {
        return subhost.exec(List.of("/bin/sh", "-c", script), LIMIT);
    }

    /** Runs {@code script} inside the subhost, which must succeed; its standard output. */
    private static String ok(Subhost subhost, String script) throws Exception {
        ExecResult r = exec(subhost, script);
        assertThat(r.status()).as("%s in the subhost: %s %s", script, r.stdout(), r.stderr()).isZero();
        return r.stdout();
    }

    /** The files and directories under {@code root}, relative, directories with a slash. */
    private static Set<String> files(Path root) throws IOException {
        Set<String> out = new TreeSet<>();
        try (Stream<Path> all = Files.walk(root)) {
            all.filter(p -> !p.equals(root)).forEach(p -> out.add(root.relativize(p)
                    + (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? "/" : "")));
        }
        return out;
    }

    /** Runs a program on the host (at most 20 minutes), which must succeed; its standard output. */
    private static String run(Path dir, List<String> argv) throws Exception {
        Path err = Files.createTempFile(dir, "stderr", ".log");
        Process p = new ProcessBuilder(argv).directory(dir.toFile())
                .redirectError(ProcessBuilder.Redirect.to(err.toFile())).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(argv + " did not finish within 20 minutes");
        }
        String stderr = Files.readString(err);
        assertThat(p.exitValue()).as("%s: %s%s", argv, out, tail(stderr)).isZero();
        return out;
    }

    private static String tail(String text) {
        List<String> lines = new ArrayList<>(text.lines().toList());
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    private static String lastLine(String out) {
        List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
        assertThat(lines).as("the program's output").isNotEmpty();
        return lines.getLast().strip();
    }
}
