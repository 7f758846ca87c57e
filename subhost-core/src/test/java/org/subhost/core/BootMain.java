package org.subhost.core;

import java.nio.file.Path;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;

/**
 * {@code BootMain NAME BASE LOG}: boots a minimal subhost ({@code START=none}) in a JVM of its
 * own and exits, leaving it running, as one {@code overlay-boot} does; for a test that
 * needs a boot by another JVM than its own.
 */
final class BootMain {
    private BootMain() {}

    public static void main(String[] args) throws Exception {
        Subhosts.linux().boot(SubhostConfig.builder(args[0], Path.of(args[1])).start("none").log(Path.of(args[2]))
                .build());
        System.exit(0);
    }
}
