package org.subhost.linux.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/**
 * The names of the bits of one kind of flag word, for error messages: {@code MS_BIND|MS_REC}.
 *
 * <p>Example: {@code MOUNT_FLAGS.format(MS_BIND | MS_REC)} gives {@code MS_BIND|MS_REC}; bits
 * without a name are appended in hexadecimal ({@code MS_BIND|0x40000000}), and an empty word
 * is {@code 0}. Names are tried in the order they were added, so a name that covers several
 * bits (a mask) must come before the single bits it covers.
 */
public final class FlagNames {
    private final List<String> names;
    private final List<Long> values;

    private FlagNames(List<String> names, List<Long> values) {
        this.names = List.copyOf(names);
        this.values = List.copyOf(values);
    }

    /** {@return a builder of the names of one kind of flag word} */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * {@code flags} as names joined by {@code |}, unnamed bits in hexadecimal, {@code 0} for none.
     *
     * @param flags the flag word
     * @return the names
     */
    public String format(long flags) {
        if (flags == 0) {
            return "0";
        }
        StringJoiner out = new StringJoiner("|");
        long left = flags;
        for (int i = 0; i < names.size(); i++) {
            long value = values.get(i);
            if (value != 0 && (left & value) == value) {
                out.add(names.get(i));
                left &= ~value;
            }
        }
        if (left != 0) {
            out.add("0x" + Long.toHexString(left));
        }
        return out.toString();
    }

    /**
     * The one name whose value is exactly {@code value}, or the number in decimal.
     *
     * @param value the value
     * @return the name, or the number
     */
    public String name(long value) {
        for (int i = 0; i < names.size(); i++) {
            if (values.get(i) == value) {
                return names.get(i);
            }
        }
        return Long.toString(value);
    }

    /** Collects names and their values, in the order they are matched. */
    public static final class Builder {
        private final List<String> names = new ArrayList<>();
        private final List<Long> values = new ArrayList<>();

        private Builder() {}

        /**
         * Adds {@code name} for the bits {@code value}.
         *
         * @param name the flag's name, such as {@code MS_BIND}
         * @param value its bits
         * @return this builder
         */
        public Builder add(String name, long value) {
            names.add(name);
            values.add(value);
            return this;
        }

        /**
         * The names added so far.
         *
         * @return the names, immutable
         */
        public FlagNames build() {
            return new FlagNames(names, values);
        }
    }
}
