package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.subhost.SubhostException;
import org.subhost.config.SubhostConfig;
import org.subhost.linux.Mounts;
import org.subhost.linux.NamespaceRequest;
import org.subhost.linux.NamespaceThread;
import org.subhost.linux.Namespaces;

/**
 * A subhost booted inside another whose BASE lies in the outer one's root: UPPER and WORK on
 * an overlay, which overlayfs refuses with a bare EINVAL. Played in a mount namespace of the
 * test's own, where BASE is put on an overlay the test mounts (the host's mounts are never
 * touched); the boot, started from there, runs in that namespace too.
 */
class LayersOnOverlayTest extends SubhostKernelTest {
    @Test
    void anUpperOnAnOverlaySaysWhatToDoInsteadOfEinval() throws Exception {
        Path layers = Files.createDirectories(base.resolve("layers"));
        for (String dir : new String[] {"lower", "upper", "work", "merged"}) {
            Files.createDirectories(layers.resolve(dir));
        }
        Path nested = layers.resolve("merged/nested");
        Throwable thrown = NamespaceThread.run("overlay for " + name, NamespaceRequest.builder()
                .unshare(Namespaces.CLONE_NEWNS).build(), () -> {
                    Mounts.makeRprivate("/");
                    Mounts.mount("overlay", layers.resolve("merged").toString(), "overlay", 0, "lowerdir="
                            + layers.resolve("lower") + ",upperdir=" + layers.resolve("upper") + ",workdir="
                            + layers.resolve("work"));
                    for (String dir : new String[] {"root", "work", "live"}) {
                        Files.createDirectories(nested.resolve(dir));
                    }
                    config = SubhostConfig.builder(name, nested).start("none").log(base.resolve("log")).build();
                    try {
                        subhosts.boot(config);
                        return null;
                    } catch (SubhostException e) {
                        return e;
                    }
                });
        assertThatThrownBy(() -> {
            throw thrown == null ? new AssertionError("the boot on an overlay went through") : thrown;
        }).isInstanceOf(SubhostException.class).hasMessageEndingWith("UPPER (" + nested.resolve("root") + ") is on an"
                + " overlay filesystem, which overlayfs cannot take for its upper layer or work directory: put BASE (of a"
                + " subhost booted inside another) on a SHARE of a host directory, or on a tmpfs such as /run");
        config = null; // nothing booted, nothing to stop
        assertThat(Files.exists(Path.of("/run/subhost", name))).isFalse();
    }
}
