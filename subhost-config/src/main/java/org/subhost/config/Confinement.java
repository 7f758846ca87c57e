package org.subhost.config;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * What a subhost's processes are kept from doing to the host: the capabilities they keep,
 * whether the system call filter is on, and whether the kernel's files are protected
 * (docs/security.md).
 *
 * <p>Read from three variables that the old tool ignores, so old files mean what they
 * meant, only safer:
 * <ul>
 *   <li>{@code CAPABILITIES=}: a level, then changes: {@code default} (the level when unset:
 *       what services need inside their own namespaces), {@code admin} (the default plus
 *       SYS_ADMIN, SYS_BOOT and SYS_PTRACE: systemd-nspawn's level, for an init system,
 *       nested subhosts or FUSE; protection against accidents, not attacks) or {@code all}
 *       (the old unconfined bounding set); then {@code +name} or {@code -name} per
 *       capability, such as {@code CAPABILITIES=+sys_time} for an NTP server.
 *   <li>{@code SECCOMP=on|off}: the filter that refuses host-wide system calls with EPERM.
 *   <li>{@code CONFINE_FILES=on|off}: {@code /proc/sys} (but {@code net}) and {@code /sys}
 *       read-only, {@code /proc}'s kernel files masked.
 * </ul>
 *
 * <p>Only the values are checked here; whether the host's kernel knows a capability is
 * the kernel's business (a capability it lacks is simply not there to keep).
 *
 * @param capabilityMask the bounding set kept: bit N is capability N ({@code -1}: all)
 * @param seccomp whether the system call filter is installed
 * @param files whether {@code /proc} and {@code /sys} are protected
 */
public record Confinement(long capabilityMask, boolean seccomp, boolean files) {
    /** The capabilities of level {@code default}: what services need in their own namespaces. */
    public static final Set<Capability> DEFAULT_CAPABILITIES = Set.copyOf(EnumSet.of(
            Capability.CHOWN, Capability.DAC_OVERRIDE, Capability.FOWNER, Capability.FSETID, Capability.KILL,
            Capability.SETGID, Capability.SETUID, Capability.SETPCAP, Capability.NET_BIND_SERVICE,
            Capability.NET_BROADCAST, Capability.NET_ADMIN, Capability.NET_RAW, Capability.IPC_LOCK,
            Capability.IPC_OWNER, Capability.SYS_CHROOT, Capability.SYS_NICE, Capability.SYS_RESOURCE,
            Capability.SYS_TTY_CONFIG, Capability.LEASE, Capability.AUDIT_WRITE, Capability.SETFCAP));

    /** The capabilities of level {@code admin}: the default plus SYS_ADMIN, SYS_BOOT and SYS_PTRACE. */
    public static final Set<Capability> ADMIN_CAPABILITIES = Set.copyOf(union(DEFAULT_CAPABILITIES,
            EnumSet.of(Capability.SYS_ADMIN, Capability.SYS_BOOT, Capability.SYS_PTRACE)));

    /** The mask of level {@code all}: every capability, known to this type or not. */
    public static final long ALL = -1L;

    /** The safe default: level {@code default}, the filter on, the kernel's files protected. */
    public static final Confinement DEFAULT = new Confinement(mask(DEFAULT_CAPABILITIES), true, true);

    /** Nothing confined, as the old tool booted: {@code CAPABILITIES=all SECCOMP=off CONFINE_FILES=off}. */
    public static final Confinement NONE = new Confinement(ALL, false, false);

    /**
     * This confinement with the capabilities of a CAPABILITIES value: an optional level
     * ({@code default}, {@code admin}, {@code all}; {@code default} when the value starts with
     * a change), then {@code +name} and {@code -name}, separated by spaces or commas.
     *
     * @param text the CAPABILITIES value, such as {@code +sys_time} or {@code admin -net_raw}
     * @return the confinement with those capabilities
     * @throws IllegalArgumentException naming the word that is no level, no change or no
     *     capability
     */
    public Confinement withCapabilities(String text) {
        String[] words = text.trim().split("[\\s,]+");
        long mask = mask(DEFAULT_CAPABILITIES);
        for (int i = 0; i < words.length; i++) {
            String word = words[i];
            if (word.isEmpty()) {
                continue;
            }
            char sign = word.charAt(0);
            if (sign == '+' || sign == '-') {
                long bit = 1L << Capability.parse(word.substring(1)).number();
                mask = sign == '+' ? mask | bit : mask & ~bit;
            } else if (i == 0) {
                mask = switch (word.toLowerCase(Locale.ROOT)) {
                    case "default" -> mask(DEFAULT_CAPABILITIES);
                    case "admin" -> mask(ADMIN_CAPABILITIES);
                    case "all" -> ALL;
                    default -> throw new IllegalArgumentException("CAPABILITIES (" + text + ") must start with a"
                            + " level (default, admin, all) or a change (+name, -name), not " + word);
                };
            } else {
                throw new IllegalArgumentException("CAPABILITIES (" + text + ") takes a level only first; after it"
                        + " +name or -name, not " + word);
            }
        }
        return new Confinement(mask, seccomp, files);
    }

    /**
     * This confinement with the filter on or off.
     *
     * @param on whether the system call filter is installed
     * @return the changed confinement
     */
    public Confinement withSeccomp(boolean on) {
        return new Confinement(capabilityMask, on, files);
    }

    /**
     * This confinement with the kernel's files protected or not.
     *
     * @param on whether {@code /proc} and {@code /sys} are protected
     * @return the changed confinement
     */
    public Confinement withFiles(boolean on) {
        return new Confinement(capabilityMask, seccomp, on);
    }

    /**
     * Reads an on/off value of SECCOMP or CONFINE_FILES.
     *
     * @param variable the variable's name, for the message
     * @param text {@code on} or {@code off}
     * @return whether it is on
     * @throws IllegalArgumentException for any other value
     */
    public static boolean parseSwitch(String variable, String text) {
        Objects.requireNonNull(variable, "variable");
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "on" -> true;
            case "off" -> false;
            default -> throw new IllegalArgumentException(variable + " (" + text + ") must be on or off");
        };
    }

    /**
     * Whether the bounding set keeps a capability.
     *
     * @param capability the capability
     * @return whether it is kept
     */
    public boolean keeps(Capability capability) {
        return (capabilityMask & (1L << capability.number())) != 0;
    }

    /** {@return the known capabilities kept, in the kernel's order} */
    public Set<Capability> capabilities() {
        EnumSet<Capability> kept = EnumSet.noneOf(Capability.class);
        for (Capability c : Capability.values()) {
            if (keeps(c)) {
                kept.add(c);
            }
        }
        return kept;
    }

    /**
     * The CAPABILITIES value that gives this set, shortest from the nearest level:
     * {@code default}, {@code admin +sys_time}, {@code all -sys_module}.
     *
     * @return the value, which {@link #withCapabilities} reads back to the same set
     */
    public String capabilitiesText() {
        if (capabilityMask == ALL) {
            return "all";
        }
        String best = null;
        for (String level : List.of("default", "admin", "all")) {
            long base = switch (level) {
                case "default" -> mask(DEFAULT_CAPABILITIES);
                case "admin" -> mask(ADMIN_CAPABILITIES);
                default -> ALL;
            };
            StringBuilder b = new StringBuilder(level);
            long extra = capabilityMask & ~base;
            long missing = base & ~capabilityMask;
            boolean exact = true;
            for (int bit = 0; bit < 64; bit++) {
                if (((extra | missing) & (1L << bit)) != 0) {
                    Capability c = byNumber(bit);
                    if (c == null) {
                        exact = false;
                        break;
                    }
                    b.append(' ').append((extra & (1L << bit)) != 0 ? '+' : '-').append(c);
                }
            }
            if (exact && (best == null || b.length() < best.length())) {
                best = b.toString();
            }
        }
        return best != null ? best : "all";
    }

    /**
     * The command-line form that pid 1 and the entering trampoline read ({@code
     * subhost-core/src/main/c/confine.h}): {@code --caps HEX --seccomp on|off --files on|off}.
     *
     * @return the arguments, in that order
     */
    public List<String> arguments() {
        List<String> args = new ArrayList<>();
        args.add("--caps");
        args.add(Long.toHexString(capabilityMask));
        args.add("--seccomp");
        args.add(seccomp ? "on" : "off");
        args.add("--files");
        args.add(files ? "on" : "off");
        return args;
    }

    /** The three variables as a .conf file writes them, on one line. */
    @Override
    public String toString() {
        return "CAPABILITIES=" + capabilitiesText() + " SECCOMP=" + (seccomp ? "on" : "off") + " CONFINE_FILES="
                + (files ? "on" : "off");
    }

    private static Capability byNumber(int number) {
        for (Capability c : Capability.values()) {
            if (c.number() == number) {
                return c;
            }
        }
        return null;
    }

    private static long mask(Set<Capability> capabilities) {
        long mask = 0;
        for (Capability c : capabilities) {
            mask |= 1L << c.number();
        }
        return mask;
    }

    private static Set<Capability> union(Set<Capability> a, Set<Capability> b) {
        EnumSet<Capability> all = EnumSet.noneOf(Capability.class);
        all.addAll(a);
        all.addAll(b);
        return all;
    }
}
