package org.subhost.core;

import java.util.List;
import java.util.Optional;

/**
 * One step of a boot plan: data that says what it will do ({@link #describe()}), how to do
 * it, how to undo it, and which results it hands to later steps and takes from earlier ones.
 *
 * <p>Steps are records, each {@link OnHost} or {@link InNamespace}. {@link #apply} runs on
 * the thread that the step's {@link #place()} names; {@link #undo} always runs on the booting caller's thread, after the namespace
 * thread has ended, so an undo must not depend on that thread's mount namespace or root.
 * Mounts made in the subhost's own mount namespace need no undo at all: the namespace and
 * everything mounted in it disappear with its last task (the boot thread, and pid 1 once
 * it is killed).
 *
 * <p>What a step makes for later steps (an open network namespace, pid 1) is its result,
 * of type {@code R}: {@link #apply} returns it, {@link #undo} and {@link #release} get it
 * back, and when later steps need it, it goes into the step's {@link #produces() slot}.
 * A step reads earlier results only through the slots it declares ({@link #consumes()},
 * {@link #awaits()}), which {@link BootPlanner} hands it; no step writes anything that
 * another reads but its result. A step that makes nothing for anyone is a {@code
 * BootStep<Void>} and returns null.
 *
 * @param <R> the type of the step's result
 */
public interface BootStep<R> {

    /** Where a step's {@link #apply} runs. */
    enum Place {
        /** On the booting caller's thread, in the host's namespaces. */
        HOST,
        /**
         * On the booting caller's thread, in the host's namespaces, while the namespace
         * thread runs the namespace steps that follow (see {@link Alongside}).
         */
        HOST_ALONGSIDE,
        /** On the boot's own namespace thread (its mount namespace; see {@link NamespaceSpawner}). */
        NAMESPACE
    }

    /**
     * {@return one line for the plan and the LOG, such as {@code mount overlay ex1 on /ex1/live}}
     */
    String describe();

    /** {@return where {@link #apply} runs} */
    Place place();

    /** {@return the slot that the result goes into for later steps; empty when none reads it} */
    default Optional<Slot<R>> produces() {
        return Optional.empty();
    }

    /**
     * The slots of earlier steps' results that {@link #apply} and {@link #undo} read. Each
     * must be produced by a step that has ended before this one starts (see {@link BootPlan}).
     *
     * @return the slots, none by default
     */
    default List<Slot<?>> consumes() {
        return List.of();
    }

    /**
     * The slots that {@link #apply} waits for: results of the boot's other thread, which
     * {@link StepInputs#await} gives once they are there. A step alongside ({@link Alongside})
     * may wait for what a namespace step produces, and a namespace step for what a step
     * alongside produces; the wait ends, empty, when the other thread ends without it.
     *
     * @return the slots, none by default
     */
    default List<Slot<?>> awaits() {
        return List.of();
    }

    /**
     * A step that runs on the booting caller's thread, in the host's namespaces.
     *
     * @param <R> the type of the step's result
     */
    interface OnHost<R> extends BootStep<R> {
        @Override
        default Place place() {
            return Place.HOST;
        }
    }

    /**
     * A step that runs on the boot's namespace thread.
     *
     * @param <R> the type of the step's result
     */
    interface InNamespace<R> extends BootStep<R> {
        @Override
        default Place place() {
            return Place.NAMESPACE;
        }
    }

    /**
     * A host step that runs while the namespace thread runs the namespace steps after it:
     * for steps that nothing in the namespace steps can observe (the cables, when PREMOUNT
     * and POSTMOUNT are the built-in ones; the control groups, LOG and the log relay, when
     * INIT is no command either; pid 1 waits for its go, given only after both threads are
     * done, before the init runs). One that needs a namespace step's result waits for it
     * ({@link NetnsCable.AwaitNetns}), and a namespace step that needs its result waits for
     * it ({@link InitSupervisor.AwaitPrepared}).
     *
     * @param <R> the type of the step's result
     * @param step the host step, applied and undone as it is
     */
    record Alongside<R>(BootStep<R> step) implements BootStep<R> {
        /** Checks that {@code step} is a host step. */
        public Alongside {
            if (step.place() != Place.HOST) {
                throw new IllegalArgumentException("only a host step can run alongside the namespace steps: "
                        + step.describe());
            }
        }

        @Override
        public String describe() {
            return step.describe();
        }

        @Override
        public Place place() {
            return Place.HOST_ALONGSIDE;
        }

        @Override
        public Optional<Slot<R>> produces() {
            return step.produces();
        }

        @Override
        public List<Slot<?>> consumes() {
            return step.consumes();
        }

        @Override
        public List<Slot<?>> awaits() {
            return step.awaits();
        }

        @Override
        public R apply(StepInputs in) throws Exception {
            return step.apply(in);
        }

        @Override
        public void undo(R result, StepInputs in) throws Exception {
            step.undo(result, in);
        }

        @Override
        public void release(R result) {
            step.release(result);
        }
    }

    /**
     * Does the step; throws when the kernel or a command refuses. A step that fails after
     * it opened something closes that itself: it gets no undo and no release.
     *
     * @param in the boot's services and the results this step declares it reads
     * @return the result, for {@link #undo}, {@link #release} and the steps that read {@link
     *     #produces()}; null for a {@code BootStep<Void>}
     * @throws Exception when the kernel or a command refuses; the executor wraps it into a
     *     {@code SubhostException} that names this step
     */
    R apply(StepInputs in) throws Exception;

    /**
     * Undoes what {@link #apply} did; called only when it returned normally, with what it
     * returned.
     *
     * @param result what {@link #apply} returned
     * @param in the same inputs as {@link #apply} had
     * @throws Exception when undoing fails; the executor logs it and goes on undoing
     */
    default void undo(R result, StepInputs in) throws Exception {}

    /**
     * Closes what {@code result} holds open for later steps (descriptors, a pidfd) once
     * the boot has ended, whether it succeeded or was rolled back (then after every undo).
     * The subhost itself is never touched: only this process's handles on it. Called only
     * when {@link #apply} returned normally; a close that fails is a bug elsewhere (EBADF)
     * and is ignored.
     *
     * @param result what {@link #apply} returned
     */
    default void release(R result) {}
}
