package org.subhost.tools;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.subhost.NotRunningException;
import org.subhost.SubhostException;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;
import org.subhost.testing.HostLeftovers;

/**
 * {@code subhost-soak [--duration SECONDS] [--rounds R] [--seed N] [--parallel K]}: boots
 * and stops subhosts in a loop for a given time, with real faults, SIGKILLs and races, and
 * at the end proves that nothing is left.
 *
 * <p>K workers play rounds until the time is up, and each at least R rounds (default 0)
 * however long they take, so that a run's coverage does not depend on the machine's speed. Each round is one {@link SoakScenario},
 * picked at random from the seed (the first four rounds of each worker take the first
 * scenario of each kind, which always makes its trouble), on fresh names {@code shsXXXNNNN} and a fresh directory: a clean boot, a real
 * fault without any test seam (a missing bridge, {@code PREMOUNT=false}, a hanging {@code
 * !} value, a missing LOWER, a failing START service), a SIGKILL (of pid 1, of an {@code
 * overlay-boot} or {@code overlay-stop} JVM, of a service inside), or a race (K boots of one
 * NAME, a stop during the boot, K names at once). An outcome the scenario does not expect is
 * a failure, printed with the seed, the worker and the round; after each round and at the
 * end, leftovers are looked for by independent means ({@link HostLeftovers}).
 *
 * <p>The last line is {@code soak_rounds=R boots=B faults=F kills=K races=C failures=X
 * leftovers=L seconds=S}: rounds played, subhosts that came up, faults tried, SIGKILLs sent,
 * races run, unexpected outcomes, things left at the end, and the run's length. The exit
 * status is 0 only when X and L are 0. Needs root. With {@code --parallel 1} the same seed
 * plays the same scenarios in the same order (their timing differs).
 */
public final class SubhostSoak {
    private static final String USAGE = """
            Usage: subhost-soak [--duration SECONDS] [--rounds R] [--seed N] [--parallel K]
              Boots and stops minimal subhosts for SECONDS (default 60) from K (default 2)
              workers, each at least R rounds (default 0; the first four of a worker are one
              of each kind) however long they take; each round one scenario picked at
              random from seed N (default: a random one, printed): clean boots, real faults, SIGKILLs of pid 1, of
              overlay-boot, overlay-stop and a service, and races of K boots. Checks after
              every round and at the end that nothing is left (netns, links, mounts, state,
              cgroups, processes). The last line is
              soak_rounds=R boots=B faults=F kills=K races=C failures=X leftovers=L seconds=S
              Exit status 0 only when nothing failed and nothing is left. Needs root.""";
    private static final String LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789";
    /** How long after the end a worker may take to finish its round before it counts as hung. */
    private static final Duration HUNG = Duration.ofSeconds(300);

    private final Subhosts subhosts = Subhosts.linux();
    private final SoakCounts counts = new SoakCounts();
    private final Path temp;
    private final String prefix;
    private final long seed;
    private final int parallel;
    /** Rounds each worker plays even past the deadline. */
    private final int minRounds;
    private final AtomicInteger nextName = new AtomicInteger();
    private final AtomicInteger nextSerial = new AtomicInteger(100_000);
    /** Every configuration a round read, by NAME, for the last sweep and the shutdown hook. */
    private final Map<String, SubhostConfig> tried = new ConcurrentHashMap<>();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicInteger inFlight = new AtomicInteger();

    private SubhostSoak(Path temp, String prefix, long seed, int parallel, int minRounds) {
        this.minRounds = minRounds;
        this.temp = temp;
        this.prefix = prefix;
        this.seed = seed;
        this.parallel = parallel;
    }

    /**
     * Runs the soak with {@code args} (see {@code --help}); exits with what {@link #run} returns.
     *
     * @param args {@code [--duration SECONDS] [--rounds R] [--seed N] [--parallel K]}
     */
    public static void main(String[] args) {
        System.exit(run(List.of(args), System.out));
    }

    /**
     * The soak: parses {@code args}, plays rounds for the given time, looks for leftovers,
     * prints to {@code out} and returns the exit status (0 all went as expected and nothing
     * is left, 1 not root, a failure or a leftover, 2 usage).
     */
    static int run(List<String> args, PrintStream out) {
        long seconds = 60;
        int rounds = 0;
        long seed = new SecureRandom().nextLong();
        int parallel = 2;
        try {
            for (int i = 0; i < args.size(); i++) {
                switch (args.get(i)) {
                    case "--help", "-h" -> {
                        out.println(USAGE);
                        return 0;
                    }
                    case "--duration" -> seconds = ProgramOptions.positive("--duration", args, ++i);
                    case "--rounds" -> rounds = ProgramOptions.positive("--rounds", args, ++i);
                    case "--parallel" -> parallel = ProgramOptions.positive("--parallel", args, ++i);
                    case "--seed" -> seed = ProgramOptions.number("--seed", args, ++i);
                    default -> throw new IllegalArgumentException("argument (" + args.get(i) + ") is unknown");
                }
            }
        } catch (IllegalArgumentException e) {
            return ProgramOptions.usageError("subhost-soak", USAGE, e);
        }
        if (!ProgramOptions.runsAsRoot("subhost-soak")) {
            return 1;
        }
        SubhostSoak soak;
        try {
            soak = new SubhostSoak(Files.createTempDirectory(Path.of("/tmp"), "subhost-soak-").toRealPath(),
                    ProgramOptions.randomPrefix("shs", 3), seed, parallel, rounds);
        } catch (IOException e) {
            System.err.println("subhost-soak: cannot make a temporary directory: " + e);
            return 1;
        }
        long duration = seconds;
        return ProgramOptions.withCleanUpOnExit("subhost-soak", soak::cleanUpOnExit,
                () -> soak.soak(Duration.ofSeconds(duration), out));
    }

    private int soak(Duration duration, PrintStream out) {
        long start = System.nanoTime();
        out.printf("subhost-soak: seed=%d duration=%ds parallel=%d names %sNNNN, directories under %s%n", seed,
                duration.toSeconds(), parallel, prefix, temp);
        long deadline = start + duration.toNanos();
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < parallel; w++) {
            int worker = w;
            Thread t = new Thread(() -> work(worker, deadline, out), "subhost-soak worker " + w);
            // A hung round must not keep the JVM alive after the report.
            t.setDaemon(true);
            t.start();
            workers.add(t);
        }
        for (Thread t : workers) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()) + HUNG.toMillis()));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (t.isAlive()) {
                counts.otherFailure();
                out.printf("FAILURE seed=%d %s: its round did not end within %d s after the soak's end%n", seed,
                        t.getName(), HUNG.toSeconds());
            }
        }
        closing.set(true);

        for (SubhostConfig config : tried.values()) {
            if (subhosts.find(config.name()).isPresent()) {
                counts.otherFailure();
                out.printf("FAILURE seed=%d: %s still runs after its round%n", seed, config.name());
            }
        }
        List<String> left = leftovers();
        left.forEach(l -> out.println("LEFTOVER " + l));
        List<String> problems = cleanUp(!left.isEmpty());
        problems.forEach(p -> out.println("subhost-soak: clean-up: " + p));

        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start);
        counts.printScenarios(out);
        out.printf("soak_rounds=%d boots=%d faults=%d kills=%d races=%d failures=%d leftovers=%d seconds=%d%n",
                counts.rounds(), counts.boots.get(), counts.faults.get(), counts.kills.get(), counts.races.get(),
                counts.failures(), left.size(), seconds);
        return counts.failures() == 0 && left.isEmpty() ? 0 : 1;
    }

    /** One worker: rounds until the deadline, and at least {@code minRounds}, each with its own directory. */
    private void work(int worker, long deadline, PrintStream out) {
        Random random = new Random(seed + 0x9E3779B97F4A7C15L * worker);
        SoakScenario.Kind[] kinds = SoakScenario.Kind.values();
        for (int round = 0; (round < minRounds || System.nanoTime() < deadline) && !closing.get(); round++) {
            // The first rounds take one of each kind, so that even a short run tries all four.
            SoakScenario.Kind kind = round < kinds.length ? kinds[(round + worker) % kinds.length]
                    : kinds[random.nextInt(kinds.length)];
            List<SoakScenario> choices = SoakScenario.of(kind);
            // Those first rounds play the kind's first scenario, which always makes its trouble
            // (a SIGKILL of an overlay-boot that ended before its delay would count no kill).
            SoakScenario scenario = round < kinds.length ? choices.getFirst()
                    : choices.get(random.nextInt(choices.size()));
            SoakRound r = new SoakRound(this, new Random(random.nextLong()), temp.resolve("w" + worker + "-" + round));
            long t0 = System.nanoTime();
            inFlight.incrementAndGet();
            List<String> problems;
            try {
                problems = r.run(scenario);
            } finally {
                inFlight.decrementAndGet();
            }
            counts.round(scenario, !problems.isEmpty());
            synchronized (out) {
                out.printf("round %d.%d %s: %s (%d ms)%n", worker, round, scenario.label(),
                        problems.isEmpty() ? "ok" : "FAILED", TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
                for (String p : problems) {
                    out.printf("FAILURE seed=%d worker=%d round=%d scenario=%s: %s%n", seed, worker, round,
                            scenario.label(), p);
                }
            }
        }
    }

    Subhosts subhosts() {
        return subhosts;
    }

    SoakCounts counts() {
        return counts;
    }

    /** How many boots a race starts at once: K, but at least two. */
    int raceSize() {
        return Math.max(2, parallel);
    }

    /** A fresh NAME: the run's prefix and a four-character number, 10 characters in all. */
    String newName() {
        int n = nextName.getAndIncrement();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            b.append(LETTERS.charAt(n % LETTERS.length()));
            n /= LETTERS.length();
        }
        return prefix + b.reverse();
    }

    /** A number used once in this run, six digits, for markers in command lines. */
    int nextSerial() {
        return nextSerial.getAndIncrement();
    }

    /** Records a configuration a round read: the last sweep stops it if it still runs. */
    void tried(SubhostConfig config) {
        tried.put(config.name(), config);
    }

    /**
     * The command that runs the CLI with {@code args} in a JVM of its own, as {@code bin/}
     * does: from the module path when this program runs from one, else from the class path
     * (a test run).
     */
    List<String> cliCommand(List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        String modulePath = System.getProperty("jdk.module.path");
        if (SubhostSoak.class.getModule().isNamed() && modulePath != null && !modulePath.isEmpty()) {
            command.addAll(List.of("--enable-native-access=org.subhost.linux", "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-p", modulePath, "-m",
                    "org.subhost.cli/org.subhost.cli.Cli"));
        } else {
            command.addAll(List.of("--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), "org.subhost.cli.Cli"));
        }
        command.addAll(args);
        return command;
    }

    /** Everything of this run's names or under its directory that is still on the host. */
    private List<String> leftovers() {
        try {
            return HostLeftovers.matching(n -> n.startsWith(prefix)).under(temp).ignoringThisJvmsNamespaces().find();
        } catch (IOException e) {
            return List.of("cannot look for leftovers: " + e.getMessage());
        }
    }

    /** The shutdown hook (Ctrl-C): no new rounds, let running ones end (at most 30 s), then clear. */
    private void cleanUpOnExit() {
        ProgramOptions.drain(closing, inFlight, Duration.ofSeconds(30));
        cleanUp(true).forEach(p -> System.err.println("subhost-soak: clean-up: " + p));
    }

    /**
     * Deletes the temporary directory when nothing is left; with {@code stopAll}, first
     * stops every configuration the run tried (clearing what a failed round left). Returns
     * what could not be done.
     */
    private synchronized List<String> cleanUp(boolean stopAll) {
        List<String> problems = new ArrayList<>();
        if (stopAll) {
            for (SubhostConfig config : tried.values()) {
                try {
                    subhosts.stop(config, SoakRound.GRACE);
                } catch (NotRunningException e) {
                    // Nothing ran; what it left is cleared now.
                } catch (SubhostException e) {
                    problems.add(config.name() + ": " + e.getMessage());
                }
            }
        }
        if (!Files.exists(temp)) {
            return problems;
        }
        List<String> left = leftovers();
        if (!left.isEmpty()) {
            // A mount could still sit in it, and a walk would follow it out.
            problems.add("kept " + temp + ", since there is still: " + String.join("; ", left));
            return problems;
        }
        try (Stream<Path> tree = Files.walk(temp)) {
            for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            problems.add("cannot delete " + temp + ": " + e.getMessage());
        }
        return problems;
    }
}
