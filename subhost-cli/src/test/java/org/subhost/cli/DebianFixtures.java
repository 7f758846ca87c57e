package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.subhost.ExecResult;
import org.subhost.Subhost;

/**
 * What the tests of the Debian package need from the host, each made or fetched by the
 * checkout's own scripts and cached between runs: a minimal Debian 12 tree without Java
 * ({@code .ci/debian-tree}), our package ({@code bin/package-deb}, built once for the
 * JVM's tests, into {@code subhost-cli/target/test-deb}) and Debian's own overlay-boot
 * package ({@code .ci/overlay-boot-deb}); running scripts inside a subhost whose LOWER
 * is that tree; and host programs for the kernel tests that boot such a subhost through the
 * CLI ({@link #cachedTree}, {@link #shell}). Runs as root.
 */
final class DebianFixtures {
    /** The checkout: the tests of subhost-cli run in its directory. */
    static final Path CHECKOUT = Path.of(System.getProperty("user.dir")).getParent();

    private static final Duration LIMIT = Duration.ofMinutes(3);
    private static Path subhostDeb;

    private DebianFixtures() {
    }

    /** The Debian tree, made when missing. */
    static Path debianTree(Path dir) throws Exception {
        Path tree = Path.of(lastLine(run(dir, List.of(CHECKOUT.resolve(".ci/debian-tree").toString()))));
        assertThat(tree.resolve("usr/bin/java")).as("the Debian tree has no Java").doesNotExist();
        return tree;
    }

    /**
     * The cached Debian tree, made once by {@code .ci/debian-tree} (its last line is the path),
     * which must hold the executable {@code program} (a path relative to the tree).
     */
    static Path cachedTree(String program) throws Exception {
        Path script = Path.of("../.ci/debian-tree").toAbsolutePath().normalize();
        List<String> lines = shell(script.toString()).lines().toList();
        Path tree = Path.of(lines.getLast().trim());
        assertThat(tree.resolve(program)).as(".ci/debian-tree made %s", tree).isExecutable();
        return tree;
    }

    /**
     * Runs a host program for a test (10 minutes at most: the tree may be made first); its
     * standard output and error together, whatever its status.
     */
    static String shell(String... command) throws IOException, InterruptedException {
        Path output = Files.createTempFile("subhost-shell-run-", ".out");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(output.toFile()).start();
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly().waitFor();
                throw new IOException(String.join(" ", command) + " did not finish: " + Files.readString(output));
            }
            return Files.readString(output, StandardCharsets.UTF_8);
        } finally {
            Files.deleteIfExists(output);
        }
    }

    /** Our package, built on the first call. */
    static synchronized Path subhostDeb(Path dir) throws Exception {
        if (subhostDeb == null) {
            Path output = Files.createDirectories(CHECKOUT.resolve("subhost-cli/target/test-deb"));
            Path deb = Path.of(lastLine(run(dir, List.of(CHECKOUT.resolve("bin/package-deb").toString(),
                    "--output", output.toString()))));
            assertThat(deb.getFileName().toString()).matches("subhost_[0-9][^_]*_[a-z0-9]+\\.deb");
            subhostDeb = deb;
        }
        return subhostDeb;
    }

    /** Debian's overlay-boot package, downloaded when missing. */
    static Path overlayBootDeb(Path dir) throws Exception {
        Path deb = Path.of(lastLine(run(dir, List.of(CHECKOUT.resolve(".ci/overlay-boot-deb").toString()))));
        assertThat(deb.getFileName().toString()).matches("overlay-boot_[0-9][^_]*_[a-z0-9]+\\.deb");
        return deb;
    }

    /** Runs a program on the host (at most 20 minutes), which must succeed; its standard output. */
    static String run(Path dir, List<String> argv) throws Exception {
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

    /** Runs {@code script} with sh inside the subhost (at most 3 minutes); the result whatever its status. */
    static ExecResult exec(Subhost subhost, String script) throws Exception {
        return subhost.exec(List.of("/bin/sh", "-c", script), LIMIT);
    }

    /** Runs {@code script} inside the subhost, which must succeed; its standard output. */
    static String ok(Subhost subhost, String script) throws Exception {
        ExecResult r = exec(subhost, script);
        assertThat(r.status()).as("%s in the subhost: %s %s", script, r.stdout(), r.stderr()).isZero();
        return r.stdout();
    }

    /** The files and directories under {@code root}, relative, directories with a slash. */
    static Set<String> files(Path root) throws IOException {
        Set<String> out = new TreeSet<>();
        try (Stream<Path> all = Files.walk(root)) {
            all.filter(p -> !p.equals(root)).forEach(p -> out.add(root.relativize(p)
                    + (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) ? "/" : "")));
        }
        return out;
    }
}
