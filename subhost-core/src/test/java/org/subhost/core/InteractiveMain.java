package org.subhost.core;

import java.util.Arrays;
import java.util.List;
import org.subhost.Subhosts;

/**
 * {@code InteractiveMain NAME CMD [ARGS...]}: {@link org.subhost.Subhost#execInteractive} in
 * a JVM of its own, for a test that runs it on a terminal it drives; exits with the
 * command's status.
 */
final class InteractiveMain {
    private InteractiveMain() {}

    public static void main(String[] args) throws Exception {
        List<String> command = Arrays.asList(args).subList(1, args.length);
        System.exit(Subhosts.linux().find(args[0]).orElseThrow().execInteractive(command));
    }
}
