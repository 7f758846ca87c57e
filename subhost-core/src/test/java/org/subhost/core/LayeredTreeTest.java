package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.testing.Uid;

/**
 * UPPER over LOWER as the overlay will merge them, read before anything is mounted: UPPER's
 * entries win, whiteouts and opaque directories hide LOWER's, links are followed through
 * the merged view (from UPPER into LOWER, and through LOWER's {@code lib -> usr/lib} to a file
 * that UPPER overrides), and no path leaves the layers.
 */
class LayeredTreeTest {
    @TempDir
    Path tmp;
    private Path upper;
    private Path lower;
    private SubhostTree upperTree;
    private SubhostTree lowerTree;
    private LayeredTree tree;

    @BeforeEach
    void layers() throws IOException {
        upper = Files.createDirectories(tmp.resolve("upper"));
        lower = Files.createDirectories(tmp.resolve("lower"));
    }

    @AfterEach
    void close() {
        if (upperTree != null) {
            upperTree.close();
            lowerTree.close();
        }
    }

    private LayeredTree open() throws IOException {
        upperTree = SubhostTree.open(upper);
        lowerTree = SubhostTree.open(lower);
        tree = new LayeredTree(upperTree, lowerTree);
        return tree;
    }

    private static void write(Path layer, String path, String text) throws IOException {
        Path file = layer.resolve(path);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    private String read(String path) throws IOException {
        return tree.readRegular(path, 4096).map(b -> new String(b, StandardCharsets.UTF_8)).orElse("(none)");
    }

    @Test
    void upperWinsLowerShowsThroughAndDirectoriesMerge() throws IOException {
        write(lower, "etc/systemd/system/a.service", "lower a");
        write(lower, "etc/systemd/system/b.service", "lower b");
        write(upper, "etc/systemd/system/b.service", "upper b");
        write(upper, "etc/systemd/system/c.service", "upper c");
        open();
        assertThat(read("etc/systemd/system/a.service")).isEqualTo("lower a");
        assertThat(read("/etc/systemd/system/b.service")).isEqualTo("upper b");
        assertThat(read("etc/systemd/system/c.service")).isEqualTo("upper c");
        assertThat(read("etc/systemd/system/d.service")).isEqualTo("(none)");
        assertThat(tree.list("etc/systemd/system")).containsExactly("a.service", "b.service", "c.service");
        assertThat(tree.list("etc/nothing")).isEmpty();
        assertThat(tree.typeName("etc")).contains("directory");
        assertThat(tree.typeName("")).contains("directory");
    }

    @Test
    void linksAreFollowedThroughTheMergedView() throws IOException {
        // Merged /usr: LOWER's lib is a link to usr/lib; UPPER overrides a unit below it.
        write(lower, "usr/lib/systemd/system/ssh.service", "lower ssh");
        write(lower, "usr/lib/systemd/system/cron.service", "lower cron");
        Files.createSymbolicLink(lower.resolve("lib"), Path.of("usr/lib"));
        write(upper, "usr/lib/systemd/system/ssh.service", "upper ssh");
        // A unit enabled inside the subhost: UPPER's link to LOWER's file, absolute and relative.
        Files.createDirectories(upper.resolve("etc/systemd/system"));
        Files.createSymbolicLink(upper.resolve("etc/systemd/system/sshd.service"), Path.of("/lib/systemd/system/ssh.service"));
        Files.createSymbolicLink(upper.resolve("etc/systemd/system/crond.service"),
                Path.of("../../../lib/systemd/system/cron.service"));
        // Links never lead out of the layers: .. stops at the top, / is the top.
        Files.createSymbolicLink(upper.resolve("etc/systemd/system/out.service"), Path.of("../../../../../../../etc/passwd"));
        Files.createSymbolicLink(upper.resolve("etc/systemd/system/loop.service"), Path.of("loop.service"));
        open();
        assertThat(read("lib/systemd/system/ssh.service")).isEqualTo("upper ssh");
        assertThat(read("lib/systemd/system/cron.service")).isEqualTo("lower cron");
        assertThat(read("etc/systemd/system/sshd.service")).isEqualTo("upper ssh");
        assertThat(read("etc/systemd/system/crond.service")).isEqualTo("lower cron");
        assertThat(tree.typeName("etc/systemd/system/sshd.service", false)).contains("symbolic link");
        assertThat(tree.typeName("etc/systemd/system/sshd.service")).contains("regular file");
        assertThat(read("etc/systemd/system/out.service")).as("the layers' etc/passwd: none").isEqualTo("(none)");
        assertThat(tree.list("lib/systemd/system")).containsExactly("cron.service", "ssh.service");
        assertThatThrownBy(() -> tree.typeName("etc/systemd/system/loop.service")).isInstanceOf(IOException.class)
                .hasMessageEndingWith("loop.service: more than 40 symbolic links in a row (a loop)");
        assertThat(UnitReader.find(tree, "sshd.service")).contains("/etc/systemd/system/sshd.service");
    }

    @Test
    void anOpaqueDirectoryOfUpperHidesLowersEntriesBelowIt() throws IOException {
        write(lower, "etc/systemd/system/a.service", "lower a");
        write(upper, "etc/systemd/system/b.service", "upper b");
        // A mount with userxattr marks it so; a root's mount with trusted.overlay.opaque.
        UserDefinedFileAttributeView view = Files.getFileAttributeView(upper.resolve("etc/systemd/system"),
                UserDefinedFileAttributeView.class);
        try {
            view.write("overlay.opaque", java.nio.ByteBuffer.wrap(new byte[] {'y'}));
        } catch (IOException e) {
            return; // a filesystem without user attributes for the test's files: nothing to check here
        }
        open();
        assertThat(read("etc/systemd/system/a.service")).isEqualTo("(none)");
        assertThat(tree.list("etc/systemd/system")).containsExactly("b.service");
    }

    @Test
    void aWhiteoutHidesLowersEntryAndATrustedOpaqueDirectoryItsContents() throws Exception {
        if (!Uid.isRoot()) {
            return; // mknod of a character device, and trusted attributes, are root's
        }
        write(lower, "etc/init.d/ssh", "#!/bin/sh\n");
        write(lower, "etc/init.d/cron", "#!/bin/sh\n");
        write(lower, "lib/systemd/system/x.service.d/a.conf", "[Service]\n");
        write(lower, "lib/systemd/system/x.service", "[Service]\n");
        Files.createDirectories(upper.resolve("etc/init.d"));
        Files.createDirectories(upper.resolve("lib/systemd/system/x.service.d"));
        write(upper, "lib/systemd/system/x.service.d/b.conf", "[Service]\n");
        shell("mknod", upper.resolve("etc/init.d/ssh").toString(), "c", "0", "0");
        shell("python3", "-c", "import os, sys; os.setxattr(sys.argv[1], 'trusted.overlay.opaque', b'y')",
                upper.resolve("lib/systemd/system/x.service.d").toString());
        open();
        assertThat(tree.typeName("etc/init.d/ssh")).as("whited out").isEmpty();
        assertThat(tree.typeName("etc/init.d/cron")).contains("regular file");
        assertThat(tree.list("etc/init.d")).containsExactly("cron");
        assertThat(tree.list("lib/systemd/system/x.service.d")).containsExactly("b.conf");
        assertThat(UnitReader.dropIns(tree, "x.service")).containsExactly("/lib/systemd/system/x.service.d/b.conf");
        assertThat(read("lib/systemd/system/x.service")).isEqualTo("[Service]\n");
    }

    private static void shell(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as("%s: %s", List.of(command), output).isZero();
    }
}
