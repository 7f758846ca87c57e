package org.subhost.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * A SHARE: a host file or directory bound into the subhost, like
 * {@code mount --bind HOSTPATH LIVE/SUBHOSTPATH} in the subhost's mount namespace.
 *
 * <p>The SHARE forms: {@code SHARE=/srv/spool} binds {@code /srv/spool} onto the same path
 * in the subhost; {@code SHARE=/srv/spool:/var/spool} onto another one. The value is split
 * at its first colon. Whether the paths exist is checked at boot, not here.
 *
 * @param hostPath the absolute, normalised path on the host
 * @param subhostPath the absolute, normalised path inside the subhost
 */
public record Share(Path hostPath, Path subhostPath) {
    /** Checks that both paths are absolute, and normalises them. */
    public Share {
        if (!hostPath.isAbsolute()) {
            throw new IllegalArgumentException("SHARE host path (" + hostPath + ") must be absolute");
        }
        if (!subhostPath.isAbsolute()) {
            throw new IllegalArgumentException("SHARE subhost path (" + subhostPath + ") must be absolute");
        }
        hostPath = hostPath.normalize();
        subhostPath = subhostPath.normalize();
    }

    /**
     * Reads a SHARE value, {@code dir} or {@code hostdir:subhostdir}. A relative host path
     * resolves against {@code base}; in the {@code dir} form the subhost path is the
     * resolved host path; a subhost path must be absolute.
     *
     * @param text the SHARE value
     * @param base the BASE directory that a relative host path resolves against
     * @return the share
     * @throws IllegalArgumentException for an empty part, a relative subhost path or a path
     *     that is not one (a NUL character)
     */
    public static Share parse(String text, Path base) {
        int colon = text.indexOf(':');
        String host = colon < 0 ? text : text.substring(0, colon);
        if (host.isEmpty()) {
            throw new IllegalArgumentException("SHARE (" + text + ") must be dir or hostdir:subhostdir");
        }
        Path hostPath = base.resolve(path(host, text));
        if (colon < 0) {
            return new Share(hostPath, hostPath);
        }
        String subhost = text.substring(colon + 1);
        if (subhost.isEmpty()) {
            throw new IllegalArgumentException("SHARE (" + text + ") must be dir or hostdir:subhostdir");
        }
        return new Share(hostPath, path(subhost, text));
    }

    /** The SHARE form {@code hostdir:subhostdir}. */
    @Override
    public String toString() {
        return hostPath + ":" + subhostPath;
    }

    private static Path path(String part, String text) {
        try {
            return Path.of(part);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException("SHARE (" + text + ") must hold paths: " + e.getReason(), e);
        }
    }
}
