package org.subhost.core;

/**
 * One step of a boot plan: data that says what it will do ({@link #describe()}), how to do
 * it, and how to undo it.
 *
 * <p>Steps are records, each {@link OnHost} or {@link InNamespace}. {@link #apply} runs on
 * the thread that the step's {@link #place()} names; {@link #undo} always runs on the booting caller's thread, after the namespace
 * thread has ended, so an undo must not depend on that thread's mount namespace or root.
 * Mounts made in the subhost's own mount namespace need no undo at all: the namespace and
 * everything mounted in it disappear with its last task (the boot thread, and pid 1 once
 * it is killed).
 */
public interface BootStep {

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

    /** A step that runs on the booting caller's thread, in the host's namespaces. */
    interface OnHost extends BootStep {
        @Override
        default Place place() {
            return Place.HOST;
        }
    }

    /** A step that runs on the boot's namespace thread. */
    interface InNamespace extends BootStep {
        @Override
        default Place place() {
            return Place.NAMESPACE;
        }
    }

    /**
     * A host step that runs while the namespace thread runs the namespace steps after it:
     * for steps that nothing in the namespace steps can observe (the cables, when PREMOUNT
     * and POSTMOUNT are the built-in ones; pid 1 waits for its
     * go, given only after both threads are done, before the init runs). One that needs a
     * namespace step's result waits for it ({@link NetnsCable.AwaitNetns}).
     *
     * @param step the host step, applied and undone as it is
     */
    record Alongside(BootStep step) implements BootStep {
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
        public void apply(BootContext context) throws Exception {
            step.apply(context);
        }

        @Override
        public void undo(BootContext context) throws Exception {
            step.undo(context);
        }
    }

    /**
     * Does the step; throws when the kernel or a command refuses.
     *
     * @param context the boot's shared state: configuration, netns, pid 1, LOG
     * @throws Exception when the kernel or a command refuses; the executor wraps it into a
     *     {@code SubhostException} that names this step
     */
    void apply(BootContext context) throws Exception;

    /**
     * Undoes what {@link #apply} did; called only when it returned normally.
     *
     * @param context the boot's shared state: configuration, netns, pid 1, LOG
     * @throws Exception when undoing fails; the executor logs it and goes on undoing
     */
    default void undo(BootContext context) throws Exception {}
}
