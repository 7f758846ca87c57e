package org.subhost.tools;

import java.util.List;
import java.util.Locale;

/**
 * One kind of round of {@link SubhostSoak}: what it does to a minimal subhost and which of
 * the four kinds of trouble it is (a clean boot, a real fault, a SIGKILL or a race).
 *
 * <p>Every scenario ends with nothing of its subhosts left on the host; what else each one
 * expects is said with it.
 */
enum SoakScenario {
    /** Boot, run a command inside, stop: all three succeed. */
    PLAIN(Kind.BOOT, "boot, exec a command, stop"),
    /** {@code CABLES=BRIDGE=} with no such bridge: the boot fails naming the bridge. */
    BRIDGE_MISSING(Kind.FAULT, "a cable whose bridge does not exist"),
    /** {@code PREMOUNT=false}: the boot fails naming PREMOUNT. */
    PREMOUNT_FAILS(Kind.FAULT, "PREMOUNT false"),
    /** {@code LOWER=!sleep ...} read with a short limit: the read fails naming LOWER and the limit. */
    VALUE_HANGS(Kind.FAULT, "a ! value that runs past its time limit"),
    /** {@code LOWER} names no directory: the boot fails naming LOWER and the path. */
    LOWER_MISSING(Kind.FAULT, "a LOWER that does not exist"),
    /** A START script that exits 3: the subhost runs, and its status shows the failure. */
    SERVICE_FAILS(Kind.FAULT, "a START service that fails"),
    /** SIGKILL of the subhost's pid 1 while it runs, then stop. */
    PID1_KILLED(Kind.KILL, "SIGKILL of pid 1, then stop"),
    /** SIGKILL of an {@code overlay-boot} JVM after 0 to 1 s, then {@code overlay-stop}. */
    CLI_BOOT_KILLED(Kind.KILL, "SIGKILL of overlay-boot, then overlay-stop"),
    /** SIGKILL of an {@code overlay-stop} JVM after 0 to 1 s, then stop again. */
    CLI_STOP_KILLED(Kind.KILL, "SIGKILL of overlay-stop, then stop again"),
    /** SIGKILL of a service's process inside: the subhost keeps running and stops cleanly. */
    SERVICE_KILLED(Kind.KILL, "SIGKILL of a service process inside"),
    /** K boots of one NAME at once: one wins, the others are told it is already running. */
    SAME_NAME_BOOTS(Kind.RACE, "K boots of one NAME at once"),
    /** A stop while the boot runs: the boot succeeds, and the stop stops it or finds nothing. */
    STOP_DURING_BOOT(Kind.RACE, "a stop while the boot runs"),
    /** K boots of K names at once, then K stops at once: all succeed. */
    MANY_NAMES_BOOT(Kind.RACE, "K boots of K names at once");

    /** The four kinds of rounds that the last line of the soak counts. */
    enum Kind {
        BOOT, FAULT, KILL, RACE
    }

    private final Kind kind;
    private final String description;

    SoakScenario(Kind kind, String description) {
        this.kind = kind;
        this.description = description;
    }

    /** Which kind of trouble the scenario makes. */
    Kind kind() {
        return kind;
    }

    /** One line on what the scenario does. */
    String description() {
        return description;
    }

    /** The scenario's name as printed: {@code cli-boot-killed}. */
    String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The scenarios of {@code kind}, in declaration order. */
    static List<SoakScenario> of(Kind kind) {
        return java.util.Arrays.stream(values()).filter(s -> s.kind == kind).toList();
    }
}
