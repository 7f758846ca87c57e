package org.subhost.core;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.subhost.BootProblem;
import org.subhost.ConfigMismatchException;
import org.subhost.NotRunningException;
import org.subhost.ProgressListener;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.SubhostStatus;
import org.subhost.Subhosts;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.subhost.config.Cable;
import org.subhost.config.ConfigWarning;
import org.subhost.config.DiskAttachment;
import org.subhost.config.SubhostConfig;
import org.subhost.core.disk.DiskImages;
import org.subhost.linux.netlink.NamedNetns;
import org.subhost.linux.netlink.RtNetlink;

/**
 * The subhosts of this host, with their records under one state directory: the
 * implementation behind {@link Subhosts#linux()}.
 *
 * <p>Each boot and stop of a NAME holds that NAME's lock for its whole length, so two of
 * them never interleave: the second waits, then finds the first's result (a running
 * subhost, which it refuses to boot again, or none).
 */
public final class LinuxSubhosts implements Subhosts {
    /** Made on first use: setting SLF4J up is a cost a cold CLI need not pay. */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(LinuxSubhosts.class);
    }
    private final StateStore store;
    private final PlanExecutor executor;
    private final TreeIndex trees;
    /**
     * The last preflight's answer, for the boot of that very configuration that follows it
     * (overlay-boot asks before it boots): the boot takes it instead of probing the host a
     * second time. Taken once; any other configuration, or a second boot, probes anew.
     */
    private final java.util.concurrent.atomic.AtomicReference<Preflighted> lastPreflight =
            new java.util.concurrent.atomic.AtomicReference<>();

    /**
     * A preflight's problems for one configuration instance, and the texts of the unit
     * reader's warnings among them (which the boot writes itself as it reads the units).
     */
    private record Preflighted(SubhostConfig config, List<BootProblem> problems, java.util.Set<String> units) {
        static Preflighted of(SubhostConfig config, PreflightFacts found) {
            java.util.Set<String> units = new java.util.HashSet<>();
            found.unitWarnings().forEach(w -> units.add(w.text()));
            return new Preflighted(config, List.copyOf(Preflight.check(config, found)), java.util.Set.copyOf(units));
        }
    }

    private LinuxSubhosts(StateStore store, PlanExecutor executor, Optional<Path> subhostsList) {
        this.store = store;
        this.executor = executor;
        this.trees = new TreeIndex(store.root(), subhostsList);
    }

    /**
     * The subhosts recorded under {@code stateRoot}.
     *
     * @param stateRoot the state directory, {@code /run/subhost} outside tests
     * @return the subhosts
     */
    public static LinuxSubhosts create(Path stateRoot) {
        return new LinuxSubhosts(new StateStore(stateRoot), new PlanExecutor(PlanExecutor.NO_FAULTS),
                Optional.of(TreeIndex.defaultList()));
    }

    /**
     * A test seam: the subhosts recorded under {@code stateRoot}, with {@code subhostsList}
     * as the list of subhosts that start with the host (whose trees every boot hides).
     */
    static LinuxSubhosts create(Path stateRoot, Path subhostsList) {
        return new LinuxSubhosts(new StateStore(stateRoot), new PlanExecutor(PlanExecutor.NO_FAULTS),
                Optional.of(subhostsList));
    }

    /**
     * A test seam: the same, with {@code faults} called before each boot step.
     *
     * @param stateRoot the state directory
     * @param faults called before each boot step; it may throw to make that step fail
     * @return the subhosts
     */
    public static LinuxSubhosts withFaults(Path stateRoot, PlanExecutor.FaultInjector faults) {
        return new LinuxSubhosts(new StateStore(stateRoot), new PlanExecutor(faults),
                Optional.of(TreeIndex.defaultList()));
    }

    @Override
    public Subhost boot(SubhostConfig config) throws SubhostException {
        return boot(config, ProgressListener.NONE);
    }

    @Override
    public Subhost boot(SubhostConfig config, ProgressListener listener) throws SubhostException {
        // In a turn of the JVM's (BootAdmission): boots started by the thousand at once would
        // otherwise run out of descriptors in any of their steps.
        try (BootAdmission.Turn turn = BootAdmission.thisProcess().take(config.name())) {
            return bootLocked(config, listener);
        } catch (SubhostException e) {
            // What the reading mounted for this boot goes with it; a failed plan has released
            // it already (its first step's undo), and a second release does nothing.
            for (String problem : DiskImages.releaseAll(config.attachments(), Log.LOG::info)) {
                e.addSuppressed(new SubhostException(problem));
            }
            throw e;
        }
    }

    private Subhost bootLocked(SubhostConfig config, ProgressListener listener) throws SubhostException {
        String name = config.name();
        // Before the lock, the boot's first system call: see the method for why.
        PlanExecutor.loadWhatIsUsedAfterTheRootSwitch();
        HostFacts facts = HostFacts.probe();
        Preflighted last = lastPreflight.getAndSet(null);
        // Only the same instance: an equal configuration read again may mean another state of the host.
        boolean answered = last != null && last.config() == config;
        java.util.concurrent.Future<Preflighted> preflight = answered
                ? java.util.concurrent.CompletableFuture.completedFuture(last) : probeBeside(config, facts);
        try (StateStore.NameLock lock = store.lock(name)) {
            Optional<SubhostState> existing = store.read(name);
            if (existing.isPresent()) {
                SubhostState old = existing.get();
                if (old.pid1().isPresent() && old.pid1().get().isAlive()) {
                    throw new SubhostException(name + " is already running (pid " + old.pid1().get().pid()
                            + "); stop it first");
                }
                // A record whose pid 1 is gone: what it lists is left over; clear it first.
                try (BootLog log = BootLog.open("overlay-boot", name, old.log())) {
                    log.line("clearing what an earlier boot of " + name + " left behind");
                    // Its disk images are still mounted, so this reading found them mounted
                    // and reported nothing: this boot takes them over instead of unmounting them.
                    Teardown.run(store, old.withoutDisks(), Duration.ofSeconds(1), log);
                    config = adoptDisks(config, old.disks());
                }
                // What the preflight saw beside may have been the leftovers (a host end, say):
                // it looks again at the host as the boot finds it.
                if (!answered || last.config() != config) {
                    preflight.cancel(false);
                    preflight = probeHere(new PreflightBeside(config, store, facts));
                }
            }
            BootPlan plan = BootPlanner.plan(config, facts);
            try {
                // The SDK's own lines count to LOG_MAX as well: a subhost that prints nothing
                // never has its relay rotate LOG.
                LogFile.rotateIfFull(config.log(), config.logMax());
            } catch (IOException e) {
                // A LOG refused here is refused, with the reason, when the boot opens it.
            }
            try (BootLog log = BootLog.open("overlay-boot", name, config.log(), listener)) {
                log.line("booting " + name + config.file().map(f -> " from " + f).orElse(""));
                // The reader's warnings were printed where the file was read; LOG keeps them too.
                for (ConfigWarning warning : config.warnings()) {
                    log.warning(warning.toString());
                }
                warnOfPreflight(preflight, log);
                HostExposure.warn(config, log, System.err);
                RtNetlink hostLinks = RtNetlink.open();
                try {
                    SubhostState running = executor.apply(plan, new BootServices(log, store, hostLinks, trees));
                    log.line("booted: pid 1 is " + running.pid1().orElseThrow().pid());
                    return new LinuxSubhost(store, trees, name);
                } finally {
                    closeQuietly(hostLinks);
                }
            }
        } catch (SubhostException e) {
            throw e;
        } catch (IOException | IllegalArgumentException e) {
            throw new SubhostException("boot " + name + ": " + PlanExecutor.reason(e), e);
        } finally {
            // A boot that failed before it read the answer has no use for it.
            preflight.cancel(false);
        }
    }

    /**
     * A probe of the host for the preflight's warnings of a boot of {@code config}, started
     * on a thread of its own ({@link PreflightBeside}), so that it is made while the boot
     * takes its lock, plans and opens LOG: on two cores its 0.8 ms were the longest serial
     * piece of a boot before its first step. The boot reads the answer before its first
     * step, so the probe sees the host before the boot has made anything.
     */
    private java.util.concurrent.Future<Preflighted> probeBeside(SubhostConfig config, HostFacts facts) {
        PreflightBeside probe = new PreflightBeside(config, store, facts);
        if (org.subhost.linux.NamespaceThread.isCurrentThread() || Thread.currentThread().isVirtual()) {
            // A caller that boots from a task of a namespace thread must not start threads:
            // they would share its namespaces and its fs_struct. Nor is a thread made for
            // each of many boots from virtual threads at once, whose cores are busy anyway.
            return probeHere(probe);
        }
        return PreflightBeside.THREADS.submit(probe);
    }

    /** The answer of {@code probe}, probed on the calling thread. */
    private static java.util.concurrent.Future<Preflighted> probeHere(PreflightBeside probe) {
        java.util.concurrent.FutureTask<Preflighted> task = new java.util.concurrent.FutureTask<>(probe);
        task.run();
        return task;
    }

    /**
     * The preflight's probe of one boot, on a thread of its own. A class, not a lambda: the
     * start-up cache holds only the lambdas its training ran. Its threads are daemons, made as
     * needed by a boot's caller (never by a namespace thread's task) and ended after a minute
     * unused, so each is in the JVM's own namespaces.
     */
    private static final class PreflightBeside implements java.util.concurrent.Callable<Preflighted> {
        static final java.util.concurrent.ExecutorService THREADS = java.util.concurrent.Executors
                .newCachedThreadPool(new PreflightThreads());

        private final SubhostConfig config;
        private final StateStore store;
        private final HostFacts facts;

        PreflightBeside(SubhostConfig config, StateStore store, HostFacts facts) {
            this.config = config;
            this.store = store;
            this.facts = facts;
        }

        @Override
        public Preflighted call() {
            return Preflighted.of(config, PreflightProbe.probe(config, store, facts.ifup(), IfupdownStanzas.HOST_FILE,
                    facts.cgroups()));
        }
    }

    /** Makes the preflight's threads: daemons, numbered, so that a JVM can end while one waits. */
    private static final class PreflightThreads implements java.util.concurrent.ThreadFactory {
        private final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public Thread newThread(Runnable work) {
            Thread thread = new Thread(work, "subhost-preflight-".concat(Integer.toString(next.getAndIncrement())));
            thread.setDaemon(true);
            return thread;
        }
    }

    /**
     * Writes the preflight's warnings ({@code pending}'s answer) to LOG; its errors the steps
     * meet themselves (overlay-boot has refused them before, all at once). A fault of the
     * preflight's own is a line of LOG too: warnings must never stop a boot.
     */
    private static void warnOfPreflight(java.util.concurrent.Future<Preflighted> pending, BootLog log) {
        Preflighted answer;
        try {
            answer = pending.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof Error error) {
                throw error;
            }
            log.line("the preflight failed (" + e.getCause() + "); the boot goes on without its warnings");
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.line("the preflight was interrupted; the boot goes on without its warnings");
            return;
        }
        // The unit reader's warnings the boot writes itself, as it reads them from LIVE.
        for (BootProblem problem : answer.problems()) {
            if (!problem.isError() && !answer.units().contains(problem.problem())) {
                log.warning(problem.toString());
            }
        }
    }

    /** Closes the boot's netlink socket; a failure to close is ignored. */
    private static void closeQuietly(RtNetlink links) {
        try {
            links.close();
        } catch (IOException e) {
            // Closing a socket fails only for EBADF, a bug elsewhere; nothing to undo.
        }
    }

    /**
     * Refuses to stop a running subhost that was booted from another file than {@code
     * config}'s. Checked under the NAME's lock, against the record, so that no boot from
     * another file can come in between. A record whose pid 1 is gone is left to the stop to
     * clear, whichever file it names: what it lists is of no running subhost.
     */
    private static void checkBootedFrom(SubhostState state, SubhostConfig config) throws ConfigMismatchException {
        if (config.file().isEmpty() || state.pid1().isEmpty() || !state.pid1().get().isAlive()) {
            return;
        }
        Path given = config.file().get();
        Optional<Path> bootedFrom = state.config();
        if (bootedFrom.isEmpty() || !sameFile(bootedFrom.get(), given)) {
            throw new ConfigMismatchException(state.name(), bootedFrom, given);
        }
    }

    /** Whether two paths name one file: the same path, or (through links) the same inode. */
    private static boolean sameFile(Path a, Path b) {
        if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) {
            return true;
        }
        try {
            return java.nio.file.Files.isSameFile(a, b);
        } catch (IOException e) {
            return false; // one of them is gone: not the same file now
        }
    }

    /** {@code config} with {@code disks} added to its attachments, each once. */
    private static SubhostConfig adoptDisks(SubhostConfig config, List<DiskAttachment> disks) {
        List<DiskAttachment> all = new ArrayList<>(disks);
        config.attachments().stream().filter(a -> !all.contains(a)).forEach(all::add);
        return all.equals(config.attachments()) ? config : config.toBuilder().attachments(all).build();
    }

    @Override
    public void release(List<DiskAttachment> attachments) throws SubhostException {
        List<String> problems = DiskImages.releaseAll(attachments, Log.LOG::info);
        if (!problems.isEmpty()) {
            throw new SubhostException("release: " + String.join("; ", problems));
        }
    }

    @Override
    public List<String> plan(SubhostConfig config) {
        // The warnings a boot would give, on standard error: overlay-boot --dry-run shows them.
        HostExposure.warn(config, null, System.err);
        return BootPlanner.plan(config, HostFacts.probe()).lines();
    }

    @Override
    public List<BootProblem> preflight(SubhostConfig config) {
        // Before the preflight's first system call, as the boot does (see the method): when
        // overlay-boot asks first, this is the cold JVM's first system call, and the jar is
        // read while that call would only wait for the JDK's linking of the downcall handle.
        PlanExecutor.loadWhatIsUsedAfterTheRootSwitch();
        Preflighted answer = Preflighted.of(config, PreflightProbe.probe(config, store, HostFacts.findIfup(),
                IfupdownStanzas.HOST_FILE));
        lastPreflight.set(answer);
        return answer.problems();
    }

    @Override
    public Optional<Subhost> find(String name) {
        try {
            Optional<SubhostState> state = store.read(name);
            if (state.isPresent() && state.get().pid1().isPresent() && state.get().pid1().get().isAlive()) {
                return Optional.of(new LinuxSubhost(store, trees, name));
            }
        } catch (IOException | IllegalArgumentException e) {
            // An unreadable or impossible record names no running subhost.
        }
        return Optional.empty();
    }

    @Override
    public List<SubhostStatus> list() {
        List<SubhostStatus> out = new ArrayList<>();
        try {
            for (String name : store.names()) {
                Optional<Subhost> subhost = find(name);
                if (subhost.isPresent()) {
                    try {
                        out.add(subhost.get().status());
                    } catch (SubhostException e) {
                        // Stopped between find and status: not running, not listed.
                    }
                }
            }
        } catch (IOException e) {
            // No readable state directory: nothing runs.
        }
        return out;
    }

    @Override
    public void stop(SubhostConfig config, Duration grace) throws SubhostException {
        stop(config, grace, ProgressListener.NONE);
    }

    @Override
    public void stop(SubhostConfig config, Duration grace, ProgressListener listener) throws SubhostException {
        stop(config, grace, listener, false);
    }

    @Override
    public void forceStop(SubhostConfig config, Duration grace, ProgressListener listener) throws SubhostException {
        stop(config, grace, listener, true);
    }

    private void stop(SubhostConfig config, Duration grace, ProgressListener listener, boolean anyConf)
            throws SubhostException {
        String name = config.name();
        try (StateStore.NameLock lock = store.lock(name)) {
            Optional<SubhostState> state = store.read(name);
            if (state.isPresent()) {
                if (!anyConf) {
                    checkBootedFrom(state.get(), config);
                }
                Teardown.stopRecorded(store, state.get(), grace, listener);
                return;
            }
            // No record: remove what a boot may have left that carries this NAME (docs/spec.md §6),
            // including the directory of a first record that a boot killed while writing it
            // left empty or with only state.tmp.
            List<String> problems = new ArrayList<>();
            try {
                store.remove(name);
            } catch (IOException e) {
                problems.add("state directory: " + PlanExecutor.reason(e));
            }
            Teardown.removeLinks(config.cables().stream().map(Cable::hostName).toList(), problems);
            // An index that cannot be updated only keeps an entry whose pid 1 is gone: not a failure of the stop.
            Teardown.markStopped(trees, name, new ArrayList<>());
            if (NamedNetns.exists(name)) {
                NamedNetns.delete(name);
            }
            if (!problems.isEmpty()) {
                throw new SubhostException("stop " + name + ": " + String.join("; ", problems));
            }
            throw new NotRunningException(name);
        } catch (SubhostException e) {
            throw e;
        } catch (Exception e) {
            throw new SubhostException("stop " + name + ": " + PlanExecutor.reason(e), e);
        }
    }
}
