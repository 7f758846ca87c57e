package org.subhost.examples.guide;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.subhost.NotRunningException;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.SubhostStatus;
import org.subhost.Subhosts;

/**
 * Lists the running subhosts, as {@code overlay-list} does, and stops the one named on the
 * command line: {@code ListAndStop [NAME]}. Needs root. Exit status 0 done, 1 NAME is not
 * running or its stop failed.
 */
public final class ListAndStop {
    private ListAndStop() {}

    /**
     * Lists, then stops {@code args[0]} when given.
     *
     * @param args nothing, or the NAME of the subhost to stop
     */
    public static void main(String[] args) {
        Subhosts subhosts = Subhosts.linux();   // running subhosts are found from /run/subhost
        for (SubhostStatus s : subhosts.list()) {
            System.out.println(s.name() + "  pid " + s.pid() + "  up " + s.uptime().toSeconds() + " s  "
                    + s.config().map(Path::toString).orElse("(built in code)"));
        }
        if (args.length == 1) {
            Optional<Subhost> found = subhosts.find(args[0]);
            if (found.isEmpty()) {
                System.err.println(args[0] + " is not running");
                System.exit(1);
            }
            try {
                found.get().stop(Duration.ofSeconds(10));
            } catch (NotRunningException e) {
                // Stopped by someone else between find and stop: "NAME is not running".
                System.err.println(e.getMessage());
                System.exit(1);
            } catch (SubhostException e) {
                // Something of it could not be removed; the message names it.
                System.err.println(e.getMessage());
                System.exit(1);
            }
        }
    }
}
