/**
 * The developers' programs over the subhost API: the benchmark ({@code bin/subhost-bench})
 * and the soak ({@code bin/subhost-soak}), which checks for leftovers with the test
 * support's independent means. Not published, not installed.
 */
module org.subhost.tools {
    requires org.subhost.core;
    requires org.subhost.testing;
}
