package org.subhost.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** File descriptor calls and flock on the real kernel; no root needed. */
class FdsTest {
    private Path dir;

    @BeforeEach
    void makeDirectory() throws Exception {
        dir = Files.createTempDirectory(KernelTests.uniqueName());
    }

    @AfterEach
    void removeDirectory() throws Exception {
        KernelTests.deleteTree(dir);
    }

    @Test
    void pipe2CarriesBytesAndIsCloseOnExec() throws Exception {
        int[] pipe = Fds.pipe2(Fds.O_CLOEXEC);
        try {
            assertThat(Fds.write(pipe[1], "ready\n".getBytes(StandardCharsets.UTF_8))).isEqualTo(6);
            assertThat(new String(Fds.read(pipe[0], 64), StandardCharsets.UTF_8)).isEqualTo("ready\n");
            for (int fd : pipe) {
                assertThat(flagsOf(fd) & Fds.O_CLOEXEC).as("fd %s close-on-exec", fd).isEqualTo(Fds.O_CLOEXEC);
            }
            assertThat(Files.readSymbolicLink(Path.of("/proc/self/fd/" + pipe[0])).toString()).startsWith("pipe:[");
        } finally {
            Fds.close(pipe[0]);
            Fds.close(pipe[1]);
        }
    }

    @Test
    void readGivesEmptyArrayAtEndOfFile() throws Exception {
        int[] pipe = Fds.pipe2(Fds.O_CLOEXEC);
        Fds.close(pipe[1]);
        try {
            assertThat(Fds.read(pipe[0], 64)).isEmpty();
        } finally {
            Fds.close(pipe[0]);
        }
    }

    @Test
    void preadReadsFromAnOffsetWithoutMovingTheFilePosition() throws Exception {
        Path file = Files.writeString(dir.resolve("journal"), "first\nsecond\n");
        int fd = Fds.open(file.toString(), Fds.O_RDONLY | Fds.O_CLOEXEC);
        try {
            assertThat(new String(Fds.pread(fd, 64, 6), StandardCharsets.UTF_8)).isEqualTo("second\n");
            assertThat(new String(Fds.pread(fd, 3, 0), StandardCharsets.UTF_8)).isEqualTo("fir");
            assertThat(Fds.pread(fd, 64, 13)).isEmpty();
            assertThat(new String(Fds.read(fd, 64), StandardCharsets.UTF_8)).isEqualTo("first\nsecond\n");
        } finally {
            Fds.close(fd);
        }
    }

    @Test
    void dupGivesCloseOnExecCopy() throws Exception {
        int fd = Fds.open(dir.toString(), Fds.O_RDONLY | Fds.O_DIRECTORY);
        try {
            assertThat(flagsOf(fd) & Fds.O_CLOEXEC).isZero();
            int copy = Fds.dup(fd);
            try {
                assertThat(copy).isNotEqualTo(fd);
                assertThat(flagsOf(copy) & Fds.O_CLOEXEC).isEqualTo(Fds.O_CLOEXEC);
                assertThat(Files.readSymbolicLink(Path.of("/proc/self/fd/" + copy))).isEqualTo(dir);
            } finally {
                Fds.close(copy);
            }
        } finally {
            Fds.close(fd);
        }
    }

    @Test
    void openOfMissingFileNamesPathFlagsAndENOENT() {
        Path missing = dir.resolve("missing");
        assertThatThrownBy(() -> Fds.open(missing.toString(), Fds.O_RDONLY | Fds.O_CLOEXEC))
                .isInstanceOf(SyscallException.class)
                .hasMessage("open(" + missing + ", O_RDONLY|O_CLOEXEC): ENOENT (No such file or directory)");
        assertThatThrownBy(() -> Fds.open(dir.toString(), Fds.O_WRONLY | Fds.O_CREAT | Fds.O_EXCL, 0600))
                .hasMessage("open(" + dir + ", O_WRONLY|O_CREAT|O_EXCL, 0600): EEXIST (File exists)");
    }

    @Test
    void closeOfClosedDescriptorIsEBADF() throws Exception {
        int fd = Fds.open("/dev/null", Fds.O_RDONLY | Fds.O_CLOEXEC);
        Fds.close(fd);
        assertThatThrownBy(() -> Fds.close(fd)).hasMessage("close(fd " + fd + "): EBADF (Bad file descriptor)");
    }

    @Test
    void secondExclusiveLockThroughAnotherOpenIsEWOULDBLOCK() throws Exception {
        Path lock = dir.resolve("ex1.lock");
        int first = Fds.open(lock.toString(), Fds.O_RDWR | Fds.O_CREAT | Fds.O_CLOEXEC, 0600);
        int second = Fds.open(lock.toString(), Fds.O_RDWR | Fds.O_CLOEXEC);
        try {
            Flock.flock(first, Flock.LOCK_EX | Flock.LOCK_NB);
            assertThatThrownBy(() -> Flock.flock(second, Flock.LOCK_EX | Flock.LOCK_NB))
                    .isInstanceOf(SyscallException.class)
                    .hasMessage("flock(fd " + second + ", LOCK_EX|LOCK_NB): EAGAIN (Resource temporarily unavailable)")
                    .satisfies(e -> assertThat(((SyscallException) e).is(Errno.EWOULDBLOCK)).isTrue());
            assertThat(Flock.tryLockExclusive(second)).isFalse();
            assertThat(lockHolders(lock)).isEqualTo(1);

            Flock.flock(first, Flock.LOCK_UN);
            assertThat(Flock.tryLockExclusive(second)).isTrue();
        } finally {
            Fds.close(first);
            Fds.close(second);
        }
        assertThat(lockHolders(lock)).as("closing releases the lock").isZero();
    }

    @Test
    void gettidNamesTheCallingThread() throws Exception {
        int tid = Fds.gettid();
        assertThat(Files.readSymbolicLink(Path.of("/proc/thread-self")).toString()).endsWith("/task/" + tid);
    }

    /** The file status flags of {@code fd}, octal "flags:" of /proc/self/fdinfo. */
    private static int flagsOf(int fd) throws Exception {
        return Files.readAllLines(Path.of("/proc/self/fdinfo/" + fd)).stream()
                .filter(line -> line.startsWith("flags:"))
                .map(line -> Integer.parseInt(line.substring(6).trim(), 8))
                .findFirst().orElseThrow();
    }

    /** How many FLOCK locks /proc/locks lists for the file {@code path}. */
    private static long lockHolders(Path path) throws Exception {
        long inode = (long) Files.getAttribute(path, "unix:ino");
        return Files.readAllLines(Path.of("/proc/locks")).stream()
                .filter(line -> line.contains(" FLOCK ") && line.contains(":" + inode + " "))
                .count();
    }
}
