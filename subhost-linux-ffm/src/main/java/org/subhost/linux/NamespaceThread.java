package org.subhost.linux;

import static java.util.Objects.requireNonNull;

/**
 * Runs a task on a fresh platform thread of its own that first enters and creates the
 * namespaces of a {@link NamespaceRequest}; the one way this SDK does namespace work.
 *
 * <p>Example: mount a tmpfs in a new mount namespace inside the network namespace ex1:
 * <pre>{@code
 * int tid = NamespaceThread.run("boot ex1",
 *         NamespaceRequest.builder().unshare(CLONE_NEWNS).enterNetns(Path.of("/run/netns/ex1")).build(),
 *         () -> {
 *             Mounts.makeRprivate("/");
 *             Mounts.mount("tmpfs", "/ex1/live/run", "tmpfs", MS_NOSUID | MS_NODEV, "size=50M");
 *             return Fds.gettid();
 *         });
 * }</pre>
 *
 * <p>Why a thread of its own: Linux keeps namespaces, root and working directory per
 * thread, and unshare(2) and setns(2) change only the calling thread; a JVM has many
 * threads, and a pooled or virtual thread would carry the namespaces to unrelated work.
 * So each call starts a new platform thread, which is never reused and ends with the task.
 * The thread does, in order:
 * <ol>
 * <li>unshare(CLONE_FS), so that it has its own root, working directory and umask: the
 *     kernel refuses unshare(CLONE_NEWNS) and setns into a mount namespace (EINVAL) to a
 *     thread that shares its fs_struct with the other threads;
 * <li>setns into each namespace to enter, in the order given (a namespace file by path,
 *     an open descriptor, or a pidfd for several namespaces of one process at once);
 * <li>unshare of the namespaces to create;
 * <li>the task, which can mount, set the host name and spawn processes there.
 * </ol>
 *
 * <p>Which namespaces act on the thread itself: mount (and root and working directory,
 * through CLONE_FS), network, UTS, IPC and cgroup; the task's own calls happen there. Which
 * act only on its children: pid and time, which set pid_for_children and
 * time_for_children; the thread stays in its pid and time namespace, and the first
 * process it spawns is pid 1 of a new pid namespace. The time namespace has two kernel
 * rules: setns into one needs a single-threaded process (EUSERS), so a JVM can only create
 * one, never enter one; and posix_spawn clones with CLONE_VM, which the kernel used to
 * refuse (EINVAL) while time_for_children differs from the thread's own time namespace.
 * Kernels since about 6.1 accept it and move the child into time_for_children at its
 * exec (checked on 6.18 by SpawnKernelTest); on older kernels, leave the time namespace
 * to the spawned pid 1.
 *
 * <p>A thread that the task starts (also one the JDK starts lazily on its behalf, such as a
 * worker of the common ForkJoinPool) is cloned from the namespaced thread and shares its
 * namespaces, root and working directory; so tasks start no threads and use no pools. A
 * {@code NamespaceThread.run} nested in a task therefore starts from the task's namespaces.
 *
 * <p>When the thread ends, it leaves its namespaces: a namespace that nothing else holds
 * (no process, no bind mount such as /run/netns/NAME, no open descriptor) is destroyed,
 * with the mounts in it. For the mount namespace this is done before the task counts as
 * done: the thread returns to the mount namespace it started in, so that an unused one and
 * its mounts are gone when {@code run} or {@link Running#await} returns. After a pivot_root on the thread, the JDK's own files are no longer
 * at their paths for it: load the classes the rest of the task needs beforehand.
 *
 * <p>A failure to enter or create a namespace is a {@link SyscallException}; the task's
 * own exception is rethrown as it was thrown, checked or not.
 */
public final class NamespaceThread {
    /** True on the threads that this class starts, for {@link #isCurrentThread()}. */
    private static final ThreadLocal<Boolean> OURS = ThreadLocal.withInitial(() -> false);

    private NamespaceThread() {}

    /**
     * Whether the calling thread is one that this class started, that is, whether the
     * caller runs inside a task. Such a thread must not start threads: they would share its
     * root and working directory (its fs_struct), and the kernel then refuses its return
     * to the mount namespace it started in. Code that would hand work to a thread of its
     * own does that work itself when this says true.
     *
     * @return true inside a task
     */
    public static boolean isCurrentThread() {
        return OURS.get();
    }

    /**
     * Runs {@code task} on a new platform thread named {@code name}, inside the namespaces
     * of {@code request}, and waits for it.
     *
     * <p>If the calling thread is interrupted while waiting, the task's thread is
     * interrupted too and still waited for (its namespaces and mounts must not be left
     * half made), and the caller's interrupt status is set again on return.
     *
     * @param <T> the task's result
     * @param <E> the checked exception the task may throw
     * @param name the thread's name, for thread dumps and logs
     * @param request the namespaces to create or enter
     * @param task the work
     * @return what the task returned
     * @throws SyscallException when the thread cannot enter or create a namespace, or the
     *     task throws one
     * @throws E what the task threw
     */
    public static <T, E extends Exception> T run(String name, NamespaceRequest request, NamespaceTask<T, E> task)
            throws E, SyscallException {
        return start(name, request, task).await();
    }

    /**
     * Starts {@code task} on a new platform thread named {@code name}, inside the namespaces
     * of {@code request}, and returns at once, so that the caller can do other work
     * meanwhile; {@link Running#await} waits for the task and gives its result. Await it in
     * any case (in a {@code finally}): the thread's namespaces and mounts must not be left
     * half made.
     *
     * @param <T> the task's result
     * @param <E> the checked exception the task may throw
     * @param name the thread's name, for thread dumps and logs
     * @param request the namespaces to create or enter
     * @param task the work
     * @return the running task
     */
    public static <T, E extends Exception> Running<T, E> start(String name, NamespaceRequest request,
            NamespaceTask<T, E> task) {
        requireNonNull(name, "name");
        requireNonNull(request, "request");
        requireNonNull(task, "task");
        Running<T, E> running = new Running<>();
        running.thread = Thread.ofPlatform().name(name).daemon(true).unstarted(() -> {
            OURS.set(true);
            int startMountNs = mountNamespaceOfThisThread();
            boolean ownFs = false;
            try {
                Namespaces.unshare(Namespaces.CLONE_FS);
                ownFs = true;
                enter(request);
                running.value = task.run();
            } catch (Throwable t) {
                running.failure = t;
            } finally {
                leaveMountNamespace(startMountNs, ownFs, running);
            }
        });
        running.thread.start();
        return running;
    }

    /**
     * A task started by {@link #start}, on its own thread.
     *
     * @param <T> the task's result
     * @param <E> the checked exception the task may throw
     */
    public static final class Running<T, E extends Exception> {
        private Thread thread;
        // Written by the task's thread, read after join, which makes the writes visible.
        private T value;
        private Throwable failure;

        private Running() {}

        /**
         * Whether the task's thread has ended, with or without running the task (it ends
         * without, when it could not enter or create a namespace).
         *
         * @return true once the thread has ended
         */
        public boolean hasEnded() {
            return !thread.isAlive();
        }

        /**
         * Interrupts the task's thread, as {@link #await} does when its caller is interrupted
         * while it waits: for a caller that waits for the task by other means.
         */
        public void interrupt() {
            thread.interrupt();
        }

        /**
         * Waits for the task's thread to end and gives the task's result.
         *
         * <p>If the calling thread is interrupted while waiting, the task's thread is
         * interrupted too and still waited for, and the caller's interrupt status is set
         * again on return.
         *
         * @return what the task returned
         * @throws SyscallException when the thread could not enter or create a namespace, or
         *     the task threw one
         * @throws E what the task threw
         */
        public T await() throws E, SyscallException {
            boolean interrupted = false;
            while (true) {
                try {
                    thread.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                    thread.interrupt();
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            if (failure != null) {
                throw NamespaceThread.<E>rethrow(failure);
            }
            return value;
        }
    }

    /**
     * Runs {@code task} on a new platform thread named {@code name} that only unshares
     * CLONE_FS; as {@link #run(String, NamespaceRequest, NamespaceTask)} with {@link
     * NamespaceRequest#none()}.
     *
     * @param <T> the task's result
     * @param <E> the checked exception the task may throw
     * @param name the thread's name, for thread dumps and logs
     * @param task the work
     * @return what the task returned
     * @throws E what the task threw
     * @throws SyscallException when CLONE_FS cannot be unshared, or the task throws one
     */
    public static <T, E extends Exception> T run(String name, NamespaceTask<T, E> task) throws E, SyscallException {
        return run(name, NamespaceRequest.none(), task);
    }

    /** A descriptor of the calling thread's mount namespace, or -1 where no /proc shows it. */
    private static int mountNamespaceOfThisThread() {
        try {
            return Fds.open("/proc/thread-self/ns/mnt", Fds.O_RDONLY | Fds.O_CLOEXEC);
        } catch (SyscallException e) {
            return -1; // a task nested in a root without /proc: its namespaces go with the thread
        }
    }

    /**
     * Returns the thread to the mount namespace it started in. A Java thread counts as ended
     * (join returns) before its kernel task has exited and let go of its namespaces; a mount
     * namespace that nothing else holds, with the copies of every mount in it (which keep
     * a disk image's loop device busy, for one), must be gone by the time the caller goes
     * on, so the thread leaves it itself.
     */
    private static void leaveMountNamespace(int startMountNs, boolean ownFs, Running<?, ?> running) {
        if (startMountNs < 0) {
            return;
        }
        try {
            // setns into a mount namespace needs an fs_struct of the thread's own (EINVAL
            // otherwise); without one the thread cannot have changed its mount namespace.
            if (ownFs) {
                Namespaces.setns(startMountNs, Namespaces.CLONE_NEWNS);
            }
        } catch (SyscallException e) {
            if (running.failure == null) {
                running.failure = e;
            } else {
                running.failure.addSuppressed(e);
            }
        } finally {
            try {
                Fds.close(startMountNs);
            } catch (SyscallException e) {
                // EBADF only, for a descriptor we opened: nothing to do.
            }
        }
    }

    /**
     * Applies {@code request} to the calling thread, which must be a fresh one of its own
     * and have unshared CLONE_FS.
     */
    private static void enter(NamespaceRequest request) throws SyscallException {
        for (NamespaceRequest.Entry entry : request.entries()) {
            if (entry.path() != null) {
                int fd = Fds.open(entry.path().toString(), Fds.O_RDONLY | Fds.O_CLOEXEC);
                try {
                    setns(entry, fd);
                } finally {
                    Fds.close(fd);
                }
            } else {
                setns(entry, entry.fd());
            }
        }
        if (request.unshareFlags() != 0) {
            Namespaces.unshare(request.unshareFlags());
        }
    }

    private static void setns(NamespaceRequest.Entry entry, int fd) throws SyscallException {
        try {
            Namespaces.setns(fd, entry.nstype());
        } catch (SyscallException e) {
            // Name the namespace as the caller gave it, not by a descriptor number of ours.
            throw new SyscallException("setns", entry.label() + ", " + Namespaces.describe(entry.nstype()), e.errno());
        }
    }

    @SuppressWarnings("unchecked")
    private static <E extends Exception> RuntimeException rethrow(Throwable failure) throws E {
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        // The task's signature allows only E (and the thread's own SyscallException) as
        // checked exceptions, so the cast holds for anything the compiler let through.
        throw (E) failure;
    }
}
