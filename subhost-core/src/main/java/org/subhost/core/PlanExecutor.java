package org.subhost.core;

import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.ArrayList;
import java.util.List;
import org.subhost.SubhostException;
import org.subhost.linux.NamespaceRequest;
import org.subhost.linux.NamespaceThread;

/**
 * Applies a {@link BootPlan}: each step in order, the namespace steps on a fresh thread
 * of their own; when a step fails, the steps applied so far are undone in reverse and the
 * failure names the step.
 *
 * <p>Each step is written to the LOG before it runs. An undo that fails is logged and
 * kept as a suppressed exception; the remaining undos still run.
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
        void beforeStep(int index, BootStep step) throws Exception;
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
            "org.subhost.core.Commands",
            "org.subhost.core.Commands$Outcome",
            "org.subhost.linux.Spawn",
            "org.subhost.linux.Spawn$Builder",
            "org.subhost.linux.Redirect",
            "org.subhost.linux.Redirect$DevNull",
            "org.subhost.linux.Redirect$Inherit",
            "org.subhost.linux.Redirect$Fd",
            "org.subhost.linux.Redirect$AppendTo",
            "org.subhost.linux.SyscallException",
            "org.subhost.linux.Errno");

    private static void loadClassesUsedAfterTheRootSwitch() {
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
     * Applies {@code plan}, or undoes what it applied and throws.
     *
     * @param plan the steps
     * @param context the boot's shared state
     * @throws SubhostException naming the failed step and the reason
     */
    public void apply(BootPlan plan, BootContext context) throws SubhostException {
        List<BootStep> steps = plan.steps();
        List<BootStep> applied = new ArrayList<>(steps.size());
        int[] next = {0};
        try {
            applyRun(steps, next, BootStep.Place.HOST, applied, context);
            if (next[0] < steps.size()) {
                // The namespace steps change the thread's mount namespace and root, so they get
                // a fresh platform thread that is thrown away afterwards. CLONE_FS is unshared
                // there first: the kernel refuses unshare(CLONE_NEWNS) to a thread that shares
                // its root and working directory with other threads.
                loadClassesUsedAfterTheRootSwitch();
                NamespaceThread.run("boot " + plan.name(), NamespaceRequest.builder().build(), () -> {
                    applyRun(steps, next, BootStep.Place.NAMESPACE, applied, context);
                    return null;
                });
            }
            applyRun(steps, next, BootStep.Place.HOST, applied, context);
        } catch (StepFailure failure) {
            throw rollBack(plan, applied, context, failure);
        } catch (Exception e) {
            // The namespace thread itself could not be set up: no step ran there.
            throw rollBack(plan, applied, context, new StepFailure(next[0], "start the boot thread", e));
        }
    }

    private void applyRun(List<BootStep> steps, int[] next, BootStep.Place place, List<BootStep> applied,
            BootContext context) throws StepFailure {
        while (next[0] < steps.size() && steps.get(next[0]).place() == place) {
            int index = next[0] + 1;
            BootStep step = steps.get(next[0]);
            context.log.line("step " + index + ": " + step.describe());
            try {
                faults.beforeStep(index, step);
                step.apply(context);
            } catch (Exception e) {
                throw new StepFailure(index, step.describe(), e);
            }
            applied.add(step);
            next[0]++;
        }
    }

    private SubhostException rollBack(BootPlan plan, List<BootStep> applied, BootContext context,
            StepFailure failure) {
        String message = "boot " + plan.name() + ": step " + failure.index + " (" + failure.step + ") failed: "
                + reason(failure.getCause());
        context.log.line(message);
        SubhostException exception = new SubhostException(message, failure.step, failure.getCause());
        for (int i = applied.size() - 1; i >= 0; i--) {
            BootStep step = applied.get(i);
            try {
                step.undo(context);
            } catch (Exception e) {
                context.log.line("undo of \"" + step.describe() + "\" failed: " + reason(e));
                exception.addSuppressed(e);
            }
        }
        context.log.line("boot " + plan.name() + ": rolled back " + applied.size() + " step(s)");
        return exception;
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

    /** A step that failed, with its number and description; the cause is the reason. */
    private static final class StepFailure extends Exception {
        private static final long serialVersionUID = 1L;
        final int index;
        final String step;

        StepFailure(int index, String step, Throwable cause) {
            super(step, cause);
            this.index = index;
            this.step = step;
        }
    }
}
