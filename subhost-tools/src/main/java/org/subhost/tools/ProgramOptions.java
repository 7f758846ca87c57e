package org.subhost.tools;

import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * What the example programs (bench, soak) share: option values, unique names, and the
 * clean-up that also runs on Ctrl-C.
 */
final class ProgramOptions {
    private static final String LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789";

    private ProgramOptions() {}

    /** {@code args.get(i)} as a whole number, the value of {@code option}. */
    static long number(String option, List<String> args, int i) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(option + " needs a number");
        }
        try {
            return Long.parseLong(args.get(i));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " (" + args.get(i) + ") must be a number");
        }
    }

    /** {@code args.get(i)}, the value of {@code option}, which must be there. */
    static String value(String option, List<String> args, int i) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args.get(i);
    }

    /** {@code args.get(i)} as a positive int, the value of {@code option}. */
    static int positive(String option, List<String> args, int i) {
        long n = number(option, args, i);
        if (n <= 0 || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(option + " (" + args.get(i) + ") must be a positive number");
        }
        return (int) n;
    }

    /** Reports a usage mistake of {@code program} with its usage text; returns exit status 2. */
    static int usageError(String program, String usage, IllegalArgumentException e) {
        System.err.println(program + ": " + e.getMessage());
        System.err.println(usage);
        return 2;
    }

    /** Whether this runs as root; says why {@code program} needs to when it does not. */
    static boolean runsAsRoot(String program) {
        if ("root".equals(System.getProperty("user.name"))) {
            return true;
        }
        System.err.println(program + ": must run as root (it makes namespaces, mounts and links)");
        return false;
    }

    /**
     * {@code start} followed by {@code length} random letters and digits: a name prefix of
     * a run's own, so that its subhosts and links are told from any other.
     */
    static String randomPrefix(String start, int length) {
        SecureRandom random = new SecureRandom();
        StringBuilder b = new StringBuilder(start);
        for (int i = 0; i < length; i++) {
            b.append(LETTERS.charAt(random.nextInt(LETTERS.length())));
        }
        return b.toString();
    }

    /**
     * Runs {@code work} with {@code cleanUpOnExit} as a shutdown hook meanwhile, so that a
     * Ctrl-C still clears what {@code program} made; removes the hook afterwards.
     */
    static int withCleanUpOnExit(String program, Runnable cleanUpOnExit, IntSupplier work) {
        Thread hook = new Thread(cleanUpOnExit, program + " cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return work.getAsInt();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // The JVM is already shutting down; the hook clears what is left.
            }
        }
    }

    /**
     * What a shutdown hook does before it clears: sets {@code closing} (no new work starts)
     * and waits at most {@code limit} for the work under way ({@code inFlight}) to end.
     */
    static void drain(AtomicBoolean closing, AtomicInteger inFlight, Duration limit) {
        closing.set(true);
        long deadline = System.nanoTime() + limit.toNanos();
        while (inFlight.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                return;
            }
        }
    }
}
