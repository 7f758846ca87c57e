package org.subhost.examples.guide;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.subhost.ExecResult;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.SubhostStatus;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;

/**
 * Describes a subhost in Java, without a {@code .conf} file, boots it, shares a host
 * directory into it, reads a file through that share from inside, prints its status and
 * stops it.
 *
 * <p>Run as root: {@code BootFromCode DIR NAME} makes {@code DIR/NAME/root}, {@code work}
 * and {@code live} and {@code DIR/data}, and leaves them in place. Exit status 0 done, 1
 * failed.
 */
public final class BootFromCode {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private BootFromCode() {}

    /**
     * Runs the example in {@code args[0]} with the NAME {@code args[1]}, then exits with the
     * status of {@link #run}.
     *
     * @param args an existing directory and a NAME
     */
    public static void main(String[] args) {
        if (args.length != 2) {
            System.err.println("usage: BootFromCode DIR NAME");
            System.exit(2);
        }
        System.exit(run(Path.of(args[0]), args[1], System.out, System.err));
    }

    /**
     * Boots, uses and stops a subhost named {@code name} with its directories under
     * {@code dir}.
     *
     * @param dir an existing directory
     * @param name the NAME, at most 12 characters
     * @param out where the progress goes
     * @param err where errors go
     * @return 0 done, 1 failed
     */
    static int run(Path dir, String name, PrintStream out, PrintStream err) {
        try {
            // guide:begin describe
            Path base = dir.resolve(name);
            for (String layer : List.of("root", "work", "live")) {
                Files.createDirectories(base.resolve(layer));   // UPPER, WORK, LIVE
            }
            SubhostConfig config = SubhostConfig.builder(name, base)
                    .start("none")                  // START=none: no services
                    .cables("=")                    // one veth pair: NAME0 on the host, eth0 inside
                    .ramSize("20M")                 // RAM_SIZE=20M for /run
                    .log(base.resolve("boot.log"))  // LOG
                    .build();                       // LOWER=/ (the host's root), as by default
            // guide:end describe
            // guide:begin use
            Path data = Files.createDirectories(dir.resolve("data"));
            Files.writeString(data.resolve("greeting"), "hello from the host\n");

            Subhosts subhosts = Subhosts.linux();
            Subhost subhost = subhosts.boot(config);
            try {
                subhost.share(data);                // like overlay-share DATA NAME
                ExecResult r = subhost.exec(List.of("cat", data + "/greeting"), TIMEOUT);
                out.print(name + " read: " + r.stdout());

                SubhostStatus s = subhost.status();
                out.println(name + ": pid 1 is host pid " + s.pid() + ", root " + s.rootKind() + " on " + s.live());
                for (SubhostStatus.CableStatus c : s.cables()) {
                    out.println("  " + c.hostName() + " <-> " + c.subhostName() + ", mac " + c.mac().orElse("?"));
                }
            } finally {
                subhost.stop(TIMEOUT);
            }
            out.println(name + " stopped");
            return 0;
            // guide:end use
            // guide:begin errors
        } catch (IllegalArgumentException e) {
            // A caller's mistake, found by the builder: "NAME (webmail-frontend) must be at
            // most 12 characters".
            err.println(e.getMessage());
            return 1;
        } catch (SubhostException e) {
            // A refusal during boot, exec, share or stop; a failed boot names its step and
            // has undone the steps before it.
            err.println(e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("cannot prepare " + dir + ": " + e.getMessage());
            return 1;
        }
        // guide:end errors
    }
}
