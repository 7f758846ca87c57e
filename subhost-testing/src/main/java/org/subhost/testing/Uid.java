package org.subhost.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The user id of this process, read from {@code /proc/self/status} (not from {@code user.name}, which a caller can set). */
public final class Uid {
    private Uid() {}

    /**
     * The effective user id, the second field of the {@code Uid:} line.
     *
     * @return the id; -1 when there is no {@code /proc}
     */
    public static int effective() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return Integer.parseInt(line.split("\\s+")[2]);
                }
            }
        } catch (IOException e) {
            // No /proc: not root as far as we can tell.
        }
        return -1;
    }

    /**
     * Whether this process runs as root.
     *
     * @return whether the effective user id is 0
     */
    public static boolean isRoot() {
        return effective() == 0;
    }
}
