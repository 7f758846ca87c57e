package org.subhost.linux;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Blocking system calls made for a virtual thread on a platform thread of their own. A
 * virtual thread that blocks in a native call (a downcall of ours: poll, flock, waitpid)
 * cannot unmount: it pins its carrier, and with as many carriers as processors a handful
 * of such waits stop every other virtual thread of the JVM, the one that would end the
 * wait among them (a boot that holds a lock while it joins its namespace thread). So the
 * call runs on a platform thread of a cached pool while the virtual thread parks; a
 * platform thread makes the call itself. The call's semantics stay: it is not cut short
 * by an interrupt (a native call never was), which is kept for the caller to see.
 */
final class OffCarrier {
    /** What makes the call: a blocking system call that may be refused. */
    interface Call<T> {
        T call() throws SyscallException;
    }

    /** Daemon threads, made as needed and ended after a minute unused: nothing to close. */
    private static final class Pool {
        static final ExecutorService THREADS = Executors.newCachedThreadPool(
                Thread.ofPlatform().daemon().name("subhost-blocking-call-", 0).factory());
    }

    private OffCarrier() {}

    /** Whether {@code call} must be handed to a platform thread: the caller is a virtual thread. */
    static boolean needed() {
        return Thread.currentThread().isVirtual();
    }

    /**
     * Runs {@code call} on a platform thread and waits for it, parked.
     *
     * @param call the blocking call, which on that thread makes the system call itself
     * @return what it returned
     * @throws SyscallException what it threw
     */
    static <T> T run(Call<T> call) throws SyscallException {
        Future<T> result = Pool.THREADS.submit(call::call);
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return result.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } catch (ExecutionException e) {
            switch (e.getCause()) {
                case SyscallException s -> throw s;
                case RuntimeException r -> throw r;
                case Error r -> throw r;
                default -> throw new IllegalStateException(e.getCause());
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
