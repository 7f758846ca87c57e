package org.subhost.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How much of the host a subhost may take: memory, processes, CPU, I/O and disk, read from
 * seven variables that the old tool ignores (docs/configuration.md, "Limits").
 *
 * <ul>
 *   <li>{@code MEMORY_MAX=}: the most memory its processes may use together; past it the
 *       kernel reclaims, then kills one of them (an OOM kill inside the subhost). A size
 *       ({@code 512M}, {@code 2G}) or {@code none}; none by default.
 *   <li>{@code MEMORY_HIGH=}: where the kernel starts to throttle and reclaim hard, below
 *       MEMORY_MAX; cgroup v2 only. A size or {@code none}; none by default.
 *   <li>{@code PIDS_MAX=}: the most processes and threads at once. A number or {@code
 *       none}; {@value #DEFAULT_PIDS_MAX} by default, so that a fork bomb stops there.
 *   <li>{@code CPU_WEIGHT=}: its share of contended CPU time against its siblings, 1 to
 *       10000; {@value #DEFAULT_WEIGHT} by default (the kernel's own).
 *   <li>{@code CPU_MAX=}: the most CPU time it may use, as a share of one CPU ({@code 150%}
 *       is one and a half CPUs); none by default.
 *   <li>{@code IO_WEIGHT=}: its share of contended disk time, 1 to 10000; {@value
 *       #DEFAULT_WEIGHT} by default.
 *   <li>{@code DISK_MAX=}: how much it may write into UPPER, through the quota of UPPER's
 *       filesystem. A size or {@code none}; none by default.
 * </ul>
 *
 * <p>Sizes are bytes, or a number with {@code K}, {@code M}, {@code G} or {@code T} (in
 * either case; powers of 1024). Each value reads back from the text it is written as:
 * {@code Limits.DEFAULT.with("MEMORY_MAX", "1024m").text("MEMORY_MAX")} is {@code 1G}.
 *
 * <pre>{@code
 * Limits l = Limits.DEFAULT.with("MEMORY_MAX", "512M").with("CPU_MAX", "150%");
 * l.memoryMax();   // OptionalLong[536870912]
 * l.pidsMax();     // OptionalLong[2048]
 * }</pre>
 *
 * <p>Only the values are checked here; whether the host has the controllers that apply
 * them is the boot's business, which fails rather than boot a subhost with a limit unapplied.
 */
public final class Limits {
    /** The processes (and threads) a subhost may have at once unless PIDS_MAX says otherwise. */
    public static final long DEFAULT_PIDS_MAX = 2048;
    /** The CPU and I/O weight unless set: the kernel's default. */
    public static final int DEFAULT_WEIGHT = 100;
    /** The largest PIDS_MAX: the kernel's PID_MAX_LIMIT on 64-bit machines. */
    public static final long MAX_PIDS = 4_194_304;
    /** The largest weight, as cgroup v2's {@code cpu.weight} and {@code io.weight} take it. */
    public static final int MAX_WEIGHT = 10_000;
    /** The largest CPU_MAX, in percent of one CPU: 1024 CPUs. */
    public static final int MAX_CPU_PERCENT = 102_400;

    /** The seven variables, in the order in which {@link #assignments()} writes them. */
    public static final List<String> VARIABLES = List.of("MEMORY_MAX", "MEMORY_HIGH", "PIDS_MAX", "CPU_WEIGHT",
            "CPU_MAX", "IO_WEIGHT", "DISK_MAX");

    /** No limit but the default PIDS_MAX; weights at the kernel's default. */
    public static final Limits DEFAULT = new Limits(-1, -1, DEFAULT_PIDS_MAX, DEFAULT_WEIGHT, -1, DEFAULT_WEIGHT, -1);

    private static final Pattern SIZE = Pattern.compile("([0-9]{1,19})([kKmMgGtT]?)");
    private static final Pattern NUMBER = Pattern.compile("[0-9]{1,19}");
    private static final Pattern PERCENT = Pattern.compile("([0-9]{1,9})%");
    private static final String UNITS = "KMGT";

    // -1 for none (no limit).
    private final long memoryMax;
    private final long memoryHigh;
    private final long pidsMax;
    private final int cpuWeight;
    private final int cpuMaxPercent;
    private final int ioWeight;
    private final long diskMax;

    private Limits(long memoryMax, long memoryHigh, long pidsMax, int cpuWeight, int cpuMaxPercent, int ioWeight,
            long diskMax) {
        this.memoryMax = memoryMax;
        this.memoryHigh = memoryHigh;
        this.pidsMax = pidsMax;
        this.cpuWeight = cpuWeight;
        this.cpuMaxPercent = cpuMaxPercent;
        this.ioWeight = ioWeight;
        this.diskMax = diskMax;
    }

    /**
     * These limits with one variable set from its text, as a {@code .conf} line or {@code
     * overlay-limit NAME VAR=VALUE} gives it.
     *
     * @param variable one of {@link #VARIABLES}
     * @param text the value: a size, a number, a percentage or {@code none}, as the variable takes
     * @return the changed limits
     * @throws IllegalArgumentException naming the variable, the value and the rule it breaks,
     *     or saying that the variable is no limit
     */
    public Limits with(String variable, String text) {
        Objects.requireNonNull(variable, "variable");
        Objects.requireNonNull(text, "text");
        String value = text.strip();
        return switch (variable) {
            case "MEMORY_MAX" -> withMemoryMax(size(variable, value));
            case "MEMORY_HIGH" -> withMemoryHigh(size(variable, value));
            case "PIDS_MAX" -> withPidsMax(pids(value));
            case "CPU_WEIGHT" -> withCpuWeight(weight(variable, value));
            case "CPU_MAX" -> withCpuMax(percent(value));
            case "IO_WEIGHT" -> withIoWeight(weight(variable, value));
            case "DISK_MAX" -> withDiskMax(size(variable, value));
            default -> throw new IllegalArgumentException("limit (" + variable + ") is not known; the limits are "
                    + String.join(", ", VARIABLES));
        };
    }

    /**
     * These limits with MEMORY_MAX set.
     *
     * @param bytes the most memory in bytes (at least 1), or empty for none
     * @return the changed limits
     */
    public Limits withMemoryMax(OptionalLong bytes) {
        return new Limits(positive("MEMORY_MAX", bytes), memoryHigh, pidsMax, cpuWeight, cpuMaxPercent, ioWeight,
                diskMax);
    }

    /**
     * These limits with MEMORY_HIGH set.
     *
     * @param bytes the throttling threshold in bytes (at least 1), or empty for none
     * @return the changed limits
     */
    public Limits withMemoryHigh(OptionalLong bytes) {
        return new Limits(memoryMax, positive("MEMORY_HIGH", bytes), pidsMax, cpuWeight, cpuMaxPercent, ioWeight,
                diskMax);
    }

    /**
     * These limits with PIDS_MAX set.
     *
     * @param count the most processes and threads, 1 to {@link #MAX_PIDS}, or empty for none
     * @return the changed limits
     */
    public Limits withPidsMax(OptionalLong count) {
        long n = positive("PIDS_MAX", count);
        if (n > MAX_PIDS) {
            throw new IllegalArgumentException("PIDS_MAX (" + n + ") must be none or a number from 1 to " + MAX_PIDS);
        }
        return new Limits(memoryMax, memoryHigh, n, cpuWeight, cpuMaxPercent, ioWeight, diskMax);
    }

    /**
     * These limits with CPU_WEIGHT set.
     *
     * @param weight 1 to {@link #MAX_WEIGHT}; {@link #DEFAULT_WEIGHT} is the kernel's default
     * @return the changed limits
     */
    public Limits withCpuWeight(int weight) {
        return new Limits(memoryMax, memoryHigh, pidsMax, checkWeight("CPU_WEIGHT", weight), cpuMaxPercent, ioWeight,
                diskMax);
    }

    /**
     * These limits with CPU_MAX set.
     *
     * @param percent the most CPU time in percent of one CPU, 1 to {@link #MAX_CPU_PERCENT}
     *     ({@code 150} for one and a half CPUs), or empty for none
     * @return the changed limits
     */
    public Limits withCpuMax(OptionalInt percent) {
        int p = percent.orElse(-1);
        if (percent.isPresent() && (p < 1 || p > MAX_CPU_PERCENT)) {
            throw new IllegalArgumentException("CPU_MAX (" + p + "%) must be none or a percentage of one CPU from 1% to "
                    + MAX_CPU_PERCENT + "%");
        }
        return new Limits(memoryMax, memoryHigh, pidsMax, cpuWeight, p, ioWeight, diskMax);
    }

    /**
     * These limits with IO_WEIGHT set.
     *
     * @param weight 1 to {@link #MAX_WEIGHT}; {@link #DEFAULT_WEIGHT} is the kernel's default
     * @return the changed limits
     */
    public Limits withIoWeight(int weight) {
        return new Limits(memoryMax, memoryHigh, pidsMax, cpuWeight, cpuMaxPercent, checkWeight("IO_WEIGHT", weight),
                diskMax);
    }

    /**
     * These limits with DISK_MAX set.
     *
     * @param bytes the most bytes in UPPER (at least 1), or empty for none
     * @return the changed limits
     */
    public Limits withDiskMax(OptionalLong bytes) {
        return new Limits(memoryMax, memoryHigh, pidsMax, cpuWeight, cpuMaxPercent, ioWeight,
                positive("DISK_MAX", bytes));
    }

    /** {@return MEMORY_MAX in bytes; empty for none} */
    public OptionalLong memoryMax() {
        return optional(memoryMax);
    }

    /** {@return MEMORY_HIGH in bytes; empty for none} */
    public OptionalLong memoryHigh() {
        return optional(memoryHigh);
    }

    /** {@return PIDS_MAX; empty for none} */
    public OptionalLong pidsMax() {
        return optional(pidsMax);
    }

    /** {@return CPU_WEIGHT, 1 to 10000} */
    public int cpuWeight() {
        return cpuWeight;
    }

    /** {@return CPU_MAX in percent of one CPU; empty for none} */
    public OptionalInt cpuMaxPercent() {
        return cpuMaxPercent < 0 ? OptionalInt.empty() : OptionalInt.of(cpuMaxPercent);
    }

    /** {@return IO_WEIGHT, 1 to 10000} */
    public int ioWeight() {
        return ioWeight;
    }

    /** {@return DISK_MAX in bytes; empty for none} */
    public OptionalLong diskMax() {
        return optional(diskMax);
    }

    /**
     * Whether a variable is at what the kernel does without it (no limit, the default
     * weight): such a limit needs no controller. PIDS_MAX at its default is a limit, and
     * needs one.
     *
     * @param variable one of {@link #VARIABLES}
     * @return whether it asks nothing of the kernel
     */
    public boolean isKernelDefault(String variable) {
        Objects.requireNonNull(variable, "variable");
        return switch (variable) {
            case "MEMORY_MAX" -> memoryMax < 0;
            case "MEMORY_HIGH" -> memoryHigh < 0;
            case "PIDS_MAX" -> pidsMax < 0;
            case "CPU_WEIGHT" -> cpuWeight == DEFAULT_WEIGHT;
            case "CPU_MAX" -> cpuMaxPercent < 0;
            case "IO_WEIGHT" -> ioWeight == DEFAULT_WEIGHT;
            case "DISK_MAX" -> diskMax < 0;
            default -> throw new IllegalArgumentException("limit (" + variable + ") is not known");
        };
    }

    /**
     * The value of one variable as a {@code .conf} file writes it: {@code none}, {@code 512M},
     * {@code 2048}, {@code 150%}.
     *
     * @param variable one of {@link #VARIABLES}
     * @return its text, which {@link #with} reads back to the same value
     */
    public String text(String variable) {
        Objects.requireNonNull(variable, "variable");
        return switch (variable) {
            case "MEMORY_MAX" -> sizeText(memoryMax);
            case "MEMORY_HIGH" -> sizeText(memoryHigh);
            case "PIDS_MAX" -> pidsMax < 0 ? "none" : Long.toString(pidsMax);
            case "CPU_WEIGHT" -> Integer.toString(cpuWeight);
            case "CPU_MAX" -> cpuMaxPercent < 0 ? "none" : cpuMaxPercent + "%";
            case "IO_WEIGHT" -> Integer.toString(ioWeight);
            case "DISK_MAX" -> sizeText(diskMax);
            default -> throw new IllegalArgumentException("limit (" + variable + ") is not known");
        };
    }

    /**
     * Every limit as {@code VAR=value}, in the order of {@link #VARIABLES}, as {@code
     * overlay-boot --dry-run} prints them.
     *
     * @return seven lines
     */
    public List<String> assignments() {
        List<String> lines = new ArrayList<>();
        for (String variable : VARIABLES) {
            lines.add(variable + "=" + text(variable));
        }
        return List.copyOf(lines);
    }

    /**
     * Reads limits from {@link #toString()}'s form, {@code VAR=value} words separated by
     * spaces; a variable that is not there keeps its default.
     *
     * @param text the words
     * @return the limits
     * @throws IllegalArgumentException naming the word that is no limit or has a bad value
     */
    public static Limits parse(String text) {
        Objects.requireNonNull(text, "text");
        Limits limits = DEFAULT;
        for (String word : text.strip().split(" +")) {
            if (word.isEmpty()) {
                continue;
            }
            int eq = word.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("limit (" + word + ") must be VAR=value");
            }
            limits = limits.with(word.substring(0, eq), word.substring(eq + 1));
        }
        return limits;
    }

    /**
     * A size as its shortest exact text: {@code 1G} for 1073741824, {@code 1536M}, {@code 1000}.
     *
     * @param bytes a positive number of bytes, or -1 for {@code none}
     * @return the text
     */
    public static String sizeText(long bytes) {
        if (bytes < 0) {
            return "none";
        }
        int unit = -1;
        long value = bytes;
        while (unit < UNITS.length() - 1 && value != 0 && value % 1024 == 0) {
            value /= 1024;
            unit++;
        }
        return unit < 0 ? Long.toString(bytes) : value + UNITS.substring(unit, unit + 1);
    }

    /**
     * Reads a size: bytes, or a number with {@code K}, {@code M}, {@code G} or {@code T} in
     * either case, powers of 1024; {@code none} is empty.
     *
     * @param variable the variable's name, for the message
     * @param text the value
     * @return the bytes, at least 1; empty for none
     * @throws IllegalArgumentException for anything else, zero, or more than fits in 63 bits
     */
    public static OptionalLong size(String variable, String text) {
        Objects.requireNonNull(variable, "variable");
        Objects.requireNonNull(text, "text");
        if (text.equals("none")) {
            return OptionalLong.empty();
        }
        Matcher m = SIZE.matcher(text);
        String rule = variable + " (" + text + ") must be none or a size: bytes, or a number with K, M, G or T";
        if (!m.matches()) {
            throw new IllegalArgumentException(rule);
        }
        long number;
        try {
            number = Long.parseLong(m.group(1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(rule + " below 8 EiB");
        }
        int shift = m.group(2).isEmpty() ? 0 : 10 * (UNITS.indexOf(m.group(2).toUpperCase(Locale.ROOT)) + 1);
        if (number == 0) {
            throw new IllegalArgumentException(variable + " (" + text + ") must be more than 0 (none for no limit)");
        }
        if (shift > 0 && number > (Long.MAX_VALUE >> shift)) {
            throw new IllegalArgumentException(rule + " below 8 EiB");
        }
        return OptionalLong.of(number << shift);
    }

    private static OptionalLong pids(String text) {
        if (text.equals("none")) {
            return OptionalLong.empty();
        }
        String rule = "PIDS_MAX (" + text + ") must be none or a number from 1 to " + MAX_PIDS;
        if (!NUMBER.matcher(text).matches()) {
            throw new IllegalArgumentException(rule);
        }
        try {
            long n = Long.parseLong(text);
            if (n < 1 || n > MAX_PIDS) {
                throw new IllegalArgumentException(rule);
            }
            return OptionalLong.of(n);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(rule);
        }
    }

    private static int weight(String variable, String text) {
        String rule = variable + " (" + text + ") must be a number from 1 to " + MAX_WEIGHT + " (default "
                + DEFAULT_WEIGHT + ")";
        if (!NUMBER.matcher(text).matches() || text.length() > 5) {
            throw new IllegalArgumentException(rule);
        }
        int n = Integer.parseInt(text);
        if (n < 1 || n > MAX_WEIGHT) {
            throw new IllegalArgumentException(rule);
        }
        return n;
    }

    private static OptionalInt percent(String text) {
        if (text.equals("none")) {
            return OptionalInt.empty();
        }
        Matcher m = PERCENT.matcher(text);
        String rule = "CPU_MAX (" + text + ") must be none or a percentage of one CPU from 1% to " + MAX_CPU_PERCENT
                + "% (150% for one and a half CPUs)";
        if (!m.matches()) {
            throw new IllegalArgumentException(rule);
        }
        int p = Integer.parseInt(m.group(1));
        if (p < 1 || p > MAX_CPU_PERCENT) {
            throw new IllegalArgumentException(rule);
        }
        return OptionalInt.of(p);
    }

    private static int checkWeight(String variable, int weight) {
        if (weight < 1 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException(variable + " (" + weight + ") must be a number from 1 to " + MAX_WEIGHT
                    + " (default " + DEFAULT_WEIGHT + ")");
        }
        return weight;
    }

    private static long positive(String variable, OptionalLong value) {
        Objects.requireNonNull(value, variable);
        if (value.isPresent() && value.getAsLong() < 1) {
            throw new IllegalArgumentException(variable + " (" + value.getAsLong()
                    + ") must be more than 0 (none for no limit)");
        }
        return value.orElse(-1);
    }

    private static OptionalLong optional(long value) {
        return value < 0 ? OptionalLong.empty() : OptionalLong.of(value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Limits l && memoryMax == l.memoryMax && memoryHigh == l.memoryHigh
                && pidsMax == l.pidsMax && cpuWeight == l.cpuWeight && cpuMaxPercent == l.cpuMaxPercent
                && ioWeight == l.ioWeight && diskMax == l.diskMax;
    }

    @Override
    public int hashCode() {
        return Objects.hash(memoryMax, memoryHigh, pidsMax, cpuWeight, cpuMaxPercent, ioWeight, diskMax);
    }

    /** The seven variables as {@code VAR=value} words on one line, which {@link #parse} reads back. */
    @Override
    public String toString() {
        return String.join(" ", assignments());
    }
}
