package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.linux.Fds;
import org.subhost.linux.NamespaceRequest;
import org.subhost.linux.NamespaceThread;
import org.subhost.linux.Namespaces;
import org.subhost.linux.Pidfd;
import org.subhost.linux.Signals;
import org.subhost.linux.Spawn;

/**
 * The spawn of pid 1 when its program is still open for writing elsewhere (ETXTBSY), as
 * {@code /.reaper} is when another boot's thread forked while this boot wrote it: each
 * failed try uses up the pid namespace, and the retry must get a fresh one. Before that was
 * so, 30 boots at once sometimes failed with ENOMEM.
 */
class FirstProcessSpawnTest {
    @TempDir
    Path tmp;

    @Test
    void pid1IsSpawnedOnceItsProgramIsNoLongerOpenForWriting() throws Exception {
        KernelFixture.requireRoot();
        Path program = tmp.resolve("busy-sleep");
        Files.copy(Path.of("/bin/sleep"), program);
        int writer = Fds.open(program.toString(), Fds.O_WRONLY | Fds.O_CLOEXEC);
        AtomicReference<Path> pidForChildren = new AtomicReference<>();
        // The writer is closed only once the spawning thread has renewed its pid namespace,
        // that is after a try failed with ETXTBSY: so the retry is what is tested. The
        // kernel shows a thread's pid_for_children link only while that namespace has had
        // a pid 1 (from the clone of a try on), so a renewal shows as the link going from
        // readable to missing or to another namespace. The closer spins: that window is short.
        CompletableFuture<Void> closer = CompletableFuture.runAsync(() -> {
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                String tried = null;
                while (System.nanoTime() < deadline) {
                    String now = read(pidForChildren.get());
                    if (tried != null && !tried.equals(now)) {
                        break;
                    }
                    if (now != null) {
                        tried = now;
                    }
                    Thread.onSpinWait();
                }
            } finally {
                try {
                    Fds.close(writer);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
        });
        int pid = NamespaceThread.run("pid1 of sht", NamespaceRequest.builder().unshare(Namespaces.CLONE_NEWPID).build(),
                () -> {
                    pidForChildren.set(Path.of("/proc/thread-self").toRealPath().resolve("ns/pid_for_children"));
                    return NamespaceSpawner.spawnFirstProcess(Spawn.program(program).args("600").newSession());
                });
        closer.get(30, TimeUnit.SECONDS);
        try (Pidfd pid1 = Pidfd.open(pid)) {
            try {
                String status = Files.readString(Path.of("/proc", Integer.toString(pid), "status"));
                assertThat(status).contains("NSpid:\t" + pid + "\t1\n");
            } finally {
                pid1.sendSignal(Signals.SIGKILL);
                assertThat(pid1.awaitExit(Duration.ofSeconds(30))).isPresent();
            }
        }
    }

    /** The namespace {@code link} names, or null when it cannot be read (yet). */
    private static String read(Path link) {
        try {
            return link == null ? null : Files.readSymbolicLink(link).toString();
        } catch (IOException e) {
            return null;
        }
    }
}
