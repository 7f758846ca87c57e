package org.subhost.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.linux.Errno;
import org.subhost.linux.Fds;
import org.subhost.linux.Mounts;
import org.subhost.linux.NamespaceRequest;
import org.subhost.linux.NamespaceThread;
import org.subhost.linux.Namespaces;
import org.subhost.linux.SyscallException;

/** Named network namespaces on the real kernel, checked with iproute2 and /proc/self/mountinfo. */
class NamedNetnsKernelTest {
    private final List<String> made = new ArrayList<>();

    @BeforeEach
    void root() throws Exception {
        Kernel.requireRoot();
    }

    @AfterEach
    void removeWhatWasMade() throws Exception {
        for (String name : made) {
            if (NamedNetns.exists(name)) {
                NamedNetns.delete(name);
            }
        }
        for (String name : made) {
            assertThat(Kernel.ipNetnsList()).doesNotContain(name);
            assertThat(NamedNetns.RUN_NETNS.resolve(name)).doesNotExist();
            assertThat(Kernel.isMountPoint(NamedNetns.RUN_NETNS.resolve(name))).isFalse();
        }
    }

    private String name() {
        String name = Kernel.uniqueName();
        made.add(name);
        return name;
    }

    @Test
    void createdNamespaceIsListedByIpAndUsableByIpNetnsExecWithLoUp() throws Exception {
        String name = name();

        NamedNetns.create(name);

        assertThat(Kernel.ipNetnsList()).contains(name);
        assertThat(Kernel.run("ip", "netns", "exec", name, "true").exitCode()).isZero();
        String lo = Kernel.ok("ip", "-n", name, "-j", "link", "show", "lo");
        assertThat(lo).contains("\"flags\":[\"LOOPBACK\",\"UP\",\"LOWER_UP\"]").contains("\"operstate\":\"UNKNOWN\"");
        assertThat(Kernel.isMountPoint(NamedNetns.path(name))).isTrue();
        assertThat(Kernel.ok("findmnt", "-n", "-o", "TARGET,PROPAGATION", "/run/netns").trim())
                .isEqualTo("/run/netns shared");
        assertThat(NamedNetns.exists(name)).isTrue();
        assertThat(NamedNetns.list()).contains(name);
    }

    @Test
    void aNamespaceThreadMakesANamedNamespaceForItselfAndStaysInIt() throws Exception {
        String name = name();

        String[] seen = NamespaceThread.run("netns for itself", () -> {
            String before = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
            NamedNetns.createForThisThread(name);
            return new String[] {before, Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString()};
        });

        String hostNetns = Files.readSymbolicLink(Path.of("/proc/self/ns/net")).toString();
        assertThat(seen[0]).isEqualTo(hostNetns);
        // The thread was in the named namespace: the name's inode is the thread's namespace.
        long inode = (Long) Files.getAttribute(NamedNetns.path(name), "unix:ino");
        assertThat(seen[1]).isEqualTo("net:[" + inode + "]").isNotEqualTo(hostNetns);
        assertThat(Kernel.ipNetnsList()).contains(name);
        assertThat(Kernel.ok("ip", "-n", name, "-j", "link", "show", "lo")).contains("\"UP\"");
    }

    @Test
    void makingANamespaceForTheThreadIsRefusedOffANamespaceThread() {
        String name = name();

        assertThatThrownBy(() -> NamedNetns.createForThisThread(name)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("must run on a NamespaceThread");
        assertThat(NamedNetns.exists(name)).isFalse();
    }

    @Test
    void deletedNamespaceIsGoneForIp() throws Exception {
        String name = name();
        NamedNetns.create(name);

        NamedNetns.delete(name);

        assertThat(Kernel.ipNetnsList()).doesNotContain(name);
        assertThat(NamedNetns.path(name)).doesNotExist();
        assertThat(Kernel.isMountPoint(NamedNetns.path(name))).isFalse();
        assertThat(NamedNetns.exists(name)).isFalse();
        assertThat(NamedNetns.list()).doesNotContain(name);
    }

    @Test
    void socketOpenedInTheNamespaceSeesOnlyItsLoopback() throws Exception {
        String name = name();
        NamedNetns.create(name);
        int fd = NamedNetns.open(name);
        try (RtNetlink byFd = RtNetlink.openIn(fd); RtNetlink byPath = RtNetlink.openIn(NamedNetns.path(name))) {
            assertThat(byFd.links()).singleElement().satisfies(lo -> {
                assertThat(lo.name()).isEqualTo("lo");
                assertThat(lo.up()).isTrue();
                assertThat(lo.kind()).isEmpty();
            });
            assertThat(byPath.links()).isEqualTo(byFd.links());
        } finally {
            Fds.close(fd);
        }
    }

    @Test
    void namespaceMadeByIpIsSeenAndDeletedHere() throws Exception {
        String name = name();
        Kernel.ok("ip", "netns", "add", name);

        assertThat(NamedNetns.exists(name)).isTrue();
        assertThat(NamedNetns.list()).contains(name);
        try (RtNetlink inside = RtNetlink.openIn(NamedNetns.path(name))) {
            assertThat(inside.link("lo")).hasValueSatisfying(lo -> assertThat(lo.up()).isFalse());
        }
        NamedNetns.delete(name);

        assertThat(Kernel.ipNetnsList()).doesNotContain(name);
    }

    @Test
    void createOfATakenNameFailsWithEexistAndKeepsTheNamespace() throws Exception {
        String name = name();
        NamedNetns.create(name);

        assertThatThrownBy(() -> NamedNetns.create(name))
                .isInstanceOf(SyscallException.class)
                .hasMessage("open(/run/netns/" + name + ", O_RDONLY|O_CREAT|O_EXCL|O_CLOEXEC, 00): EEXIST (File exists)");

        assertThat(Kernel.run("ip", "netns", "exec", name, "true").exitCode()).isZero();
        assertThat(Kernel.isMountPoint(NamedNetns.path(name))).isTrue();
    }

    @Test
    void deleteOfAMissingNameFailsWithEnoent() {
        String name = name();

        assertThatThrownBy(() -> NamedNetns.delete(name))
                .isInstanceOf(SyscallException.class)
                .hasMessage("umount2(/run/netns/" + name + ", MNT_DETACH): ENOENT (No such file or directory)")
                .satisfies(e -> assertThat(((SyscallException) e).is(Errno.ENOENT)).isTrue());
    }

    @Test
    void openOfAMissingNameFailsWithEnoent() {
        String name = name();

        assertThatThrownBy(() -> NamedNetns.open(name))
                .isInstanceOf(SyscallException.class)
                .hasMessage("open(/run/netns/" + name + ", O_RDONLY|O_CLOEXEC): ENOENT (No such file or directory)");
    }

    @Test
    void leftOverFileWithoutMountIsDeleted() throws Exception {
        String name = name();
        java.nio.file.Files.createFile(NamedNetns.path(name));

        assertThat(Kernel.ipNetnsList()).contains(name);
        NamedNetns.delete(name);

        assertThat(NamedNetns.path(name)).doesNotExist();
    }

    @Test
    void runNetnsThatIsNoMountPointIsMadeASharedOne() throws Exception {
        String name = name();
        // In a private mount namespace of a thread of its own, a tmpfs on /run hides the
        // host's /run/netns, so that create finds no mount point there; the host's mounts
        // stay untouched and the namespace ends with the thread.
        List<String> seen = NamespaceThread.run("test private run",
                NamespaceRequest.builder().unshare(Namespaces.CLONE_NEWNS).build(), () -> {
                    Mounts.makeRprivate("/");
                    Mounts.mount("tmpfs", "/run", "tmpfs", Mounts.MS_NOSUID | Mounts.MS_NODEV, "size=1M,mode=755");
                    NamedNetns.create(name);
                    List<String> result = new ArrayList<>(mounts("/run/netns", "/run/netns/" + name));
                    try (RtNetlink inside = RtNetlink.openIn(NamedNetns.path(name))) {
                        result.add("lo up " + inside.link("lo").orElseThrow().up());
                    }
                    // Through pid 1's root: the host's mount namespace, not this thread's.
                    result.add("host sees it " + Files.exists(Path.of("/proc/1/root/run/netns", name)));
                    NamedNetns.delete(name);
                    result.addAll(mounts("/run/netns", "/run/netns/" + name));
                    result.add("exists " + NamedNetns.exists(name));
                    return result;
                });

        // The private /run/netns is the copy of the host's, hidden under the tmpfs.
        assertThat(seen).containsExactly(
                "/run/netns private", "/run/netns shared", "/run/netns/" + name + " shared", "lo up true",
                "host sees it false",
                "/run/netns private", "/run/netns shared", "exists false");
    }

    /** The mount points among {@code targets} in the calling thread's mount namespace, with their propagation. */
    private static List<String> mounts(String... targets) throws java.io.IOException {
        List<String> found = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/thread-self/mountinfo"))) {
            String[] fields = line.split(" ");
            if (List.of(targets).contains(fields[4])) {
                boolean shared = false;
                for (int i = 6; !fields[i].equals("-"); i++) {
                    shared |= fields[i].startsWith("shared:");
                }
                found.add(fields[4] + (shared ? " shared" : " private"));
            }
        }
        return found;
    }
}
