package org.subhost.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The start-up caches of single commands, {@code overlay-boot.aot} and {@code
 * overlay-stop.aot} beside the general {@code subhost.aot}: each is trained by a JVM of its
 * own that runs only that command, on a real subhost, with the JVM options of the training
 * run that calls this (and so of the launchers).
 *
 * <p>Why: a JVM loads and links every class of its cache when it starts (JDK 25's
 * ahead-of-time class linking), whether the command uses it or not. The general cache
 * serves every command; one trained on the boot alone made a cold {@code overlay-boot}
 * about 8 ms faster (171 against 179 ms, medians of 11 alternating runs on the 2-core
 * development VM). The launchers take {@code COMMAND.aot} when the build made it, and the
 * general cache otherwise (a build without root, an installed copy).
 */
final class CommandCaches {
    /** The commands that get a cache of their own: those of a subhost's life that users time. */
    static final List<String> COMMANDS = List.of(OverlayBootCommand.NAME, OverlayStopCommand.NAME);

    private static final long CHILD_LIMIT_SECONDS = 120;

    private CommandCaches() {}

    /**
     * Trains the caches of {@link #COMMANDS} on the subhost that {@code conf} describes,
     * which is not running: one JVM boots it, another stops it. The subhost is stopped in
     * any case. A cache whose training failed is deleted, so that the launchers use the
     * general one.
     *
     * @param conf the configuration to boot and stop, as {@code overlay-boot} takes it
     * @param training the current training run's JVM options and general cache ({@link
     *     #trainingOptions}); the caches of single commands go beside that one
     * @return what went wrong, for a warning; empty when both caches were made
     */
    static List<String> train(Path conf, TrainingOptions training) {
        List<String> problems = new ArrayList<>();
        List<String> jvmOptions = training.options();
        Path dir = training.directory();
        boolean booted = false;
        try {
            int boot = runCommand(OverlayBootCommand.NAME, List.of(conf.toString()), jvmOptions, dir, problems);
            // A boot cut off by the time limit may have got far: it is stopped below.
            booted = boot != FAILED;
            if (boot == 0) {
                int stop = runCommand(OverlayStopCommand.NAME, List.of("--grace", "5", conf.toString()), jvmOptions,
                        dir, problems);
                booted = stop != 0;
            }
        } finally {
            if (booted) {
                // The stop's own JVM did not stop it: stop here, so that the build leaves
                // nothing running.
                PrintStream quiet = StartupTraining.quiet();
                Cli.run(List.of(OverlayStopCommand.NAME, "--grace", "5", conf.toString()), quiet, quiet);
            }
        }
        return problems;
    }

    /** What {@link #runCommand} returns for a command that failed to start or to end well. */
    private static final int FAILED = -1;
    /** What {@link #runCommand} returns for a command cut off at the time limit. */
    private static final int CUT_OFF = -2;

    /**
     * Runs {@code command} in a JVM of its own that writes {@code dir/COMMAND.aot}, and
     * deletes that cache unless the command succeeded.
     *
     * @return the command's exit status: 0 for success, {@link #FAILED} or {@link #CUT_OFF}
     */
    private static int runCommand(String command, List<String> args, List<String> jvmOptions, Path dir,
            List<String> problems) {
        Path cache = dir.resolve(command + ".aot");
        List<String> argv = new ArrayList<>();
        argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        argv.addAll(jvmOptions);
        argv.add("-XX:AOTCacheOutput=" + cache);
        argv.add("-Xlog:aot=warning,cds=warning:file=" + dir.getParent().resolve("aot-training-" + command + ".log"));
        argv.addAll(List.of("-m", "org.subhost.cli/" + StartupTraining.class.getName(), StartupTraining.COMMAND_OPTION,
                command));
        argv.addAll(args);
        // Its output goes to a file, not a pipe: pid 1 of the subhost it boots would keep a
        // pipe open, and a hanging command would block the reading before the time limit.
        Path outputFile = dir.getParent().resolve("aot-training-" + command + ".out");
        try {
            Files.deleteIfExists(cache);
            Process p = new ProcessBuilder(argv).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.to(outputFile.toFile())).start();
            int status;
            if (!p.waitFor(CHILD_LIMIT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                problems.add(command + " did not end within " + CHILD_LIMIT_SECONDS + " s");
                status = CUT_OFF;
            } else {
                status = p.exitValue() == 0 ? 0 : FAILED;
                if (status != 0 || !Files.isRegularFile(cache)) {
                    problems.add(command + " exited with " + p.exitValue()
                            + (Files.isRegularFile(cache) ? "" : " and made no cache") + "; see " + outputFile);
                }
            }
            if (status != 0) {
                Files.deleteIfExists(cache);
            }
            return status;
        } catch (IOException e) {
            problems.add(command + ": " + e.getMessage());
            return FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            problems.add(command + ": interrupted");
            return CUT_OFF;
        }
    }

    /**
     * The workload of a command's own training run, in that run's JVM: the command's
     * {@code --help}, for overlay-boot a {@code --dry-run} (both go through the same
     * launcher and so the same cache), then the command itself.
     *
     * @param command overlay-boot or overlay-stop
     * @param args the command's arguments
     * @return the command's exit status
     */
    static int runHere(String command, List<String> args) {
        if (!COMMANDS.contains(command)) {
            throw new IllegalArgumentException("no cache of its own for " + command + "; only for " + COMMANDS);
        }
        // What Cli.main does first, so that its classes are in the cache too.
        org.subhost.linux.Bindings.prelinkInBackground();
        // Every class of the library's modules, as in the general cache: a configuration
        // with what this training's has not (a VLAN, hooks, a disk image) would otherwise
        // load classes from the jars, and opening a jar costs a cold command milliseconds.
        // Not those of the CLI module (the other commands): when they were in, with the
        // bench and soak of the time, they pulled in much of the JDK, and the cache grew by
        // 1.2 MB and the boot by 4 ms.
        try {
            StartupTraining.initialiseAllClasses(StartupTraining.LIBRARY_MODULES);
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalStateException("loading the classes of the SDK's modules", e);
        }
        PrintStream quiet = StartupTraining.quiet();
        Cli.run(List.of(command, "--help"), quiet, quiet);
        if (command.equals(OverlayBootCommand.NAME)) {
            List<String> dryRun = new ArrayList<>(List.of(command, "--dry-run"));
            dryRun.add(args.getLast());
            Cli.run(dryRun, quiet, quiet);
        }
        List<String> argv = new ArrayList<>(List.of(command));
        argv.addAll(args);
        return Cli.run(argv, System.out, System.err);
    }

    /**
     * Deletes the caches of single commands beside the general cache of {@code training}.
     *
     * @param training the current training run ({@link #trainingOptions})
     * @throws IOException when a cache cannot be deleted
     */
    static void discardAll(TrainingOptions training) throws IOException {
        for (String command : COMMANDS) {
            Files.deleteIfExists(training.directory().resolve(command + ".aot"));
        }
    }

    /**
     * The JVM options of this training run, from {@code /proc/self/cmdline}, without those
     * that belong to it alone: where its cache and log go, its training properties, and its
     * main module. What is left are the options that the launchers use too, which a cache
     * must be made with.
     *
     * @return the options and the general cache's path, or empty when this JVM makes no cache
     * @throws IOException when {@code /proc/self/cmdline} cannot be read
     */
    static Optional<TrainingOptions> trainingOptions() throws IOException {
        String[] argv = new String(Files.readAllBytes(Path.of("/proc/self/cmdline")), StandardCharsets.UTF_8)
                .split("\0");
        List<String> options = new ArrayList<>();
        Path cache = null;
        for (int i = 1; i < argv.length; i++) {
            String arg = argv[i];
            if (arg.equals("-m") || arg.equals("--module") || arg.startsWith("--module=")) {
                break;
            }
            if (arg.startsWith("-XX:AOTCacheOutput=")) {
                cache = Path.of(arg.substring("-XX:AOTCacheOutput=".length()));
            } else if (!arg.startsWith("-XX:AOTConfiguration=") && !arg.startsWith("-XX:AOTMode=")
                    && !arg.startsWith("-Xlog:") && !arg.startsWith("-Dsubhost.training.")) {
                options.add(arg);
            }
        }
        return cache == null ? Optional.empty() : Optional.of(new TrainingOptions(options, cache));
    }

    /**
     * The JVM options that a command's training run takes over, and the general cache.
     *
     * @param options JVM options, in order
     * @param generalCache where the current run writes the general cache
     */
    record TrainingOptions(List<String> options, Path generalCache) {
        /** {@return the directory of the general cache, where the caches of single commands go} */
        Path directory() {
            return generalCache.toAbsolutePath().getParent();
        }
    }
}
