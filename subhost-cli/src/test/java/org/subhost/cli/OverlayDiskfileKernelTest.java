package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
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
import org.subhost.linux.disk.PartitionTable;
import org.subhost.testing.Uid;

/**
 * overlay-diskfile end to end on the real kernel: subhosts whose LOWER is a squashfs in
 * partition 2 of a GPT image and whose UPPER and WORK are on an ext4 image, booted and
 * stopped by the CLI as separate JVMs, with overlay-diskfile found on the PATH.
 *
 * <p>overlay-diskfile mounts in the mount namespace of whoever reads the configuration, so
 * every sequence runs inside {@code unshare --mount --propagation private}: nothing is
 * mounted in the host's namespace (the netns bind mount of the subhost, too, lives only
 * there, and the stop runs there). The sequence writes what it saw into files under BASE;
 * the test reads them, then checks from outside that no loop device is bound to the
 * images, and that no netns, state or mount of the subhost is left.
 */
class OverlayDiskfileKernelTest {
    private static final SecureRandom RANDOM = new SecureRandom();

    private String name;
    private Path base;
    private Path osImage;
    private Path dataImage;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(Uid.isRoot(), "overlay-diskfile kernel tests need root (loop devices, mounts, subhosts)");
        name = "sht" + random(4);
        base = Files.createTempDirectory("subhost-disk-" + name + "-").toRealPath();
        for (String dir : List.of("live", "mnt", "data", "bin")) {
            Files.createDirectories(base.resolve(dir));
        }
        // LOWER: a tiny root as squashfs in partition 2 of a GPT image.
        Path tree = TestImages.tinyRoot(base.resolve("tree"));
        Files.writeString(tree.resolve("etc/marker"), "from the image\n");
        copyClassPathInto(tree);
        TestImages.mksquashfs(tree, base.resolve("os.sqfs"));
        osImage = TestImages.blank(base.resolve("os.img"), 40);
        TestImages.sfdisk(osImage, "label: gpt\n,8MiB,L\n,,L\n");
        try (FileChannel ch = FileChannel.open(osImage)) {
            TestImages.copyInto(base.resolve("os.sqfs"), osImage,
                    PartitionTable.read(ch).orElseThrow().partition(2).offsetBytes());
        }
        // UPPER and WORK: directories of one ext4 image.
        Path content = base.resolve("content");
        Files.createDirectories(content.resolve("root"));
        Files.createDirectories(content.resolve("work"));
        Files.writeString(content.resolve("root/hello"), "upper file\n");
        dataImage = TestImages.blank(base.resolve("data.img"), 32);
        TestImages.mkfsExt4(dataImage, content);
        // overlay-diskfile on the PATH, running this build's classes.
        Path launcher = base.resolve("bin/overlay-diskfile");
        Files.writeString(launcher, "#!/bin/sh\nexec '" + java() + "' --enable-native-access=ALL-UNNAMED -cp '"
                + System.getProperty("java.class.path") + "' org.subhost.cli.Cli overlay-diskfile \"$@\"\n");
        launcher.toFile().setExecutable(true);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (base == null) {
            return;
        }
        List<String> left = new ArrayList<>();
        for (Path image : List.of(osImage, dataImage)) {
            if (image != null && !TestImages.awaitNoLoopBoundTo(image).isEmpty()) {
                left.add("loop devices of " + image + ": " + TestImages.loopsBoundTo(image));
                TestImages.detachAll(image);
            }
        }
        // netns, links (NAME0 of the failed boot's cable too), mounts under BASE, state, lock
        // file, cgroup, processes, and mount namespaces this JVM holds.
        List<String> subhost = HostLeftovers.of(name).under(base).find();
        left.addAll(subhost);
        if (subhost.stream().noneMatch(l -> l.startsWith("mount "))) {
            TestImages.deleteTree(base);
        }
        assertThat(left).as("what the test of %s left behind", name).isEmpty();
    }

    @Test
    void lowerFromAPartitionAndUpperFromAnImageBootAndTheStopReleasesBoth() throws Exception {
        String conf = writeConf("LOWER=!overlay-diskfile mnt/ os.img 2", "UPPER=!overlay-diskfile data/root data.img",
                "WORK=!overlay-diskfile data/work data.img");

        runPrivately(conf, """
                cli overlay-boot "$CONF" > boot.out 2>&1; echo $? > boot.rc
                mounts > mounts.booted
                cat /run/subhost/$NAME/state > state.booted
                cli overlay-go $NAME /bin/sh -c 'cat /etc/marker /hello; echo written > /new' > inside.out 2>&1
                cli overlay-stop "$CONF" > stop.out 2>&1; echo $? > stop.rc
                mounts > mounts.stopped
                loops > loops.stopped
                """);

        assertThat(read("boot.rc")).as("overlay-boot (output: %s)", read("boot.out")).isEqualTo("0\n");
        assertThat(read("mounts.booted")).isEqualTo(base + "/data\n" + base + "/mnt\n");
        assertThat(read("state.booted")).contains("disk1=" + base + "/data\t/dev/loop",
                "\t" + dataImage + "\ndisk2=" + base + "/mnt\t/dev/loop", "\t" + osImage + "\n");
        assertThat(read("inside.out")).isEqualTo("from the image\nupper file\n");
        assertThat(read("stop.rc")).as("overlay-stop (output: %s)", read("stop.out")).isEqualTo("0\n");
        assertThat(read("mounts.stopped")).isEmpty();
        assertThat(read("loops.stopped")).isEmpty();
        // What the subhost wrote went to the image: read it back with e2fsprogs' debugfs.
        assertThat(HostTools.run(List.of("debugfs", "-R", "cat /root/new", dataImage.toString()), null))
                .isEqualTo("written\n");
    }

    @Test
    void aFailedBootReleasesWhatItsReadingMounted() throws Exception {
        // A failure that only a step meets, so that the boot gets past the preflight (which
        // would refuse a missing bridge before anything is made, releasing the images too).
        String conf = writeConf("LOWER=!overlay-diskfile mnt/ os.img 2", "UPPER=!overlay-diskfile data/root data.img",
                "WORK=!overlay-diskfile data/work data.img", "PREMOUNT=exit 3 #");

        runPrivately(conf, """
                cli overlay-boot "$CONF" > boot.out 2>&1; echo $? > boot.rc
                mounts > mounts.failed
                loops > loops.failed
                """);

        assertThat(read("boot.rc")).isEqualTo("1\n");
        assertThat(read("boot.out")).contains("overlay-boot: boot " + name + ": step ")
                .contains("PREMOUNT (exit 3 #) exited with status 3");
        assertThat(read("mounts.failed")).isEmpty();
        assertThat(read("loops.failed")).isEmpty();
    }

    /**
     * {@code overlay-boot --dry-run} runs the {@code !} commands, so overlay-diskfile mounts
     * the images; nothing boots, so the dry run releases them again (Subhosts.release):
     * no mount and no loop device is left in the namespace where it ran.
     */
    @Test
    void aDryRunReleasesWhatItsReadingMounted() throws Exception {
        String conf = writeConf("LOWER=!overlay-diskfile mnt/ os.img 2", "UPPER=!overlay-diskfile data/root data.img",
                "WORK=!overlay-diskfile data/work data.img");

        runPrivately(conf, """
                cli overlay-boot --dry-run "$CONF" > dry.out 2>&1; echo $? > dry.rc
                mounts > mounts.dry
                loops > loops.dry
                """);

        assertThat(read("dry.rc")).as("overlay-boot --dry-run (output: %s)", read("dry.out")).isEqualTo("0\n");
        assertThat(read("dry.out")).contains(base + "/mnt");
        assertThat(read("mounts.dry")).isEmpty();
        assertThat(read("loops.dry")).isEmpty();
    }

    /** A reading that fails after overlay-diskfile mounted an image releases that mount: no boot takes it over. */
    @Test
    void aFailedReadingReleasesWhatItMounted() throws Exception {
        String conf = writeConf("LOWER=!overlay-diskfile mnt/ os.img 2", "UPPER=!exit 3");

        runPrivately(conf, """
                cli overlay-boot "$CONF" > boot.out 2>&1; echo $? > boot.rc
                mounts > mounts.failed
                loops > loops.failed
                """);

        assertThat(read("boot.rc")).as("overlay-boot (output: %s)", read("boot.out")).isEqualTo("2\n");
        assertThat(read("boot.out")).contains("UPPER");
        assertThat(read("mounts.failed")).isEmpty();
        assertThat(read("loops.failed")).isEmpty();
    }

    @Test
    void aMountThatExistedBeforeTheBootIsLeftAlone() throws Exception {
        String conf = writeConf("LOWER=!overlay-diskfile mnt/ os.img 2", "UPPER=!overlay-diskfile data/root data.img",
                "WORK=!overlay-diskfile data/work data.img");

        runPrivately(conf, """
                ACTION=overlay-boot overlay-diskfile mnt/ os.img 2 > premount.out 2> premount.err
                cli overlay-boot "$CONF" > boot.out 2>&1; echo $? > boot.rc
                cat /run/subhost/$NAME/state > state.booted
                cli overlay-go $NAME /bin/cat /etc/marker > inside.out 2>&1
                cli overlay-stop "$CONF" > stop.out 2>&1; echo $? > stop.rc
                mounts > mounts.stopped
                loops > loops.stopped
                """);

        assertThat(read("premount.out")).isEqualTo("mnt/\n");
        assertThat(read("premount.err")).matches("overlay-diskfile: mounted os.img on " + base
                + "/mnt \\(/dev/loop\\d+\\); SUBHOST_ATTACHMENTS is not set, so no subhost's stop will unmount it\n");
        assertThat(read("boot.rc")).as("overlay-boot (output: %s)", read("boot.out")).isEqualTo("0\n");
        assertThat(read("state.booted")).contains("disk1=" + base + "/data").doesNotContain("disk2=", "/mnt\t");
        assertThat(read("inside.out")).isEqualTo("from the image\n");
        assertThat(read("stop.rc")).as("overlay-stop (output: %s)", read("stop.out")).isEqualTo("0\n");
        assertThat(read("mounts.stopped")).isEqualTo(base + "/mnt\n");
        assertThat(read("loops.stopped")).isEqualTo(osImage + "\n");
        // The private mount namespace ended with the sequence: its mount, and with it the loop
        // device (autoclear), are gone; tearDown checks that.
    }

    /**
     * Copies this JVM's class path into {@code tree} at the same absolute paths. The CLI
     * JVMs run from it, and the boot's namespace thread loads classes after pivot_root into
     * LIVE (on this root), where a class directory of the checkout would otherwise be
     * missing; the jars of bin/ are opened before and need no such copy.
     */
    private static void copyClassPathInto(Path tree) throws IOException {
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            Path source = Path.of(entry).toAbsolutePath();
            if (!Files.exists(source)) {
                continue;
            }
            try (var walk = Files.walk(source)) {
                for (Path p : walk.toList()) {
                    Path target = tree.resolve(p.toString().substring(1));
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(target);
                    } else {
                        Files.createDirectories(target.getParent());
                        Files.copy(p, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }
    }

    private String writeConf(String... lines) throws IOException {
        List<String> all = new ArrayList<>(List.of("BASE=.", "START=none", "LOG=" + base.resolve("log")));
        all.addAll(List.of(lines));
        return Files.write(base.resolve(name + ".conf"), all).toRealPath().toString();
    }

    /**
     * Runs {@code script} with sh in a private mount namespace of its own, in BASE, with
     * {@code cli}, {@code mounts} (the mount points under BASE, sorted) and {@code loops}
     * (the backing files of bound loop devices that are our images) defined.
     */
    private void runPrivately(String conf, String script) throws IOException, InterruptedException {
        String prelude = """
                cli() { "$JAVA" --enable-native-access=ALL-UNNAMED -cp "$CP" org.subhost.cli.Cli "$@"; }
                mounts() { cut -d' ' -f5 /proc/self/mountinfo | grep -F "$BASE/" | sort; }
                loops() { cat /sys/block/loop*/loop/backing_file 2>/dev/null | grep -F "$BASE/" | sort; }
                """;
        ProcessBuilder pb = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "sh", "-c",
                prelude + script).directory(base.toFile()).redirectErrorStream(true)
                .redirectOutput(base.resolve("sequence.out").toFile());
        Map<String, String> env = pb.environment();
        env.put("JAVA", java());
        env.put("CP", System.getProperty("java.class.path"));
        env.put("CONF", conf);
        env.put("NAME", name);
        env.put("BASE", base.toString());
        env.put("PATH", base.resolve("bin") + ":" + env.getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"));
        env.remove("ACTION");
        env.remove("SUBHOST_ATTACHMENTS");
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

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
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
