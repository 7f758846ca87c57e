package org.subhost.tools;

import java.io.PrintStream;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The tallies of a soak run, safe to update from every worker: rounds and failures per
 * scenario, and across scenarios the subhosts that came up ({@code boots}), the real faults
 * tried, the SIGKILLs sent and the races run.
 */
final class SoakCounts {
    final AtomicInteger boots = new AtomicInteger();
    final AtomicInteger faults = new AtomicInteger();
    final AtomicInteger kills = new AtomicInteger();
    final AtomicInteger races = new AtomicInteger();
    private final Map<SoakScenario, AtomicInteger> rounds = new EnumMap<>(SoakScenario.class);
    private final Map<SoakScenario, AtomicInteger> failures = new EnumMap<>(SoakScenario.class);
    private final AtomicInteger otherFailures = new AtomicInteger();

    SoakCounts() {
        for (SoakScenario s : SoakScenario.values()) {
            rounds.put(s, new AtomicInteger());
            failures.put(s, new AtomicInteger());
        }
    }

    /** Counts one finished round of {@code scenario}, failed or not. */
    void round(SoakScenario scenario, boolean failed) {
        rounds.get(scenario).incrementAndGet();
        if (failed) {
            failures.get(scenario).incrementAndGet();
        }
    }

    /** Counts a failure outside any round: a worker that hung, a subhost the last sweep had to stop. */
    void otherFailure() {
        otherFailures.incrementAndGet();
    }

    int rounds() {
        return rounds.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    int failures() {
        return failures.values().stream().mapToInt(AtomicInteger::get).sum() + otherFailures.get();
    }

    /** One line per scenario: {@code   plain            rounds=12 failures=0  boot, exec a command, stop}. */
    void printScenarios(PrintStream out) {
        out.println("rounds by scenario:");
        for (SoakScenario s : SoakScenario.values()) {
            out.printf("  %-17s %-5s rounds=%-4d failures=%-3d %s%n", s.label(), s.kind().name().toLowerCase(),
                    rounds.get(s).get(), failures.get(s).get(), s.description());
        }
    }
}
