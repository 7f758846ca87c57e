package org.subhost.core;

import static java.util.Objects.requireNonNull;

import java.util.function.Function;

/**
 * A typed place for the result of one step of a {@link BootPlan}, that later steps of the
 * same plan read: the network namespace that the cables are made in, what {@link
 * InitSupervisor.PrepareInit} opened and decided for pid 1, pid 1 itself for its control
 * group and its record.
 *
 * <p>{@link BootPlanner} makes one slot per result that another step needs, and hands it to
 * the step that produces it ({@link BootStep#produces()}) and to each step that reads it
 * ({@link BootStep#consumes()}, {@link BootStep#awaits()}), so that the plan shows who needs
 * what. Where readers need different parts of one result, each gets a slot for its part
 * ({@link #part}), produced with the whole. {@link BootPlan} refuses a plan in which a step
 * reads a slot that no step running before it produces; {@link PlanExecutor} keeps the
 * values of one boot ({@link BootResults}) and refuses a read of a slot not yet produced.
 *
 * <p>A slot is only a key, compared by identity: it holds no value, so that a plan stays
 * data and can be applied more than once.
 *
 * @param <T> the type of the result
 */
public final class Slot<T> {
    private final String name;
    /** The slot this one is a part of; null for a result of its own. */
    private final Slot<?> whole;
    /** The part of the whole's value; null for a result of its own. */
    private final Function<Object, ?> part;

    /** A slot for the result {@code name} describes, such as {@code network namespace ex1}. */
    Slot(String name) {
        this(name, null, null);
    }

    private Slot(String name, Slot<?> whole, Function<Object, ?> part) {
        this.name = requireNonNull(name, "name");
        this.whole = whole;
        this.part = part;
    }

    /**
     * A slot for a part of this slot's result: produced when this one is, by the same step,
     * and read as {@code part} of it.
     *
     * @param <P> the type of the part
     * @param name what the part is, for messages
     * @param part the part of the result
     * @return the slot of the part
     */
    @SuppressWarnings("unchecked") // from() hands part only values of this slot's type T
    <P> Slot<P> part(String name, Function<? super T, ? extends P> part) {
        return new Slot<>(name, this, (Function<Object, ?>) (Function<?, ?>) requireNonNull(part, "part"));
    }

    /** {@return the slot that a step produces to fill this one: itself, or the whole it is part of} */
    Slot<?> producedAs() {
        return whole == null ? this : whole.producedAs();
    }

    /** {@return this slot's value, from the value {@code produced} of {@link #producedAs()}} */
    @SuppressWarnings("unchecked") // a step of type BootStep<T> filled producedAs() with a T
    T from(Object produced) {
        return (T) (whole == null ? produced : part.apply(whole.from(produced)));
    }

    /** {@return what the result is, for messages} */
    public String name() {
        return name;
    }

    /** {@return the name} */
    @Override
    public String toString() {
        return name;
    }
}
