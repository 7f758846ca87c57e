/**
 * The benchmark ({@link org.subhost.tools.SubhostBench}: boot, stop and memory figures) and
 * the soak ({@link org.subhost.tools.SubhostSoak}: boots and stops with random kills and
 * faults, then proves that nothing is left, with {@link org.subhost.testing.HostLeftovers}).
 */
package org.subhost.tools;
