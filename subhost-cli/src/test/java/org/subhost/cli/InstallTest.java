package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/install} and {@code bin/uninstall} into a temporary DESTDIR (never into the
 * real /): every file in its place with its mode, the installed launchers run from there
 * with the installed jars, the init script and the unit call the installed
 * {@code subhosts}, and uninstall leaves the DESTDIR as it found it. Needs no root.
 */
class InstallTest {
    @TempDir
    Path tmp;

    private TestCheckout checkout;
    private Path destdir;
    private List<String> jars;

    @BeforeEach
    void copyCheckout() throws IOException {
        checkout = TestCheckout.create(Files.createDirectories(tmp.resolve("checkout")));
        destdir = Files.createDirectories(tmp.resolve("dest dir")); // a space, for the scripts' quoting
        try (Stream<Path> lib = Files.list(checkout.path("subhost-cli/target/lib"))) {
            jars = lib.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private TestCheckout.Ran script(String name, String... args) throws IOException, InterruptedException {
        return checkout.command(TestCheckout.serviceEnv(), name, args);
    }

    @Test
    void installsEveryFileWithItsModeUnderDestdirAndUninstallRemovesThemAll() throws Exception {
        TestCheckout.Ran install = script("install", "--destdir", destdir.toString());
        assertThat(install.status()).as(install.describe()).isZero();
        assertThat(install.err()).isEmpty();

        Map<String, String> expected = new TreeMap<>();
        for (String jar : jars) {
            expected.put("usr/local/lib/subhost/" + jar, "rw-r--r--");
        }
        expected.put("usr/local/lib/subhost/launcher.sh", "rw-r--r--");
        expected.put("usr/local/lib/subhost/install-manifest", "rw-r--r--");
        for (String launcher : launchers()) {
            expected.put("usr/local/sbin/" + launcher, "rwxr-xr-x");
        }
        try (Stream<Path> pages = Files.list(TestCheckout.REPO.resolve("docs/man"))) {
            pages.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".8"))
                    .forEach(n -> expected.put("usr/local/share/man/man8/" + n, "rw-r--r--"));
        }
        expected.put("etc/init.d/subhosts", "rwxr-xr-x");
        try (Stream<Path> units = Files.list(TestCheckout.REPO.resolve("init"))) {
            units.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".service"))
                    .forEach(n -> expected.put("usr/local/lib/systemd/system/" + n, "rw-r--r--"));
        }
        assertThat(expected).containsKeys("usr/local/lib/systemd/system/subhosts@.service",
                "usr/local/lib/systemd/system/subhosts.service");
        assertThat(filesWithModes(destdir)).isEqualTo(expected);
        assertThat(expected).containsKeys("usr/local/sbin/overlay-boot", "usr/local/sbin/overlay-stop",
                "usr/local/sbin/overlay-go", "usr/local/sbin/overlay-share", "usr/local/sbin/overlay-list",
                "usr/local/sbin/overlay-service",
                "usr/local/sbin/subhosts", "usr/local/share/man/man8/subhosts.8");
        assertThat(install.out()).isEqualTo("install: installed " + (expected.size() - 1) + " files under " + destdir
                + " (manifest: " + destdir + "/usr/local/lib/subhost/install-manifest)\n");

        assertThat(destdir.resolve("etc/init.d/subhosts"))
                .content().contains("\nSUBHOSTS_PROGRAM=${SUBHOSTS_PROGRAM:-/usr/local/sbin/subhosts}\n");
        assertThat(destdir.resolve("usr/local/lib/systemd/system/subhosts@.service")).content()
                .contains("\nExecStart=/usr/local/sbin/overlay-boot %f\n", "\nExecStop=/usr/local/sbin/overlay-stop %f\n");
        assertThat(destdir.resolve("usr/local/lib/systemd/system/subhosts.service")).content()
                .contains("\nExecStart=/usr/local/sbin/subhosts --units start\n",
                        "\nExecStop=/usr/local/sbin/subhosts --units stop\n");

        TestCheckout.Ran uninstall = script("uninstall", "--destdir", destdir.toString());
        assertThat(uninstall.status()).as(uninstall.describe()).isZero();
        assertThat(uninstall.out()).isEqualTo("uninstall: removed " + (expected.size() - 1) + " files under "
                + destdir + "\n");
        try (Stream<Path> left = Files.list(destdir)) {
            assertThat(left).as("what uninstall left in DESTDIR").isEmpty();
        }
    }

    @Test
    void installedLaunchersRunFromTheInstalledJarsWithoutTheCheckout() throws Exception {
        assertThat(script("install", "--destdir", destdir.toString()).status()).isZero();
        // Without the checkout's jars, a launcher that still looked there would build or fail.
        TestCheckout.deleteTree(checkout.path("subhost-cli/target"));

        for (String command : List.of("overlay-boot", "subhosts")) {
            Path launcher = destdir.resolve("usr/local/sbin/" + command);
            TestCheckout.Ran help = TestCheckout.run(TestCheckout.serviceEnv(), List.of(launcher.toString(), "--help"));
            assertThat(help.status()).as(help.describe()).isZero();
            assertThat(help.out()).startsWith("Usage: " + command + " ");
            assertThat(help.err()).isEmpty();
        }
        // Through a link from elsewhere too, as a package's /usr/bin link would call it.
        Path link = Files.createSymbolicLink(tmp.resolve("overlay-list"),
                destdir.resolve("usr/local/sbin/overlay-list"));
        TestCheckout.Ran list = TestCheckout.run(TestCheckout.serviceEnv(), List.of(link.toString(), "--help"));
        assertThat(list.status()).as(list.describe()).isZero();
        assertThat(list.out()).startsWith("Usage: overlay-list");
    }

    /**
     * Without DESTDIR the install makes the start-up cache for the installed jars, and the
     * installed commands load our classes from it. The prefix, the init script's and the
     * unit's directories are all temporary ones here, so nothing of the host is touched.
     */
    @Test
    void anInstallToItsFinalPathsMakesTheStartUpCacheThatTheCommandsUse() throws Exception {
        Path prefix = tmp.resolve("prefix");
        Path initdir = Files.createDirectories(tmp.resolve("init.d"));
        Path unitdir = Files.createDirectories(tmp.resolve("units"));
        TestCheckout.Ran install = script("install", "--prefix", prefix.toString(), "--initdir", initdir.toString(),
                "--unitdir", unitdir.toString());
        assertThat(install.status()).as(install.describe()).isZero();
        assertThat(install.err()).as("no warning: the JDK of the build makes caches").isEmpty();
        Path cache = prefix.resolve("lib/subhost/subhost.aot");
        assertThat(cache).isRegularFile();
        assertThat(Files.readString(prefix.resolve("lib/subhost/install-manifest"))).contains("f " + cache + "\n");
        assertThat(initdir.resolve("subhosts")).isExecutable();
        assertThat(unitdir.resolve("subhosts@.service")).isRegularFile();
        TestCheckout.deleteTree(checkout.path("subhost-cli/target"));

        Path classLog = tmp.resolve("classes.log");
        Map<String, String> env = new HashMap<>(TestCheckout.serviceEnv());
        env.put("SUBHOST_JAVA_OPTS", "-Xlog:class+load:file=" + classLog);
        TestCheckout.Ran help = TestCheckout.run(env, List.of(prefix.resolve("sbin/overlay-boot").toString(), "--help"));
        assertThat(help.status()).as(help.describe()).isZero();
        List<String> ours = Files.readAllLines(classLog).stream().filter(l -> l.contains(" org.subhost.")).toList();
        assertThat(ours).as("classes of ours loaded by --help").isNotEmpty();
        assertThat(ours).as("classes of ours loaded from the jars instead of the cache")
                .allMatch(l -> l.endsWith("source: shared objects file") || !l.contains("source: file:")
                        && !l.contains("source: jar:"));

        assertThat(script("uninstall", "--prefix", prefix.toString()).status()).isZero();
        assertThat(prefix).doesNotExist();
        try (Stream<Path> left = Stream.concat(Files.list(initdir), Files.list(unitdir))) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void aPrefixOutsideSystemdsUnitPathPutsTheUnitInEtc() throws Exception {
        TestCheckout.Ran install = script("install", "--prefix", "/opt/subhost", "--destdir", destdir.toString());
        assertThat(install.status()).as(install.describe()).isZero();
        assertThat(destdir.resolve("opt/subhost/sbin/subhosts")).isExecutable();
        assertThat(destdir.resolve("opt/subhost/lib/subhost/launcher.sh")).isRegularFile();
        assertThat(destdir.resolve("etc/systemd/system/subhosts@.service")).content()
                .contains("\nExecStart=/opt/subhost/sbin/overlay-boot %f\n", "\nExecStop=/opt/subhost/sbin/overlay-stop %f\n");
        assertThat(destdir.resolve("etc/systemd/system/subhosts.service")).content()
                .contains("\nExecStart=/opt/subhost/sbin/subhosts --units start\n");
        assertThat(destdir.resolve("etc/init.d/subhosts"))
                .content().contains("\nSUBHOSTS_PROGRAM=${SUBHOSTS_PROGRAM:-/opt/subhost/sbin/subhosts}\n");

        assertThat(script("uninstall", "--destdir", destdir.toString()).status())
                .as("uninstall with another PREFIX than the install's").isEqualTo(1);
        assertThat(script("uninstall", "--prefix", "/opt/subhost", "--destdir", destdir.toString()).status()).isZero();
        try (Stream<Path> left = Files.list(destdir)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void uninstallLeavesWhatIsNotOursAndWhatWasThereBefore() throws Exception {
        Files.createDirectories(destdir.resolve("usr/local/sbin"));
        Path theirs = Files.writeString(destdir.resolve("usr/local/sbin/someone-elses"), "#!/bin/sh\n");
        assertThat(script("install", "--destdir", destdir.toString()).status()).isZero();
        Path list = Files.writeString(destdir.resolve("etc/subhosts.conf"), "/ex1/ex1.conf\n");
        Path note = Files.writeString(destdir.resolve("usr/local/lib/subhost/my-note"), "mine\n");

        TestCheckout.Ran uninstall = script("uninstall", "--destdir", destdir.toString());
        assertThat(uninstall.status()).as(uninstall.describe()).isZero();
        assertThat(uninstall.out()).endsWith("uninstall: kept directories that hold files of others: "
                + destdir + "/usr/local/lib/subhost " + destdir + "/etc\n");
        assertThat(filesWithModes(destdir).keySet()).containsExactlyInAnyOrder(
                "etc/subhosts.conf", "usr/local/lib/subhost/my-note", "usr/local/sbin/someone-elses");
        assertThat(list).hasContent("/ex1/ex1.conf");
        assertThat(note).hasContent("mine");
        assertThat(theirs).exists();
    }

    @Test
    void installingAgainReplacesTheFilesAndDropsThoseNoLongerInstalled() throws Exception {
        assertThat(script("install", "--destdir", destdir.toString()).status()).isZero();
        Map<String, String> first = filesWithModes(destdir);
        // As after an upgrade: a jar of another version in place of this one.
        Path lib = checkout.path("subhost-cli/target/lib");
        // A class directory made into a jar, or Maven's own jar when the tests run after package.
        String core = jars.stream().filter(n -> n.startsWith("subhost-core-")).findFirst().orElseThrow();
        Files.move(lib.resolve(core), lib.resolve("subhost-core-next.jar"));

        assertThat(script("install", "--destdir", destdir.toString()).status()).isZero();
        Map<String, String> second = new HashMap<>(first);
        second.remove("usr/local/lib/subhost/" + core);
        second.put("usr/local/lib/subhost/subhost-core-next.jar", "rw-r--r--");
        assertThat(filesWithModes(destdir)).isEqualTo(second);

        assertThat(script("uninstall", "--destdir", destdir.toString()).status()).isZero();
        try (Stream<Path> left = Files.list(destdir)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void uninstallWhereNothingIsInstalledSaysSo() throws Exception {
        TestCheckout.Ran uninstall = script("uninstall", "--destdir", destdir.toString());
        assertThat(uninstall.status()).isEqualTo(1);
        assertThat(uninstall.err()).isEqualTo("uninstall: nothing installed with --prefix /usr/local --destdir "
                + destdir + " (no " + destdir + "/usr/local/lib/subhost/install-manifest)\n");
    }

    @Test
    void badArgumentsAreRefused() throws Exception {
        for (String script : List.of("install", "uninstall")) {
            String options = script.equals("install") ? "[--prefix DIR] [--destdir DIR] [--initdir DIR] [--unitdir DIR]"
                    : "[--prefix DIR] [--destdir DIR]";
            TestCheckout.Ran ran = script(script, "--prefix", "usr/local", "--destdir", destdir.toString());
            assertThat(ran.status()).as(script).isEqualTo(2);
            assertThat(ran.err()).isEqualTo(script + ": --prefix (usr/local) must be an absolute path\n");
            ran = script(script, "--frobnicate");
            assertThat(ran.status()).as(script).isEqualTo(2);
            assertThat(ran.err()).isEqualTo(script + ": unknown argument (--frobnicate)\nUsage: " + script + " " + options
                    + "\n");
            ran = script(script, "--help");
            assertThat(ran.status()).as(script).isZero();
            assertThat(ran.out()).startsWith(script + " " + options + ":");
        }
        TestCheckout.Ran ran = script("install", "--initdir", "etc/init.d", "--destdir", destdir.toString());
        assertThat(ran.status()).isEqualTo(2);
        assertThat(ran.err()).isEqualTo("install: --initdir and --unitdir (etc/init.d) must be absolute paths\n");
        try (Stream<Path> left = Files.list(destdir)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void everyInstalledUnitPassesSystemdAnalyzeVerify() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/systemd-analyze")), "systemd-analyze is not installed");
        destdir = Files.createDirectories(tmp.resolve("dest")); // no space: ExecStart's program below is unquoted
        assertThat(script("install", "--destdir", destdir.toString()).status()).isZero();
        Path units = destdir.resolve("usr/local/lib/systemd/system");
        List<String> installed;
        try (Stream<Path> files = Files.list(units)) {
            installed = files.map(p -> p.getFileName().toString()).sorted().toList();
        }
        try (Stream<Path> shipped = Files.list(TestCheckout.REPO.resolve("init"))) {
            assertThat(installed).as("the units of init/, all installed").containsExactlyElementsOf(shipped
                    .map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".service")).sorted().toList());
        }
        assertThat(installed).contains("subhosts@.service", "subhosts.service");
        // A template is verified as an instance: a list file, and one subhost's .conf.
        String instance = SystemdUnit.escapePath("/opt/mta/mta.conf");
        assertThat(instance).isEqualTo("opt-mta-mta.conf");
        // verify looks for ExecStart's program on this host, and for the man page of
        // Documentation=: both are where the DESTDIR has them.
        Path dir = Files.createDirectories(tmp.resolve("units"));
        List<String> command = new ArrayList<>(List.of("systemd-analyze", "verify"));
        for (String name : installed) {
            Path copy = dir.resolve(name.replace("@.", "@" + instance + "."));
            Files.writeString(copy, Files.readString(units.resolve(name))
                    .replace("=/usr/local/sbin/", "=" + destdir + "/usr/local/sbin/"));
            command.add(copy.toString());
        }
        TestCheckout.Ran verify = TestCheckout.run(Map.of("PATH", TestCheckout.SYSTEM_PATH,
                "MANPATH", destdir.resolve("usr/local/share/man").toString()), command);
        assertThat(verify.status()).as(verify.describe()).isZero();
        assertThat(verify.err()).isEmpty();
        assertThat(verify.out()).isEmpty();
    }

    /** The launchers that install must install: those of bin/ but the checkout's own tools. */
    private static List<String> launchers() throws IOException {
        try (Stream<Path> bin = Files.list(TestCheckout.REPO.resolve("bin"))) {
            return bin.filter(Files::isRegularFile).map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith("subhost-") && !List.of("install", "uninstall", "package-deb").contains(n))
                    .sorted().toList();
        }
    }

    /** Every file under {@code root}, relative, with its permissions as {@code rwxr-xr-x}. */
    private static Map<String, String> filesWithModes(Path root) throws IOException {
        Map<String, String> files = new TreeMap<>();
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.filter(Files::isRegularFile).toList()) {
                files.put(root.relativize(p).toString(), PosixFilePermissions.toString(Files.getPosixFilePermissions(p)));
            }
        }
        return files;
    }
}
