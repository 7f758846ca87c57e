package org.subhost.examples;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where boot time goes, step by step: the time between consecutive {@code step K:} lines of
 * the subhosts' LOGs, summed over many boots. The LOG has millisecond resolution, so one boot
 * says little; the mean over all boots says where the time goes.
 */
final class StepBreakdown {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
    private static final Pattern STEP =
            Pattern.compile("^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}) overlay-boot\\[([^]]+)\\]: step (\\d+): (.*)$");
    private static final int DESCRIPTION_WIDTH = 60;

    /** Step number to summed nanoseconds; step 0 stands for "before step 1". */
    private final Map<Integer, Long> total = new TreeMap<>();
    private final Map<Integer, String> description = new TreeMap<>();
    private int boots;

    /**
     * Adds one boot: the step lines of subhost {@code name} (BASE {@code base}) in {@code log},
     * the time boot() was called and the time it returned (both in the LOG's clock, local time).
     */
    void add(String name, Path base, Path log, LocalDateTime called, LocalDateTime returned) throws IOException {
        List<LocalDateTime> times = new ArrayList<>();
        List<Integer> steps = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            Matcher m = STEP.matcher(line);
            if (m.matches() && m.group(2).equals(name)) {
                int step = Integer.parseInt(m.group(3));
                times.add(LocalDateTime.parse(m.group(1), TIME));
                steps.add(step);
                // The description names this subhost and its BASE; the words keep it the same for all boots.
                description.putIfAbsent(step, m.group(4).replace(base.toString(), "BASE").replace(name, "NAME"));
            }
        }
        if (steps.isEmpty()) {
            return;
        }
        boots++;
        total.merge(0, nanosBetween(called, times.getFirst()), Long::sum);
        for (int i = 0; i < steps.size(); i++) {
            LocalDateTime end = i + 1 < steps.size() ? times.get(i + 1) : returned;
            total.merge(steps.get(i), nanosBetween(times.get(i), end), Long::sum);
        }
    }

    /** Prints one line per step: the mean in milliseconds and the description. */
    void print(PrintStream out) {
        out.printf("boot time by step (mean over %d boots, from the LOG's millisecond times):%n", boots);
        for (var e : total.entrySet()) {
            String what = e.getKey() == 0 ? "before step 1 (checks, locks, planning)" : description.get(e.getKey());
            if (what.length() > DESCRIPTION_WIDTH) {
                what = what.substring(0, DESCRIPTION_WIDTH);
            }
            String label = e.getKey() == 0 ? "step  -" : String.format("step %2d", e.getKey());
            out.printf("  %s %8.2f ms  %s%n", label, e.getValue() / 1e6 / boots, what);
        }
    }

    /** How many boots had step lines. */
    int boots() {
        return boots;
    }

    private static long nanosBetween(LocalDateTime from, LocalDateTime to) {
        // Never negative: the call time has finer resolution than the LOG's milliseconds.
        return Math.max(0, Duration.between(from, to).toNanos());
    }
}
