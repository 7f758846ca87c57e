/**
 * What the tests of every module share. {@link org.subhost.testing.NoSkipsAsRoot}, found
 * by JUnit through {@code META-INF/services}, turns a skipped test into a failure when the
 * tests run as root, except a skip for a {@link org.subhost.testing.KernelFeature} this
 * kernel lacks, which is written down by name for the end of the run. {@link
 * org.subhost.testing.HostLeftovers} is the independent check that nothing of a subhost is
 * left on the host (including a mount namespace that this JVM still holds). {@link
 * org.subhost.testing.HostTools} runs the host's programs that make fixtures (a missing one
 * skips, or fails as root), and {@link org.subhost.testing.TinyRoot} builds a tiny root tree
 * from the host's own programs.
 */
package org.subhost.testing;
