package org.subhost.tools;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.subhost.ExecResult;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.Subhosts;
import org.subhost.config.Confinement;
import org.subhost.config.Limits;
import org.subhost.config.SubhostConfig;

/**
 * {@code subhost-bench [--count N] [--parallel M] [--scaling] [--levels K,...] [--unconfined]
 * [--limits 'VAR=VALUE...']}: how fast subhosts boot and stop and how much memory one takes,
 * measured in one JVM. After a warm-up it boots N minimal subhosts (overlay of {@code /}, one
 * cable without bridge, {@code START=none}) one after another, sums the proportional set size
 * of their processes, stops them, then boots M at once from a pool of M threads and stops
 * them. Its last line is
 * {@code boot_ms_median=A boot_ms_p95=B stop_ms_median=C pss_kb_per_subhost=D boot100_s=E}.
 *
 * <p>Two benchmarks of their own: {@code --virtual-threads [--sizes A,B]} boots, enters
 * ({@code exec true}) and stops A, then B subhosts, each from a virtual thread of its own, all
 * started at once, and prints the time per subhost of each and their ratio; {@code --cli BINDIR
 * [--runs N]} times the commands {@code BINDIR/overlay-boot} and {@code BINDIR/overlay-stop} of a
 * minimal {@code .conf}, each a cold JVM, N times in turn.
 *
 * <p>Needs root. Everything it boots is stopped again, also when a boot fails or the JVM is
 * interrupted (a shutdown hook).
 */
public final class SubhostBench {
    private static final String USAGE = """
            Usage: subhost-bench [--count N] [--parallel M] [--scaling] [--levels K,...] [--unconfined]
                                 [--limits 'VAR=VALUE...']
                   subhost-bench --virtual-threads [--sizes A,B] [--unconfined] [--limits 'VAR=VALUE...']
                   subhost-bench --cli BINDIR [--runs N]
              Boots N (default 50) minimal subhosts one after another and stops them, then M
              (default 100) at once, and prints where the boot time goes and the figures
              boot_ms_median boot_ms_p95 stop_ms_median pss_kb_per_subhost boot100_s
              (the memory of every process of the subhost and of its log relay), and
              what making a file costs under its directory and under /run before and
              after (the machine's state: a boot makes about a dozen files).
              --scaling also times 9 boots (the median is printed) while 1, 50, 200, 1000
              and 2000 subhosts run (--levels: other numbers), and their ratio to the first.
              --virtual-threads: boot, exec true and stop A (default 500), then B (default
              1500) subhosts, each from a virtual thread of its own, all at once; prints
              the milliseconds per subhost of each and the ratio of B's to A's.
              --cli: the commands BINDIR/overlay-boot and BINDIR/overlay-stop of a minimal
              .conf, each a cold JVM, N times (default 10) in turn after one warm-up;
              prints their medians.
              --unconfined boots them without the confinement (CAPABILITIES=all
              SECCOMP=off CONFINE_FILES=off), to measure what it costs. --limits boots
              them with those limits instead of the default ones (PIDS_MAX=2048,
              CPU_WEIGHT=100), such as --limits 'PIDS_MAX=none' or 'MEMORY_MAX=256M', to
              measure what limits cost a boot. Needs root.""";
    private static final int WARM_UP = 3;
    /** Where the SDK keeps its records ({@code /run/subhost}): the file system the probe times beside the bench's. */
    private static final Path RUN = Path.of("/run");
    private static final List<Integer> SCALING = List.of(1, 50, 200, 1000, 2000);
    private static final List<Integer> VIRTUAL_THREAD_SIZES = List.of(500, 1500);
    /** Boots measured at each level of scaling. */
    private static final int SCALING_BOOTS = 9;
    private static final Duration GRACE = Duration.ofSeconds(5);
    private static final Duration EXEC_TIMEOUT = Duration.ofSeconds(60);

    private final Subhosts subhosts = Subhosts.linux();
    private final Path temp;
    /** The confinement of every subhost booted: the default, or none with --unconfined. */
    private final Confinement confinement;
    /** The limits of every subhost booted: the default, or those of --limits. */
    private final Limits limits;
    private final String prefix;
    private final AtomicInteger nextIndex = new AtomicInteger();
    /** Running subhosts by name: what must be stopped before the program ends. */
    private final Map<String, Subhost> running = new ConcurrentHashMap<>();
    /** Every configuration a boot was tried with, for the last sweep. */
    private final Map<String, SubhostConfig> tried = new ConcurrentHashMap<>();
    private final AtomicBoolean closing = new AtomicBoolean();
    private final AtomicInteger inFlight = new AtomicInteger();

    private SubhostBench(Path temp, String prefix, Confinement confinement, Limits limits) {
        this.confinement = confinement;
        this.limits = limits;
        this.temp = temp;
        this.prefix = prefix;
    }

    /** One boot: the subhost, its configuration, how long boot() took and when it was called and returned. */
    private record Boot(Subhost subhost, SubhostConfig config, long nanos, LocalDateTime called,
            LocalDateTime returned) {}

    /**
     * Runs the benchmark with {@code args} (see {@code --help}); exits with what {@link #run} returns.
     *
     * @param args the options, such as {@code --count 10}
     */
    public static void main(String[] args) {
        System.exit(run(List.of(args), System.out));
    }

    /**
     * The benchmark: parses {@code args}, runs every phase, prints to {@code out} and returns
     * the exit status (0 done, 1 not root or a failure, 2 usage).
     */
    static int run(List<String> args, PrintStream out) {
        int count = 50;
        int parallel = 100;
        boolean scaling = false;
        List<Integer> levels = SCALING;
        boolean virtualThreads = false;
        List<Integer> sizes = VIRTUAL_THREAD_SIZES;
        Optional<Path> cli = Optional.empty();
        int runs = 10;
        Confinement confinement = Confinement.DEFAULT;
        Limits limits = Limits.DEFAULT;
        try {
            for (int i = 0; i < args.size(); i++) {
                switch (args.get(i)) {
                    case "--help", "-h" -> {
                        out.println(USAGE);
                        return 0;
                    }
                    case "--count" -> count = ProgramOptions.positive("--count", args, ++i);
                    case "--parallel" -> parallel = ProgramOptions.positive("--parallel", args, ++i);
                    case "--scaling" -> scaling = true;
                    case "--levels" -> levels = positives("--levels", args, ++i);
                    case "--virtual-threads" -> virtualThreads = true;
                    case "--sizes" -> sizes = positives("--sizes", args, ++i);
                    case "--cli" -> cli = Optional.of(Path.of(ProgramOptions.value("--cli", args, ++i)));
                    case "--runs" -> runs = ProgramOptions.positive("--runs", args, ++i);
                    case "--unconfined" -> confinement = Confinement.NONE;
                    case "--limits" -> {
                        if (++i == args.size()) {
                            throw new IllegalArgumentException("--limits needs VAR=VALUE words");
                        }
                        limits = Limits.parse(args.get(i));
                    }
                    default -> throw new IllegalArgumentException("argument (" + args.get(i) + ") is unknown");
                }
            }
        } catch (IllegalArgumentException e) {
            return ProgramOptions.usageError("subhost-bench", USAGE, e);
        }
        if (!ProgramOptions.runsAsRoot("subhost-bench")) {
            return 1;
        }
        SubhostBench bench;
        try {
            bench = new SubhostBench(Files.createTempDirectory(Path.of("/tmp"), "subhost-bench-"), ProgramOptions.randomPrefix("sb", 4),
                    confinement, limits);
        } catch (IOException e) {
            System.err.println("subhost-bench: cannot make a temporary directory: " + e);
            return 1;
        }
        int n = count;
        int m = parallel;
        List<Integer> scalingLevels = scaling ? levels : List.of();
        boolean withVirtualThreads = virtualThreads;
        List<Integer> vtSizes = sizes;
        Optional<Path> cliBin = cli;
        int cliRuns = runs;
        return ProgramOptions.withCleanUpOnExit("subhost-bench", bench::cleanUpOnExit, () -> {
            try {
                if (cliBin.isPresent()) {
                    bench.measureCli(cliBin.get(), cliRuns, out);
                } else if (withVirtualThreads) {
                    bench.measureVirtualThreads(vtSizes, out);
                } else {
                    bench.measure(n, m, scalingLevels, out);
                }
                return 0;
            } catch (Exception e) {
                System.err.println("subhost-bench: " + e.getMessage());
                return 1;
            } finally {
                bench.cleanUp().forEach(p -> System.err.println("subhost-bench: clean-up: " + p));
            }
        });
    }

    /** The numbers of a comma-separated list such as {@code 1,50,200}, each at least 1. */
    private static List<Integer> positives(String option, List<String> args, int i) {
        List<Integer> numbers = new ArrayList<>();
        for (String word : ProgramOptions.value(option, args, i).split(",")) {
            numbers.add(ProgramOptions.positive(option, List.of(word), 0));
        }
        return List.copyOf(numbers);
    }

    private void measure(int count, int parallel, List<Integer> levels, PrintStream out) throws Exception {
        out.printf("subhost-bench: names %sNNN, directories under %s%n", prefix, temp);
        out.println(FileCreationProbe.line(temp, RUN));
        for (int i = 0; i < WARM_UP; i++) {
            stop(boot().subhost());
        }

        List<Long> bootNanos = new ArrayList<>();
        List<Boot> boots = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Boot boot = boot();
            boots.add(boot);
            bootNanos.add(boot.nanos());
        }
        StepBreakdown steps = new StepBreakdown(subhosts.plan(boots.getFirst().config()));
        long pssKb = pssKb(boots.stream().map(Boot::subhost).toList());
        for (Boot boot : boots) {
            steps.add(boot.config().name(), boot.config().base(), boot.config().log(), boot.called(), boot.returned());
        }
        List<Long> stopNanos = new ArrayList<>();
        for (Boot boot : boots) {
            stopNanos.add(stop(boot.subhost()));
        }
        out.printf("sequential: %d boots, %d stops%n", count, count);

        StepBreakdown parallelSteps = new StepBreakdown(subhosts.plan(boots.getFirst().config()));
        long parallelNanos = parallel(parallel, parallelSteps);
        out.printf("parallel: %d boots at once in %.2f s%n", parallel, parallelNanos / 1e9);

        List<String> scalingLines = levels.isEmpty() ? List.of() : scaling(levels);

        out.println("after the runs, " + FileCreationProbe.line(temp, RUN));
        steps.print(out);
        out.print("of the boots at once, ");
        parallelSteps.print(out);
        scalingLines.forEach(out::println);
        out.printf("boot_ms_median=%.1f boot_ms_p95=%.1f stop_ms_median=%.1f pss_kb_per_subhost=%d boot100_s=%.2f%n",
                percentile(bootNanos, 50) / 1e6, percentile(bootNanos, 95) / 1e6, percentile(stopNanos, 50) / 1e6,
                pssKb / count, parallelNanos / 1e9);
    }

    /**
     * Boots M at once from M threads, then stops them the same way; the time until all M
     * run. Each boot's steps go to {@code steps}.
     */
    private long parallel(int m, StepBreakdown steps) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(m);
        try {
            long start = System.nanoTime();
            List<Future<Boot>> futures = new ArrayList<>();
            for (int i = 0; i < m; i++) {
                futures.add(pool.submit(this::boot));
            }
            List<Boot> boots = new ArrayList<>();
            Exception failure = null;
            for (Future<Boot> f : futures) {
                try {
                    boots.add(f.get());
                } catch (Exception e) {
                    failure = failure == null ? e : failure;
                }
            }
            long nanos = System.nanoTime() - start;
            for (Boot boot : boots) {
                steps.add(boot.config().name(), boot.config().base(), boot.config().log(), boot.called(), boot.returned());
            }
            List<Future<Long>> stops = new ArrayList<>();
            for (Boot boot : boots) {
                stops.add(pool.submit(() -> stop(boot.subhost())));
            }
            for (Future<Long> f : stops) {
                try {
                    f.get();
                } catch (Exception e) {
                    failure = failure == null ? e : failure;
                }
            }
            if (failure != null) {
                throw failure;
            }
            return nanos;
        } finally {
            pool.shutdown();
        }
    }

    /**
     * Boot times of one more subhost while K run, for each K of {@code levels}, and the ratio
     * of the last level's to the first's.
     */
    private List<String> scaling(List<Integer> levels) throws Exception {
        List<String> lines = new ArrayList<>();
        List<Subhost> background = new ArrayList<>();
        List<Long> medians = new ArrayList<>();
        try {
            for (int k : levels) {
                while (background.size() < k) {
                    background.add(boot().subhost());
                }
                // Several boots at each level, each stopped before the next, so that k stay
                // running: a single boot's time swings too much on a shared VM to compare.
                List<Long> nanos = new ArrayList<>();
                StepBreakdown steps = null;
                for (int i = 0; i < SCALING_BOOTS; i++) {
                    Boot extra = boot();
                    stop(extra.subhost());
                    nanos.add(extra.nanos());
                    if (k == levels.getLast()) {
                        steps = steps != null ? steps : new StepBreakdown(subhosts.plan(extra.config()));
                        steps.add(extra.config().name(), extra.config().base(), extra.config().log(), extra.called(),
                                extra.returned());
                    }
                }
                if (steps != null) {
                    // Where the time goes at the highest level, to compare with the sequential boots'.
                    java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
                    steps.print(new PrintStream(text, true, java.nio.charset.StandardCharsets.UTF_8));
                    lines.add("with " + k + " running, " + text.toString(java.nio.charset.StandardCharsets.UTF_8).strip());
                }
                medians.add(percentile(nanos, 50));
                lines.add(String.format("boot_ms_with_%d_running=%.1f (median of %d)", k, percentile(nanos, 50) / 1e6,
                        SCALING_BOOTS));
            }
            lines.add(String.format("scaling_ratio_%d_to_%d=%.2f", levels.getLast(), levels.getFirst(),
                    (double) medians.getLast() / medians.getFirst()));
        } finally {
            for (Subhost s : background) {
                stop(s);
            }
        }
        return lines;
    }

    /**
     * For each size N of {@code sizes}: N virtual threads started at once, each boots a
     * subhost, runs {@code true} in it and stops it; prints the time until all have ended,
     * divided by N, and the ratio of the last size's per-subhost time to the first's.
     */
    private void measureVirtualThreads(List<Integer> sizes, PrintStream out) throws Exception {
        out.printf("subhost-bench: names %sNNN, directories under %s%n", prefix, temp);
        out.println(FileCreationProbe.line(temp, RUN));
        for (int i = 0; i < WARM_UP; i++) {
            stop(boot().subhost());
        }
        List<Double> perSubhost = new ArrayList<>();
        StringBuilder figures = new StringBuilder();
        for (int n : sizes) {
            long nanos = bootExecStop(n);
            double ms = nanos / 1e6 / n;
            perSubhost.add(ms);
            out.printf("virtual threads: %d subhosts booted, entered and stopped in %.2f s%n", n, nanos / 1e9);
            figures.append(String.format("vt_ms_per_subhost_%d=%.1f ", n, ms));
        }
        out.println(figures + String.format("vt_ratio_%d_to_%d=%.2f", sizes.getLast(), sizes.getFirst(),
                perSubhost.getLast() / perSubhost.getFirst()));
    }

    /** Boots, enters and stops {@code n} subhosts from {@code n} virtual threads; the time until all ended. */
    private long bootExecStop(int n) throws Exception {
        try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
            long start = System.nanoTime();
            List<Future<Void>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                futures.add(threads.submit(() -> {
                    Subhost subhost = boot().subhost();
                    try {
                        ExecResult result = subhost.exec(List.of("true"), EXEC_TIMEOUT);
                        if (result.status() != 0) {
                            throw new IOException(subhost.name() + ": exec true exited " + result.status());
                        }
                    } finally {
                        stop(subhost);
                    }
                    return null;
                }));
            }
            Exception failure = null;
            for (Future<Void> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    failure = failure == null && e.getCause() instanceof Exception c ? c : failure;
                }
            }
            long nanos = System.nanoTime() - start;
            if (failure != null) {
                throw failure;
            }
            return nanos;
        }
    }

    /**
     * The commands of {@code bin} (a checkout's bin/ or an installed package's) on a minimal
     * {@code .conf}: one warm-up boot and stop, then {@code runs} of each in turn, each a cold
     * JVM timed from its start to its exit; prints their medians.
     */
    private void measureCli(Path bin, int runs, PrintStream out) throws Exception {
        String name = prefix + "cli";
        Path base = Files.createDirectories(temp.resolve(name));
        for (String dir : new String[] {"root", "work", "live"}) {
            Files.createDirectories(base.resolve(dir));
        }
        Path conf = base.resolve(name + ".conf");
        Files.writeString(conf, "BASE=.\nCABLES= =\nSTART=none\nLOG=" + base.resolve("log") + "\n");
        // For the clean-up: the same NAME and BASE, should a command leave the subhost running.
        tried.put(name, SubhostConfig.builder(name, base).cables("=").start("none").log(base.resolve("log")).build());
        out.printf("subhost-bench: %s and %s on %s%n", bin.resolve("overlay-boot"), bin.resolve("overlay-stop"), conf);
        List<Long> boots = new ArrayList<>();
        List<Long> stops = new ArrayList<>();
        for (int i = 0; i <= runs; i++) {
            long boot = command(bin.resolve("overlay-boot"), conf);
            long stop = command(bin.resolve("overlay-stop"), conf);
            if (i > 0) {
                boots.add(boot);
                stops.add(stop);
            }
        }
        out.printf("cli_boot_ms_median=%.1f cli_stop_ms_median=%.1f (%d runs; boot min %.1f max %.1f, stop min %.1f max %.1f)%n",
                percentile(boots, 50) / 1e6, percentile(stops, 50) / 1e6, runs, Collections.min(boots) / 1e6,
                Collections.max(boots) / 1e6, Collections.min(stops) / 1e6, Collections.max(stops) / 1e6);
    }

    /** Runs {@code program conf} with its output thrown away; the time until it exited, which must be 0. */
    private static long command(Path program, Path conf) throws IOException, InterruptedException {
        long start = System.nanoTime();
        Process p = new ProcessBuilder(program.toString(), conf.toString())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        int status = p.waitFor();
        long nanos = System.nanoTime() - start;
        if (status != 0) {
            throw new IOException(program + " " + conf + " exited " + status);
        }
        return nanos;
    }

    /** Boots the next minimal subhost, in its own directory with its own LOG. */
    private Boot boot() throws IOException, SubhostException {
        String name = prefix + String.format("%03d", nextIndex.getAndIncrement());
        Path base = Files.createDirectories(temp.resolve(name));
        for (String dir : new String[] {"root", "work", "live"}) {
            Files.createDirectories(base.resolve(dir));
        }
        SubhostConfig config = SubhostConfig.builder(name, base).cables("=").start("none")
                .log(base.resolve("log")).confinement(confinement).limits(limits).build();
        inFlight.incrementAndGet();
        try {
            // No new boot once the JVM is shutting down: the hook is stopping everything.
            if (closing.get()) {
                throw new IOException("subhost-bench is shutting down");
            }
            tried.put(name, config);
            LocalDateTime called = LocalDateTime.now();
            long start = System.nanoTime();
            Subhost subhost = subhosts.boot(config);
            long nanos = System.nanoTime() - start;
            LocalDateTime returned = LocalDateTime.now();
            running.put(name, subhost);
            return new Boot(subhost, config, nanos, called, returned);
        } finally {
            inFlight.decrementAndGet();
        }
    }

    /** Stops {@code subhost} and returns how long that took. */
    private long stop(Subhost subhost) throws SubhostException {
        long start = System.nanoTime();
        try {
            subhost.stop(GRACE);
        } finally {
            running.remove(subhost.name());
        }
        return System.nanoTime() - start;
    }

    /**
     * The proportional set size in kB of every process of {@code subhosts}: those in each
     * one's control group (or its pid 1 alone without one) and its host-side helpers, the log
     * relay (found by its command line: {@code --log-relay ... --name NAME}), each process
     * counted once ({@code /proc/PID/smaps_rollup}). Pages that several of them share count
     * a share for each, so the sum over many subhosts divided by their number is the cost of one.
     */
    private static long pssKb(List<Subhost> subhosts) throws IOException, SubhostException {
        java.util.Set<String> pids = new java.util.TreeSet<>();
        java.util.Set<String> names = new java.util.HashSet<>();
        for (Subhost subhost : subhosts) {
            names.add(subhost.name());
            Optional<Path> cgroup = subhost.status().cgroup();
            if (cgroup.isPresent()) {
                Files.readAllLines(cgroup.get().resolve("cgroup.procs")).stream().map(String::trim)
                        .filter(s -> !s.isEmpty()).forEach(pids::add);
            }
            pids.add(Integer.toString(subhost.pid()));
        }
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path proc : procs.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList()) {
                try {
                    List<String> argv = List.of(new String(Files.readAllBytes(proc.resolve("cmdline")),
                            java.nio.charset.StandardCharsets.UTF_8).split("\0"));
                    int at = argv.indexOf("--name");
                    if (argv.contains("--log-relay") && at >= 0 && at + 1 < argv.size()
                            && names.contains(argv.get(at + 1))) {
                        pids.add(proc.getFileName().toString());
                    }
                } catch (IOException e) {
                    // Ended meanwhile.
                }
            }
        }
        long kb = 0;
        for (String pid : pids) {
            try (Stream<String> lines = Files.lines(Path.of("/proc", pid, "smaps_rollup"))) {
                kb += lines.filter(l -> l.startsWith("Pss:"))
                        .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).sum();
            } catch (IOException e) {
                // The process ended between the listing and this read: it holds no memory.
            }
        }
        return kb;
    }

    /** The shutdown hook: no new boots, let running ones finish (at most 30 s), then clean up. */
    private void cleanUpOnExit() {
        ProgramOptions.drain(closing, inFlight, Duration.ofSeconds(30));
        cleanUp().forEach(p -> System.err.println("subhost-bench: clean-up: " + p));
    }

    /**
     * Stops every subhost still running, then any tried one the host still knows (a boot
     * interrupted midway), and deletes the temporary directory; returns what failed.
     */
    private synchronized List<String> cleanUp() {
        List<String> problems = new ArrayList<>();
        for (Subhost s : List.copyOf(running.values())) {
            try {
                stop(s);
            } catch (SubhostException e) {
                problems.add(s.name() + ": " + e.getMessage());
            }
        }
        for (SubhostConfig config : tried.values()) {
            if (subhosts.find(config.name()).isPresent()) {
                try {
                    subhosts.stop(config, GRACE);
                } catch (SubhostException e) {
                    problems.add(config.name() + ": " + e.getMessage());
                }
            }
        }
        if (!Files.exists(temp)) {
            // The other clean-up (shutdown hook or the run's own) did it already.
            return problems;
        }
        if (problems.isEmpty()) {
            try (Stream<Path> tree = Files.walk(temp)) {
                for (Path p : tree.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            } catch (IOException e) {
                problems.add("cannot delete " + temp + ": " + e.getMessage());
            }
        } else {
            // A subhost not stopped may still have its overlay on these directories: keep them.
            problems.add("kept " + temp + " because subhosts could not be stopped");
        }
        return problems;
    }

    private static long percentile(List<Long> values, int p) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        // Nearest rank: the smallest value with at least p% of the values at or below it.
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, rank - 1));
    }

}
