package org.subhost.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.function.Predicate;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.subhost.linux.netlink.NamedNetns;
import org.subhost.testing.HostLeftovers;
import org.subhost.testing.Uid;

/**
 * The leftover check, as the soak uses it (names by a predicate, a directory, markers, and the
 * JVM's own namespaces left out), finds what it must: a netns and its mount, a state
 * directory and a lock file of a NAME, a process running in a round's directory or with a
 * marker; and nothing of other names. {@link HostLeftovers#pidsWith} finds the marked process.
 */
class HostLeftoversFindTest {

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
            assertThat(find(name::equals, dir, marker)).as("before anything is made").isEmpty();
            NamedNetns.create(name);
            Files.createDirectories(state);
            Files.createFile(lock);
            inDir = new ProcessBuilder("/bin/sh", "-c", "sleep 60; true", "sh", dir + "/x").start();
            marked = new ProcessBuilder(marker.split(" ")).start();
            waitForCommandLines(inDir, marked);

            assertThat(find(name::equals, dir, marker)).containsExactlyInAnyOrder(
                    "netns /run/netns/" + name,
                    "mount /run/netns/" + name + " (nsfs nsfs)",
                    "state /run/subhost/" + name,
                    "lock file /run/subhost/." + name + ".lock",
                    "process " + inDir.pid() + " (/bin/sh -c sleep 60; true sh " + dir + "/x)",
                    "process " + marked.pid() + " (" + marker + ")");
            assertThat(HostLeftovers.pidsWith(marker)).containsExactly(marked.pid());
            assertThat(find(n -> n.equals(name + "x"), dir.resolveSibling(dir.getFileName() + "x")))
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
        assertThat(find(name::equals, dir, marker)).as("after the clean-up").isEmpty();
    }

    private static List<String> find(Predicate<String> ours, Path dir, String... markers)
            throws IOException {
        return HostLeftovers.matching(ours).under(dir).markers(markers).ignoringThisJvmsNamespaces().find();
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
