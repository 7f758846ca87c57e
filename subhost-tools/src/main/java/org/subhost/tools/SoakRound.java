package org.subhost.tools;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.subhost.ExecResult;
import org.subhost.NotRunningException;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.SubhostStatus;
import org.subhost.config.ConfigException;
import org.subhost.config.SubhostConfig;
import org.subhost.testing.HostLeftovers;

/**
 * One round of {@link SubhostSoak}: one {@link SoakScenario} played on fresh names and a
 * fresh directory, with every outcome checked as it comes, then the check that nothing of
 * the round's subhosts is left on the host.
 *
 * <p>Each subhost of a round is a minimal one, like the benchmark's: a {@code .conf} with
 * BASE (its own directory with {@code root}, {@code work}, {@code live}), LOG, one cable
 * without a bridge and {@code START=none}; a scenario puts its own lines first, and since
 * the first assignment of a variable counts, they replace the defaults. NAME is written in
 * half of the files and taken from the file's name in the others.
 */
final class SoakRound {
    /** The grace period of every stop: services and pid 1 get this long. */
    static final Duration GRACE = Duration.ofSeconds(2);
    /** How long a {@code !} command may run when a scenario does not want it to hang. */
    private static final Duration VALUE_LIMIT = Duration.ofSeconds(10);
    private static final Duration EXEC_LIMIT = Duration.ofSeconds(20);
    /** Longer than any boot or stop should take; a round waiting longer than this has hung. */
    private static final long WAIT_SECONDS = 120;

    /** An outcome the scenario did not expect; its message says what happened. */
    static final class Failure extends Exception {
        private static final long serialVersionUID = 1L;

        Failure(String message) {
            super(message);
        }
    }

    /** One subhost of the round: its NAME, directory, {@code .conf} (real path) and the lines in it. */
    record Site(String name, Path base, Path conf, List<String> lines) {
        /** The line number (from 1) of the first assignment of {@code variable}. */
        int lineOf(String variable) {
            for (int i = 0; i < lines.size(); i++) {
                if (lines.get(i).startsWith(variable + "=")) {
                    return i + 1;
                }
            }
            throw new IllegalStateException(variable + " is not in " + conf);
        }
    }

    private final SubhostSoak soak;
    private final Random random;
    private final Path dir;
    private final List<String> names = new ArrayList<>();
    private final List<String> markers = new ArrayList<>();
    private final Map<String, SubhostConfig> configs = new LinkedHashMap<>();

    SoakRound(SubhostSoak soak, Random random, Path dir) {
        this.soak = soak;
        this.random = random;
        this.dir = dir;
    }

    /**
     * Plays {@code scenario}, then checks that nothing of its subhosts is left (and, if
     * something is, stops them again so that later rounds start clean); the problems
     * found, empty when the round went as expected.
     */
    List<String> run(SoakScenario scenario) {
        List<String> problems = new ArrayList<>();
        boolean played = false;
        try {
            Files.createDirectories(dir);
            play(scenario);
            played = true;
        } catch (Failure e) {
            problems.add(e.getMessage());
        } catch (Exception e) {
            problems.add("unexpected " + e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        if (!played) {
            // The scenario broke off, maybe with a subhost still up: clear first, then look.
            clearAll(problems);
        }
        try {
            List<String> left = leftovers();
            if (!left.isEmpty()) {
                problems.add("left behind: " + String.join("; ", left));
                clearAll(problems);
                left = leftovers();
            }
            if (left.isEmpty()) {
                deleteTree(dir);
            } else {
                problems.add("still left after stopping again, " + dir + " kept: " + String.join("; ", left));
            }
        } catch (IOException e) {
            problems.add("cannot look for leftovers: " + e.getMessage());
        }
        return problems;
    }

    private void play(SoakScenario scenario) throws Exception {
        switch (scenario) {
            case PLAIN -> plain();
            case BRIDGE_MISSING -> bridgeMissing();
            case PREMOUNT_FAILS -> premountFails();
            case VALUE_HANGS -> valueHangs();
            case LOWER_MISSING -> lowerMissing();
            case SERVICE_FAILS -> serviceFails();
            case PID1_KILLED -> pid1Killed();
            case CLI_BOOT_KILLED -> cliBootKilled();
            case CLI_STOP_KILLED -> cliStopKilled();
            case SERVICE_KILLED -> serviceKilled();
            case SAME_NAME_BOOTS -> sameNameBoots();
            case STOP_DURING_BOOT -> stopDuringBoot();
            case MANY_NAMES_BOOT -> manyNamesBoot();
        }
    }

    // ---- clean boot -------------------------------------------------------------------

    private void plain() throws Exception {
        Site site = site(soak.newName());
        Subhost subhost = boot(config(site));
        ExecResult r = subhost.exec(List.of("/bin/echo", "soak", site.name()), EXEC_LIMIT);
        expect(r.status() == 0 && r.stdout().equals("soak " + site.name() + "\n"),
                "exec /bin/echo inside " + site.name() + ": status " + r.status() + ", output (" + r.stdout().strip()
                        + "), errors (" + r.stderr().strip() + ")");
        subhost.stop(GRACE);
    }

    // ---- real faults ------------------------------------------------------------------

    private void bridgeMissing() throws Exception {
        String name = soak.newName();
        String bridge = name + "nb";
        SubhostConfig config = config(site(name, "CABLES=" + bridge + "="));
        soak.counts().faults.incrementAndGet();
        expectBootFails(config, "boot " + name + ": step ", "(host end " + name + "0: port of bridge " + bridge,
                "bridge " + bridge + " (for " + name + "0) does not exist on the host");
    }

    private void premountFails() throws Exception {
        String name = soak.newName();
        Site site = site(name, "PREMOUNT=false");
        soak.counts().faults.incrementAndGet();
        expectBootFails(config(site), "boot " + name + ": step ", "(PREMOUNT: false ",
                "PREMOUNT (false) exited with status 1");
    }

    private void lowerMissing() throws Exception {
        String name = soak.newName();
        Path lower = dir.resolve("no-lower-" + name);
        Site site = site(name, "LOWER=" + lower);
        soak.counts().faults.incrementAndGet();
        expectBootFails(config(site), "boot " + name + ": step ", "LOWER (" + lower + ") does not exist");
    }

    private void valueHangs() throws Exception {
        String name = soak.newName();
        // A unique fraction of a minute: it finds the command's processes if any is left.
        String command = "sleep 59." + soak.nextSerial();
        markers.add(command);
        Site site = site(name, "LOWER=!" + command);
        Duration limit = Duration.ofMillis(200 + random.nextInt(800));
        soak.counts().faults.incrementAndGet();
        try {
            SubhostConfig config = SubhostConfig.read(site.conf(), "overlay-boot", limit);
            configs.put(name, config);
            throw new Failure("reading " + site.conf() + " with LOWER=!" + command + " and a limit of "
                    + limit.toMillis() + " ms succeeded");
        } catch (ConfigException e) {
            String start = site.conf() + ":" + site.lineOf("LOWER") + ": bad LOWER config: command (" + command
                    + ") ran longer than ";
            expect(e.getMessage().startsWith(start) && e.getMessage().endsWith(" and was killed"),
                    "the hanging LOWER command was reported as (" + e.getMessage() + "), not as (" + start
                            + "... and was killed)");
        }
    }

    private void serviceFails() throws Exception {
        String name = soak.newName();
        Site site = site(name, "START=/svcfail.sh");
        script(site, "svcfail.sh", "case \"$1\" in start) echo soak service failing; exit 3 ;; esac\nexit 0\n");
        soak.counts().faults.incrementAndGet();
        Subhost subhost = boot(config(site));
        SubhostStatus.ServiceStatus failed = new SubhostStatus.ServiceStatus("/svcfail.sh", "failed (status 3)");
        List<SubhostStatus.ServiceStatus> services = subhost.status().services();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!services.contains(failed) && System.nanoTime() < deadline) {
            // The init reports a service's end in LOG; boot returns once it runs the script.
            Thread.sleep(50);
            services = subhost.status().services();
        }
        expect(services.contains(failed), name + ": status shows services " + services + ", not " + failed);
        subhost.stop(GRACE);
    }

    // ---- kills --------------------------------------------------------------------------

    private void pid1Killed() throws Exception {
        Site site = site(soak.newName());
        SubhostConfig config = config(site);
        Subhost subhost = boot(config);
        Thread.sleep(random.nextInt(300));
        kill(subhost.pid());
        stopAfterTrouble(config);
    }

    private void cliBootKilled() throws Exception {
        Site site = site(soak.newName());
        SubhostConfig config = config(site);
        Process boot = cli(site, "overlay-boot", site.conf().toString());
        long delay = random.nextInt(1001);
        boolean ended = boot.waitFor(delay, TimeUnit.MILLISECONDS);
        if (ended) {
            expect(boot.exitValue() == 0, "overlay-boot " + site.conf() + " ended before the kill with status "
                    + boot.exitValue() + ": " + output(site));
            soak.counts().boots.incrementAndGet();
        } else {
            killChild(boot);
        }
        Process stop = cli(site, "overlay-stop", "--grace", Long.toString(GRACE.toSeconds()), site.conf().toString());
        int status = waitChild(stop, site, "overlay-stop after overlay-boot was killed after " + delay + " ms");
        expect(status == 0 || (status == 1 && output(site).contains(config.name() + " is not running\n")),
                "overlay-stop after overlay-boot was killed after " + delay + " ms: status " + status + ": "
                        + output(site));
    }

    private void cliStopKilled() throws Exception {
        Site site = site(soak.newName());
        SubhostConfig config = config(site);
        boot(config);
        Process stop = cli(site, "overlay-stop", "--grace", Long.toString(GRACE.toSeconds()), site.conf().toString());
        long delay = random.nextInt(1001);
        if (stop.waitFor(delay, TimeUnit.MILLISECONDS)) {
            expect(stop.exitValue() == 0, "overlay-stop " + site.conf() + " ended before the kill with status "
                    + stop.exitValue() + ": " + output(site));
        } else {
            killChild(stop);
        }
        stopAfterTrouble(config);
    }

    private void serviceKilled() throws Exception {
        String name = soak.newName();
        // A unique number of seconds names the service's process among all of the host's.
        String daemon = "sleep 8" + soak.nextSerial();
        markers.add(daemon);
        Site site = site(name, "START=/svc.sh");
        script(site, "svc.sh", "case \"$1\" in start) " + daemon + " </dev/null >/dev/null 2>&1 & ;; esac\nexit 0\n");
        Subhost subhost = boot(config(site));
        List<Long> pids = waitFor(() -> HostLeftovers.pidsWith(daemon), p -> !p.isEmpty());
        expect(pids.size() == 1, name + ": the service's process (" + daemon + ") is running " + pids.size()
                + " times, not once");
        kill(pids.getFirst());
        List<Long> after = waitFor(() -> HostLeftovers.pidsWith(daemon), List::isEmpty);
        expect(after.isEmpty(), name + ": the service's process " + pids.getFirst() + " (" + daemon
                + ") is still there after SIGKILL");
        expect(soak.subhosts().find(name).isPresent(), name + " stopped running when a service process was killed");
        ExecResult r = subhost.exec(List.of("/bin/true"), EXEC_LIMIT);
        expect(r.status() == 0, name + ": /bin/true inside after the service's kill: status " + r.status());
        subhost.stop(GRACE);
    }

    // ---- races ------------------------------------------------------------------------

    private void sameNameBoots() throws Exception {
        int k = soak.raceSize();
        Site site = site(soak.newName());
        SubhostConfig config = config(site);
        soak.counts().races.incrementAndGet();
        List<Future<Subhost>> boots = atOnce(k, i -> () -> boot(config));
        List<Subhost> winners = new ArrayList<>();
        List<String> losers = new ArrayList<>();
        for (Future<Subhost> f : boots) {
            try {
                winners.add(get(f));
            } catch (ExecutionException e) {
                losers.add(e.getCause().getMessage());
            }
        }
        for (Subhost w : winners) {
            w.stop(GRACE);
        }
        expect(winners.size() == 1, k + " boots of " + config.name() + " at once: " + winners.size()
                + " succeeded, not one; the others said " + losers);
        String already = config.name() + " is already running (pid ";
        for (String message : losers) {
            expect(message.startsWith(already) && message.endsWith("); stop it first"),
                    "a boot of " + config.name() + " that lost the race said (" + message + "), not (" + already
                            + "N); stop it first)");
        }
    }

    private void stopDuringBoot() throws Exception {
        Site site = site(soak.newName());
        SubhostConfig config = config(site);
        soak.counts().races.incrementAndGet();
        ExecutorService pool = pool(1);
        try {
            Future<Subhost> boot = pool.submit(() -> boot(config));
            long delay = random.nextInt(400);
            Thread.sleep(delay);
            boolean stopped = stopAfterTrouble(config);
            try {
                get(boot);
            } catch (ExecutionException e) {
                throw new Failure("the boot of " + config.name() + " with a stop after " + delay + " ms failed: "
                        + e.getCause().getMessage());
            }
            boolean running = soak.subhosts().find(config.name()).isPresent();
            // The NAME's lock orders them: a stop before the boot finds nothing and the boot then
            // runs; a stop after it stops what the boot started.
            expect(running != stopped, "stop of " + config.name() + " " + delay + " ms into its boot "
                    + (stopped ? "stopped it" : "found it not running") + ", and afterwards it "
                    + (running ? "runs" : "does not run"));
            if (running) {
                soak.subhosts().stop(config, GRACE);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private void manyNamesBoot() throws Exception {
        int k = soak.raceSize();
        List<SubhostConfig> many = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            many.add(config(site(soak.newName())));
        }
        soak.counts().races.incrementAndGet();
        List<Future<Subhost>> boots = atOnce(k, i -> () -> boot(many.get(i)));
        List<Subhost> up = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (Future<Subhost> f : boots) {
            try {
                up.add(get(f));
            } catch (ExecutionException e) {
                failed.add(e.getCause().getMessage());
            }
        }
        List<Future<Subhost>> stops = atOnce(up.size(), i -> () -> {
            up.get(i).stop(GRACE);
            return up.get(i);
        });
        for (Future<Subhost> f : stops) {
            try {
                get(f);
            } catch (ExecutionException e) {
                failed.add("stop: " + e.getCause().getMessage());
            }
        }
        expect(failed.isEmpty(), k + " boots of different names at once: " + failed);
    }

    // ---- helpers --------------------------------------------------------------------------

    /** A subhost directory and {@code .conf} for {@code name}, with {@code lines} before the defaults. */
    private Site site(String name, String... lines) throws IOException {
        names.add(name);
        Path base = Files.createDirectories(dir.resolve(name));
        for (String d : List.of("root", "work", "live")) {
            Files.createDirectories(base.resolve(d));
        }
        List<String> text = new ArrayList<>();
        text.add("BASE=.");
        if (random.nextBoolean()) {
            text.add("NAME=" + name);
        }
        text.addAll(List.of(lines));
        text.addAll(List.of("LOG=" + base.resolve("log"), "START=none", "CABLES= ="));
        Path conf = Files.write(base.resolve(name + ".conf"), text);
        return new Site(name, base, conf.toRealPath(), List.copyOf(text));
    }

    /** An executable {@code /FILE} inside the subhost (in its UPPER) with {@code body} after {@code #!/bin/sh}. */
    private static void script(Site site, String file, String body) throws IOException {
        Path script = site.base().resolve("root").resolve(file);
        Files.writeString(script, "#!/bin/sh\n" + body);
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    private SubhostConfig config(Site site) throws ConfigException {
        SubhostConfig config = SubhostConfig.read(site.conf(), "overlay-boot", VALUE_LIMIT);
        configs.put(config.name(), config);
        soak.tried(config);
        return config;
    }

    private Subhost boot(SubhostConfig config) throws SubhostException {
        Subhost subhost = soak.subhosts().boot(config);
        soak.counts().boots.incrementAndGet();
        return subhost;
    }

    /** Boots {@code config}, which must fail with a message containing each of {@code parts}. */
    private void expectBootFails(SubhostConfig config, String... parts) throws Failure {
        String message;
        try {
            Subhost subhost = boot(config);
            try {
                subhost.stop(GRACE);
            } catch (SubhostException e) {
                // Reported by the leftover check if it matters; the boot itself is the failure.
            }
            throw new Failure("the boot of " + config.name() + " succeeded though it should fail with ("
                    + String.join("...", parts) + ")");
        } catch (SubhostException e) {
            message = e.getMessage();
        }
        for (String part : parts) {
            expect(message.contains(part), "the failed boot of " + config.name() + " said (" + message
                    + "), which lacks (" + part + ")");
        }
    }

    /**
     * Stops the subhost of {@code config} after trouble, as {@code overlay-stop} does: it
     * stops what runs, or clears what is left and says that NAME is not running. Whether it
     * was running.
     */
    private boolean stopAfterTrouble(SubhostConfig config) throws SubhostException, Failure {
        try {
            soak.subhosts().stop(config, GRACE);
            return true;
        } catch (NotRunningException e) {
            expect(e.getMessage().equals(config.name() + " is not running"),
                    "stop of " + config.name() + " said (" + e.getMessage() + ")");
            return false;
        }
    }

    /** Sends SIGKILL to {@code pid} (a process that need not be our child) and counts it. */
    private void kill(long pid) throws Failure {
        Optional<ProcessHandle> p = ProcessHandle.of(pid);
        expect(p.isPresent(), "process " + pid + " to be killed is gone already");
        p.get().destroyForcibly();
        soak.counts().kills.incrementAndGet();
    }

    /** SIGKILL to a child JVM, counted, and waits for its end. */
    private void killChild(Process p) throws InterruptedException {
        p.destroyForcibly();
        soak.counts().kills.incrementAndGet();
        p.waitFor();
    }

    /** Starts the CLI with {@code args} in a JVM of its own, its output into {@code BASE/cli.out}. */
    private Process cli(Site site, String... args) throws IOException {
        Path out = site.base().resolve("cli.out");
        Files.deleteIfExists(out);
        return new ProcessBuilder(soak.cliCommand(List.of(args))).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
    }

    private static String output(Site site) throws IOException {
        Path out = site.base().resolve("cli.out");
        return Files.exists(out) ? Files.readString(out, StandardCharsets.UTF_8) : "";
    }

    private static int waitChild(Process p, Site site, String what) throws Exception {
        if (!p.waitFor(WAIT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new Failure(what + " did not end within " + WAIT_SECONDS + " s: " + output(site));
        }
        return p.exitValue();
    }

    /** A task per index {@code 0..k-1}, all let go at the same moment from k threads of their own. */
    private List<Future<Subhost>> atOnce(int k, java.util.function.IntFunction<Callable<Subhost>> task)
            throws InterruptedException {
        ExecutorService pool = pool(Math.max(1, k));
        try {
            CountDownLatch ready = new CountDownLatch(k);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<Subhost>> futures = new ArrayList<>();
            for (int i = 0; i < k; i++) {
                Callable<Subhost> t = task.apply(i);
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    go.await();
                    return t.call();
                }));
            }
            ready.await();
            go.countDown();
            return futures;
        } finally {
            pool.shutdown();
        }
    }

    private static ExecutorService pool(int threads) {
        return Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "subhost-soak race");
            t.setDaemon(true);
            return t;
        });
    }

    /** The future's value; a {@link Failure} when it takes longer than a boot or stop ever should. */
    private static <T> T get(Future<T> f) throws ExecutionException, InterruptedException, Failure {
        try {
            return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new Failure("a boot or stop did not end within " + WAIT_SECONDS + " s");
        }
    }

    /** Reads {@code what} every 20 ms until {@code done} accepts it, for at most 10 s; the last value. */
    private static <T> T waitFor(Callable<T> what, java.util.function.Predicate<T> done) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        T value = what.call();
        while (!done.test(value) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            value = what.call();
        }
        return value;
    }

    private static void expect(boolean condition, String message) throws Failure {
        if (!condition) {
            throw new Failure(message);
        }
    }

    /** Stops every subhost of the round again, ignoring "not running"; failures go to {@code problems}. */
    private void clearAll(List<String> problems) {
        for (SubhostConfig config : configs.values()) {
            try {
                soak.subhosts().stop(config, GRACE);
            } catch (NotRunningException e) {
                // Nothing ran, and what was left of it is gone now.
            } catch (SubhostException e) {
                problems.add("clearing " + config.name() + ": " + e.getMessage());
            }
        }
    }

    /** What the round's subhosts left: anything of its names, under its directory, or running a marker. */
    List<String> leftovers() throws IOException {
        return HostLeftovers.matching(n -> names.stream().anyMatch(n::startsWith)).under(dir)
                .markers(markers.toArray(String[]::new)).ignoringThisJvmsNamespaces().find();
    }

    /** Removes the round's directory; called only when nothing is mounted in it any more. */
    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
