package org.subhost.core;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import org.subhost.linux.netlink.RtNetlink;

/**
 * What one step of a boot works with: the boot's services (LOG, the state store, the host's
 * netlink socket) and the results of earlier steps, of which it may read only those it
 * declares: {@link BootStep#consumes()} through {@link #get}, {@link BootStep#awaits()}
 * through {@link #await}. So a step's declaration is the whole of what it takes from the
 * steps before it, and the plan's check of those declarations ({@link BootPlan}) holds for
 * what the steps actually read.
 *
 * <p>The same inputs reach a step's {@link BootStep#undo undo}, on the booting caller's
 * thread, while the results it read are still open: their producers ran before it, and so
 * are undone after it.
 */
public final class StepInputs {
    private final BootServices services;
    private final BootResults results;
    private final BootStep<?> step;

    /** The inputs of {@code step} in the boot with {@code services} and {@code results}. */
    StepInputs(BootServices services, BootResults results, BootStep<?> step) {
        this.services = services;
        this.results = results;
        this.step = step;
    }

    /** {@return the boot's LOG} */
    BootLog log() {
        return services.log();
    }

    /** {@return the state records} */
    StateStore store() {
        return services.store();
    }

    /** {@return the index of subhost trees} */
    TreeIndex trees() {
        return services.trees();
    }

    /** {@return rtnetlink in the host's network namespace} */
    RtNetlink hostLinks() {
        return services.hostLinks();
    }

    /**
     * The result of an earlier step, which this step declares it reads ({@link
     * BootStep#consumes()}).
     *
     * @param <T> the result's type
     * @param slot the result's slot
     * @return the result
     * @throws IllegalStateException when the step does not declare {@code slot}, or no step
     *     has produced it
     */
    public <T> T get(Slot<T> slot) {
        if (!step.consumes().contains(slot)) {
            throw new IllegalStateException("step (" + step.describe() + ") reads " + slot
                    + ", which it does not declare");
        }
        return results.get(slot);
    }

    /**
     * Waits at most {@code limit} for the result of a step on the boot's other thread,
     * which this step declares it waits for ({@link BootStep#awaits()}).
     *
     * @param <T> the result's type
     * @param slot the result's slot
     * @param limit how long to wait at most
     * @return the result, or empty when the other thread ended without producing it (a step
     *     of it failed, or it stopped because a step of this thread failed)
     * @throws TimeoutException when neither happened within {@code limit}
     * @throws InterruptedException when this thread is interrupted while it waits
     * @throws IllegalStateException when the step does not declare {@code slot}
     */
    public <T> Optional<T> await(Slot<T> slot, Duration limit) throws InterruptedException, TimeoutException {
        if (!step.awaits().contains(slot)) {
            throw new IllegalStateException("step (" + step.describe() + ") waits for " + slot
                    + ", which it does not declare");
        }
        return results.await(slot, limit);
    }
}
