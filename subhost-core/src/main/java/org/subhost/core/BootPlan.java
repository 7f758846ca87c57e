package org.subhost.core;

import java.util.ArrayList;
import java.util.List;

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
 * @param name the subhost's NAME
 * @param steps the steps, in the order they are applied
 */
public record BootPlan(String name, List<BootStep> steps) {

    /** Copies the steps and checks the shape: host, host alongside, namespace, host. */
    public BootPlan {
        steps = List.copyOf(steps);
        // The runs in order; each may be empty, but none may come back after a later one.
        List<BootStep.Place> order = List.of(BootStep.Place.HOST, BootStep.Place.HOST_ALONGSIDE,
                BootStep.Place.NAMESPACE, BootStep.Place.HOST);
        int run = 0;
        for (BootStep step : steps) {
            while (run < order.size() && order.get(run) != step.place()) {
                run++;
            }
            if (run == order.size()) {
                throw new IllegalArgumentException("plan (" + name
                        + ") must be host steps, host steps alongside the namespace steps, namespace steps, host steps");
            }
        }
    }

    /** {@return the plan as numbered lines, as {@code overlay-boot --dry-run} prints it} */
    public List<String> lines() {
        List<String> lines = new ArrayList<>(steps.size());
        for (int i = 0; i < steps.size(); i++) {
            BootStep step = steps.get(i);
            lines.add(String.format("%2d. [%s] %s", i + 1, switch (step.place()) {
                case HOST -> "host";
                case HOST_ALONGSIDE -> "host, alongside ns";
                case NAMESPACE -> "ns";
            }, step.describe()));
        }
        return lines;
    }
}
