package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.ExecResult;
import org.subhost.Subhost;
import org.subhost.Subhosts;
import org.subhost.config.Share;
import org.subhost.config.SubhostConfig;
import org.subhost.linux.MountTable;
import org.subhost.linux.Mounts;
import org.subhost.linux.NamespaceRequest;
import org.subhost.linux.NamespaceThread;
import org.subhost.linux.Namespaces;
import org.subhost.linux.netlink.NamedNetns;

/**
 * The mount namespace a boot makes its mounts in is copied from the {@link MountSeed}: the
 * host's mounts without the network namespaces under {@code /run/netns} (one per running
 * subhost), and what the host mounts, changes or unmounts later is what the next boot sees.
 * The host's own mount table is never touched: the later mounts are made in a private
 * mount namespace of the test's that stands for the host, from which the copies and boots
 * are made.
 */
class MountSeedKernelTest {
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);
    private static final int NETNS_COUNT = MountSeed.SEED_FROM + 8;

    private final List<String> netns = new ArrayList<>();
    private String name;
    private Path base;

    @BeforeEach
    void makeNetnsNameAndBase() throws Exception {
        KernelFixture.requireRoot();
        name = KernelFixture.uniqueName();
        base = KernelFixture.base(name);
        // Standing for the subhosts running: one /run/netns/NAME mount each in the host's table.
        for (int i = 0; i < NETNS_COUNT; i++) {
            netns.add(name + "n" + i);
            NamedNetns.create(netns.get(i));
        }
        // The first copy of a JVM keeps no seed (MountSeed.enterCopy): that one is done, and
        // each test starts without a seed.
        copyOfSeed();
        MountSeed.drop();
    }

    @AfterEach
    void removeAndCheckNothingLeft() throws Exception {
        MountSeed.anyNamespace = false;
        MountSeed.drop();
        for (String n : netns) {
            NamedNetns.delete(n);
        }
        if (name != null) {
            for (String n : netns) {
                assertThat(KernelFixture.leftovers(n, base)).as("what %s left", n).isEmpty();
            }
            KernelFixture.assertNothingLeft(name, base);
            KernelFixture.deleteTree(base);
        }
    }

    @Test
    void aBootsMountNamespaceHasTheHostsMountsButNoneUnderRunNetns() throws Exception {
        List<Path> host = mountPoints(MountTable.ofThisThread());
        List<Path> plain = NamespaceThread.run("sht plain copy", NamespaceRequest.builder()
                .unshare(Namespaces.CLONE_NEWNS).build(), () -> {
                    Mounts.makeRprivate("/");
                    return mountPoints(MountTable.ofThisThread());
                });
        assertThat(plain).as("a plain copy of the host's table").contains(NamedNetns.path(netns.get(0)));

        List<Path> seeded = copyOfSeed();

        assertThat(seeded).as("a copy of the seed").noneMatch(p -> p.startsWith(NamedNetns.RUN_NETNS))
                .containsExactlyInAnyOrderElementsOf(host.stream().filter(p -> !p.startsWith(NamedNetns.RUN_NETNS))
                        .toList());
        assertThat(MountSeed.isHeld()).as("the seed is kept for the next boot").isTrue();
    }

    @Test
    void theSeedGoesWhenNoBootHasUsedItForTheIdleTime() throws Exception {
        copyOfSeed();
        assertThat(MountSeed.isHeld()).isTrue();
        long start = System.nanoTime();
        // What a boot's caller does once the boot has ended.
        MountSeed.expireWhenIdle();
        while (MountSeed.isHeld() && System.nanoTime() - start < 3 * MountSeed.IDLE_MILLIS * 1_000_000) {
            Thread.sleep(100);
        }
        assertThat(MountSeed.isHeld()).as("a seed held after %d ms", MountSeed.IDLE_MILLIS * 3).isFalse();
        assertThat((System.nanoTime() - start) / 1_000_000).as("ms until the seed went")
                .isGreaterThanOrEqualTo(MountSeed.IDLE_MILLIS - 1000);
        assertThat(org.subhost.testing.HostLeftovers.namespacesHeldByThisJvm()).as("namespaces this JVM holds")
                .noneMatch(line -> line.contains("mnt namespace"));
    }

    @Test
    void aCopyMadeFromAMountNamespaceOfTheCallersOwnKeepsNoSeed() throws Exception {
        List<Path> copied = NamespaceThread.run("sht host", NamespaceRequest.builder()
                .unshare(Namespaces.CLONE_NEWNS).build(), () -> {
                    Mounts.makeRprivate("/");
                    return copyOfSeed();
                });
        assertThat(copied).as("a copy of the caller's namespace, whole").contains(NamedNetns.path(netns.get(0)));
        assertThat(MountSeed.isHeld()).as("a seed kept").isFalse();
    }

    @Test
    void aMountMadeRemountedOrRemovedOnTheHostAfterTheSeedWasCopiedIsWhatTheNextCopySees() throws Exception {
        Path later = Files.createDirectories(base.resolve("later"));
        MountSeed.anyNamespace = true;
        NamespaceThread.run("sht host", NamespaceRequest.builder().unshare(Namespaces.CLONE_NEWNS).build(), () -> {
            Mounts.makeRprivate("/");
            long before = MountSeed.copiesFromHost();
            assertThat(copyOfSeed()).doesNotContain(later);
            assertThat(copyOfSeed()).doesNotContain(later);
            assertThat(MountSeed.copiesFromHost()).as("copies from the host while it did not change")
                    .isEqualTo(before + 1);

            Mounts.mount("tmpfs", later.toString(), "tmpfs", 0, "size=1M");
            assertThat(copyOfSeed()).contains(later);
            assertThat(optionsIn(later)).as("options of the copy's mount").startsWith("rw");

            Mounts.mount(null, later.toString(), null, Mounts.MS_REMOUNT | Mounts.MS_BIND | Mounts.MS_RDONLY, null);
            assertThat(optionsIn(later)).as("options of the copy's mount after a remount").startsWith("ro");

            Mounts.umount2(later.toString(), 0);
            assertThat(copyOfSeed()).doesNotContain(later);
            assertThat(MountSeed.copiesFromHost()).as("copies from the host: one more for each change")
                    .isEqualTo(before + 4);
            MountSeed.drop();
            return null;
        });
    }

    /**
     * Boots while {@link #NETNS_COUNT} network namespaces are named under /run/netns, then
     * mounts a tmpfs in a SHARE's source on the host, then boots again: the second subhost
     * sees the tmpfs in its SHARE, and neither has a /run/netns mount.
     */
    @Test
    void aSubhostBootedAfterAHostMountSeesItInItsShareAndNoNetnsMounts() throws Exception {
        Path source = Files.createDirectories(base.resolve("shared"));
        Path later = Files.createDirectories(source.resolve("later"));
        Subhosts subhosts = Subhosts.linux();
        String second = name + "b";
        MountSeed.anyNamespace = true;
        NamespaceThread.run("sht host", NamespaceRequest.builder().unshare(Namespaces.CLONE_NEWNS).build(), () -> {
            Mounts.makeRprivate("/");
            Subhost first = subhosts.boot(config(name, "first", source));
            try {
                assertThat(inside(first, "cat /proc/self/mountinfo")).doesNotContain("/run/netns")
                        .doesNotContain("/srv/shared/later");
                Mounts.mount("tmpfs", later.toString(), "tmpfs", 0, "size=1M");
                try {
                    Files.writeString(later.resolve("file"), "on the host's later mount");
                    Subhost next = subhosts.boot(config(second, "second", source));
                    try {
                        assertThat(inside(next, "cat /srv/shared/later/file")).isEqualTo("on the host's later mount");
                        assertThat(inside(next, "cat /proc/self/mountinfo")).doesNotContain("/run/netns");
                    } finally {
                        next.stop(TEN_SECONDS);
                    }
                } finally {
                    Mounts.umount2(later.toString(), 0);
                }
            } finally {
                first.stop(TEN_SECONDS);
                // The seed is a copy of this stand-in for the host, which goes now.
                MountSeed.drop();
            }
            return null;
        });
        assertThat(KernelFixture.leftovers(second, base)).as("what %s left", second).isEmpty();
    }

    private SubhostConfig config(String subhost, String dir, Path share) throws IOException {
        Path b = Files.createDirectories(base.resolve(dir));
        for (String d : List.of("root", "work", "live")) {
            Files.createDirectories(b.resolve(d));
        }
        return SubhostConfig.builder(subhost, b).start("none").log(b.resolve("log"))
                .addShare(new Share(share, Path.of("/srv/shared"))).build();
    }

    private static String inside(Subhost s, String script) throws Exception {
        ExecResult r = s.exec(List.of("/bin/sh", "-c", script), TEN_SECONDS);
        assertThat(r.status()).as("status of %s (stderr: %s)", script, r.stderr()).isZero();
        return r.stdout();
    }

    /** The mount points of a copy of the seed, as a boot's namespace thread makes it. */
    private static List<Path> copyOfSeed() throws Exception {
        return NamespaceThread.run("sht seed copy", NamespaceRequest.none(), () -> {
            MountSeed.enterCopy();
            return mountPoints(MountTable.ofThisThread());
        });
    }

    /** The per-mount options of the topmost mount on {@code path} in a copy of the seed. */
    private static String optionsIn(Path path) throws Exception {
        return NamespaceThread.run("sht seed copy", NamespaceRequest.none(), () -> {
            MountSeed.enterCopy();
            Optional<String> options = Optional.empty();
            for (String line : Files.readAllLines(Path.of("/proc/thread-self/mountinfo"))) {
                String[] f = line.split(" ");
                if (f[4].equals(path.toString())) {
                    options = Optional.of(f[5]);
                }
            }
            return options.orElse("");
        });
    }

    private static List<Path> mountPoints(MountTable table) {
        return table.mounts().stream().map(MountTable.Entry::mountPoint).toList();
    }
}
