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
    /** Below this many boots, the slowest 5% are one or two, and their steps say nothing. */
    private static final int TAIL_MIN_BOOTS = 20;
    /** How many steps the tail's line names, the costliest first. */
    private static final int TAIL_STEPS = 5;

    /** Step number to summed nanoseconds; step 0 stands for "before step 1". */
    private final Map<Integer, Long> total = new TreeMap<>();
    private final Map<Integer, String> description = new TreeMap<>();
    /** Step number to where it runs, as the plan says: host, "host, alongside ns" or ns. */
    private final Map<Integer, String> place = new TreeMap<>();
    /** Steps whose time includes the caller's wait for the namespace thread. */
    private final Set<Integer> waits = new TreeSet<>();
    /** Each boot's steps (as in {@link #total}) and its whole time, in the order added. */
    private final List<Map<Integer, Long>> perBoot = new ArrayList<>();
    private final List<Long> bootNanos = new ArrayList<>();
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
        Map<Integer, Long> own = new TreeMap<>();
        own.put(0, nanosBetween(called, times.getFirst()));
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
            own.merge(steps.get(i), nanosBetween(times.get(i), end), Long::sum);
        }
        own.forEach((step, nanos) -> total.merge(step, nanos, Long::sum));
        perBoot.add(own);
        bootNanos.add(nanosBetween(called, returned));
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
        if (boots >= TAIL_MIN_BOOTS) {
            out.println(tail());
        }
    }

    /**
     * Where the slowest boots lose their time: the boots at or above the 95th percentile of
     * boot time, and the steps in which they took longest beyond the mean of all boots. The
     * p95 is a goal of its own, and its boots are a few: their means per step say more than
     * any one of them.
     */
    String tail() {
        List<Long> sorted = new ArrayList<>(bootNanos);
        java.util.Collections.sort(sorted);
        // Nearest rank, as the bench's p95.
        long p95 = sorted.get(Math.max(0, (int) Math.ceil(0.95 * sorted.size()) - 1));
        Map<Integer, Long> slowTotal = new TreeMap<>();
        long slowNanos = 0;
        int slow = 0;
        for (int i = 0; i < perBoot.size(); i++) {
            if (bootNanos.get(i) >= p95) {
                slow++;
                slowNanos += bootNanos.get(i);
                perBoot.get(i).forEach((step, nanos) -> slowTotal.merge(step, nanos, Long::sum));
            }
        }
        long allNanos = bootNanos.stream().mapToLong(Long::longValue).sum();
        List<Map.Entry<Integer, Double>> beyond = new ArrayList<>();
        for (var e : total.entrySet()) {
            double excess = slowTotal.getOrDefault(e.getKey(), 0L) / 1e6 / slow - e.getValue() / 1e6 / boots;
            if (excess >= 0.05) {
                beyond.add(Map.entry(e.getKey(), excess));
            }
        }
        beyond.sort(Map.Entry.<Integer, Double>comparingByValue().reversed());
        StringBuilder line = new StringBuilder(String.format(
                "the slowest boots (%d of %d, at or above the p95 of %.1f ms) took %.1f ms on average against %.1f ms"
                        + " for all; beyond the mean in",
                slow, boots, p95 / 1e6, slowNanos / 1e6 / slow, allNanos / 1e6 / boots));
        if (beyond.isEmpty()) {
            line.append(" no step by 0.05 ms or more");
        }
        for (int i = 0; i < Math.min(TAIL_STEPS, beyond.size()); i++) {
            int step = beyond.get(i).getKey();
            line.append(i == 0 ? " " : ", ").append(step == 0 ? "step -" : "step " + step)
                    .append(String.format(" +%.2f ms", beyond.get(i).getValue()));
        }
        return line.toString();
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
