package org.subhost.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.subhost.linux.netlink.NamedNetns;
import org.subhost.testing.Uid;

/**
 * The soak's own leftover check finds what it must: a netns and its mount, a state directory and a lock
 * file of a NAME, a process running in a round's directory or with a marker; and nothing of
 * other names.
 */
class LeftoversTest {

    @Test
    void findsANetnsStateLockFileAndProcessesOfItsNamesOnly() throws Exception {
        Assumptions.assumeTrue(Uid.isRoot(),
                "the leftover check test makes a netns and needs root");
        String name = "shq" + Long.toString(new SecureRandom().nextLong(36L * 36 * 36 * 36), 36);
        Path dir = Files.createTempDirectory("subhost-leftovers-").toRealPath();
        Path state = Path.of("/run/subhost", name);
        Path lock = Path.of("/run/subhost", "." + name + ".lock");
        String marker = "sleep 61." + System.nanoTime() % 1_000_000;
        Process inDir = null;
        Process marked = null;
        try {
            assertThat(Leftovers.find(name::equals, dir, List.of(marker))).as("before anything is made").isEmpty();
            NamedNetns.create(name);
            Files.createDirectories(state);
            Files.createFile(lock);
            inDir = new ProcessBuilder("/bin/sh", "-c", "sleep 60; true", "sh", dir + "/x").start();
            marked = new ProcessBuilder(marker.split(" ")).start();
            waitForCommandLines(inDir, marked);

            assertThat(Leftovers.find(name::equals, dir, List.of(marker))).containsExactlyInAnyOrder(
                    "netns /run/netns/" + name,
                    "mount /run/netns/" + name + " (nsfs nsfs)",
                    "state /run/subhost/" + name,
                    "lock file /run/subhost/." + name + ".lock",
                    "process " + inDir.pid() + " (/bin/sh -c sleep 60; true sh " + dir + "/x)",
                    "process " + marked.pid() + " (" + marker + ")");
            assertThat(Leftovers.find(n -> n.equals(name + "x"), dir.resolveSibling(dir.getFileName() + "x"), List.of()))
                    .as("for another name and directory").isEmpty();
        } finally {
            for (Process p : new Process[] {inDir, marked}) {
                if (p != null) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly().waitFor();
                }
            }
            if (NamedNetns.exists(name)) {
                NamedNetns.delete(name);
            }
            Files.deleteIfExists(lock);
            Files.deleteIfExists(state);
            Files.deleteIfExists(dir);
        }
        assertThat(Leftovers.find(name::equals, dir, List.of(marker))).as("after the clean-up").isEmpty();
    }

    /** The command lines appear in /proc a moment after the fork. */
    private static void waitForCommandLines(Process... processes) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Process p : processes) {
            while (!Files.readString(Path.of("/proc", Long.toString(p.pid()), "cmdline")).contains("sleep")
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        }
    }
}
