package org.subhost.core;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.subhost.config.RootKind;
import org.subhost.config.Share;
import org.subhost.config.SubhostConfig;

/**
 * What one subhost is made of on the host's file system, as the index of subhost trees
 * keeps it ({@link TreeIndex}): its directories and LOG, the host directories it shares,
 * and the directories it hides whole from itself. Not pid 1: a boot that carries its
 * hides into a running subhost reads that one's state record, which is checked against
 * the kernel, and the index is written only where a boot or a stop changes what it says.
 *
 * <p>Example: a subhost {@code mta} with BASE {@code /opt/mta} has the trees BASE {@code
 * /opt/mta}, UPPER {@code /opt/mta/root}, WORK {@code /opt/mta/work}, LIVE {@code
 * /opt/mta/live}, LOWER {@code /} (on device 0xfe00) and LOG {@code /tmp/oly-mta.log}.
 *
 * <p>Two uses: a SHARE source must not lie in what a subhost writes ({@link #written()}:
 * UPPER, WORK, LIVE and the sources of its shares), and every other subhost hides what is
 * private to it ({@link #hidden()}: BASE, and LOG, its rotated file, UPPER, WORK and LIVE
 * when they are outside BASE), while it boots, runs or is listed.
 *
 * @param name NAME
 * @param seq the index's number for this entry, higher for every later registration
 * @param phase booting or running, stopped, or only listed
 * @param trees the directories and files, each once, with their roles
 * @param shares the host directories shared into it, at boot and live
 * @param hiddenWhole the host directories it hides whole from itself (each holds nothing but
 *     subhosts' trees), so that a subhost whose BASE lies in one is hidden there already
 * @param carried how far its boot's carry read the index ({@link Hiding.Carry}): the number
 *     of the last registration it read, whose trees it hides in this subhost itself; {@link
 *     #NOT_KNOWN} while no line says (the carry has not read yet, or is an earlier
 *     version's, which says nothing)
 */
record SubhostTrees(String name, long seq, Phase phase, List<Tree> trees, List<Share> shares,
        List<Path> hiddenWhole, long carried) {
    /** {@link #carried()} of an entry whose carry's line is not (or not yet) in the index. */
    static final long NOT_KNOWN = 0;

    /** Where in its life a subhost of the index is. */
    enum Phase {
        /**
         * Registered by a boot, and not stopped since: it boots or runs (or its pid 1 died;
         * its state record tells).
         */
        ACTIVE,
        /**
         * Stopped, or its boot failed: neither running nor listed, it is not hidden by
         * itself ({@link #hidden()} is empty: a subhost booted once with BASE {@code /srv}
         * must not hide {@code /srv} from every later one), but its trees still count as a
         * subhost's when a directory that holds only subhosts' trees is hidden whole.
         */
        STOPPED,
        /** Not booted (or not known to have): named by the list of subhosts that start with the host. */
        LISTED
    }

    /** The part a path plays for a subhost. */
    enum Role {
        /** BASE. */
        BASE,
        /** UPPER, which its root writes. */
        UPPER,
        /** WORK, the overlay's own. */
        WORK,
        /** LIVE, where its root is mounted. */
        LIVE,
        /** LOWER of an overlay root, with the device it is on. */
        LOWER,
        /** LOG. */
        LOG,
        /** LOG's rotated file ({@link LogFile#rotated}). */
        LOG_ROTATED
    }

    /**
     * One path of a subhost.
     *
     * @param role what it is
     * @param path the absolute, normalised path on the host
     * @param device the device it is on (stat's st_dev) for LOWER, else 0
     */
    record Tree(Role role, Path path, long device) {
        /** Checks the parts. */
        Tree {
            requireNonNull(role, "role");
            requireNonNull(path, "path");
        }
    }

    /**
     * A path that a subhost writes, for the check of SHARE sources.
     *
     * @param path the path on the host
     * @param what what it is, for the message: {@code the UPPER of subhost mta}, {@code
     *     shared with subhost mta at /o}
     * @param share whether it is a share's source: the same source may be shared again,
     *     since a subhost that writes in it cannot swap the directory itself; only what lies
     *     below it is refused
     */
    record Written(Path path, String what, boolean share) {}

    /** Copies the lists. */
    SubhostTrees {
        requireNonNull(name, "name");
        requireNonNull(phase, "phase");
        trees = List.copyOf(trees);
        shares = List.copyOf(shares);
        hiddenWhole = List.copyOf(hiddenWhole);
    }

    /** An entry whose carry is not known ({@link #NOT_KNOWN}). */
    SubhostTrees(String name, long seq, Phase phase, List<Tree> trees, List<Share> shares, List<Path> hiddenWhole) {
        this(name, seq, phase, trees, shares, hiddenWhole, NOT_KNOWN);
    }

    /**
     * The trees of {@code config} as a boot registers them: phase active, the device of
     * LOWER not read ({@link #withLowerDevice}), so that a plan stays a pure
     * function of the configuration.
     */
    static SubhostTrees of(SubhostConfig config) {
        List<Tree> trees = new ArrayList<>();
        trees.add(new Tree(Role.BASE, config.base(), 0));
        trees.add(new Tree(Role.LIVE, config.live(), 0));
        if (config.rootKind() != RootKind.PLAIN) {
            trees.add(new Tree(Role.UPPER, config.upper(), 0));
        }
        if (config.rootKind() == RootKind.OVERLAY) {
            trees.add(new Tree(Role.WORK, config.work(), 0));
            trees.add(new Tree(Role.LOWER, config.lower(), 0));
        }
        trees.add(new Tree(Role.LOG, config.log(), 0));
        trees.add(new Tree(Role.LOG_ROTATED, LogFile.rotated(config.log()), 0));
        return new SubhostTrees(config.name(), 0, Phase.ACTIVE, trees, config.shares(), List.of());
    }

    /** The same entry with the device that LOWER is on, read now. */
    SubhostTrees withLowerDevice() {
        List<Tree> read = new ArrayList<>(trees.size());
        for (Tree t : trees) {
            read.add(t.role() == Role.LOWER ? new Tree(Role.LOWER, t.path(), device(t.path())) : t);
        }
        return new SubhostTrees(name, seq, phase, read, shares, hiddenWhole, carried);
    }

    /** The device that {@code path} is on, or 0 when it cannot be read. */
    static long device(Path path) {
        try {
            return ((Number) Files.getAttribute(path, "unix:dev")).longValue();
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** {@return the path of {@code role}, if this subhost has one} */
    Optional<Path> path(Role role) {
        Tree tree = tree(role);
        return tree == null ? Optional.empty() : Optional.of(tree.path());
    }

    /** {@return LOWER with its device, for an overlay root} */
    Optional<Tree> lower() {
        return Optional.ofNullable(tree(Role.LOWER));
    }

    /** The first tree of {@code role}, null when none. */
    private Tree tree(Role role) {
        // A loop, not a stream: every boot asks this many times of many entries, mostly in the interpreter.
        for (Tree t : trees) {
            if (t.role() == role) {
                return t;
            }
        }
        return null;
    }

    /** {@return whether it boots or runs (neither stopped nor only listed)} */
    boolean active() {
        return phase == Phase.ACTIVE;
    }

    /**
     * What this subhost writes: UPPER, WORK, LIVE (its root is mounted there, or is there)
     * and the sources of its shares.
     */
    List<Written> written() {
        List<Written> out = new ArrayList<>();
        for (Tree tree : trees) {
            if (tree.role() == Role.UPPER || tree.role() == Role.WORK || tree.role() == Role.LIVE) {
                out.add(new Written(tree.path(), "the " + tree.role() + " of subhost " + name, false));
            }
        }
        for (Share share : shares) {
            out.add(new Written(share.hostPath(), "shared with subhost " + name + " at " + share.subhostPath(), true));
        }
        return out;
    }

    /**
     * What every other subhost must not see of this one: BASE, and each of LOG, LOG's
     * rotated file, UPPER, WORK and LIVE that lies outside BASE; nothing of a stopped one
     * ({@link Phase#STOPPED}).
     */
    List<Path> hidden() {
        if (phase == Phase.STOPPED) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        Tree baseTree = tree(Role.BASE);
        Path base = baseTree == null ? null : baseTree.path();
        if (base != null) {
            out.add(base);
        }
        for (Tree tree : trees) {
            if (tree.role() == Role.BASE || tree.role() == Role.LOWER) {
                continue;
            }
            if (base == null || !tree.path().startsWith(base)) {
                out.add(tree.path());
            }
        }
        return out;
    }

    /** The same entry with {@code seq} and {@code phase}. */
    SubhostTrees with(long seq, Phase phase) {
        return new SubhostTrees(name, seq, phase, trees, shares, hiddenWhole, carried);
    }

    /** The same entry, hiding {@code whole} whole. */
    SubhostTrees hidingWhole(List<Path> whole) {
        return new SubhostTrees(name, seq, phase, trees, shares, whole, carried);
    }

    /** The same entry with {@link #carried()} {@code through}. */
    SubhostTrees carried(long through) {
        return new SubhostTrees(name, seq, phase, trees, shares, hiddenWhole, through);
    }

    /**
     * The line that says how far this entry's carry read the index, up to the registration
     * numbered {@code through}: {@code name=NAME seq=THROUGH phase=active}, a change of phase
     * that no other line makes ({@link TreeIndex} replays it onto NAME's entry when that is
     * active and numbered at most {@code through}). In the grammar of the versions before,
     * which read the same journal: a line that names no entry of theirs (another number), or
     * that makes an active entry active (a carry that read up to its own registration).
     */
    String carryLine(long through) {
        return carryLine(through, List.of());
    }

    /**
     * The carry's line ({@link #carryLine(long)}) that also says which directories the carry
     * hid whole ({@code hidden=DIR}, as in an entry's line), beyond those its registration
     * did: directories that hold only subhosts' trees by the time of the carry ({@link
     * Hiding.Carry#wholeNow}). A reader of the versions before takes the line as it takes
     * the carry's line without them (its fields other than NAME, number and phase are not
     * read there), and so enters this subhost as before.
     */
    String carryLine(long through, List<Path> whole) {
        StringBuilder b = new StringBuilder(64);
        field(b, "name", name);
        field(b, "seq", Long.toString(through));
        field(b, "phase", Phase.ACTIVE.name().toLowerCase(java.util.Locale.ROOT));
        for (Path p : whole) {
            field(b, "hidden", p.toString());
        }
        return b.toString();
    }

    /** The same entry with one more share (a live one). */
    SubhostTrees withShare(Share share) {
        List<Share> more = new ArrayList<>(shares);
        if (!more.contains(share)) {
            more.add(share);
        }
        return new SubhostTrees(name, seq, phase, trees, more, hiddenWhole, carried);
    }

    /** The same entry without {@code share} (a live share taken away). */
    SubhostTrees withoutShare(Share share) {
        List<Share> fewer = new ArrayList<>(shares);
        fewer.remove(share);
        return new SubhostTrees(name, seq, phase, trees, fewer, hiddenWhole, carried);
    }

    /**
     * The entry as one line of the index: tab-separated {@code key=value} fields, values
     * with {@code %}, tab, line ends and other control characters as {@code %XX}. A path
     * below BASE is written relative to it ({@code UPPER=root}), and LOG's rotated file not
     * at all when it is LOG's name with {@code .1}: a line stays short, for an index that
     * each JVM reads whole once (a cold {@code overlay-boot} at every boot). A line with
     * only {@code name}, {@code seq} and {@code phase} is a change of phase in the index's
     * journal ({@link TreeIndex}); with {@code phase=active}, it says how far NAME's carry
     * read ({@link #carryLine}), which this line does not say.
     */
    String format() {
        StringBuilder b = new StringBuilder(160);
        field(b, "name", name);
        field(b, "seq", Long.toString(seq));
        field(b, "phase", phase.name().toLowerCase(java.util.Locale.ROOT));
        Optional<Path> base = path(Role.BASE);
        Optional<Path> log = path(Role.LOG);
        for (Tree tree : trees) {
            if (tree.role() == Role.LOG_ROTATED && log.isPresent() && tree.path().equals(LogFile.rotated(log.get()))) {
                continue;
            }
            String value;
            if (tree.role() == Role.LOWER) {
                value = tree.device() + ":" + tree.path();
            } else if (tree.role() != Role.BASE && base.isPresent() && tree.path().startsWith(base.get())
                    && !tree.path().equals(base.get())) {
                value = base.get().relativize(tree.path()).toString();
            } else {
                value = tree.path().toString();
            }
            field(b, tree.role().name(), value);
        }
        for (Share share : shares) {
            // A colon in a path is written %3a, so that the first colon parts the two.
            b.append("\tshare=").append(encode(share.hostPath().toString()).replace(":", "%3a")).append(':')
                    .append(encode(share.subhostPath().toString()).replace(":", "%3a"));
        }
        for (Path p : hiddenWhole) {
            field(b, "hidden", p.toString());
        }
        return b.toString();
    }

    private static void field(StringBuilder b, String key, String value) {
        if (!b.isEmpty()) {
            b.append('\t');
        }
        b.append(key).append('=').append(encode(value));
    }

    /**
     * Reads a line that {@link #format()} wrote.
     *
     * @throws IllegalArgumentException when it is no such line
     */
    static SubhostTrees parse(String line) {
        String name = null;
        long seq = 0;
        Phase phase = Phase.STOPPED;
        List<Role> roles = new ArrayList<>();
        List<String> values = new ArrayList<>();
        List<Share> shares = new ArrayList<>();
        List<Path> hidden = new ArrayList<>();
        for (String field : line.split("\t")) {
            int eq = field.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("field (" + field + ") has no key");
            }
            String key = field.substring(0, eq);
            String raw = field.substring(eq + 1);
            switch (key) {
                case "name" -> name = decode(raw);
                case "seq" -> seq = Long.parseLong(raw);
                case "phase" -> phase = Phase.valueOf(raw.toUpperCase(java.util.Locale.ROOT));
                case "share" -> {
                    int colon = raw.indexOf(':');
                    shares.add(new Share(Path.of(decode(raw.substring(0, colon))), Path.of(decode(raw.substring(colon + 1)))));
                }
                case "hidden" -> hidden.add(Path.of(decode(raw)));
                default -> {
                    roles.add(Role.valueOf(key));
                    values.add(decode(raw));
                }
            }
        }
        if (name == null) {
            throw new IllegalArgumentException("no name");
        }
        Path base = null;
        for (int i = 0; i < roles.size(); i++) {
            if (roles.get(i) == Role.BASE) {
                base = Path.of(values.get(i));
            }
        }
        List<Tree> trees = new ArrayList<>();
        Path log = null;
        boolean rotated = false;
        for (int i = 0; i < roles.size(); i++) {
            Role role = roles.get(i);
            String value = values.get(i);
            if (role == Role.LOWER) {
                int colon = value.indexOf(':');
                trees.add(new Tree(role, Path.of(value.substring(colon + 1)), Long.parseLong(value.substring(0, colon))));
                continue;
            }
            Path path = value.startsWith("/") || base == null ? Path.of(value) : base.resolve(value);
            trees.add(new Tree(role, path, 0));
            log = role == Role.LOG ? path : log;
            rotated |= role == Role.LOG_ROTATED;
        }
        if (log != null && !rotated) {
            trees.add(new Tree(Role.LOG_ROTATED, LogFile.rotated(log), 0));
        }
        return new SubhostTrees(name, seq, phase, trees, shares, hidden);
    }

    /** {@code text} with {@code %} and every control character as {@code %XX}. */
    static String encode(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%' || c < 0x20 || c == 0x7f) {
                if (out == null) {
                    out = new StringBuilder(text.substring(0, i));
                }
                out.append('%').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
            } else if (out != null) {
                out.append(c);
            }
        }
        return out == null ? text : out.toString();
    }

    /** Undoes {@link #encode} (and the {@code %3a} of a colon in a share). */
    static String decode(String text) {
        if (text.indexOf('%') < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '%' && i + 2 < text.length()) {
                out.append((char) Integer.parseInt(text.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
