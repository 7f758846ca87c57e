/**
 * What the tests of every module share, and the leftover check that the soak uses at run
 * time. Not published.
 */
module org.subhost.testing {
    requires transitive org.junit.jupiter.api;

    exports org.subhost.testing;

    provides org.junit.jupiter.api.extension.Extension with org.subhost.testing.NoSkipsAsRoot;
}
