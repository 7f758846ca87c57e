package org.subhost.linux;

/**
 * Work done on a {@link NamespaceThread}, inside the namespaces it entered: a function
 * that may throw the checked exception {@code E}, which the thread's caller gets as it was
 * thrown.
 *
 * <p>Example: {@code () -> { Mounts.makeRprivate("/"); return Fds.gettid(); }} is a
 * {@code NamespaceTask<Integer, SyscallException>}.
 *
 * @param <T> the result
 * @param <E> the checked exception the task may throw; {@code RuntimeException} for none
 */
@FunctionalInterface
public interface NamespaceTask<T, E extends Exception> {
    /**
     * Does the work, on the namespaced thread.
     *
     * @return what the caller of {@link NamespaceThread#run} gets back
     * @throws E when the work fails
     */
    T run() throws E;
}
