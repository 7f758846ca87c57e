package org.subhost.core;

import java.io.IOException;
import java.util.List;
import java.util.Optional;

/**
 * Reading a subhost's root the way the host side reads it (docs/security.md, "What the host
 * side trusts"): paths resolved inside the root, never out of it; only regular files read,
 * each up to a limit. What the unit reader ({@link UnitReader}, {@link StartServices}) needs.
 *
 * <p>Two kinds: one directory tree ({@link SubhostTree}: LIVE at the boot), and an
 * overlay's layers read as the overlay will show them before it is mounted ({@link
 * LayeredTree}: UPPER over LOWER, for the preflight).
 */
interface TreeReader {
    /**
     * The kind of file {@code relative} is, following links inside the root ({@code
     * "character device"} for a unit masked by a link to {@code /dev/null}); empty when
     * nothing is there.
     */
    default Optional<String> typeName(String relative) throws IOException {
        return typeName(relative, true);
    }

    /**
     * The kind of file {@code relative} is ({@code "regular file"}, {@code "directory"},
     * ...); with {@code follow} false, a symbolic link in its last component is told as such
     * ({@code "symbolic link"}), not followed; empty when nothing is there.
     */
    Optional<String> typeName(String relative, boolean follow) throws IOException;

    /**
     * The names in the directory {@code relative}, sorted; empty when there is no such
     * directory.
     *
     * @throws IOException when {@code relative} is something else than a directory, or unreadable
     */
    List<String> list(String relative) throws IOException;

    /**
     * What the regular file {@code relative} holds; empty when it is missing.
     *
     * @throws IOException when it is another kind of file, larger than {@code limit}, or unreadable
     */
    Optional<byte[]> readRegular(String relative, int limit) throws IOException;
}
