package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.subhost.cli.DebianFixtures.exec;
import static org.subhost.cli.DebianFixtures.files;
import static org.subhost.cli.DebianFixtures.ok;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.ExecResult;
import org.subhost.Subhost;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;
import org.subhost.testing.Uid;

/**
 * A host with Debian's own overlay-boot installed that then installs ours, as
 * docs/guide/install.md ("Replacing Debian's overlay-boot") says it goes: in a subhost
 * whose LOWER is a minimal Debian 12 ({@code .ci/debian-tree}), never on this host, Debian's
 * package ({@code .ci/overlay-boot-deb}, from Debian unstable) is installed with dpkg, and
 * the administrator adds a line to its list; then either our Debian package replaces it
 * ({@code dpkg -i}), or a checkout's {@code bin/install} goes beside it and
 * {@code bin/uninstall} takes it away again. Which unit file systemd would load is asked of
 * systemd's own lookup ({@code systemd-analyze cat-config} on the subhost's root: the tree
 * has no systemd). Runs after package (failsafe), as root.
 */
class OverlayBootMigrationIT {
    /** root's PATH on Debian. */
    private static final String PATH = "export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; ";
    private static final String ADMINS_LINE = "/srv/mta/mta.conf";
    /** What dpkg --verify says of Debian's package once the administrator added that line to its list. */
    private static final String ADMINS_CHANGE = "??5?????? c /etc/subhosts.conf\n";
    private static final List<String> COMMANDS = List.of("overlay-boot", "overlay-diskfile", "overlay-go", "overlay-list",
            "overlay-share", "overlay-stop", "subhosts");

    @Test
    void ourPackageReplacesDebiansAndKeepsTheAdministratorsList(@TempDir Path tmp) throws Exception {
        assumeTrue(Uid.isRoot(), "building the package and booting a subhost need root");
        Path dir = tmp.toRealPath();
        Path share = Files.createDirectories(dir.resolve("share"));
        Files.copy(DebianFixtures.overlayBootDeb(dir), share.resolve("overlay-boot.deb"));
        Files.copy(DebianFixtures.subhostDeb(dir), share.resolve("subhost.deb"));
        try (Booted b = Booted.boot(dir, "shtmigd", List.of())) {
            String list = debiansInstalled(b.subhost);

            String replaced = ok(b.subhost, "dpkg -i /srv/share/subhost.deb 2>&1");
            assertThat(replaced).contains("dpkg: yes, will remove overlay-boot in favour of subhost")
                    .containsPattern("Removing overlay-boot \\([^)]+\\), to allow configuration of subhost");
            // Debian's is removed, its conffile /etc/subhosts.conf kept (config-files).
            assertThat(ok(b.subhost, "dpkg-query -W -f '${Package}: ${Status}\\n' subhost overlay-boot"))
                    .isEqualTo("overlay-boot: install ok config-files\nsubhost: install ok installed\n");
            assertThat(ok(b.subhost, "cat /etc/subhosts.conf")).as("the administrator's list").isEqualTo(list);
            assertThat(ok(b.subhost, "test -e /var/lib/overlay-boot || echo gone")).isEqualTo("gone\n");
            // The commands, the init script and both units are ours, as packaged (dpkg --verify:
            // every file's digest, the conffile's included), the script executable again after
            // overlay-boot's postrm took its execute bits.
            List<String> ours = new ArrayList<>(COMMANDS.stream().map(c -> "/usr/sbin/" + c).toList());
            ours.addAll(List.of("/etc/init.d/subhosts", "/usr/lib/systemd/system/subhosts@.service",
                    "/usr/lib/systemd/system/subhosts.service"));
            assertThat(ok(b.subhost, "for f in " + String.join(" ", ours) + "; do [ -L $f ] && echo \"$f is a symlink\";"
                    + " dpkg -S $f; done")).isEqualTo(String.join("", ours.stream().map(f -> "subhost: " + f + "\n").toList()));
            assertThat(ok(b.subhost, "dpkg --verify subhost; stat -c %a /etc/init.d/subhosts")).isEqualTo("755\n");
            assertThat(b.unitFile("subhosts@.service")).isEqualTo("/usr/lib/systemd/system/subhosts@.service");
            assertThat(ok(b.subhost, PATH + "overlay-boot --help")).startsWith("Usage: overlay-boot [--dry-run]");
            // The start at boot that Debian's postinst set up (rc links) stays, now of our
            // script, and carries over to our subhosts.service for systemd.
            assertThat(ok(b.subhost, "ls /etc/rc2.d | grep subhosts; readlink /etc/rc2.d/S01subhosts;"
                    + " readlink /etc/systemd/system/multi-user.target.wants/subhosts.service"))
                    .isEqualTo("S01subhosts\n../init.d/subhosts\n/usr/lib/systemd/system/subhosts.service\n");
        }
    }

    @Test
    void anInstallFromACheckoutGoesBesideDebiansAndItsUninstallRestoresIt(@TempDir Path tmp) throws Exception {
        assumeTrue(Uid.isRoot(), "booting a subhost needs root");
        Path dir = tmp.toRealPath();
        Path share = Files.createDirectories(dir.resolve("share"));
        Files.copy(DebianFixtures.overlayBootDeb(dir), share.resolve("overlay-boot.deb"));
        TestCheckout checkout = TestCheckout.create(Files.createDirectories(share.resolve("checkout")));
        String jdk = Path.of(System.getProperty("java.home")).toRealPath().toString();
        try (Booted b = Booted.boot(dir, "shtmigc", List.of("SHARE=" + jdk + ":/opt/jdk"))) {
            debiansInstalled(b.subhost);
            Set<String> before = files(dir.resolve("root"));
            String env = PATH + "export JAVA_HOME=/opt/jdk; ";

            // Debian's init script is a conffile of its package: not replaced, nothing installed.
            ExecResult refused = exec(b.subhost, env + "/srv/share/checkout/bin/install");
            assertThat(refused.status()).as(refused.stderr()).isEqualTo(1);
            assertThat(refused.stderr()).isEqualTo("""
                    install: /etc/init.d/subhosts belongs to the Debian package overlay-boot; not replaced, nothing installed.
                    install: Install the Debian package of this checkout instead (bin/package-deb), which takes over
                    install: overlay-boot's files and keeps /etc/subhosts.conf; or put our init script elsewhere
                    install: with --initdir DIR and keep /etc/init.d/subhosts.
                    """);
            assertThat(files(dir.resolve("root"))).as("the writable layer after the refused install").isEqualTo(before);

            String installed = ok(b.subhost, env + "/srv/share/checkout/bin/install --initdir /usr/local/etc/init.d");
            assertThat(installed).contains("install: the host starts the init script subhosts at boot"
                    + " (/etc/rc2.d/S01subhosts): enabled subhosts.service, which takes its place under systemd\n");
            // Ours first on root's PATH, our units before Debian's.
            assertThat(ok(b.subhost, PATH + "for c in " + String.join(" ", COMMANDS) + "; do command -v $c; done"))
                    .isEqualTo(String.join("", COMMANDS.stream().map(c -> "/usr/local/sbin/" + c + "\n").toList()));
            assertThat(ok(b.subhost, env + "overlay-boot --help")).startsWith("Usage: overlay-boot [--dry-run]");
            assertThat(b.unitFile("subhosts@.service")).isEqualTo("/usr/local/lib/systemd/system/subhosts@.service");
            assertThat(b.unitFile("subhosts.service")).isEqualTo("/usr/local/lib/systemd/system/subhosts.service");
            assertThat(ok(b.subhost, "readlink /etc/systemd/system/multi-user.target.wants/subhosts.service;"
                    + " test -x /usr/local/etc/init.d/subhosts && echo our-script"))
                    .isEqualTo("/usr/local/lib/systemd/system/subhosts.service\nour-script\n");
            // Debian's files as its package has them, its init script included: only the list,
            // which the administrator changed, differs (dpkg --verify).
            assertThat(ok(b.subhost, "dpkg --verify overlay-boot; dpkg -S /etc/init.d/subhosts"))
                    .isEqualTo(ADMINS_CHANGE + "overlay-boot: /etc/init.d/subhosts\n");

            ok(b.subhost, env + "/srv/share/checkout/bin/uninstall");
            assertThat(ok(b.subhost, PATH + "command -v overlay-boot; dpkg --verify overlay-boot;"
                    + " test -e /etc/systemd/system/multi-user.target.wants/subhosts.service || echo not-enabled"))
                    .isEqualTo("/usr/sbin/overlay-boot\n" + ADMINS_CHANGE + "not-enabled\n");
            assertThat(b.unitFile("subhosts@.service")).isEqualTo("/usr/lib/systemd/system/subhosts@.service");
            Set<String> after = files(dir.resolve("root"));
            // A directory of the Debian tree that the install wrote into is copied up and stays.
            after.removeIf(p -> p.endsWith("/") && !before.contains(p) && Files.isDirectory(b.tree.resolve(p)));
            after.removeIf(p -> p.startsWith("tmp/"));
            before.removeIf(p -> p.startsWith("tmp/"));
            assertThat(after).as("the writable layer after bin/uninstall, against before bin/install").isEqualTo(before);
        }
    }

    /**
     * Debian's overlay-boot installed with dpkg, a subhost added to its list as an
     * administrator would; the list then.
     */
    private static String debiansInstalled(Subhost subhost) throws Exception {
        ok(subhost, "dpkg -i /srv/share/overlay-boot.deb");
        assertThat(ok(subhost, "dpkg-query -W -f '${Conffiles}' overlay-boot")).contains(" /etc/init.d/subhosts ",
                " /etc/subhosts.conf ");
        assertThat(ok(subhost, "readlink /etc/rc2.d/S01subhosts; readlink /usr/sbin/overlay-boot"))
                .isEqualTo("../init.d/subhosts\n/var/lib/overlay-boot/overlay-boot\n");
        ok(subhost, "echo " + ADMINS_LINE + " >> /etc/subhosts.conf");
        String list = ok(subhost, "cat /etc/subhosts.conf");
        assertThat(list).endsWith("\n" + ADMINS_LINE + "\n");
        return list;
    }

    /** A subhost over the Debian tree, /srv/share its share; stopped and checked on close. */
    private record Booted(Path dir, Path tree, String name, Subhost subhost, Subhosts subhosts) implements AutoCloseable {
        static Booted boot(Path dir, String prefix, List<String> extra) throws Exception {
            Path tree = DebianFixtures.debianTree(dir);
            String name = prefix + Long.toString(System.nanoTime() & 0xfffL, 36);
            for (String sub : List.of("root", "work", "live")) {
                Files.createDirectories(dir.resolve(sub));
            }
            List<String> lines = new ArrayList<>(List.of("BASE=.", "NAME=" + name, "LOWER=" + tree, "START=none",
                    "LOG=" + dir.resolve("log"), "SHARE=" + dir.resolve("share") + ":/srv/share"));
            lines.addAll(extra);
            Path conf = Files.write(dir.resolve(name + ".conf"), lines);
            Subhosts subhosts = Subhosts.linux();
            return new Booted(dir, tree, name, subhosts.boot(SubhostConfig.read(conf, "overlay-boot")), subhosts);
        }

        /**
         * The file that systemd loads for {@code unit} in the subhost: the first of its unit
         * directories (/etc, /run, /usr/local/lib, /usr/lib) that has it, by systemd-analyze's
         * own lookup on the subhost's root.
         */
        String unitFile(String unit) throws Exception {
            String root = "/proc/" + subhost.pid() + "/root";
            String out = DebianFixtures.run(dir, List.of("systemd-analyze", "--root=" + root, "cat-config",
                    "systemd/system/" + unit));
            String first = out.lines().findFirst().orElse("");
            assertThat(first).as("systemd-analyze cat-config: %s", out).startsWith("# " + root + "/");
            return first.substring(("# " + root).length());
        }

        @Override
        public void close() throws Exception {
            subhost.stop(Duration.ofSeconds(10));
            assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(dir.toString());
            assertThat(DebianFixtures.run(dir, List.of("ip", "netns", "list"))).doesNotContain(name);
            assertThat(subhosts.find(name)).isEmpty();
        }
    }
}
