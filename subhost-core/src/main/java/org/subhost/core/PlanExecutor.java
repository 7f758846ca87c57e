package org.subhost.core;

import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.subhost.SubhostException;
import org.subhost.linux.NamespaceRequest;
import org.subhost.linux.NamespaceThread;
import org.subhost.linux.SyscallException;

/**
 * Applies a {@link BootPlan}: each step in order, the namespace steps on a fresh thread
 * of their own; when a step fails, the steps applied so far are undone in reverse and the
 * failure names the step.
 *
 * <p>Each step is written to the LOG before it runs. An undo that fails is logged and
 * kept as a suppressed exception; the remaining undos still run.
 *
 * <p>The executor keeps what the steps hand on ({@link BootResults}): each step's result
 * goes into the step's {@link Slot}, and each step reads only the slots it declares
 * ({@link StepInputs}). It keeps each applied step with its result too, so that an undo
 * gets what its own apply returned, and once the boot has ended, done or rolled back,
 * every applied step releases what its result holds open ({@link BootStep#release}): no
 * descriptor of a boot stays open in the JVM.
 */
public final class PlanExecutor {

    /**
     * A test seam: called before each step, it may throw to simulate a failure of that
     * step. Production code uses {@link #NO_FAULTS}.
     */
    @FunctionalInterface
    public interface FaultInjector {
        /**
         * Throws to make step {@code index} (from 1) fail before it runs.
         *
         * @param index the step's number, from 1
         * @param step the step about to run
         * @throws Exception to make the step fail
         */
        void beforeStep(int index, BootStep<?> step) throws Exception;
    }

    /** Injects nothing. */
    public static final FaultInjector NO_FAULTS = (index, step) -> {};

    private final FaultInjector faults;

    /**
     * An executor that calls {@code faults} before each step.
     *
     * @param faults called before each step
     */
    public PlanExecutor(FaultInjector faults) {
        this.faults = faults;
    }

    /**
     * Classes that the namespace thread needs after its pivot_root, loaded before it. The
     * JVM loads a class when it first runs it; after the root switch the thread no longer
     * sees the host's files, so a class of a class directory (tests, an IDE) cannot be
     * found there at all, and one of a jar, though it loads from the open jar, is left out
     * of an ahead-of-time cache for its unreachable location.
     */
    private static final List<String> USED_AFTER_ROOT_SWITCH = List.of(
            "org.subhost.core.NamespaceSpawner",
            "org.subhost.core.NamespaceSpawner$StartPid1",
            "org.subhost.core.NamespaceSpawner$Pid1",
            "org.subhost.core.SdkProgram",
            "org.subhost.core.SdkProgram$FileIdentity",
            "org.subhost.core.Commands",
            "org.subhost.core.Commands$Outcome",
            "org.subhost.core.LogRelay$Started",
            "org.subhost.linux.OffCarrier",
            "org.subhost.linux.Spawn",
            "org.subhost.linux.Spawn$Builder",
            "org.subhost.linux.Redirect",
            "org.subhost.linux.Redirect$DevNull",
            "org.subhost.linux.Redirect$Inherit",
            "org.subhost.linux.Redirect$Fd",
            "org.subhost.linux.Redirect$AppendTo",
            "org.subhost.linux.SyscallException",
            "org.subhost.linux.Errno",
            "org.subhost.core.SubhostTree",
            "org.subhost.linux.AtFiles",
            "org.subhost.linux.FileStatus");

    /**
     * Loads what the namespace thread needs after its pivot_root while the host's files are
     * still at their paths: the classes above, and pid 1's program. That one is a resource
     * of a jar, read through a jar URL, which opens the jar once more by its path and keeps
     * it open; read after the root switch, the path would name the subhost's copy of the jar
     * (where its root shows the host's files), and that open file would keep the subhost's
     * root filesystem, and a disk image under it, busy as long as the JVM runs.
     *
     * <p>A boot, and a preflight (which overlay-boot runs before the boot), call this first,
     * before their first system call ({@link LinuxSubhosts}): in
     * a cold JVM that call waits for the JDK to link the downcall handle on another thread
     * ({@code Bindings.prelinkInBackground}), and reading the jar needs no system call of
     * ours, so it is done in that wait rather than on the boot's path (3-5 ms of a cold
     * {@code overlay-boot}). Later calls find everything loaded and return at once.
     */
    static void loadWhatIsUsedAfterTheRootSwitch() {
        SdkProgram.bytes();
        ClassLoader loader = PlanExecutor.class.getClassLoader();
        for (String name : USED_AFTER_ROOT_SWITCH) {
            try {
                Class.forName(name, true, loader);
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException("class " + name + " of the SDK is missing", e);
            }
        }
    }

    /**
     * Applies {@code plan}, or undoes what it applied and throws. Either way, what the
     * applied steps' results hold open (descriptors, pid 1's pidfd) is closed before it
     * returns ({@link BootStep#release}); the subhost itself stays, when it booted.
     *
     * <p>Host steps marked {@link BootStep.Place#HOST_ALONGSIDE} (the control groups, LOG,
     * the log relay and the cables, when no user's command could look at them) run on the
     * caller's thread while the namespace thread runs the namespace steps; the cables wait
     * for the network namespace that the namespace thread makes for itself first ({@link
     * NetnsCable.AwaitNetns}), and pid 1's spawn for the relay and the init ({@link
     * InitSupervisor.AwaitPrepared}). On two cores the kernel's work for the groups, the
     * relay and the network then costs little time of its own. When a step of one
     * fails, the other stops before its next step, and everything applied by both is undone
     * in the reverse order of completion.
     *
     * <p>Each step's result goes into its slot ({@link BootStep#produces()}) before the
     * next step of its thread starts; the other thread reads it only after it has waited
     * for it ({@link StepInputs#await}) or after both threads have ended (the host steps
     * after the namespace steps), so it sees the result whole.
     *
     * @param plan the steps
     * @param services LOG, the state store and the host's netlink socket, for every step
     * @return the state record of the running subhost ({@link BootPlan#running()})
     * @throws SubhostException naming the failed step and the reason
     */
    SubhostState apply(BootPlan plan, BootServices services) throws SubhostException {
        // Before anything is made: pid 1 runs the SDK's copy through this JVM's
        // /proc/self/fd, which the namespace thread cannot open once its root is the subhost's.
        try {
            SdkProgram.memfd(services.store());
        } catch (SyscallException e) {
            throw new SubhostException("boot " + plan.name() + ": the SDK's copy of subhost-init: " + e.getMessage(), e);
        }
        List<BootStep<?>> steps = plan.steps();
        int alongside = BootPlan.runEnd(steps, 0, BootStep.Place.HOST);
        int namespace = BootPlan.runEnd(steps, alongside, BootStep.Place.HOST_ALONGSIDE);
        int after = BootPlan.runEnd(steps, namespace, BootStep.Place.NAMESPACE);
        // Both threads add to the applied steps; the order of completion is the order of undo.
        Boot boot = new Boot(plan, services, new BootResults(BootPlan.producedBy(steps, 0, steps.size())),
                Collections.synchronizedList(new ArrayList<>(steps.size())), new AtomicBoolean());
        NamespaceLane lane = null;
        try {
            if (namespace < after) {
                // The namespace steps change the thread's mount namespace and root, so they get
                // a fresh platform thread that is thrown away afterwards. CLONE_FS is unshared
                // there first: the kernel refuses unshare(CLONE_NEWNS) to a thread that shares
                // its root and working directory with other threads. It is started now, so that
                // its start (a thread, the unshare; 0.5 ms and more on two loaded cores) is made
                // beside the first steps; it runs no step before they have ended.
                loadWhatIsUsedAfterTheRootSwitch();
                lane = NamespaceLane.start(this, boot, namespace, after);
            }
            try {
                applyRange(boot, 0, alongside);
            } finally {
                if (lane != null) {
                    // Its steps begin only after the record and the registration; after a
                    // failure there, none of them does.
                    lane.begin(!boot.failed.get());
                }
            }
            if (lane != null) {
                StepFailure alongsideFailure = null;
                try {
                    applyRange(boot, alongside, namespace);
                } catch (StepFailure failure) {
                    alongsideFailure = failure;
                } finally {
                    laneEnded(boot, alongside, namespace);
                }
                // The namespace thread's steps, not its end: it leaves its namespaces and ends
                // while the steps after it run (awaited below, before this returns).
                StepFailure namespaceFailure = lane.stepsDone(namespace + 1);
                if (namespaceFailure != null) {
                    // The first to fail is the cause; the other lane only stopped.
                    if (alongsideFailure == null || alongsideFailure.stoppedByOther) {
                        alongsideFailure = namespaceFailure;
                    }
                }
                if (alongsideFailure != null) {
                    throw alongsideFailure;
                }
            } else {
                applyRange(boot, alongside, namespace);
            }
            applyRange(boot, after, steps.size());
            if (lane != null) {
                NamespaceLane ended = lane;
                lane = null;
                ended.await(namespace + 1);
            }
        } catch (StepFailure failure) {
            throw rollBack(boot, awaitEnd(lane, failure));
        } catch (Exception | Error e) {
            // The namespace thread itself could not be set up: no step ran there.
            throw rollBack(boot, awaitEnd(lane, new StepFailure(namespace + 1, "start the boot thread", e)));
        } finally {
            release(boot);
        }
        return boot.results.get(plan.running());
    }

    /**
     * Before a rollback: lets the namespace thread (if {@code lane} is one still to wait for)
     * end without further steps, and waits until it has, so that nothing runs there while
     * the steps are undone; returns {@code failure}, the cause. What the thread failed at
     * besides (a step stopped by the failure, or its return to the host's mount namespace)
     * is a consequence.
     */
    private static StepFailure awaitEnd(NamespaceLane lane, StepFailure failure) {
        if (lane != null) {
            lane.begin(false);
            try {
                lane.await(failure.index);
            } catch (StepFailure consequence) {
                // The cause is failure.
            }
        }
        return failure;
    }

    /**
     * The namespace thread of one boot. Started before the boot's first step, it waits
     * until the caller's first run of host steps (the checks, the record, the registration)
     * has ended, then applies the namespace steps, or none when that run failed. The caller
     * goes on once those steps are done ({@link #stepsDone}) while the thread leaves its
     * namespaces and ends, and waits for that end ({@link #await}) before the boot returns
     * or is rolled back.
     */
    private static final class NamespaceLane {
        /** How often a wait for the steps looks whether the thread ended without them. */
        private static final long LOOK_MILLIS = 20;
        private final CompletableFuture<Boolean> begin = new CompletableFuture<>();
        private final CompletableFuture<StepFailure> done = new CompletableFuture<>();
        private NamespaceThread.Running<Void, StepFailure> thread;

        static NamespaceLane start(PlanExecutor executor, Boot boot, int from, int to) {
            NamespaceLane lane = new NamespaceLane();
            lane.thread = NamespaceThread.start("boot " + boot.plan.name(), NamespaceRequest.builder().build(), () -> {
                if (!lane.begin.join()) {
                    lane.done.complete(null);
                    return null;
                }
                StepFailure failed = null;
                try {
                    executor.applyRange(boot, from, to);
                } catch (StepFailure failure) {
                    failed = failure;
                    throw failure;
                } finally {
                    laneEnded(boot, from, to);
                    lane.done.complete(failed);
                }
                return null;
            });
            return lane;
        }

        /** Lets the thread apply its steps ({@code go}), or end without any; only the first call counts. */
        void begin(boolean go) {
            begin.complete(go);
        }

        /**
         * Waits until the thread's steps are done, failed or stopped; returns the failure of
         * one, or null. A thread that ended without them (it could not unshare CLONE_FS)
         * fails step {@code index}, the first of them.
         */
        StepFailure stepsDone(int index) throws StepFailure {
            boolean interrupted = false;
            try {
                while (true) {
                    try {
                        return done.get(LOOK_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS);
                    } catch (java.util.concurrent.TimeoutException e) {
                        if (thread.hasEnded() && !done.isDone()) {
                            await(index);
                            throw new StepFailure(index, "start the boot thread",
                                    new IllegalStateException("the boot thread ended before its steps"));
                        }
                    } catch (InterruptedException e) {
                        // Handed on to the thread, as NamespaceThread's own wait does; its steps
                        // must not be left half made, so they are waited for all the same.
                        interrupted = true;
                        thread.interrupt();
                    } catch (java.util.concurrent.ExecutionException e) {
                        throw new IllegalStateException(e); // never completed exceptionally
                    }
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /**
         * Waits for the thread to have ended; a failure of its own (a namespace it could not
         * set up or leave) is step {@code index}'s.
         */
        void await(int index) throws StepFailure {
            try {
                thread.await();
            } catch (SyscallException e) {
                throw new StepFailure(index, "start the boot thread", e);
            }
        }
    }

    /**
     * One application of a plan: its services, the results so far, the steps applied (in
     * the order they ended) and whether a step has failed.
     */
    private record Boot(BootPlan plan, BootServices services, BootResults results, List<Applied<?>> applied,
            AtomicBoolean failed) {
        /** {@return what {@code step} works with} */
        StepInputs inputs(BootStep<?> step) {
            return new StepInputs(services, results, step);
        }
    }

    /**
     * A step that was applied, with its result: what its undo and release get back.
     *
     * @param <R> the type of the result
     */
    private record Applied<R>(BootStep<R> step, R result) {
        /** Applies {@code step}. */
        static <R> Applied<R> of(BootStep<R> step, StepInputs in) throws Exception {
            return new Applied<>(step, step.apply(in));
        }

        /** Puts the result into the step's slot, if it has one, for the steps after it. */
        void handOn(BootResults results) {
            Optional<Slot<R>> slot = step.produces();
            if (slot.isPresent()) {
                results.put(slot.get(), result);
            }
        }

        void undo(StepInputs in) throws Exception {
            step.undo(result, in);
        }

        void release() {
            step.release(result);
        }
    }

    /**
     * Called when the steps {@code from} to {@code to}, one thread's, have ended, done or
     * failed: a step of the other thread that waits for a result of theirs (the network
     * namespace, {@link NetnsCable.AwaitNetns}) stops waiting, since a thread that failed or
     * stopped will not make it.
     */
    private static void laneEnded(Boot boot, int from, int to) {
        for (Slot<?> slot : BootPlan.producedBy(boot.plan.steps(), from, to)) {
            boot.results.abandon(slot);
        }
    }

    /**
     * Applies steps {@code from} (inclusive) to {@code to}; stops with a failure before a
     * step once a step of the boot's other thread has failed.
     */
    private void applyRange(Boot boot, int from, int to) throws StepFailure {
        List<BootStep<?>> steps = boot.plan.steps();
        for (int i = from; i < to; i++) {
            int index = i + 1;
            BootStep<?> step = steps.get(i);
            if (boot.failed.get()) {
                throw StepFailure.stopped(index, step.describe());
            }
            boot.services.log().line("step " + index + ": " + step.describe());
            try {
                faults.beforeStep(index, step);
                Applied<?> done = Applied.of(step, boot.inputs(step));
                // Undone from here on, even if its result could not be handed on.
                boot.applied.add(done);
                done.handOn(boot.results);
            } catch (Exception | Error e) {
                // An Error too (OutOfMemoryError, StackOverflowError): what the boot made so
                // far must still be undone, or its netns, links, cgroup and record stay.
                // A step that fails after the other thread's did (such as one waiting for
                // what the other thread would have made) is a consequence, not the cause.
                boolean otherFailedFirst = boot.failed.getAndSet(true);
                throw new StepFailure(index, step.describe(), e, otherFailedFirst);
            }
        }
    }

    private SubhostException rollBack(Boot boot, StepFailure failure) {
        BootLog log = boot.services.log();
        String message = "boot " + boot.plan.name() + ": step " + failure.index + " (" + failure.step + ") failed: "
                + reason(failure.getCause());
        log.error(message);
        SubhostException exception = new SubhostException(message, failure.step, failure.getCause());
        List<Applied<?>> applied = boot.applied;
        for (int i = applied.size() - 1; i >= 0; i--) {
            Applied<?> done = applied.get(i);
            try {
                done.undo(boot.inputs(done.step()));
            } catch (Exception | Error e) {
                log.warning("undo of \"" + done.step().describe() + "\" failed: " + reason(e));
                exception.addSuppressed(e);
            }
        }
        log.line("boot " + boot.plan.name() + ": rolled back " + applied.size() + " step(s)");
        return exception;
    }

    /**
     * Closes what the applied steps' results hold open, the last applied first, once the
     * boot has ended (both threads have); after the undos when it failed.
     */
    private static void release(Boot boot) {
        List<Applied<?>> applied = boot.applied;
        for (int i = applied.size() - 1; i >= 0; i--) {
            try {
                applied.get(i).release();
            } catch (RuntimeException e) {
                // A release only closes this process's handles; one that fails (EBADF, a bug
                // elsewhere) must not keep the others open.
            }
        }
    }

    /** A failure's reason for people: the kernel's words, or what is wrong with which path. */
    static String reason(Throwable t) {
        if (t instanceof NoSuchFileException e) {
            return e.getFile() + ": no such file or directory";
        } else if (t instanceof FileAlreadyExistsException e) {
            return e.getFile() + ": already exists";
        } else if (t instanceof AccessDeniedException e) {
            return e.getFile() + ": permission denied";
        } else if (t instanceof NotDirectoryException e) {
            return e.getFile() + ": not a directory";
        } else if (t instanceof DirectoryNotEmptyException e) {
            return e.getFile() + ": directory not empty";
        }
        String message = t.getMessage();
        return message == null || message.isBlank() ? t.getClass().getSimpleName() : message;
    }

    /**
     * A step that failed, with its number and description; the cause is the reason. Or, with
     * {@code stoppedByOther}, a step not run because the boot's other thread failed.
     */
    private static final class StepFailure extends Exception {
        private static final long serialVersionUID = 1L;
        final int index;
        final String step;
        final boolean stoppedByOther;

        StepFailure(int index, String step, Throwable cause) {
            this(index, step, cause, false);
        }

        StepFailure(int index, String step, Throwable cause, boolean stoppedByOther) {
            super(step, cause);
            this.index = index;
            this.step = step;
            this.stoppedByOther = stoppedByOther;
        }

        static StepFailure stopped(int index, String step) {
            return new StepFailure(index, step, new IllegalStateException("not run: the boot failed elsewhere"), true);
        }
    }
}
