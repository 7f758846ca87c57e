package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.lang.module.ResolvedModule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;

/**
 * A copy of this checkout's scripts ({@code bin/}, {@code init/}, {@code docs/man/}) in a
 * temporary directory, with the jars that the launchers run taken from this JVM's class
 * path, where {@code bin/} runs as in a built checkout. So the scripts run with the classes
 * under test, and the tests never start a Maven build of their own, nor touch this
 * checkout's {@code target/lib}.
 *
 * <p>Also runs programs: {@link #run} with an environment of the test's choosing.
 */
final class TestCheckout {
    /** The checkout the tests run in: the directory holding {@code bin/lib/launcher.sh}. */
    static final Path REPO = findRepo();

    /** The module whose jar the launchers look for ({@code subhost-cli-*.jar}). */
    private static final String MAIN_MODULE = "org.subhost.cli";
    /** The logging backend: bound by service lookup, so no module requires it. */
    private static final String LOG_BACKEND = "org.slf4j.simple";

    final Path dir;

    private TestCheckout(Path dir) {
        this.dir = dir;
    }

    /** Copies the scripts into {@code dir} (which must exist) and puts the jars in its target/lib. */
    static TestCheckout create(Path dir) throws IOException {
        for (String sub : List.of("bin", "init", "docs/man")) {
            copyTree(REPO.resolve(sub), dir.resolve(sub));
        }
        Path lib = Files.createDirectories(dir.resolve("subhost-cli/target/lib"));
        for (Path module : runtimeModules()) {
            if (Files.isDirectory(module)) {
                // .../subhost-core/target/classes: a jar named like Maven's, so the launcher finds it.
                jar(module, lib.resolve(module.getParent().getParent().getFileName() + "-test.jar"));
            } else {
                Files.copy(module, lib.resolve(module.getFileName()));
            }
        }
        return new TestCheckout(dir);
    }

    /** A file of the copy, such as {@code bin/install}. */
    Path path(String relative) {
        return dir.resolve(relative);
    }

    /** Runs the copy's {@code bin/PROGRAM} with {@code args} and exactly {@code env} ({@link #run}). */
    Ran command(Map<String, String> env, String program, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(path("bin/" + program).toString()));
        command.addAll(List.of(args));
        return run(env, command);
    }

    /** What a program did: its exit status and what it printed. */
    record Ran(int status, String out, String err) {
        /** For assertion messages. */
        String describe() {
            return "status " + status + ", out: " + out + ", err: " + err;
        }
    }

    /**
     * Runs {@code command} with exactly the environment {@code env} (nothing inherited),
     * its standard input empty, to its end (at most 5 minutes).
     */
    static Ran run(Map<String, String> env, List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("subhost-test-", ".out");
        Path err = Files.createTempFile("subhost-test-", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
            pb.environment().clear();
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly().waitFor();
                throw new AssertionError(command + " did not end within 5 minutes; err: " + Files.readString(err));
            }
            return new Ran(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** The PATH that systemd gives services, which init scripts get too. */
    static final String SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /** An environment like a service's: PATH, and JAVA_HOME set to this JVM's JDK (>= 22). */
    static Map<String, String> serviceEnv() {
        return Map.of("PATH", SYSTEM_PATH, "JAVA_HOME", System.getProperty("java.home"));
    }

    /** Removes {@code dir} and everything in it; for directories no mount can be under. */
    static void deleteTree(Path dir) throws IOException {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * The class path entries (class directories and jars) of the modules that the CLI
     * needs at run time: org.subhost.cli, what it requires, and the logging backend.
     */
    private static List<Path> runtimeModules() {
        List<Path> entries = new ArrayList<>();
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path p = Path.of(entry);
            // Test classes and test libraries are not what a user runs; test-classes dirs hold no module-info.
            if (Files.exists(p) && !p.endsWith("test-classes")) {
                entries.add(p);
            }
        }
        ModuleFinder finder = ModuleFinder.of(entries.toArray(Path[]::new));
        Configuration resolved = ModuleLayer.boot().configuration()
                .resolve(finder, ModuleFinder.of(), Set.of(MAIN_MODULE, LOG_BACKEND));
        List<Path> modules = new ArrayList<>();
        for (ResolvedModule m : resolved.modules()) {
            modules.add(Path.of(m.reference().location().orElseThrow()));
        }
        assertThat(modules).as("modules of the CLI on the class path").hasSizeGreaterThanOrEqualTo(6);
        return modules;
    }

    /** Writes the files under {@code classes} into the jar {@code target}. */
    private static void jar(Path classes, Path target) throws IOException {
        try (OutputStream file = Files.newOutputStream(target);
                JarOutputStream jar = new JarOutputStream(file);
                Stream<Path> all = Files.walk(classes)) {
            for (Path p : all.filter(Files::isRegularFile).sorted().toList()) {
                jar.putNextEntry(new JarEntry(classes.relativize(p).toString()));
                Files.copy(p, jar);
                jar.closeEntry();
            }
        }
    }

    /** Copies a tree, keeping the files' modes (the scripts' executable bits). */
    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : all.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    private static Path findRepo() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("bin/lib/launcher.sh"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no checkout (bin/lib/launcher.sh) above " + Path.of("").toAbsolutePath());
    }
}
