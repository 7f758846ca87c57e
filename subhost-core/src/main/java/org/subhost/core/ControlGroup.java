package org.subhost.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.subhost.config.Limits;
import org.subhost.linux.Errno;
import org.subhost.linux.NamespaceThread;
import org.subhost.linux.SyscallException;

/**
 * The subhost's control groups (docs/architecture.md, "Control groups"): its group in the
 * cgroup v2 hierarchy and in each cgroup v1 hierarchy it needs ({@link SubhostGroups}), made
 * with its limits and device policy before pid 1 is spawned, joined by pid 1 and the log
 * relay before pid 1 starts anything of the subhost, so that every process of the subhost
 * is accounted and limited there from its first instruction.
 *
 * <p>The steps run on every boot's path, where the JVM still interprets them for the first
 * few hundred boots: their descriptions are built with loops rather than streams.
 */
final class ControlGroup {
    private ControlGroup() {}

    /**
     * How deep the groups below the subhost's may nest ({@code cgroup.max.depth}): an init
     * system's slices, services and user sessions, and a nested subhost's own, need fewer.
     */
    static final int MAX_DEPTH = 16;
    /**
     * How many groups there may be below the subhost's in all ({@code
     * cgroup.max.descendants}): each costs the host's kernel memory, and a subhost that makes
     * groups without end (an init system in a loop, or its root on purpose) must not exhaust it.
     */
    static final int MAX_DESCENDANTS = 4096;

    /**
     * A refusal found while planning: a limit that this host cannot apply (no such
     * controller). The step fails the boot before anything is made, naming the limit, the
     * controller and the host's layout; {@code overlay-boot --dry-run} shows it.
     *
     * @param reason the message
     */
    record Refuse(String reason) implements BootStep.OnHost<Void> {
        @Override
        public String describe() {
            return "limits: refused: " + reason;
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            throw new IOException(reason);
        }
    }

    /**
     * mkdir of the groups (with the v2 controllers enabled in the parent), then the limits
     * written and the device policy applied, on the host before the log relay starts (so that
     * its move, {@link JoinRelay}, begins early) and before any process is in them. Undo: the
     * groups removed, once their processes are gone.
     *
     * @param groups where the groups go
     * @param limits the limits; those at the kernel's default are not written
     * @param devices the device policy
     * @param layout the host's layout, for messages
     */
    record Create(SubhostGroups groups, Limits limits, DevicePolicy devices, CgroupLayout layout)
            implements BootStep.OnHost<Void> {
        @Override
        public String describe() {
            StringBuilder b = new StringBuilder("control groups ");
            joinPaths(b, groups.directories());
            if (!groups.v2Controllers().isEmpty()) {
                b.append(" (v2 controllers ").append(String.join(" ", new java.util.TreeSet<>(groups.v2Controllers())))
                        .append(')');
            }
            b.append("; ");
            List<String> set = set(limits);
            if (set.isEmpty()) {
                b.append("no limits");
            }
            for (int i = 0; i < set.size(); i++) {
                b.append(i == 0 ? "" : " ").append(set.get(i)).append('=').append(limits.text(set.get(i)));
            }
            return b.append("; devices ").append(devices.describe()).toString();
        }

        /** The limits of {@code limits} that are set, DISK_MAX among them, in the order of {@link Limits#VARIABLES}. */
        private static List<String> setWithDisk(Limits limits) {
            List<String> set = new java.util.ArrayList<>();
            for (String v : Limits.VARIABLES) {
                if (!limits.isKernelDefault(v)) {
                    set.add(v);
                }
            }
            return set;
        }

        /** The same without DISK_MAX, which is no control group's (DiskQuota sets it). */
        private static List<String> set(Limits limits) {
            List<String> set = setWithDisk(limits);
            set.remove("DISK_MAX");
            return set;
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            List<CgroupLimits.Write> writes = CgroupLimits.writes(limits, setWithDisk(limits), groups, layout);
            Cgroups.make(groups);
            try {
                CgroupLimits.apply(writes);
                devices.apply(groups, in.log()::warning);
                if (groups.v2().isPresent()) {
                    bound(groups.v2().get());
                }
            } catch (IOException | RuntimeException e) {
                try {
                    Cgroups.remove(groups);
                } catch (IOException undo) {
                    e.addSuppressed(undo);
                }
                throw e;
            }
            return null;
        }

        @Override
        public void undo(Void nothing, StepInputs in) throws Exception {
            Cgroups.remove(groups);
        }
    }

    /** Appends {@code paths}, parted by commas, to {@code b}; returns {@code b}. */
    private static StringBuilder joinPaths(StringBuilder b, List<Path> paths) {
        for (int i = 0; i < paths.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(paths.get(i));
        }
        return b;
    }

    /**
     * Writes {@code cgroup.max.depth} and {@code cgroup.max.descendants} of {@code group}
     * when the hierarchy has them (cgroup v2, Linux 4.14); a v1 hierarchy has neither.
     */
    static void bound(Path group) throws IOException {
        // Opened without O_CREAT: ENOENT says the hierarchy has no such file, in the one call
        // that writes it where it has.
        try {
            CgroupLimits.write(group.resolve("cgroup.max.depth"), Integer.toString(MAX_DEPTH));
        } catch (SyscallException e) {
            if (e.is(Errno.ENOENT)) {
                return;
            }
            throw e;
        }
        CgroupLimits.write(group.resolve("cgroup.max.descendants"), Integer.toString(MAX_DESCENDANTS));
    }

    /**
     * The log relay ({@code relay}) into the subhost's v2 and memory groups, since its memory
     * is the subhost's too (it ends with the subhost, before the groups go): begun here, right
     * after the relay's start, on a thread of its own ({@link Joining}), so that the kernel's
     * wait (see {@link Join}) passes while the boot goes on; pid 1's go waits for it.
     */
    record JoinRelay(SubhostGroups groups, Slot<LogRelay.Ends> relay, Slot<Joining> joining)
            implements BootStep.OnHost<Joining> {
        @Override
        public String describe() {
            return joinPaths(new StringBuilder("the log relay into control groups "), groups.relayDirectories())
                    .append(", on a thread of its own").toString();
        }

        @Override
        public List<Slot<?>> consumes() {
            return List.of(relay);
        }

        @Override
        public Optional<Slot<Joining>> produces() {
            return Optional.of(joining);
        }

        @Override
        public Joining apply(StepInputs in) throws Exception {
            // The relay's pid is read there too: its start is not waited for on this thread.
            return Joining.start("the log relay", groups.relayDirectories(), in.get(relay).started());
        }

        @Override
        public void undo(Joining started, StepInputs in) throws Exception {
            // No move may land after the undo of the relay's start and of the groups.
            started.awaitEnd();
        }
    }

    /**
     * pid 1 ({@code pid1}) into every group of the subhost, by writing its pid to each
     * {@code cgroup.procs}: begun here on a thread of its own ({@link Joining}) while the
     * caller's thread goes on with the next steps; the release of pid 1 ({@link
     * NamespaceSpawner.ReleaseInit}) waits for it before it gives pid 1 its go. So pid 1 still
     * starts nothing of the subhost outside its groups: it waits for that go.
     *
     * <p>Why a thread: the kernel moves a process under its global {@code
     * cgroup_threadgroup_rwsem}, taken for writing, and a writer that finds it idle first
     * waits for an RCU grace period ({@code rcu_sync_enter}, then {@code synchronize_rcu}):
     * 8 to 20 ms on this 2-core VM under load, against 0.01 to 0.05 ms for each move made
     * while the kernel is still in its fast mode after one. The log relay's move, begun well
     * before ({@link JoinRelay}), has usually paid that wait by the time pid 1's starts.
     */
    record Join(SubhostGroups groups, Slot<NamespaceSpawner.Pid1> pid1, Slot<Joining> joining)
            implements BootStep.OnHost<Joining> {
        @Override
        public String describe() {
            return joinPaths(new StringBuilder("pid 1 into control groups "), groups.directories())
                    .append(", on a thread of its own; pid 1's go waits for it").toString();
        }

        @Override
        public List<Slot<?>> consumes() {
            return List.of(pid1);
        }

        @Override
        public Optional<Slot<Joining>> produces() {
            return Optional.of(joining);
        }

        @Override
        public Joining apply(StepInputs in) throws Exception {
            return Joining.start("pid 1 (" + in.get(pid1).pid() + ")", groups.directories(),
                    in.get(pid1).pid());
        }

        @Override
        public void undo(Joining started, StepInputs in) throws Exception {
            // No move may land after the undo of pid 1's start and of the groups.
            started.awaitEnd();
        }
    }

    /**
     * A move of one process into the subhost's groups ({@link JoinRelay}, {@link Join}), under
     * way on a platform thread: started by the caller's thread, in the host's namespaces (a
     * thread started from the boot's namespace thread would share its mount namespace and
     * root), and a platform thread, since a virtual one would pin its carrier in the kernel's
     * wait.
     *
     * @param who the process, for messages: {@code pid 1 (PID)}, {@code the log relay}
     * @param done completed when the process is in every group, or with the first refusal
     */
    record Joining(String who, CompletableFuture<Void> done) {
        /**
         * Daemon platform threads, made as needed and ended after a minute unused: a boot
         * takes one that is there, for about 0.02 ms, where a new thread costs 0.15 ms and
         * more. Each is made by the thread of a boot that submits to it: a host step's, and
         * never one of a {@link NamespaceThread} (which moves its processes itself), so that
         * each is in the JVM's own namespaces, with its root and working directory.
         */
        private static final class Movers implements java.util.concurrent.ThreadFactory {
            static final java.util.concurrent.ExecutorService THREADS = java.util.concurrent.Executors
                    .newCachedThreadPool(new Movers());

            // Not a thread builder's factory: that one numbers its threads through a
            // VarHandle, whose method handle classes a cold CLI generated at run time on the
            // boot's path (the start-up cache does not hold them), some milliseconds.
            private final java.util.concurrent.atomic.AtomicInteger next =
                    new java.util.concurrent.atomic.AtomicInteger();

            @Override
            public Thread newThread(Runnable work) {
                Thread thread = new Thread(work, "subhost-cgroup-move-".concat(Integer.toString(next.getAndIncrement())));
                thread.setDaemon(true);
                return thread;
            }
        }

        /** How long a move may take: it waits for the kernel's cgroup lock only. */
        static final Duration LIMIT = Duration.ofSeconds(10);

        /**
         * Starts the move of {@code pid} into {@code dirs}, in order, on a thread of {@link
         * Movers}; no move at all for no process ({@code pid} 0 or less).
         */
        static Joining start(String who, List<Path> dirs, int pid) {
            if (pid <= 0) {
                CompletableFuture<Void> done = new CompletableFuture<>();
                done.complete(null);
                return new Joining(who, done);
            }
            return start(who, dirs, pid, null);
        }

        /**
         * Starts the move of the log relay, whose pid {@code relay} gives once its start has
         * ended ({@link LogRelay.Started}), into {@code dirs} as {@link #start(String, List, int)} does.
         */
        static Joining start(String who, List<Path> dirs, LogRelay.Started relay) {
            return start(who, dirs, 0, relay);
        }

        private static Joining start(String who, List<Path> dirs, int pid, LogRelay.Started relay) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            if (dirs.isEmpty()) {
                done.complete(null);
                return new Joining(who, done);
            }
            Move move = new Move(List.copyOf(dirs), pid, relay, done);
            if (NamespaceThread.isCurrentThread()) {
                // A caller that boots from a task of a namespace thread (in a network namespace
                // of its own, say) must not start threads: they would share its namespaces and
                // its fs_struct, and the kernel would refuse its way back. It moves them itself.
                move.run();
                return new Joining(who, done);
            }
            Movers.THREADS.execute(move);
            return new Joining(who, done);
        }

        /**
         * The work of a mover thread. A class, not a lambda: a cold CLI generated the method
         * handle classes of the lambda's call site on the boot's path (the start-up cache
         * does not hold them), four to six classes of about a millisecond each. Not a record
         * either, whose equals and hashCode would be generated at run time if anything
         * called them.
         */
        private static final class Move implements Runnable {
            private final List<Path> dirs;
            private final int pid;
            /** The log relay's start, which gives the pid; null when {@code pid} is given. */
            private final LogRelay.Started relay;
            private final CompletableFuture<Void> done;

            Move(List<Path> dirs, int pid, LogRelay.Started relay, CompletableFuture<Void> done) {
                this.dirs = dirs;
                this.pid = pid;
                this.relay = relay;
                this.done = done;
            }

            @Override
            public void run() {
                try {
                    Cgroups.join(dirs, relay != null ? relay.pid() : pid);
                    done.complete(null);
                } catch (Throwable e) {
                    done.completeExceptionally(e);
                }
            }
        }

        /**
         * Waits until the process is in every group.
         *
         * @throws IOException naming the process and the kernel's refusal (the group's file,
         *     the pid, the errno), or saying that the move did not end within {@link #LIMIT}
         */
        void await() throws IOException, InterruptedException {
            try {
                done.get(LIMIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof Error error) {
                    throw error;
                }
                throw new IOException(who + " could not join the subhost's control groups: "
                        + PlanExecutor.reason(cause), cause);
            } catch (TimeoutException e) {
                throw new IOException(who + " was not in the subhost's control groups within " + LIMIT.toSeconds()
                        + " s");
            }
        }

        /** Waits until the move has ended, made or refused (for an undo: a refusal was told). */
        void awaitEnd() throws InterruptedException {
            try {
                done.get(LIMIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                // refused: the boot's failure says why; still under way after the limit:
                // the kernel refuses a move into a group that is gone
            }
        }
    }

    /**
     * Removes the groups below {@code group}, deepest first: an init system as pid 1 makes
     * its own (init.scope, system.slice/...), and the kernel removes only a group without
     * children (rmdir gives EBUSY otherwise). A group's directory holds only the kernel's
     * interface files, which rmdir takes along, and its child groups.
     */
    private static void removeChildren(Path group) throws IOException {
        if (!Files.isDirectory(group, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        List<Path> children;
        try (Stream<Path> entries = Files.list(group)) {
            children = entries.filter(p -> Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).toList();
        }
        for (Path child : children) {
            removeChildren(child);
            Files.deleteIfExists(child);
        }
    }

    /**
     * Removes the group and the groups below it. The kernel refuses (EBUSY) while a process is in it; the processes
     * of a pid namespace may need a moment to leave after pid 1 is gone, so this retries
     * for up to two seconds.
     */
    static void remove(Path group) throws IOException {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (true) {
            try {
                // rmdir first: most groups have none below them, and listing a group's
                // directory means a stat of each of its dozens of interface files.
                try {
                    Files.deleteIfExists(group);
                    return;
                } catch (FileSystemException busy) {
                    removeChildren(group);
                }
                Files.deleteIfExists(group);
                return;
            } catch (FileSystemException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("cannot remove control group " + group + ": " + PlanExecutor.reason(e)
                            + " (processes still in it: " + Files.readString(group.resolve("cgroup.procs")).trim()
                            + ")", e);
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while removing " + group, ie);
                }
            }
        }
    }
}
