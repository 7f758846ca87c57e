package org.subhost.core;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.subhost.ExecResult;
import org.subhost.Subhost;
import org.subhost.Subhosts;

/**
 * {@code InteractiveMain [--exec] NAME CMD [ARGS...]}: {@link Subhost#execInteractive} (or
 * with {@code --exec}, {@link Subhost#exec}, whose output it prints) in a JVM of its own, for
 * a test that runs it on a terminal it drives; exits with the command's status.
 */
final class InteractiveMain {
    private InteractiveMain() {}

    public static void main(String[] args) throws Exception {
        boolean exec = args[0].equals("--exec");
        List<String> rest = Arrays.asList(args).subList(exec ? 1 : 0, args.length);
        Subhost subhost = Subhosts.linux().find(rest.get(0)).orElseThrow();
        List<String> command = rest.subList(1, rest.size());
        if (!exec) {
            System.exit(subhost.execInteractive(command));
        }
        ExecResult result = subhost.exec(command, Duration.ofSeconds(30));
        System.out.print(result.stdout());
        System.out.print(result.stderr());
        System.out.flush();
        System.exit(result.status());
    }
}
