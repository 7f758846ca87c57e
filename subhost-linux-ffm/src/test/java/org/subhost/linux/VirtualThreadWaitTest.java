package org.subhost.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Virtual threads that wait in flock or poll leave their carriers to other virtual
 * threads: more waiters than carriers, and a further virtual thread still runs (before,
 * each waiter pinned a carrier and the last one never ran until the waits ended).
 */
class VirtualThreadWaitTest {
    /** More than the default scheduler's carriers, one per processor. */
    private static final int WAITERS = Runtime.getRuntime().availableProcessors() + 2;
    /** Only a bound on a hang: the other thread runs at once when nothing pins the carriers. */
    private static final long HANG_SECONDS = 20;

    @Test
    void virtualThreadsWaitingForALockLetAnotherVirtualThreadRun(@TempDir Path dir) throws Exception {
        Path file = Files.createFile(dir.resolve("lock"));
        int holder = Fds.open(file.toString(), Fds.O_RDONLY | Fds.O_CLOEXEC);
        Flock.flock(holder, Flock.LOCK_EX);
        List<Thread> waiters = new ArrayList<>();
        List<Integer> fds = new ArrayList<>();
        try {
            for (int i = 0; i < WAITERS; i++) {
                int fd = Fds.open(file.toString(), Fds.O_RDONLY | Fds.O_CLOEXEC);
                fds.add(fd);
                waiters.add(Thread.ofVirtual().start(() -> {
                    try {
                        Flock.flock(fd, Flock.LOCK_EX);
                        Flock.flock(fd, Flock.LOCK_UN);
                    } catch (SyscallException e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            assertThat(anotherVirtualThreadRuns()).as("a virtual thread ran while %d waited in flock", WAITERS).isTrue();
        } finally {
            Flock.flock(holder, Flock.LOCK_UN);
            for (Thread t : waiters) {
                t.join();
            }
            Fds.close(holder);
            for (int fd : fds) {
                Fds.close(fd);
            }
        }
    }

    @Test
    void virtualThreadsPollingAPipeLetAnotherVirtualThreadRun() throws Exception {
        int[] pipe = Fds.pipe2(Fds.O_CLOEXEC);
        List<Thread> waiters = new ArrayList<>();
        try {
            for (int i = 0; i < WAITERS; i++) {
                waiters.add(Thread.ofVirtual().start(() -> {
                    try {
                        Fds.awaitReadable(pipe[0], Duration.ofSeconds(HANG_SECONDS * 2));
                    } catch (SyscallException e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            assertThat(anotherVirtualThreadRuns()).as("a virtual thread ran while %d waited in poll", WAITERS).isTrue();
        } finally {
            Fds.close(pipe[1]); // end of file: every poll returns
            for (Thread t : waiters) {
                t.join();
            }
            Fds.close(pipe[0]);
        }
    }

    private static boolean anotherVirtualThreadRuns() throws InterruptedException {
        CountDownLatch ran = new CountDownLatch(1);
        Thread.ofVirtual().start(ran::countDown);
        return ran.await(HANG_SECONDS, TimeUnit.SECONDS);
    }
}
