package org.subhost.core;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.subhost.config.RootKind;
import org.subhost.config.Share;
import org.subhost.config.SubhostConfig;

/**
 * Which of a subhost's host directories the host's other users can reach: UPPER (or LIVE,
 * for a root that is the directory itself) and each SHARE source, where the subhost's root
 * writes files that belong to the host's root. A user who can reach them runs a
 * set-user-id program that the subhost planted there ({@code cp /bin/bash /opt/x; chmod 4755
 * /opt/x} inside, {@code /ex1/root/opt/x -p} outside) as the host's root.
 *
 * <p>Example: with {@code mkdir /ex1 /ex1/root} (mode 0755), UPPER {@code /ex1/root} is
 * reachable, and the warning says {@code chmod 700 /ex1}.
 *
 * <p>A directory lets a user other than root through when it grants search (x) to others,
 * to its group (not root's), or to its owner (not root). The check is a warning, not a
 * refusal: existing setups keep booting. What it leaves aside: ACLs, and users in root's group.
 */
final class HostExposure {
    private HostExposure() {}

    /** One line per reachable directory, with the fix; empty when none is. */
    static List<String> warnings(SubhostConfig config) {
        List<String> out = new ArrayList<>();
        Path base = realOrAsIs(config.base());
        if (config.rootKind() == RootKind.PLAIN) {
            check("LIVE", config.live(), base, out);
        } else {
            check("UPPER", config.upper(), base, out);
        }
        for (Share share : config.shares()) {
            check("SHARE " + share.hostPath(), share.hostPath(), base, out);
        }
        return out;
    }

    /**
     * Writes {@code warnings(config)} to {@code log} and {@code err}, each line prefixed for
     * its reader.
     */
    static void warn(SubhostConfig config, BootLog log, PrintStream err) {
        for (String warning : warnings(config)) {
            if (log != null) {
                log.warning("warning: " + warning);
            }
            err.println("subhost " + config.name() + ": warning: " + warning);
        }
    }

    private static Path realOrAsIs(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException e) {
            return path;
        }
    }

    private static void check(String what, Path path, Path base, List<String> out) {
        Path real;
        try {
            real = path.toRealPath();
        } catch (IOException e) {
            return; // missing: the boot's own checks say so
        }
        if (!reachable(real)) {
            return;
        }
        Path fix = real.startsWith(base) && !real.equals(base) ? base : real.getParent() != null ? real.getParent() : real;
        out.add(what + " (" + path + ") can be reached by users other than root: a set-user-id program the subhost"
                + " makes there would run as root for them; fix: chmod 700 " + fix);
    }

    /** Whether every directory from {@code /} down to {@code real} lets a user other than root through. */
    static boolean reachable(Path real) {
        for (Path p = real; p != null; p = p.getParent()) {
            try {
                Map<String, Object> a = Files.readAttributes(p, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
                int mode = (Integer) a.get("mode");
                int uid = (Integer) a.get("uid");
                int gid = (Integer) a.get("gid");
                boolean through = (mode & 0001) != 0 || ((mode & 0010) != 0 && gid != 0)
                        || ((mode & 0100) != 0 && uid != 0);
                if (!through) {
                    return false;
                }
            } catch (IOException e) {
                return false;
            }
        }
        return true;
    }
}
