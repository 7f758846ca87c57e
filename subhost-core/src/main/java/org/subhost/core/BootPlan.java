package org.subhost.core;

import java.util.ArrayList;
import java.util.List;

/**
 * The ordered steps that boot one subhost, derived from its configuration and a few facts
 * about the host by {@link BootPlanner}, and applied by {@link PlanExecutor}.
 *
 * <p>The steps come in three runs: host steps (network namespace, cables), namespace steps
 * (mount namespace, root filesystem, pivot_root, pid 1) and host steps again (cgroup,
 * release of pid 1, state record). {@link PlanExecutor} relies on that shape.
 *
 * @param name the subhost's NAME
 * @param steps the steps, in the order they are applied
 */
public record BootPlan(String name, List<BootStep> steps) {

    /** Copies the steps and checks the host, namespace, host shape. */
    public BootPlan {
        steps = List.copyOf(steps);
        int runs = 1;
        for (int i = 1; i < steps.size(); i++) {
            if (steps.get(i).place() != steps.get(i - 1).place()) {
                runs++;
            }
        }
        if (runs > 3 || (!steps.isEmpty() && steps.getFirst().place() != BootStep.Place.HOST)) {
            throw new IllegalArgumentException("plan (" + name + ") must be host steps, namespace steps, host steps");
        }
    }

    /** {@return the plan as numbered lines, as {@code overlay-boot --dry-run} prints it} */
    public List<String> lines() {
        List<String> lines = new ArrayList<>(steps.size());
        for (int i = 0; i < steps.size(); i++) {
            BootStep step = steps.get(i);
            lines.add(String.format("%2d. [%s] %s", i + 1,
                    step.place() == BootStep.Place.HOST ? "host" : "ns", step.describe()));
        }
        return lines;
    }
}
