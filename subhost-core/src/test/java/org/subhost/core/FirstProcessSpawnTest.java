package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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
        int[] writer = {Fds.open(program.toString(), Fds.O_WRONLY | Fds.O_CLOEXEC)};
        // The first try meets the open writer (ETXTBSY) and uses up the pid namespace; the
        // writer is closed between the tries, after the namespace was renewed, so the second
        // try is the one that must succeed, as pid 1 of a fresh namespace (in the used-up one
        // the kernel would refuse with ENOMEM). No race: the spawner calls us in between.
        List<Integer> retriesAfter = new ArrayList<>();
        List<String> childrenNamespace = new ArrayList<>();
        try {
            int pid = NamespaceThread.run("pid1 of sht", NamespaceRequest.builder().unshare(Namespaces.CLONE_NEWPID).build(),
                    () -> NamespaceSpawner.spawnFirstProcess(Spawn.program(program).args("600").newSession(), attempt -> {
                        retriesAfter.add(attempt);
                        // A renewed namespace has had no pid 1 yet: the kernel shows no link.
                        childrenNamespace.add(String.valueOf(read(Path.of("/proc/thread-self/ns/pid_for_children"))));
                        try {
                            Fds.close(writer[0]);
                            writer[0] = -1;
                        } catch (Exception e) {
                            throw new IllegalStateException(e);
                        }
                    }));
            try (Pidfd pid1 = Pidfd.open(pid)) {
                try {
                    assertThat(retriesAfter).as("failed tries before the spawn").containsExactly(1);
                    assertThat(childrenNamespace).as("pid_for_children after the renewal").containsExactly("null");
                    String status = Files.readString(Path.of("/proc", Integer.toString(pid), "status"));
                    assertThat(status).contains("NSpid:\t" + pid + "\t1\n");
                } finally {
                    pid1.sendSignal(Signals.SIGKILL);
                    assertThat(pid1.awaitExit(Duration.ofSeconds(30))).isPresent();
                }
            }
        } finally {
            if (writer[0] >= 0) {
                Fds.close(writer[0]);
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
