package org.subhost.core;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The results of one application of a {@link BootPlan}: the value of each {@link Slot} that
 * a step produced, put by the thread that ran the step and read by later steps on either of
 * the boot's two threads.
 *
 * <p>Each slot is produced at most once, with its parts ({@link Slot#part}). A read of a slot that no step has produced is
 * refused: the plan's check ({@link BootPlan}) makes that a bug, never a race. Only a step
 * that waits for the boot's other thread ({@link BootStep#awaits()}) may find a slot still
 * empty, and waits then until it is produced, or until the thread whose step would have
 * produced it has ended without it ({@link #abandon}).
 */
final class BootResults {
    /** One slot's value, and whether the wait for it is over. */
    private static final class Cell {
        final CountDownLatch settled = new CountDownLatch(1);
        // Written before the count-down that waiters and later readers pass; volatile for
        // readers that find it settled without waiting.
        volatile boolean produced;
        volatile Object value;
    }

    private final Map<Slot<?>, Cell> cells = new IdentityHashMap<>();

    /**
     * Empty results for the slots {@code produced} names: each slot that a step of the plan
     * produces.
     */
    BootResults(Collection<? extends Slot<?>> produced) {
        for (Slot<?> slot : produced) {
            cells.put(slot, new Cell());
        }
    }

    /**
     * Keeps {@code value} as the result in {@code slot}.
     *
     * @throws IllegalStateException when the slot is not one of the plan's, or a part of one,
     *     or was produced before
     */
    <T> void put(Slot<T> slot, T value) {
        if (value == null) {
            throw new NullPointerException("the result " + slot + " is null");
        }
        if (slot.producedAs() != slot) {
            throw new IllegalStateException("the result " + slot + " is a part of " + slot.producedAs()
                    + ", produced with it");
        }
        Cell cell = cell(slot);
        synchronized (cell) {
            if (cell.produced) {
                throw new IllegalStateException("the result " + slot + " was produced twice");
            }
            cell.value = value;
            cell.produced = true;
        }
        cell.settled.countDown();
    }

    /**
     * {@return the result in {@code slot}}
     *
     * @throws IllegalStateException when no step has produced it
     */
    <T> T get(Slot<T> slot) {
        Cell cell = cell(slot.producedAs());
        if (!cell.produced) {
            throw new IllegalStateException("the result " + slot + " was read before a step produced it");
        }
        return slot.from(cell.value);
    }

    /**
     * Waits at most {@code limit} for the result in {@code slot}.
     *
     * @return the result, or empty when the step that would produce it will not ({@link #abandon})
     * @throws TimeoutException when neither happened within {@code limit}
     * @throws InterruptedException when the waiting thread is interrupted
     */
    <T> Optional<T> await(Slot<T> slot, Duration limit) throws InterruptedException, TimeoutException {
        Cell cell = cell(slot.producedAs());
        if (!cell.settled.await(limit.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new TimeoutException("the result " + slot + " was not produced within " + limit.toSeconds() + " s");
        }
        return cell.produced ? Optional.of(slot.from(cell.value)) : Optional.empty();
    }

    /**
     * Ends the waits for {@code slot} when it is still empty: the thread whose step would
     * produce it has ended (done, failed or stopped), so it never will be.
     */
    void abandon(Slot<?> slot) {
        cell(slot.producedAs()).settled.countDown();
    }

    private Cell cell(Slot<?> slot) {
        Cell cell = cells.get(requireNonNull(slot, "slot"));
        if (cell == null) {
            throw new IllegalStateException("the result " + slot + " is produced by no step of the plan");
        }
        return cell;
    }
}
