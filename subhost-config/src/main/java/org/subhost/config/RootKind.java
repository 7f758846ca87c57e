package org.subhost.config;

import java.nio.file.Path;

/**
 * How a subhost's root filesystem is made on LIVE (docs/spec.md §3.5), decided by
 * which of UPPER, LOWER and LIVE are the same directory.
 */
public enum RootKind {
    /**
     * UPPER differs from LOWER: an overlay mount of UPPER (with WORK) over LOWER on LIVE,
     * like {@code mount -t overlay NAME -o lowerdir=LOWER,upperdir=UPPER,workdir=WORK LIVE}.
     * LIVE must differ from both.
     */
    OVERLAY,
    /**
     * UPPER equals LOWER but not LIVE: a bind mount of UPPER on LIVE, like
     * {@code mount --bind UPPER LIVE}. WORK is not used.
     */
    BIND,
    /**
     * UPPER, LOWER and LIVE are one directory: it becomes the root as it is, with no mount
     * of its own, and PREMOUNT is not run.
     */
    PLAIN;

    /** The kind for these three (absolute, normalised) paths. */
    static RootKind of(Path live, Path upper, Path lower) {
        if (!upper.equals(lower)) {
            return OVERLAY;
        }
        return lower.equals(live) ? PLAIN : BIND;
    }
}
