package org.subhost.core;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;

/**
 * What a kernel test of one subhost starts from: root (or a skip with the reason), a fresh
 * NAME and base directory before each test, and afterwards the stop of the subhost the
 * test booted (when it left it running) and the check, by independent means, that
 * nothing of it is left ({@link KernelFixture#stopAndCheckNothingLeft}).
 */
abstract class SubhostKernelTest {
    final Subhosts subhosts = Subhosts.linux();
    /** This test's NAME; null when the test was skipped before it got one. */
    String name;
    Path base;
    /** The configuration the test booted, if any: the tear-down stops it. */
    SubhostConfig config;

    @BeforeEach
    final void makeNameAndBase() throws Exception {
        KernelFixture.requireRoot();
        name = KernelFixture.uniqueName();
        base = KernelFixture.base(name);
    }

    @AfterEach
    final void stopAndCheckNothingLeft() throws Exception {
        if (name == null) {
            return;
        }
        KernelFixture.stopAndCheckNothingLeft(subhosts, config, name, base);
    }
}
