package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.testing.HostLeftovers;
import org.subhost.testing.Uid;

/**
 * The start-up cache that the build makes (subhost-cli/pom.xml, {@link
 * StartupTraining}) is there after {@code package}, holds every class of ours, and the
 * launchers in {@code bin/} really start the JVM with it: the classes of a command come
 * from the cache, not from the jars. Runs after package (failsafe), on the packaged jars.
 */
class StartupCacheIT {
    private static final Path CHECKOUT = Path.of(System.getProperty("user.dir")).getParent();
    private static final Path LIB = CHECKOUT.resolve("subhost-cli/target/lib");

    @Test
    void theTrainingRunCachedEveryClassOfOurs() throws IOException {
        assertThat(LIB.resolve("subhost.aot")).as("the AOT cache made at package time").isRegularFile();
        // The JVM that assembles a cache writes to the same log and rotates the training
        // run's part to aot-training.log.0: every log of every cache is read.
        List<Path> logs;
        try (var files = Files.list(CHECKOUT.resolve("subhost-cli/target"))) {
            logs = files.filter(f -> f.getFileName().toString().matches("aot-training.*\\.log(\\.\\d+)?")).toList();
        }
        assertThat(logs).as("the training logs").isNotEmpty();
        List<String> lines = new java.util.ArrayList<>();
        for (Path log : logs) {
            lines.addAll(Files.readAllLines(log));
        }
        assertThat(lines).as("the training runs' warnings (JFR's classes are always left out)").isNotEmpty();
        assertThat(lines).as("classes of ours that a cache left out").noneMatch(line -> line.contains("Skipping org/subhost"));
    }

    /**
     * As root, the build trains a cache for overlay-boot and one for overlay-stop, each on
     * that command alone ({@link CommandCaches}); they are newer than the jars, so the
     * launchers take them. Told not to boot in its training ({@code -Dsubhost.aot.boot=false}),
     * the build leaves none, not even one of an earlier build.
     */
    @Test
    void asRootTheBuildMadeTheCachesOfSingleCommands() throws IOException {
        assumeTrue(Uid.isRoot(), "the build trains these caches on a real boot, as root");
        for (String command : CommandCaches.COMMANDS) {
            Path cache = LIB.resolve(command + ".aot");
            if (!trainingBooted()) {
                assertThat(cache).as("the cache of %s of a build told not to boot", command).doesNotExist();
                continue;
            }
            assertThat(cache).as("the cache of " + command).isRegularFile();
            try (var jars = Files.newDirectoryStream(LIB, "*.jar")) {
                for (Path jar : jars) {
                    assertThat(Files.getLastModifiedTime(cache)).as(cache + " newer than " + jar)
                            .isGreaterThan(Files.getLastModifiedTime(jar));
                }
            }
        }
    }

    @Test
    void theLaunchersLoadOurClassesFromTheCache(@TempDir Path tmp) throws Exception {
        assertClassesFromTheCache(tmp.toRealPath(), List.of(CHECKOUT.resolve("bin/overlay-boot").toString()), CHECKOUT);
    }

    /**
     * The launchers find their checkout without starting a program for it unless they are
     * reached through a symlink: a relative path and a symlink in another directory must
     * both still find the jars and the cache.
     */
    @Test
    void theLaunchersFindTheCacheWhenReachedRelativelyOrThroughASymlink(@TempDir Path tmp) throws Exception {
        Path dir = tmp.toRealPath();
        assertClassesFromTheCache(dir, List.of("bin/overlay-boot"), CHECKOUT);
        assertClassesFromTheCache(dir, List.of("./overlay-boot"), CHECKOUT.resolve("bin"));
        assertClassesFromTheCache(dir, List.of("../bin/overlay-boot"), CHECKOUT.resolve("docs"));
        Path link = Files.createSymbolicLink(dir.resolve("boot-link"), CHECKOUT.resolve("bin/overlay-boot"));
        assertClassesFromTheCache(dir, List.of(link.toString()), dir);
    }

    /**
     * A real boot and stop through the launchers (as root): every class of ours comes from
     * the cache, including the hidden ones that the JVM would otherwise generate on the
     * boot's critical path, for a pattern switch ({@code $$TypeSwitch}) or a lambda the
     * training did not meet; each cost about a millisecond of a cold command. Nor do they
     * generate method handle classes beyond those of the FFM linking.
     */
    @Test
    void aBootAndStopGenerateNoClassOfOursAtRunTime(@TempDir Path tmp) throws Exception {
        assumeTrue(Uid.isRoot(), "a boot needs root (namespaces, mounts and links)");
        Path dir = tmp.toRealPath();
        for (String sub : List.of("root", "work", "live")) {
            Files.createDirectories(dir.resolve(sub));
        }
        String name = "sci" + Long.toString(System.nanoTime() & 0xffffffL, 36);
        Path conf = Files.write(dir.resolve(name + ".conf"),
                List.of("NAME=" + name, "BASE=.", "CABLES==", "START=none", "LOG=" + dir.resolve("log")));
        try {
            run(dir, "overlay-boot", conf.toString());
        } finally {
            run(dir, "overlay-stop", conf.toString());
            assertThat(HostLeftovers.of(name).under(dir).find()).as("what %s left behind", name).isEmpty();
        }
        for (String command : List.of("overlay-boot", "overlay-stop")) {
            List<String> ours = Files.readAllLines(dir.resolve(command + "-classes.log")).stream()
                    .filter(line -> line.contains(" org.subhost.")).toList();
            assertThat(ours).as("classes of ours loaded by %s", command).hasSizeGreaterThan(50);
            assertThat(ours).as("classes of ours not from the cache (%s)", command)
                    .allMatch(line -> line.endsWith("source: shared objects file"));
            // The command's own cache, which the build made as root; the general one when the
            // build was told not to boot in its training.
            Path cache = LIB.resolve(trainingBooted() ? command + ".aot" : "subhost.aot");
            assertThat(Files.readString(dir.resolve(command + "-aot.log"))).contains("Opened AOT cache " + cache.toRealPath());
            assertThat(spunOutsideTheLinking(Files.readAllLines(dir.resolve(command + "-cause.log"))))
                    .as("method handle classes that %s generated at run time, by the frame of ours that asked", command)
                    .isEmpty();
        }
    }

    /**
     * The frames of ours that made the JVM generate a method handle class ({@code
     * LambdaForm$DMH}) at run time, other than the FFM linking's ({@code
     * org.subhost.linux.internal}, which the cache cannot hold in JDK 25): a lambda or method
     * reference whose call site the training did not link, each some milliseconds of a cold
     * command. From the JVM's log of the Java stack of each such class's loading; a class from
     * the cache has no {@code defineClass0} in its stack.
     */
    private static List<String> spunOutsideTheLinking(List<String> causeLog) {
        List<String> found = new java.util.ArrayList<>();
        List<String> stack = null;
        for (String line : causeLog) {
            if (line.contains("Java stack when loading ")) {
                stack = new java.util.ArrayList<>();
                continue;
            }
            if (line.contains("Native stack when loading ")) {
                if (stack != null && stack.stream().anyMatch(frame -> frame.contains("ClassLoader.defineClass0"))) {
                    stack.stream().filter(frame -> frame.contains("at org.subhost.")).findFirst()
                            .filter(frame -> !frame.contains("at org.subhost.linux.internal."))
                            .ifPresent(frame -> found.add(frame.strip()));
                }
                stack = null;
                continue;
            }
            if (stack != null) {
                stack.add(line);
            }
        }
        return found;
    }

    /** Whether the build booted in its training: as root, unless told not to (-Dsubhost.aot.boot=false). */
    private static boolean trainingBooted() {
        return Uid.isRoot() && !"false".equals(System.getProperty("subhost.aot.boot"));
    }

    private static void run(Path dir, String command, String... args) throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of(CHECKOUT.resolve("bin/" + command).toString()));
        argv.addAll(List.of(args));
        ProcessBuilder launcher = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true);
        launcher.environment().put("SUBHOST_JAVA_OPTS", "-Xlog:class+load:file=" + dir.resolve(command + "-classes.log")
                + " -Xlog:aot=info:file=" + dir.resolve(command + "-aot.log")
                + " -XX:LogClassLoadingCauseFor=java.lang.invoke.LambdaForm$DMH -Xlog:class+load+cause*=info:file="
                + dir.resolve(command + "-cause.log"));
        Process p = launcher.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", argv) + ": " + output).isZero();
    }

    private static void assertClassesFromTheCache(Path dir, List<String> command, Path cwd) throws Exception {
        for (String sub : List.of("root", "work", "live")) {
            Files.createDirectories(dir.resolve(sub));
        }
        Path conf = Files.write(dir.resolve("cached.conf"), List.of("BASE=.", "CABLES==", "START=none"));
        Path classLog = dir.resolve("classes.log");
        Files.deleteIfExists(classLog);
        List<String> argv = new java.util.ArrayList<>(command);
        argv.addAll(List.of("--dry-run", conf.toString()));
        ProcessBuilder launcher = new ProcessBuilder(argv).directory(cwd.toFile()).redirectErrorStream(true);
        launcher.environment().put("SUBHOST_JAVA_OPTS", "-Xlog:class+load:file=" + classLog);
        launcher.environment().remove("JAVA_HOME"); // the launcher finds its JDK as a user's shell would
        Process p = launcher.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        assertThat(output).startsWith("NAME=cached\n");

        List<String> ours = Files.readAllLines(classLog).stream().filter(line -> line.contains(" org.subhost.")).toList();
        assertThat(ours).as("classes of ours loaded by the dry run").hasSizeGreaterThan(50);
        // Hidden classes that the JVM spins at run time (a pattern switch's $$TypeSwitch) name
        // their host class as source; every class of a jar must come from the cache.
        assertThat(ours).as("classes of ours loaded from the jars instead of the cache")
                .noneMatch(line -> line.contains("source: file:") || line.contains("source: jar:"));
        assertThat(ours).filteredOn(line -> line.endsWith("source: shared objects file")).hasSizeGreaterThan(50);
    }
}
