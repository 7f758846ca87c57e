package org.subhost.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Reading a non-blocking inotify queue: an empty queue (EAGAIN) is an empty answer, events
 * come in the order queued, and another refusal stays an exception in read(2)'s words.
 */
class InotifyTest {
    private Path dir;
    private int fd = -1;

    @BeforeEach
    void watchADirectory() throws Exception {
        dir = Files.createTempDirectory(KernelTests.uniqueName());
        fd = Inotify.init(Inotify.IN_NONBLOCK | Inotify.IN_CLOEXEC);
    }

    @AfterEach
    void closeAndRemove() throws Exception {
        Fds.close(fd);
        KernelTests.deleteTree(dir);
    }

    @Test
    void anEmptyQueueIsAnEmptyAnswerAndEventsComeInTheOrderQueued() throws Exception {
        int wd = Inotify.addWatch(fd, dir.toString(), Inotify.IN_CREATE | Inotify.IN_DELETE | Inotify.IN_ONLYDIR);

        assertThat(Inotify.read(fd)).isEmpty();
        Files.writeString(dir.resolve("one"), "");
        Files.delete(dir.resolve("one"));
        assertThat(Inotify.read(fd)).containsExactly(new Inotify.Event(wd, Inotify.IN_CREATE, "one"),
                new Inotify.Event(wd, Inotify.IN_DELETE, "one"));
        assertThat(Inotify.read(fd)).as("read until nothing is left").isEmpty();
    }

    @Test
    void aBadDescriptorIsRefusedInReadsWords() {
        // -1, not a closed one: another test's thread may be given a closed number meanwhile.
        assertThatThrownBy(() -> Inotify.read(-1))
                .isInstanceOf(SyscallException.class)
                .hasMessage("read(fd -1, 65536 bytes): EBADF (Bad file descriptor)");
    }
}
