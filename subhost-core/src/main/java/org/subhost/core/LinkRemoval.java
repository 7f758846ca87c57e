package org.subhost.core;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.subhost.linux.Errno;
import org.subhost.linux.NamespaceThread;
import org.subhost.linux.SyscallException;
import org.subhost.linux.netlink.RtNetlink;

/**
 * Deletes a host link at stop and returns once the kernel no longer lists it, without
 * waiting for the kernel to free it.
 *
 * <p>Why: the kernel answers RTM_DELLINK only after its clean-up, which ends with an RCU
 * barrier (netdev_run_todo waits for every pending RCU callback of the machine); that was
 * 24 of the 32 ms of a stop here. The link leaves the kernel's lists, and its name becomes
 * free, at the start of that work: from then on {@code ip link} no longer shows it, and a
 * new link may take its name. So the delete is sent from a thread of its own, and the
 * caller asks for the link by name until the kernel says ENODEV. The delete's thread ends
 * when the kernel has freed the link, after the caller went on; a JVM that exits
 * meanwhile waits for that system call, so nothing is left half done.
 *
 * <p>A delete that the kernel refuses fails before the link leaves the lists; that
 * failure is the caller's, as with a plain delete.
 */
final class LinkRemoval {
    /** How long the kernel may take to unlist the link before the caller just waits for the delete. */
    static final Duration UNLIST_LIMIT = Duration.ofSeconds(10);
    /** Between two questions by name; the unlisting takes one or two milliseconds. */
    private static final long POLL_NANOS = 100_000;

    private LinkRemoval() {}

    /**
     * Deletes link {@code name} of the calling thread's network namespace when it exists,
     * and returns when the kernel no longer lists it; a link already gone is fine.
     *
     * <p>Both sockets are opened in the calling thread's network namespace: the one for
     * the questions here, the one for the delete by a thread that this thread starts,
     * which begins in the same namespaces. Inside a {@link NamespaceThread} task, which
     * must start no threads, the link is deleted the plain way, waiting for the kernel.
     *
     * @param name the link's name
     * @throws IOException when the kernel refuses the delete or a question
     */
    static void deleteIfPresent(String name) throws IOException {
        try (RtNetlink links = RtNetlink.open()) {
            if (NamespaceThread.isCurrentThread()) {
                NetnsCable.deleteIfPresent(links, name);
                return;
            }
            if (links.link(name).isEmpty()) {
                return;
            }
            CompletableFuture<Void> deleted = new CompletableFuture<>();
            Thread deleter = new Thread(() -> {
                try (RtNetlink own = RtNetlink.open()) {
                    own.delete(name);
                    deleted.complete(null);
                } catch (SyscallException e) {
                    if (e.is(Errno.ENODEV)) {
                        deleted.complete(null); // gone meanwhile
                    } else {
                        deleted.completeExceptionally(e);
                    }
                } catch (IOException | RuntimeException e) {
                    deleted.completeExceptionally(e);
                }
            }, "delete link " + name);
            deleter.setDaemon(true);
            deleter.start();
            long deadline = System.nanoTime() + UNLIST_LIMIT.toNanos();
            while (!deleted.isDone() && System.nanoTime() < deadline) {
                if (links.link(name).isEmpty()) {
                    return;
                }
                LockSupport.parkNanos(POLL_NANOS);
            }
            awaitDelete(deleted, name);
        }
    }

    private static void awaitDelete(CompletableFuture<Void> deleted, String name) throws IOException {
        try {
            deleted.get(UNLIST_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new IOException("delete link " + name + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IOException("the kernel did not delete link " + name + " within "
                    + 2 * UNLIST_LIMIT.toSeconds() + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while deleting link " + name, e);
        }
    }
}
