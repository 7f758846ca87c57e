package org.subhost.tools;

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
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where boot time goes, step by step, from the {@code step K:} lines of the subhosts' LOGs,
 * summed over many boots. The LOG has millisecond resolution, so one boot says little; the
 * mean over all boots says where the time goes.
 *
 * <p>A boot runs its steps on two threads: the caller's ({@code [host]} and {@code [host,
 * alongside ns]} steps) and the namespace thread ({@code [ns]} steps), partly at once. So a
 * step's time is the time until the next step <em>of the same thread</em> starts; the last
 * step of the caller's thread before the namespace steps end therefore includes its wait
 * for them, which the printout says.
 */
final class StepBreakdown {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");
    private static final Pattern STEP =
            Pattern.compile("^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3}) overlay-boot\\[([^]]+)\\]: step (\\d+): (.*)$");
    private static final Pattern PLAN_LINE = Pattern.compile("^ ?(\\d+)\\. \\[([^]]+)\\] .*$");
    private static final int DESCRIPTION_WIDTH = 56;

    /** Step number to summed nanoseconds; step 0 stands for "before step 1". */
    private final Map<Integer, Long> total = new TreeMap<>();
    private final Map<Integer, String> description = new TreeMap<>();
    /** Step number to where it runs, as the plan says: host, "host, alongside ns" or ns. */
    private final Map<Integer, String> place = new TreeMap<>();
    /** Steps whose time includes the caller's wait for the namespace thread. */
    private final Set<Integer> waits = new TreeSet<>();
    private int boots;

    /**
     * A breakdown for boots of the plan {@code planLines} (as {@code Subhosts.plan} gives
     * it: the same steps for every boot of the bench).
     */
    StepBreakdown(List<String> planLines) {
        for (String line : planLines) {
            Matcher m = PLAN_LINE.matcher(line);
            if (m.matches()) {
                place.put(Integer.parseInt(m.group(1)), m.group(2));
            }
        }
    }

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
            LocalDateTime end = returned;
            for (int j = i + 1; j < steps.size(); j++) {
                // The namespace thread's last step ends where the caller's thread goes on
                // after it (the first step numbered after it).
                boolean joins = onNamespaceThread(steps.get(i)) && steps.get(j) > steps.get(i);
                if (joins || onNamespaceThread(steps.get(j)) == onNamespaceThread(steps.get(i))) {
                    end = times.get(j);
                    if (!onNamespaceThread(steps.get(i)) && steps.get(j) > lastNamespaceStep()
                            && steps.get(i) < lastNamespaceStep()) {
                        waits.add(steps.get(i));
                    }
                    break;
                }
            }
            total.merge(steps.get(i), nanosBetween(times.get(i), end), Long::sum);
        }
    }

    private boolean onNamespaceThread(int step) {
        return "ns".equals(place.get(step));
    }

    private int lastNamespaceStep() {
        return place.entrySet().stream().filter(e -> e.getValue().equals("ns")).mapToInt(Map.Entry::getKey).max()
                .orElse(0);
    }

    /**
     * Prints one line per step: the mean in milliseconds, the thread ({@code ns} for the
     * namespace thread, {@code ||} for a caller's step that runs alongside it) and the
     * description.
     */
    void print(PrintStream out) {
        out.printf("boot time by step (mean over %d boots, from the LOG's millisecond times; a step lasts until the"
                + " next step of its thread; ns: the namespace thread, ||: the caller's thread meanwhile):%n", boots);
        for (var e : total.entrySet()) {
            int step = e.getKey();
            String what = step == 0 ? "before step 1 (checks, locks, planning)" : description.get(step);
            if (what.length() > DESCRIPTION_WIDTH) {
                what = what.substring(0, DESCRIPTION_WIDTH);
            }
            if (waits.contains(step)) {
                what += " (+ wait for ns)";
            }
            String label = step == 0 ? "step  -" : String.format("step %2d", step);
            String thread = switch (place.getOrDefault(step, "host")) {
                case "ns" -> "ns";
                case "host, alongside ns" -> "||";
                default -> "  ";
            };
            out.printf("  %s %2s %8.2f ms  %s%n", label, thread, e.getValue() / 1e6 / boots, what);
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
