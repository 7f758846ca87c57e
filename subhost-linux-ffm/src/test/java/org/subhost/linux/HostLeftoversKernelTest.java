package org.subhost.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.subhost.testing.HostLeftovers;

/**
 * The leftover check of every kernel test sees what the host's mount table cannot: a mount
 * namespace that this JVM keeps alive with a descriptor, or with a thread that never went
 * back to the JVM's own namespace (the two leaks that the namespace thread's fixes in the
 * changelog closed; a regression of either now fails the test that caused it).
 */
class HostLeftoversKernelTest {

    @Test
    void findsAMountNamespaceHeldByADescriptor() throws Exception {
        KernelTests.requireRoot();
        assertThat(HostLeftovers.namespacesHeldByThisJvm()).as("before").isEmpty();
        int fd = NamespaceThread.run("holds a namespace",
                NamespaceRequest.builder().unshare(Namespaces.CLONE_NEWNS).build(),
                () -> Fds.open("/proc/thread-self/ns/mnt", Fds.O_RDONLY | Fds.O_CLOEXEC));
        String held = Files.readSymbolicLink(Path.of("/proc/self/fd", Integer.toString(fd))).toString();
        try {
            assertThat(HostLeftovers.namespacesHeldByThisJvm())
                    .containsExactly("descriptor " + fd + " of this JVM holds mnt namespace " + held);
        } finally {
            Fds.close(fd);
        }
        assertThat(HostLeftovers.namespacesHeldByThisJvm()).as("after the close").isEmpty();
    }

    @Test
    void findsAThreadInAnotherMountNamespace() throws Exception {
        KernelTests.requireRoot();
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        int[] tid = new int[1];
        Thread stray = new Thread(() -> {
            try {
                // A thread of its own fs_struct first: the kernel refuses a new mount
                // namespace to a thread that shares it with others.
                Namespaces.unshare(Namespaces.CLONE_FS);
                Namespaces.unshare(Namespaces.CLONE_NEWNS);
                tid[0] = Fds.gettid();
            } catch (SyscallException e) {
                throw new IllegalStateException(e);
            } finally {
                inside.countDown();
            }
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "shtstray");
        stray.setDaemon(true);
        stray.start();
        try {
            inside.await();
            String ns = Files.readSymbolicLink(Path.of("/proc/self/task", Integer.toString(tid[0]), "ns/mnt")).toString();
            assertThat(HostLeftovers.namespacesHeldByThisJvm())
                    .containsExactly("thread " + tid[0] + " (shtstray) of this JVM is in mnt namespace " + ns);
        } finally {
            release.countDown();
            stray.join();
        }
        // join() returns when the Java thread is done, a moment before the kernel ends its
        // task (and lets go of the namespace): wait for the task to leave /proc, bounded.
        Path task = Path.of("/proc/self/task", Integer.toString(tid[0]));
        for (int i = 0; i < 1000 && Files.exists(task); i++) {
            Thread.sleep(10);
        }
        assertThat(task).as("the ended thread's task").doesNotExist();
        assertThat(HostLeftovers.namespacesHeldByThisJvm()).as("after the thread ended").isEmpty();
    }
    @Test
    void waitsForALinkDeleteThatEndsByItself() throws Exception {
        KernelTests.requireRoot();
        CountDownLatch inside = new CountDownLatch(1);
        // As LinkRemoval's thread: named "delete link NAME", in the namespace the stop ran
        // in, until the kernel has freed the link (here: 300 ms).
        Thread deleter = new Thread(() -> {
            try {
                Namespaces.unshare(Namespaces.CLONE_FS);
                Namespaces.unshare(Namespaces.CLONE_NEWNS);
            } catch (SyscallException e) {
                throw new IllegalStateException(e);
            } finally {
                inside.countDown();
            }
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "delete link shtdel0");
        deleter.setDaemon(true);
        deleter.start();
        inside.await();
        try {
            assertThat(HostLeftovers.namespacesHeldByThisJvm()).isEmpty();
            assertThat(deleter.isAlive()).as("the delete thread, once the check returned").isFalse();
        } finally {
            deleter.join();
        }
    }
}
