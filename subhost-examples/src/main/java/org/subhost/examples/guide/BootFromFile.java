package org.subhost.examples.guide;

import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.subhost.ExecResult;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.SubhostStatus;
import org.subhost.Subhosts;
import org.subhost.config.ConfigException;
import org.subhost.config.SubhostConfig;

/**
 * Boots the subhost of a {@code .conf} file, runs {@code hostname} inside it, prints its
 * status and stops it again: {@code overlay-boot}, {@code overlay-go NAME hostname},
 * {@code overlay-list} and {@code overlay-stop} in one program.
 *
 * <p>Run as root, with the canonical path of a configuration file:
 * {@code BootFromFile /ex1/ex1.conf}. Exit status 0 done, 1 the subhost failed, 2 bad
 * usage or a bad configuration.
 */
public final class BootFromFile {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private BootFromFile() {}

    /**
     * Boots, uses and stops the subhost of {@code args[0]}, then exits with the status of
     * {@link #run}.
     *
     * @param args the configuration file's path
     */
    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: BootFromFile CONF");
            System.exit(2);
        }
        System.exit(run(Path.of(args[0]), System.out, System.err));
    }

    /**
     * Boots, uses and stops the subhost of {@code conf}.
     *
     * @param conf the configuration file
     * @param out where the progress goes
     * @param err where errors go
     * @return 0 done, 1 the subhost failed, 2 a bad configuration
     */
    static int run(Path conf, PrintStream out, PrintStream err) {
        try {
            // ACTION for the file's !commands, as if overlay-boot read it.
            SubhostConfig config = SubhostConfig.read(conf, "overlay-boot");
            Subhosts subhosts = Subhosts.linux();
            Subhost subhost = subhosts.boot(config);   // returns once pid 1 runs the init
            try {
                ExecResult r = subhost.exec(List.of("hostname"), TIMEOUT);
                out.print(subhost.name() + " calls itself " + r.stdout());
                SubhostStatus s = subhost.status();
                out.println(s.name() + ": pid 1 is host pid " + s.pid() + ", LOG " + s.log());
            } finally {
                subhost.stop(TIMEOUT);                 // services in reverse, then pid 1
            }
            out.println(config.name() + " stopped");
            return 0;
        } catch (ConfigException e) {
            // FILE:LINE: reason, as a compiler writes it; no stack trace.
            err.println(e.getMessage());
            return 2;
        } catch (SubhostException e) {
            // "boot NAME: step N (...) failed: REASON" with the kernel's reason; what the
            // boot had made before that step is gone again. e.step() gives the step alone.
            err.println(e.getMessage());
            return 1;
        }
    }
}
