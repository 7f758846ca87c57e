package org.subhost.linux.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.linux.Mounts;
import org.subhost.linux.NamespaceRequest;
import org.subhost.linux.NamespaceThread;
import org.subhost.linux.Namespaces;
import org.subhost.linux.SyscallException;
import org.subhost.testing.Uid;

/**
 * Quota groups on a btrfs image of the test's own, mounted on a loop device in a mount
 * namespace of the test's own (never the host's): a subvolume with a limit takes writes up
 * to it and then answers EDQUOT, and nothing is bound to the image afterwards.
 */
class BtrfsKernelTest {
    private Path dir;
    private Path image;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(Uid.isRoot(), "btrfs quota tests need root (loop devices, mounts)");
        dir = Files.createTempDirectory("subhost-btrfs-").toRealPath();
        image = DiskImages.blank(dir, "btrfs.img", 256);
        DiskImages.mkfs(FilesystemType.BTRFS, image, null);
        Files.createDirectory(dir.resolve("mnt"));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (dir == null) {
            return;
        }
        List<Path> leaked = LoopDeviceKernelTest.awaitNoneBoundTo(image);
        for (Path device : leaked) {
            LoopDevice.detach(device);
        }
        DiskImages.deleteTree(dir);
        assertThat(leaked).as("loop devices still bound to %s", image).isEmpty();
    }

    @Test
    void aSubvolumeWithALimitTakesWritesUpToItThenAnswersEdquot() throws Exception {
        inMountedImage(mnt -> {
            Path upper = Btrfs.createSubvolume(mnt, "upper");
            Files.createDirectory(mnt.resolve("work"));
            assertThat(Btrfs.isSubvolume(upper)).isTrue();
            assertThat(Btrfs.isSubvolume(mnt.resolve("work"))).isFalse();
            assertThat(Btrfs.subvolumeId(upper)).isGreaterThan(5);
            assertThat(Btrfs.subvolumeId(mnt.resolve("work"))).isEqualTo(5);
            assertThat(Files.getAttribute(upper, "unix:dev")).as("a subvolume's device number is its own")
                    .isNotEqualTo(Files.getAttribute(mnt.resolve("work"), "unix:dev"));
            assertThat(Mounts.mountId(upper.toString())).as("but it is on the same mount")
                    .isEqualTo(Mounts.mountId(mnt.resolve("work").toString())).isPresent();
            assertThat(Btrfs.filesystemId(upper)).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
            assertThatThrownBy(() -> Btrfs.limitReferenced(upper, OptionalLong.of(8 << 20)))
                    .isInstanceOf(SyscallException.class).hasMessageContaining("ENOTCONN");
            Btrfs.enableQuota(mnt);
            Btrfs.limitReferenced(upper, OptionalLong.of(8 << 20));
            assertThatThrownBy(() -> write(upper.resolve("big"), 32)).isInstanceOf(IOException.class)
                    .hasMessageContaining("Disk quota exceeded");
            assertThat(Btrfs.referencedBytes(upper)).isPresent();
            assertThat(Btrfs.referencedBytes(upper).getAsLong()).isBetween(1L << 20, 9L << 20);
            Files.delete(upper.resolve("big"));
            Btrfs.limitReferenced(upper, OptionalLong.empty());
            write(mnt.resolve("work/free"), 16); // outside the subvolume: not limited
            return null;
        });
    }

    private interface Job {
        Void run(Path mnt) throws Exception;
    }

    /** Mounts the image on {@code dir/mnt} in a mount namespace of its own, runs {@code job}, unmounts. */
    private void inMountedImage(Job job) throws Exception {
        Path mnt = dir.resolve("mnt");
        NamespaceThread.run("btrfs test", NamespaceRequest.builder().unshare(Namespaces.CLONE_NEWNS).build(), () -> {
            Mounts.makeRprivate("/");
            try (LoopDevice loop = LoopDevice.attach(image, 0, 0, false)) {
                Mounts.mount(loop.path().toString(), mnt.toString(), "btrfs", 0, null);
            }
            try {
                return job.run(mnt);
            } finally {
                Mounts.umount2(mnt.toString(), 0);
            }
        });
    }

    private static void write(Path file, int megabytes) throws IOException {
        byte[] block = new byte[1 << 20];
        java.util.Arrays.fill(block, (byte) 'x');
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < megabytes; i++) {
                out.write(block);
            }
            out.flush();
        }
        try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            channel.force(true); // btrfs checks the quota as the data reaches the disk, too
        }
    }
}
