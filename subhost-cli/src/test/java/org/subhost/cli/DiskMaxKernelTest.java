package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.testing.HostLeftovers;
import org.subhost.testing.HostTools;
import org.subhost.testing.KernelFeature;
import org.subhost.testing.Uid;

/**
 * DISK_MAX and the limits end to end through the commands, each a JVM of its own: a subhost
 * whose UPPER is a btrfs subvolume on an image of the test's own (mounted on a loop device
 * inside {@code unshare --mount --propagation private}, never in the host's mount
 * namespace) writes until EDQUOT at its DISK_MAX while the filesystem keeps its free space;
 * {@code overlay-limit} shows and changes the limits, {@code overlay-list --json} shows them
 * with the usage, and the stop lifts the quota and leaves nothing. The same on an ext4 image
 * made with the {@code quota} and {@code project} features and mounted with {@code prjquota},
 * where the kernel has quota support (a {@link KernelFeature#PROJECT_QUOTAS} it may lack).
 */
class DiskMaxKernelTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    private String name;
    private Path base;
    private Path image;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(Uid.isRoot(), "DISK_MAX kernel tests need root (loop devices, mounts, subhosts)");
        name = "sht" + random(4);
        base = Files.createTempDirectory("subhost-diskmax-" + name + "-").toRealPath();
        Files.createDirectories(base.resolve("live"));
        Files.createDirectories(base.resolve("disk"));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (base == null) {
            return;
        }
        List<String> left = new ArrayList<>();
        if (image != null && !TestImages.awaitNoLoopBoundTo(image).isEmpty()) {
            left.add("loop devices of " + image + ": " + TestImages.loopsBoundTo(image));
            TestImages.detachAll(image);
        }
        List<String> subhost = HostLeftovers.of(name).under(base).find();
        left.addAll(subhost);
        if (subhost.stream().noneMatch(l -> l.startsWith("mount "))) {
            TestImages.deleteTree(base);
        }
        assertThat(left).as("what the test of %s left behind", name).isEmpty();
    }

    @Test
    void aSubhostWritingPastDiskMaxGetsEdquotAndTheFilesystemKeepsItsSpace() throws Exception {
        HostTools.require("mkfs.btrfs", "btrfs-progs");
        image = TestImages.blank(base.resolve("btrfs.img"), 256);
        HostTools.run(List.of("mkfs.btrfs", "-q", "-f", image.toString()), null);
        Path conf = Files.write(base.resolve(name + ".conf"), List.of("BASE=.", "START=none", "LOG=" + base.resolve("log"),
                "UPPER=disk/root", "WORK=disk/work", "DISK_MAX=16M", "MEMORY_MAX=512M"));

        runPrivately(conf, """
                mount -o loop btrfs.img disk
                btrfs subvolume create disk/root > /dev/null && mkdir disk/work
                df --output=avail -B1M disk | tail -n 1 > free.before
                cli overlay-boot "$CONF" > boot.out 2>&1; echo $? > boot.rc
                cli overlay-go $NAME /bin/sh -c 'dd if=/dev/zero of=/big bs=1M count=64 conv=fsync; echo dd=$?' \\
                    > inside.out 2>&1
                df --output=avail -B1M disk | tail -n 1 > free.after
                cli overlay-limit $NAME > limits.before 2>&1
                cli overlay-limit $NAME MEMORY_MAX=256M PIDS_MAX=100 DISK_MAX=32M > set.out 2>&1; echo $? > set.rc
                cli overlay-list --json > list.json 2>&1
                cli overlay-stop "$CONF" > stop.out 2>&1; echo $? > stop.rc
                btrfs qgroup show -r --raw disk > qgroups.stopped 2>&1
                umount disk
                """);

        assertThat(read("boot.rc")).as("overlay-boot (output: %s)", read("boot.out")).isEqualTo("0\n");
        assertThat(read("log")).contains("turned btrfs quotas on for the filesystem of UPPER (" + base + "/disk/root)");
        assertThat(read("inside.out")).contains("Disk quota exceeded", "dd=1");
        long before = Long.parseLong(read("free.before").strip());
        long after = Long.parseLong(read("free.after").strip());
        assertThat(before - after).as("MiB the subhost took of %d", before).isLessThan(24);
        assertThat(read("limits.before")).startsWith("MEMORY_MAX=512M\nMEMORY_HIGH=none\nPIDS_MAX=2048\nCPU_WEIGHT=100\n"
                + "CPU_MAX=none\nIO_WEIGHT=100\nDISK_MAX=16M\nmemory_bytes=").containsPattern(
                "\nprocesses=\\d+\ncpu_usec=\\d+\noom_kills=0\n$");
        assertThat(read("set.rc")).as("overlay-limit (output: %s)", read("set.out")).isEqualTo("0\n");
        assertThat(read("set.out")).isEqualTo(name + ": MEMORY_MAX=256M PIDS_MAX=100 DISK_MAX=32M\n");
        String json = read("list.json");
        int at = json.indexOf("\"name\":\"" + name + "\"");
        assertThat(at).as("overlay-list --json: %s", json).isNotNegative();
        assertThat(json.substring(at)).contains("\"limits\":{\"memory_max\":268435456,\"memory_high\":null,"
                + "\"pids_max\":100,\"cpu_weight\":100,\"cpu_max\":null,\"io_weight\":100,\"disk_max\":33554432}",
                "\"usage\":{\"memory_bytes\":", "\"oom_kills\":0}");
        assertThat(read("stop.rc")).as("overlay-stop (output: %s)", read("stop.out")).isEqualTo("0\n");
        assertThat(read("qgroups.stopped")).as("the limit is lifted at the stop").doesNotContain("33554432")
                .doesNotContain("16777216");
    }

    @Test
    void aSubhostWritingPastDiskMaxOnExt4WithProjectQuotasGetsEdquotAndTheStopLiftsIt() throws Exception {
        HostTools.require("mkfs.ext4", "e2fsprogs");
        image = TestImages.blank(base.resolve("ext4.img"), 128);
        HostTools.run(List.of("mkfs.ext4", "-q", "-F", "-O", "quota,project", image.toString()), null);
        // The probe: this kernel mounts it with prjquota, or it lacks quota support (the kernel of
        // the lead's machine refuses the mount: "not built with CONFIG_QUOTA and CONFIG_QFMT_V2").
        Path probe = base.resolve("probe.out");
        Process p = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mount -o loop,prjquota ext4.img disk && umount disk").directory(base.toFile())
                .redirectErrorStream(true).redirectOutput(probe.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
        KernelFeature.PROJECT_QUOTAS.assumePresent(p.exitValue() == 0, "mount -o loop,prjquota of an image made"
                + " with mkfs.ext4 -O quota,project exited with " + p.exitValue() + ": "
                + Files.readString(probe).strip());
        Path conf = Files.write(base.resolve(name + ".conf"), List.of("BASE=.", "START=none", "LOG=" + base.resolve("log"),
                "UPPER=disk/root", "WORK=disk/work", "DISK_MAX=16M"));

        runPrivately(conf, """
                mount -o loop,prjquota ext4.img disk
                mkdir disk/root disk/work && stat -c %i disk/root > root.inode
                df --output=avail -B1M disk | tail -n 1 > free.before
                cli overlay-boot "$CONF" > boot.out 2>&1; echo $? > boot.rc
                lsattr -pd disk/root > root.running 2>&1
                cli overlay-go $NAME /bin/sh -c 'mkdir /d && dd if=/dev/zero of=/d/big bs=1M count=64 conv=fsync;\
                    echo dd=$?' > inside.out 2>&1
                df --output=avail -B1M disk | tail -n 1 > free.after
                cli overlay-stop "$CONF" > stop.out 2>&1; echo $? > stop.rc
                lsattr -pd disk/root > root.stopped 2>&1
                umount disk
                """);

        assertThat(read("boot.rc")).as("overlay-boot (output: %s)", read("boot.out")).isEqualTo("0\n");
        assertThat(read("root.running").strip()).as("UPPER's project (its inode number) and inherit flag")
                .matches(read("root.inode").strip() + " \\S*P\\S* disk/root");
        assertThat(read("inside.out")).contains("Disk quota exceeded", "dd=1");
        long before = Long.parseLong(read("free.before").strip());
        long after = Long.parseLong(read("free.after").strip());
        assertThat(before - after).as("MiB the subhost took of %d", before).isLessThan(24);
        assertThat(read("stop.rc")).as("overlay-stop (output: %s)", read("stop.out")).isEqualTo("0\n");
        assertThat(read("root.stopped").strip()).as("the inherit flag is cleared at the stop")
                .matches("\\d+ [^P\\s]* disk/root");
    }

    /** Runs {@code script} with sh, in BASE, in a private mount namespace of its own, with {@code cli} defined. */
    private void runPrivately(Path conf, String script) throws IOException, InterruptedException {
        String prelude = "cli() { \"$JAVA\" --enable-native-access=ALL-UNNAMED -cp \"$CP\" org.subhost.cli.Cli \"$@\"; }\n";
        ProcessBuilder pb = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "sh", "-c",
                prelude + script).directory(base.toFile()).redirectErrorStream(true)
                .redirectOutput(base.resolve("sequence.out").toFile());
        Map<String, String> env = pb.environment();
        env.put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
        env.put("CP", System.getProperty("java.class.path"));
        env.put("CONF", conf.toString());
        env.put("NAME", name);
        Process p = pb.start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
        assertThat(p.exitValue()).as("the sequence (output: %s)", read("sequence.out")).isZero();
    }

    private String read(String file) throws IOException {
        Path path = base.resolve(file);
        return Files.exists(path) ? Files.readString(path) : "(no " + file + ")";
    }

    private static String random(int n) {
        String chars = "abcdefghijklmnopqrstuvwxyz0123456789";
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < n; i++) {
            b.append(chars.charAt(RANDOM.nextInt(chars.length())));
        }
        return b.toString();
    }
}
