package org.subhost.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.module.ModuleReader;
import java.lang.module.ResolvedModule;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.subhost.linux.Credentials;

/**
 * The training run of the CLI's ahead-of-time cache: the build runs it once with {@code
 * -XX:AOTCacheOutput} (JDK 25), and the launchers in {@code bin/} start the JVM with the
 * cache it leaves, so that a command's classes come parsed, verified and linked, with the
 * profile of this run, instead of from the jars.
 *
 * <p>It needs no root and changes nothing on the host: it prints every command's help,
 * reads and plans a configuration in a temporary directory ({@code overlay-boot
 * --dry-run}), lists the running subhosts, loads and initialises every class of the SDK's
 * modules, and makes every downcall handle ({@link org.subhost.linux.Bindings#linkAll()}),
 * which pulls the JDK's foreign-function classes into the cache too; no system call is made.
 *
 * <p>Every class is initialised, not only loaded: a class that the training run loads but
 * does not link is one the cache cannot link ahead of time either.
 */
public final class StartupTraining {
    /** The library's modules, whose classes every cache holds. */
    static final List<String> LIBRARY_MODULES = List.of("org.subhost.config", "org.subhost.linux", "org.subhost.core");
    private static final List<String> MODULES = Stream.concat(LIBRARY_MODULES.stream(), Stream.of("org.subhost.cli"))
            .toList();

    /**
     * The first argument of a command's own training run: {@code --command COMMAND
     * ARGS...} runs that command alone ({@link CommandCaches}).
     */
    static final String COMMAND_OPTION = "--command";

    private StartupTraining() {}

    /**
     * Runs the training workload; exits 1 when a part of it did not behave as expected.
     *
     * @param args none for the general cache's training; {@code --command COMMAND ARGS...}
     *     for the training of one command's own cache, which exits with its status
     * @throws Exception when the workload itself cannot run, such as no temporary directory
     */
    public static void main(String[] args) throws Exception {
        if (args.length >= 2 && args[0].equals(COMMAND_OPTION)) {
            System.exit(CommandCaches.runHere(args[1], List.of(args).subList(2, args.length)));
        }
        // First, so that no class of ours is first loaded on a thread after its pivot_root:
        // the JVM cannot see the jars' paths from there and leaves such classes out.
        int classes = initialiseAllClasses(MODULES);
        int downcalls = org.subhost.linux.Bindings.linkAll();
        PrintStream quiet = quiet();
        // Read once: where this run's cache goes, and the JVM options a command's own cache needs.
        Optional<CommandCaches.TrainingOptions> training = CommandCaches.trainingOptions();
        List<String> problems = new ArrayList<>();
        for (String command : List.of("overlay-boot", "overlay-stop", "overlay-go", "overlay-share", "overlay-list",
                "overlay-service", "overlay-limit", "subhosts")) {
            expect(problems, command + " --help", Cli.run(List.of(command, "--help"), quiet, quiet), Command.EXIT_OK);
        }
        Path dir = Files.createTempDirectory("subhost-training-").toRealPath();
        try {
            for (String sub : List.of("root", "work", "live", "shared")) {
                Files.createDirectories(dir.resolve(sub));
            }
            // A NAME of its own, so that the boot below meets no subhost of the host's.
            String name = "aot" + Long.toString(System.nanoTime() & 0xffffffL, 36);
            Path conf = Files.write(dir.resolve(name + ".conf"), List.of(
                    "# the shape of a usual subhost: a NAME, a cable, a share, a !command",
                    "NAME=" + name,
                    "BASE=.",
                    "CABLES==06:20:03:4e:a6:f2",
                    "START=none",
                    "LOG=!echo " + dir.resolve("log"),
                    "SHARE=" + dir.resolve("shared") + ":/srv/shared"));
            expect(problems, "overlay-boot --dry-run",
                    Cli.run(List.of("overlay-boot", "--dry-run", conf.toString()), quiet, quiet), Command.EXIT_OK);
            // Caches of single commands from an earlier build go first: this run makes new
            // ones or none, and the launchers would take a stale one that is still newer
            // than jars that did not change.
            if (training.isPresent()) {
                CommandCaches.discardAll(training.get());
            }
            if (Credentials.isRoot() && !"false".equals(System.getProperty("subhost.training.boot"))) {
                // Not fatal: a host that cannot boot this subhost (no veth, say) still gets a
                // cache, only one that knows less of a boot.
                Path companion = companionConf(name);
                List<String> bootProblems = new ArrayList<>();
                expect(bootProblems, "overlay-boot of the companion",
                        Cli.run(List.of("overlay-boot", companion.toString()), quiet, quiet), Command.EXIT_OK);
                try {
                    bootProblems.addAll(bootAndStop(conf, name, quiet));
                    if (!bootProblems.isEmpty()) {
                        System.err.println("subhost training: warning: the training boot did not go as expected ("
                                + String.join("; ", bootProblems) + "); the cache covers less of a boot");
                    } else if (training.isPresent()) {
                        trainCommandCaches(conf, training.get());
                    }
                } finally {
                    Cli.run(List.of("overlay-stop", "--grace", "5", companion.toString()), quiet, quiet);
                    deleteTree(companion.getParent());
                }
            }
        } finally {
            deleteTree(dir);
        }
        // Lists without changing anything; as root it also reads /run/subhost.
        Cli.run(List.of("overlay-list", "--json"), quiet, quiet);
        if (!problems.isEmpty()) {
            System.err.println("subhost training: " + String.join("; ", problems));
            System.exit(1);
        }
        System.out.println("subhost training: done on Java " + Runtime.version() + " (" + classes
                + " classes initialised, " + downcalls + " downcall handles made)");
    }

    /**
     * As root: the commands of a subhost's life on a real one (its cable has no bridge; it
     * lives in the training's temporary directory), so that the cache holds what a real
     * boot and stop link and run. Always stopped; a failure is reported, not fatal.
     */
    private static List<String> bootAndStop(Path conf, String name, PrintStream quiet) {
        List<String> problems = new ArrayList<>();
        try {
            expect(problems, "overlay-boot", Cli.run(List.of("overlay-boot", conf.toString()), quiet, quiet),
                    Command.EXIT_OK);
            Cli.run(List.of("overlay-list", "--json"), quiet, quiet);
            expect(problems, "overlay-go", Cli.run(List.of("overlay-go", name, "/bin/true"), quiet, quiet),
                    Command.EXIT_OK);
        } finally {
            expect(problems, "overlay-stop", Cli.run(List.of("overlay-stop", "--grace", "5", conf.toString()), quiet,
                    quiet), Command.EXIT_OK);
        }
        return problems;
    }

    /**
     * A second subhost that runs while the training boots and stops its own, and while the
     * caches of single commands are trained: a boot on a host where another subhost runs
     * hides that one's trees and carries its own into it (Hiding), code that a boot on an
     * empty host never reaches. Without it, a cold overlay-boot on such a host, the usual
     * case, generated the lambdas' classes of that code at run time, some milliseconds.
     * No cable: its network is of no interest here. In a temporary directory of its own,
     * beside (not inside) the training subhost's BASE.
     */
    private static Path companionConf(String name) throws IOException {
        Path base = Files.createTempDirectory("subhost-training-").toRealPath();
        for (String sub : List.of("root", "work", "live")) {
            Files.createDirectories(base.resolve(sub));
        }
        return Files.write(base.resolve(name + "c.conf"), List.of(
                "NAME=" + name + "c",
                "BASE=.",
                "START=none",
                "LOG=" + base.resolve("log")));
    }

    /**
     * The caches of single commands ({@link CommandCaches}), when this run makes a cache;
     * not fatal either: without them the launchers use the general cache.
     */
    private static void trainCommandCaches(Path conf, CommandCaches.TrainingOptions training) {
        List<String> problems = CommandCaches.train(conf, training);
        if (!problems.isEmpty()) {
            System.err.println("subhost training: warning: no cache of its own for " + String.join(" or ",
                    CommandCaches.COMMANDS) + " (" + String.join("; ", problems) + "); they use the general cache");
        }
    }

    /** A stream that drops what the commands of a training print. */
    static PrintStream quiet() {
        return new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8);
    }

    private static void expect(List<String> problems, String what, int status, int expected) {
        if (status != expected) {
            problems.add(what + " exited with " + status + " instead of " + expected);
        }
    }

    /**
     * Loads and initialises every class of {@code modules}; returns how many.
     *
     * @param modules names of the SDK's modules, such as {@code org.subhost.core}
     */
    static int initialiseAllClasses(List<String> modules) throws IOException, ClassNotFoundException {
        int count = 0;
        for (String name : modules) {
            ResolvedModule module = ModuleLayer.boot().configuration().findModule(name)
                    .orElseThrow(() -> new IllegalStateException("module " + name + " is not in the boot layer"));
            ClassLoader loader = ModuleLayer.boot().findLoader(name);
            List<String> classNames;
            try (ModuleReader reader = module.reference().open(); Stream<String> entries = reader.list()) {
                classNames = entries.filter(e -> e.endsWith(".class") && !e.equals("module-info.class"))
                        .map(e -> e.substring(0, e.length() - ".class".length()).replace('/', '.'))
                        .sorted()
                        .toList();
            }
            for (String className : classNames) {
                Class.forName(className, true, loader);
                count++;
            }
        }
        return count;
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.delete(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
    }
}
