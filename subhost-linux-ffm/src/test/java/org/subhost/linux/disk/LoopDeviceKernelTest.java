package org.subhost.linux.disk;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.testing.Uid;

/**
 * Loop devices on the real kernel: bound with offset, size limit and flags, checked in
 * sysfs by the test itself, and gone afterwards. Attaching a loop device mounts nothing;
 * the test leaves no device bound to its images even when it fails.
 */
class LoopDeviceKernelTest {
    private Path dir;
    private Path image;
    private final List<LoopDevice> attached = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(Uid.isRoot(), "loop device tests need root (/dev/loop-control)");
        dir = Files.createTempDirectory("subhost-loop-").toRealPath();
        image = DiskImages.blank(dir, "disk.img", 20);
        DiskImages.sfdisk(image, "label: dos\nstart=2048,size=8192,type=83\nstart=10240,size=16384,type=83\n");
    }

    @AfterEach
    void tearDown() throws Exception {
        if (dir == null) {
            return;
        }
        for (LoopDevice loop : attached) {
            loop.close();
        }
        // What the test itself attached is released above; anything still bound to the
        // image is a leak of the code under test: detach it, then fail.
        List<Path> leaked = awaitNoneBoundTo(image);
        for (Path device : leaked) {
            LoopDevice.detach(device);
        }
        DiskImages.deleteTree(dir);
        assertThat(leaked).as("loop devices still bound to %s after the test", image).isEmpty();
    }

    @Test
    void bindsAPartitionWithItsOffsetAndSizeLimitAndAutoclear() throws Exception {
        Partition second;
        try (var ch = java.nio.channels.FileChannel.open(image)) {
            second = PartitionTable.read(ch).orElseThrow().partition(2);
        }
        LoopDevice loop = track(LoopDevice.attach(image, second.offsetBytes(), second.sizeBytes(), false));
        Path sys = Path.of("/sys/block/loop" + loop.number());
        assertThat(loop.path()).isEqualTo(Path.of("/dev/loop" + loop.number()));
        assertThat(read(sys.resolve("loop/backing_file"))).isEqualTo(image.toString());
        assertThat(read(sys.resolve("loop/offset"))).isEqualTo(Long.toString(10240 * 512L));
        assertThat(read(sys.resolve("loop/sizelimit"))).isEqualTo(Long.toString(16384 * 512L));
        assertThat(read(sys.resolve("size"))).as("the device's size in sectors").isEqualTo("16384");
        assertThat(read(sys.resolve("loop/autoclear"))).isEqualTo("1");
        assertThat(read(sys.resolve("ro"))).isEqualTo("0");
        assertThat(LoopDevice.backing(loop.path())).contains(
                new LoopBacking(image, 10240 * 512L, 16384 * 512L, true, false));
    }

    @Test
    void closingAnUnmountedDeviceDetachesItThroughAutoclear() throws Exception {
        LoopDevice loop = LoopDevice.attach(image, 0, 0, true);
        assertThat(boundTo(image)).containsExactly(loop.path());
        assertThat(read(Path.of("/sys/block/loop" + loop.number(), "ro"))).isEqualTo("1");
        assertThat(loop.readOnly()).isTrue();
        loop.close();
        assertThat(awaitNoneBoundTo(image)).as("loop devices bound to %s", image).isEmpty();
        assertThat(LoopDevice.backing(loop.path())).isEmpty();
    }

    @Test
    void detachUnbindsAtOnceAndADeviceBoundToNothingSaysSo() throws Exception {
        LoopDevice loop = track(LoopDevice.attach(image, 1 << 20, 4 << 20, false));
        loop.detach();
        assertThat(awaitNoneBoundTo(image)).as("loop devices bound to %s", image).isEmpty();
        assertThat(LoopDevice.detach(loop.path())).isFalse();
        assertThat(LoopDevice.backing(Path.of("/dev/sda"))).as("no loop device").isEmpty();
    }

    @Test
    void twoAttachmentsOfOneImageGetTwoDevices() throws Exception {
        LoopDevice a = track(LoopDevice.attach(image, 1 << 20, 4 << 20, true));
        LoopDevice b = track(LoopDevice.attach(image, 5 << 20, 8 << 20, true));
        assertThat(a.number()).isNotEqualTo(b.number());
        assertThat(boundTo(image)).containsExactlyInAnyOrder(a.path(), b.path());
    }

    private LoopDevice track(LoopDevice loop) {
        attached.add(loop);
        return loop;
    }

    private static String read(Path file) throws IOException {
        return Files.readString(file).strip();
    }

    /** The loop devices whose sysfs backing_file names {@code file}: the test's independent look. */
    static List<Path> boundTo(Path file) throws IOException {
        List<Path> devices = new ArrayList<>();
        try (var blocks = Files.newDirectoryStream(Path.of("/sys/block"), "loop*")) {
            for (Path block : blocks) {
                Path backing = block.resolve("loop/backing_file");
                try {
                    if (Files.readString(backing).strip().equals(file.toString())) {
                        devices.add(Path.of("/dev", block.getFileName().toString()));
                    }
                } catch (java.nio.file.NoSuchFileException e) {
                    // not bound
                }
            }
        }
        return devices;
    }

    /** Waits (up to 10 s) until no loop device is bound to {@code file} (the kernel releases asynchronously); those still bound. */
    static List<Path> awaitNoneBoundTo(Path file) throws IOException, InterruptedException {
        for (int i = 0; i < 1000 && !boundTo(file).isEmpty(); i++) {
            Thread.sleep(10);
        }
        return boundTo(file);
    }

}
