package org.subhost.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.testing.Uid;

/**
 * The library as an embedder gets it: {@code mvn install} of the library modules puts each
 * one's jar, sources jar and javadoc jar with a POM that names the licence into a Maven
 * repository, and a separate small Maven project ({@code subhost-examples/src/it/embedder})
 * that depends on {@code org.subhost:subhost-core} builds against it and boots, execs in,
 * lists and stops two subhosts from virtual threads, once on the class path and once on the
 * module path.
 *
 * <p>The install goes into a local repository of the test's own, so that no other build
 * on this machine sees the test's artifacts: a directory whose entries are links to those of
 * the user's repository (the plugins and libraries that the SDK's own build fetched, so
 * nothing is fetched again), except {@code org/subhost}, which is the test's. The library is
 * built from a copy of its sources, not in this checkout, whose build is running.
 */
class EmbedderProjectIT {
    private static final Path CHECKOUT = Path.of(System.getProperty("user.dir")).getParent();
    private static final String VERSION = System.getProperty("subhost.version", "0.1.0-SNAPSHOT");
    private static final List<String> LIBRARY = List.of("subhost-config", "subhost-linux-ffm", "subhost-core");

    @TempDir
    static Path tmp;
    private static Path repo;
    private static Path lib;

    @BeforeAll
    static void installTheLibraryAndBuildTheEmbedder() throws Exception {
        Path dir = tmp.toRealPath();
        repo = linkedRepository(dir.resolve("repo"));
        Path sdk = Files.createDirectories(dir.resolve("sdk"));
        String parentPom = Files.readString(CHECKOUT.resolve("pom.xml"));
        Files.writeString(sdk.resolve("pom.xml"), parentPom);
        // Every module's POM (the reactor reads them all), the sources of all but the CLI's.
        java.util.regex.Matcher modules = java.util.regex.Pattern.compile("<module>([^<]+)</module>").matcher(parentPom);
        while (modules.find()) {
            String module = modules.group(1);
            Files.createDirectories(sdk.resolve(module));
            Files.copy(CHECKOUT.resolve(module + "/pom.xml"), sdk.resolve(module + "/pom.xml"));
            if (!module.equals("subhost-examples") && Files.isDirectory(CHECKOUT.resolve(module + "/src/main"))) {
                copyTree(CHECKOUT.resolve(module + "/src/main"), sdk.resolve(module + "/src/main"));
            }
        }
        mvn(sdk, "install", "-pl", "subhost-core", "-am", "-Dmaven.test.skip=true", "-Djacoco.skip=true");
        Path embedder = dir.resolve("embedder");
        copyTree(CHECKOUT.resolve("subhost-examples/src/it/embedder"), embedder);
        mvn(embedder, "package", "-Dsubhost.version=" + VERSION);
        lib = embedder.resolve("target/lib");
    }

    @Test
    void installPutsTheJarItsSourcesAndItsJavadocWithALicensedPom() throws IOException {
        for (String module : LIBRARY) {
            Path dir = repo.resolve("org/subhost/" + module + "/" + VERSION);
            String base = module + "-" + VERSION;
            assertThat(dir.resolve(base + ".jar")).isRegularFile();
            assertThat(dir.resolve(base + "-sources.jar")).isRegularFile();
            assertThat(dir.resolve(base + "-javadoc.jar")).isRegularFile();
            assertThat(Files.readString(dir.resolve(base + ".pom"))).contains("<description>");
            // Reproducible: every entry carries project.build.outputTimestamp, not the build's time.
            try (java.util.zip.ZipFile jar = new java.util.zip.ZipFile(dir.resolve(base + ".jar").toFile())) {
                // (A zip entry's time is local: the date may read a day early west of UTC.)
                List<String> dates = jar.stream().map(e -> e.getLastModifiedTime().toInstant().toString()
                        .substring(0, 10)).distinct().toList();
                assertThat(dates).as("the dates of %s's entries", base).hasSize(1);
                assertThat(dates.getFirst()).isIn("2025-12-31", "2026-01-01");
            }
        }
        String parent = Files.readString(repo.resolve("org/subhost/subhost-parent/" + VERSION + "/subhost-parent-"
                + VERSION + ".pom"));
        assertThat(parent).contains("<name>Apache-2.0</name>").contains("<project.build.outputTimestamp>");
    }

    @Test
    void theEmbedderInheritsOnlyTheLibraryAndSlf4j() throws IOException {
        List<String> jars;
        try (Stream<Path> files = Files.list(lib)) {
            jars = files.map(p -> p.getFileName().toString().replaceAll("-[0-9].*", "")).sorted().toList();
        }
        assertThat(jars).containsExactly("embedder", "slf4j-api", "slf4j-simple", "subhost-config", "subhost-core",
                "subhost-linux-ffm");
    }

    @Test
    void bootsExecsListsAndStopsFromVirtualThreadsOnTheClassPath() throws Exception {
        assumeTrue(Uid.isRoot(), "booting a subhost needs root");
        String out = runEmbedder("shtemc", List.of("--enable-native-access=ALL-UNNAMED", "-cp", lib + "/*",
                "org.example.embedder.Main"));
        assertThat(out).contains("module: null, api module: null");
    }

    @Test
    void bootsExecsListsAndStopsFromVirtualThreadsOnTheModulePath() throws Exception {
        assumeTrue(Uid.isRoot(), "booting a subhost needs root");
        String out = runEmbedder("shtemm", List.of("--enable-native-access=org.subhost.linux", "-p", lib.toString(),
                "-m", "org.example.embedder/org.example.embedder.Main"));
        assertThat(out).contains("module: org.example.embedder, api module: org.subhost.core");
    }

    /** Runs the embedder with {@code javaArgs} on two subhosts named PREFIX1 and PREFIX2. */
    private static String runEmbedder(String prefix, List<String> javaArgs) throws Exception {
        Path dir = Files.createDirectories(tmp.toRealPath().resolve(prefix));
        List<String> argv = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        argv.addAll(javaArgs);
        argv.addAll(List.of(dir.toString(), prefix + "1", prefix + "2"));
        String out = run(dir, argv, Map.of());
        assertThat(out).contains("exec in " + prefix + "1: status 0", "exec in " + prefix + "2: status 0")
                .contains("listed: [" + prefix + "1, " + prefix + "2]")
                .contains("after stop, " + prefix + "1 found: false", "after stop, " + prefix + "2 found: false");
        // Nothing of them is left, by the kernel's own lists.
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(dir.toString());
        assertThat(run(dir, List.of("ip", "netns", "list"), Map.of())).doesNotContain(prefix);
        return out;
    }

    /**
     * A local repository under {@code dir} whose entries link to those of the user's, except
     * {@code org/subhost}: what the test installs stays in it.
     */
    private static Path linkedRepository(Path dir) throws IOException {
        Path user = Path.of(System.getProperty("user.home"), ".m2", "repository");
        Files.createDirectories(dir.resolve("org/subhost"));
        if (!Files.isDirectory(user)) {
            return dir;
        }
        try (Stream<Path> top = Files.list(user)) {
            for (Path entry : top.toList()) {
                if (entry.getFileName().toString().equals("org")) {
                    try (Stream<Path> org = Files.list(entry)) {
                        for (Path group : org.toList()) {
                            if (!group.getFileName().toString().equals("subhost")) {
                                Files.createSymbolicLink(dir.resolve("org").resolve(group.getFileName()), group);
                            }
                        }
                    }
                } else {
                    Files.createSymbolicLink(dir.resolve(entry.getFileName()), entry);
                }
            }
        }
        return dir;
    }

    private static void mvn(Path dir, String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("mvn", "-B", "-q", "-Dmaven.repo.local=" + repo));
        argv.addAll(List.of(args));
        run(dir, argv, Map.of("JAVA_HOME", System.getProperty("java.home")));
    }

    /** Runs a program (at most 15 minutes), which must succeed; its standard output and error. */
    private static String run(Path dir, List<String> argv, Map<String, String> env) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process p = builder.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(15, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(argv + " did not finish within 15 minutes");
        }
        assertThat(p.exitValue()).as("%s: %s", argv, out).isZero();
        return out;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
