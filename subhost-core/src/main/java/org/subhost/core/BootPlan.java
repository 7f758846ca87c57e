package org.subhost.core;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The ordered steps that boot one subhost, derived from its configuration and a few facts
 * about the host by {@link BootPlanner}, and applied by {@link PlanExecutor}.
 *
 * <p>The steps come in three runs: host steps (network namespace, cables), namespace steps
 * (mount namespace, root filesystem, pivot_root, pid 1) and host steps again (cgroup,
 * release of pid 1, state record). The first run may end with steps that run alongside
 * the namespace steps ({@link BootStep.Alongside}). {@link PlanExecutor} relies on that
 * shape.
 *
 * <p>The steps hand their results on through {@link Slot}s, and the plan checks that each
 * slot a step reads is produced by one step that has ended before it starts: an earlier
 * step, except that a namespace step cannot read what a step alongside produces, since the
 * two run at the same time. Instead, a step alongside may wait for what a namespace step
 * produces, and a namespace step for what a step alongside produces ({@link
 * BootStep#awaits()}), as long as no two waits wait for each other.
 *
 * @param name the subhost's NAME
 * @param steps the steps, in the order they are applied
 * @param running the slot of the state record of the running subhost, which a step
 *     produces last: what a boot gives back
 */
public record BootPlan(String name, List<BootStep<?>> steps, Slot<SubhostState> running) {

    /**
     * Copies the steps and checks the shape (host, host alongside, namespace, host) and the
     * slots (each read one produced once, by a step that ends before the reader starts).
     *
     * @throws IllegalArgumentException naming the step that breaks a rule
     */
    public BootPlan {
        steps = List.copyOf(steps);
        requireNonNull(running, "running");
        // The runs in order; each may be empty, but none may come back after a later one.
        List<BootStep.Place> order = List.of(BootStep.Place.HOST, BootStep.Place.HOST_ALONGSIDE,
                BootStep.Place.NAMESPACE, BootStep.Place.HOST);
        int run = 0;
        for (BootStep<?> step : steps) {
            while (run < order.size() && order.get(run) != step.place()) {
                run++;
            }
            if (run == order.size()) {
                throw new IllegalArgumentException("plan (" + name
                        + ") must be host steps, host steps alongside the namespace steps, namespace steps, host steps");
            }
        }
        checkSlots(name, steps, running);
    }

    /** {@return the plan as numbered lines, as {@code overlay-boot --dry-run} prints it} */
    public List<String> lines() {
        List<String> lines = new ArrayList<>(steps.size());
        for (int i = 0; i < steps.size(); i++) {
            BootStep<?> step = steps.get(i);
            lines.add(String.format("%2d. [%s] %s", i + 1, switch (step.place()) {
                case HOST -> "host";
                case HOST_ALONGSIDE -> "host, alongside ns";
                case NAMESPACE -> "ns";
            }, step.describe()));
        }
        return lines;
    }

    /** The index after the run of steps of {@code place} that starts at {@code from}. */
    static int runEnd(List<BootStep<?>> steps, int from, BootStep.Place place) {
        int i = from;
        while (i < steps.size() && steps.get(i).place() == place) {
            i++;
        }
        return i;
    }

    /** The slots that the steps {@code from} (inclusive) to {@code to} produce. */
    static List<Slot<?>> producedBy(List<BootStep<?>> steps, int from, int to) {
        List<Slot<?>> slots = new ArrayList<>();
        for (BootStep<?> step : steps.subList(from, to)) {
            step.produces().ifPresent(slots::add);
        }
        return slots;
    }

    private static void checkSlots(String name, List<BootStep<?>> steps, Slot<SubhostState> running) {
        int alongside = runEnd(steps, 0, BootStep.Place.HOST);
        int namespace = runEnd(steps, alongside, BootStep.Place.HOST_ALONGSIDE);
        int after = runEnd(steps, namespace, BootStep.Place.NAMESPACE);
        Map<Slot<?>, Integer> producers = new IdentityHashMap<>();
        for (int i = 0; i < steps.size(); i++) {
            Slot<?> slot = steps.get(i).produces().orElse(null);
            if (slot != null) {
                if (slot.producedAs() != slot) {
                    throw new IllegalArgumentException(step(name, steps, i) + " produces " + slot + ", a part of "
                            + slot.producedAs() + ", which is produced whole");
                }
                Integer other = producers.putIfAbsent(slot, i);
                if (other != null) {
                    throw new IllegalArgumentException(step(name, steps, i) + " produces " + slot + ", which step "
                            + (other + 1) + " produces too");
                }
            }
        }
        for (int i = 0; i < steps.size(); i++) {
            BootStep<?> step = steps.get(i);
            for (Slot<?> slot : step.consumes()) {
                Integer producer = producers.get(slot.producedAs());
                // A namespace step and a step alongside run at the same time: neither has
                // ended before the other starts, whatever their numbers.
                boolean concurrent = producer != null && producer >= alongside && producer < namespace
                        && i >= namespace && i < after;
                if (producer == null || producer >= i || concurrent) {
                    throw new IllegalArgumentException(step(name, steps, i) + " reads " + slot
                            + ", which no step that ends before it produces");
                }
            }
            for (Slot<?> slot : step.awaits()) {
                Integer producer = producers.get(slot.producedAs());
                boolean alongsideWaitsForNamespace = i >= alongside && i < namespace && producer != null
                        && producer >= namespace && producer < after;
                boolean namespaceWaitsForAlongside = i >= namespace && i < after && producer != null
                        && producer >= alongside && producer < namespace;
                if (!alongsideWaitsForNamespace && !namespaceWaitsForAlongside) {
                    throw new IllegalArgumentException(step(name, steps, i) + " waits for " + slot
                            + ", which no step of the other thread running alongside it produces");
                }
            }
        }
        checkNoWaitsInACircle(name, steps, producers, alongside, namespace, after);
        if (!producers.containsKey(running.producedAs())) {
            throw new IllegalArgumentException("plan (" + name + "): no step produces " + running);
        }
    }

    /**
     * Refuses waits that would wait for each other: a step alongside at {@code a} that waits
     * for what the namespace step {@code n} makes, and a namespace step {@code m} that waits
     * for what the step alongside {@code b} makes, with {@code a <= b} and {@code m <= n}:
     * each thread would wait, before the step the other waits for, for the other.
     */
    private static void checkNoWaitsInACircle(String name, List<BootStep<?>> steps, Map<Slot<?>, Integer> producers,
            int alongside, int namespace, int after) {
        for (int a = alongside; a < namespace; a++) {
            for (Slot<?> first : steps.get(a).awaits()) {
                int n = producers.get(first.producedAs());
                for (int m = namespace; m <= n; m++) {
                    for (Slot<?> second : steps.get(m).awaits()) {
                        int b = producers.get(second.producedAs());
                        if (a <= b) {
                            throw new IllegalArgumentException(step(name, steps, m) + " waits for " + second
                                    + ", which step " + (b + 1) + " makes only after step " + (a + 1)
                                    + " has waited for " + first + ", which step " + (n + 1) + " makes after it");
                        }
                    }
                }
            }
        }
    }

    private static String step(String name, List<BootStep<?>> steps, int index) {
        return "plan (" + name + "): step " + (index + 1) + " (" + steps.get(index).describe() + ")";
    }
}
