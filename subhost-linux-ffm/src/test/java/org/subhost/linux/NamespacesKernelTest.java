package org.subhost.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.subhost.linux.Namespaces.CLONE_NEWNET;
import static org.subhost.linux.Namespaces.CLONE_NEWNS;
import static org.subhost.linux.Namespaces.CLONE_NEWUTS;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Entering and creating namespaces on {@link NamespaceThread}s, checked through the
 * /proc/TID/ns links and /proc/sys/kernel/hostname.
 */
class NamespacesKernelTest {
    @BeforeEach
    void needRoot() {
        KernelTests.requireRoot();
    }

    @Test
    void aTaskKnowsItRunsOnANamespaceThreadAndOtherThreadsDoNot() throws Exception {
        KernelTests.requireRoot();
        assertThat(NamespaceThread.isCurrentThread()).isFalse();
        assertThat(NamespaceThread.run("which thread", () -> NamespaceThread.isCurrentThread())).isTrue();
        // A task's thread ends with its task; the caller's thread is unchanged.
        assertThat(NamespaceThread.isCurrentThread()).isFalse();
    }

    @Test
    void threadEntersNetnsByPathOfAnotherThreadsNamespace() throws Exception {
        CountDownLatch created = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        int[] holderTid = new int[1];
        // The holder starts from a thread in the host's namespaces, not from the test's
        // namespaced threads, so that the entering thread cannot inherit the namespace.
        CompletableFuture<String> holder = new CompletableFuture<>();
        Thread starter = Thread.ofPlatform().start(() -> {
            try {
                holder.complete(NamespaceThread.run("netns holder",
                        NamespaceRequest.builder().unshare(CLONE_NEWNET).build(), () -> {
                            holderTid[0] = Fds.gettid();
                            created.countDown();
                            release.await(60, TimeUnit.SECONDS);
                            return KernelTests.namespace(Integer.toString(holderTid[0]), "net");
                        }));
            } catch (Throwable t) {
                holder.completeExceptionally(t);
                created.countDown();
            }
        });
        try {
            assertThat(created.await(60, TimeUnit.SECONDS)).isTrue();
            Path netns = Path.of("/proc/" + holderTid[0] + "/ns/net");
            String entered = NamespaceThread.run("netns enter", NamespaceRequest.builder().enterNetns(netns).build(),
                    () -> KernelTests.namespace(Integer.toString(Fds.gettid()), "net"));
            assertThat(entered).isEqualTo(KernelTests.namespace(Integer.toString(holderTid[0]), "net"))
                    .isNotEqualTo(KernelTests.namespace("self", "net"));
        } finally {
            release.countDown();
            starter.join();
        }
        assertThat(holder.get()).startsWith("net:[");
    }

    @Test
    void hostnameInNewUtsNamespaceIsInvisibleToHost() throws Exception {
        String hostBefore = hostname();
        String name = KernelTests.uniqueName();
        CountDownLatch set = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<String> inside = new CompletableFuture<>();
        Thread starter = Thread.ofPlatform().start(() -> {
            try {
                inside.complete(NamespaceThread.run("uts", NamespaceRequest.builder().unshare(CLONE_NEWUTS).build(),
                        () -> {
                            try {
                                Namespaces.sethostname(name);
                                return hostname();
                            } finally {
                                set.countDown();
                                release.await(60, TimeUnit.SECONDS);
                            }
                        }));
            } catch (Throwable t) {
                inside.completeExceptionally(t);
                set.countDown();
            }
        });
        try {
            assertThat(set.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(hostname()).as("host's name while the namespace lives").isEqualTo(hostBefore);
        } finally {
            release.countDown();
            starter.join();
        }
        assertThat(inside.get()).isEqualTo(name);
        assertThat(hostname()).isEqualTo(hostBefore);
    }

    @Test
    void threadEntersNamespacesOfProcessByPidfd() throws Exception {
        int pid = NamespaceThread.run("target", NamespaceRequest.builder().unshare(CLONE_NEWNET | CLONE_NEWUTS).build(),
                () -> {
                    Namespaces.sethostname("shtpidfd");
                    return Spawn.program(Path.of("/bin/sleep")).args("600").spawn();
                });
        try (Pidfd target = Pidfd.open(pid)) {
            try {
                String[] seen = NamespaceThread.run("enter",
                        NamespaceRequest.builder().enterPidfd(target, CLONE_NEWNET | CLONE_NEWUTS).build(), () -> {
                            String tid = Integer.toString(Fds.gettid());
                            return new String[] {KernelTests.namespace(tid, "net"), hostname()};
                        });
                assertThat(seen[0]).isEqualTo(KernelTests.namespace(Integer.toString(pid), "net"))
                        .isNotEqualTo(KernelTests.namespace("self", "net"));
                assertThat(seen[1]).isEqualTo("shtpidfd");
            } finally {
                target.sendSignal(Signals.SIGKILL);
                target.awaitExit(Duration.ofSeconds(30));
            }
        }
    }

    @Test
    void enteringFileThatIsNoNamespaceIsEINVALNamingThePath() throws Exception {
        Path file = Files.createTempFile(KernelTests.uniqueName(), ".ns");
        try {
            assertThatThrownBy(() -> NamespaceThread.run("bad netns",
                    NamespaceRequest.builder().enterNetns(file).build(), () -> null))
                    .isInstanceOf(SyscallException.class)
                    .hasMessage("setns(" + file + ", CLONE_NEWNET): EINVAL (Invalid argument)");
        } finally {
            Files.delete(file);
        }
    }

    @Test
    void enteringNamespaceOfWrongKindIsEINVAL() {
        assertThatThrownBy(() -> NamespaceThread.run("wrong kind",
                NamespaceRequest.builder().enter(Path.of("/proc/self/ns/uts"), CLONE_NEWNET).build(), () -> null))
                .hasMessage("setns(/proc/self/ns/uts, CLONE_NEWNET): EINVAL (Invalid argument)");
    }

    @Test
    void enteringMissingNetnsNamesTheOpen() {
        Path missing = Path.of("/run/netns", KernelTests.uniqueName());
        assertThatThrownBy(() -> NamespaceThread.run("missing",
                NamespaceRequest.builder().enterNetns(missing).build(), () -> null))
                .hasMessage("open(" + missing + ", O_RDONLY|O_CLOEXEC): ENOENT (No such file or directory)");
    }

    @Test
    void checkedExceptionOfTaskArrivesAsThrown() {
        IOException thrown = new IOException("task failed on purpose");
        assertThatThrownBy(() -> NamespaceThread.run("throws", NamespaceRequest.builder().unshare(CLONE_NEWNS).build(),
                () -> {
                    throw thrown;
                })).isSameAs(thrown);
    }

    @Test
    void threadHasItsOwnRootAndWorkingDirectoryButSharesNamespacesWhenNoneAsked() throws Exception {
        Path processCwd = Files.readSymbolicLink(Path.of("/proc/self/cwd"));
        Path elsewhere = Files.createTempDirectory("subhost-cwd-").toRealPath();
        try {
            String[] seen = NamespaceThread.run("plain", () -> {
                String tid = Integer.toString(Fds.gettid());
                // Root and working directory are one fs_struct, which CLONE_FS made the
                // thread's own: a chdir here must not move the rest of the JVM.
                Fds.chdir(elsewhere.toString());
                return new String[] {KernelTests.namespace(tid, "mnt"), KernelTests.namespace(tid, "net"),
                    Thread.currentThread().getName(), Files.readSymbolicLink(Path.of("/proc/thread-self/cwd")).toString(),
                    Files.readSymbolicLink(Path.of("/proc/self/cwd")).toString()};
            });
            assertThat(seen[0]).isEqualTo(KernelTests.namespace("self", "mnt"));
            assertThat(seen[1]).isEqualTo(KernelTests.namespace("self", "net"));
            assertThat(seen[2]).isEqualTo("plain");
            assertThat(seen[3]).as("the thread's working directory after its chdir").isEqualTo(elsewhere.toString());
            assertThat(seen[4]).as("the process's, seen from the thread").isEqualTo(processCwd.toString());
            assertThat(Files.readSymbolicLink(Path.of("/proc/self/cwd"))).as("the process's afterwards").isEqualTo(processCwd);
        } finally {
            Files.delete(elsewhere);
        }
    }

    private static String hostname() throws IOException {
        return Files.readString(Path.of("/proc/sys/kernel/hostname")).strip();
    }
}
