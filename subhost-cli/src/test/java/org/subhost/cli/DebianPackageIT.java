package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.subhost.cli.DebianFixtures.exec;
import static org.subhost.cli.DebianFixtures.files;
import static org.subhost.cli.DebianFixtures.ok;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.Subhost;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;
import org.subhost.testing.Uid;

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
    /**
     * What is not the package's in the writable layer: dpkg's database and log, and /tmp
     * (the inner subhost's LOG, the JVM's hsperfdata).
     */
    private static final List<String> NOT_THE_PACKAGES = List.of("var/lib/dpkg/", "var/log/", "var/cache/", "tmp/");

    @Test
    void installsWorksAndPurgesCleanlyInADebianWithoutJava(@TempDir Path tmp) throws Exception {
        assumeTrue(Uid.isRoot(), "building the package and booting a subhost need root");
        Path dir = tmp.toRealPath();
        Path tree = DebianFixtures.debianTree(dir);
        Path share = Files.createDirectories(dir.resolve("share"));
        Path deb = Files.copy(DebianFixtures.subhostDeb(dir), share.resolve(DebianFixtures.subhostDeb(dir).getFileName()));

        String name = "shtpkg" + Long.toString(System.nanoTime() & 0xffffL, 36);
        for (String sub : List.of("root", "work", "live")) {
            Files.createDirectories(dir.resolve(sub));
        }
        // A subhost to boot inside, its directories on the share (an overlay cannot be the
        // writable layer of another overlay).
        for (String sub : List.of("root", "work", "live")) {
            Files.createDirectories(share.resolve("inner/" + sub));
        }
        // PIDS_MAX=none: no control group hierarchy is mounted inside the outer subhost, whose
        // own PIDS_MAX holds the inner one too.
        Files.write(share.resolve("inner/inner.conf"), List.of("BASE=.", "NAME=shtinner", "START=none",
                "PIDS_MAX=none"));
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
            // overlay-boot and overlay-stop start with the caches trained on them alone: a
            // package without them, whose training could not boot, started 30 ms slower.
            for (String command : List.of("overlay-boot", "overlay-stop")) {
                assertThat(ok(subhost, "SUBHOST_JAVA_OPTS=-Xlog:aot=info:stdout " + command + " --help"))
                        .containsPattern("Opened AOT cache /usr/(sbin/\\.\\./)?lib/subhost/" + command + "\\.aot");
            }

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
                    "/usr/lib/subhost/subhost.aot", "/usr/lib/subhost/overlay-boot.aot",
                    "/usr/lib/subhost/overlay-stop.aot", "/etc/init.d/subhosts");
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
        assertThat(DebianFixtures.run(dir, List.of("ip", "netns", "list"))).doesNotContain(name);
        assertThat(subhosts.find(name)).isEmpty();
    }
}
