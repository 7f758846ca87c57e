package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.linux.Errno;
import org.subhost.linux.Namespaces;
import org.subhost.linux.SyscallException;
import org.subhost.linux.netlink.RtNetlink;

/**
 * Deleting a link without waiting for the kernel's RCU barrier. Each test runs on a thread
 * of its own that unshares a network namespace, which goes with that thread and the
 * threads it started (not a NamespaceThread: LinkRemoval starts a thread).
 */
class LinkRemovalTest {
    @BeforeEach
    void root() {
        KernelFixture.requireRoot();
    }

    @Test
    void aDeletedVethIsUnlistedOnReturnAndItsNameIsFreeAtOnce() throws Exception {
        String seen = inOwnNetworkNamespace(() -> {
            try (RtNetlink links = RtNetlink.open()) {
                links.addVeth("shtv0", "shtv1", OptionalInt.empty(), Optional.empty());
                links.setUp("shtv0");
                LinkRemoval.deleteIfPresent("shtv0");
                String first = links.link("shtv0").isPresent() || links.link("shtv1").isPresent() ? "listed" : "gone";
                // The name can be taken again while the kernel still frees the old pair.
                links.addVeth("shtv0", "shtv1", OptionalInt.empty(), Optional.empty());
                LinkRemoval.deleteIfPresent("shtv0");
                return first + (links.link("shtv0").isPresent() ? ", listed again" : ", gone again");
            }
        });
        assertThat(seen).isEqualTo("gone, gone again");
    }

    @Test
    void aLinkThatIsNotThereIsFine() throws Exception {
        assertThat(inOwnNetworkNamespace(() -> {
            LinkRemoval.deleteIfPresent("shtmissing0");
            return "returned";
        })).isEqualTo("returned");
    }

    @Test
    void aRefusedDeleteIsTheCallersFailure() {
        // The kernel does not delete a namespace's loopback device.
        assertThatThrownBy(() -> inOwnNetworkNamespace(() -> {
            LinkRemoval.deleteIfPresent("lo");
            return null;
        })).isInstanceOfSatisfying(SyscallException.class, e -> assertThat(e.is(Errno.EOPNOTSUPP)).isTrue());
    }

    @Test
    void insideANamespaceThreadTheLinkIsDeletedWithoutAThreadOfItsOwn() throws Exception {
        // A thread started there would keep the task's thread from returning to its mount
        // namespace (EINVAL from setns): run must end without an error.
        String seen = org.subhost.linux.NamespaceThread.run("own netns",
                org.subhost.linux.NamespaceRequest.builder().unshare(Namespaces.CLONE_NEWNET).build(), () -> {
                    try (RtNetlink links = RtNetlink.open()) {
                        links.addVeth("shtv0", "shtv1", OptionalInt.empty(), Optional.empty());
                        LinkRemoval.deleteIfPresent("shtv0");
                        return links.link("shtv0").isPresent() ? "listed" : "gone";
                    }
                });
        assertThat(seen).isEqualTo("gone");
    }

    /** Runs {@code task} on a fresh thread in a network namespace of its own. */
    private static <T> T inOwnNetworkNamespace(Callable<T> task) throws Exception {
        FutureTask<T> run = new FutureTask<>(() -> {
            Namespaces.unshare(Namespaces.CLONE_NEWNET);
            return task.call();
        });
        Thread thread = new Thread(run, "own netns");
        thread.start();
        try {
            return run.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        } finally {
            thread.join();
        }
    }
}
