package org.subhost.config;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One device that a subhost's processes may use, beyond the few that every subhost gets
 * ({@link #DEFAULTS}): one word of {@code DEVICES=}, the device policy of the subhost's
 * control group (docs/security.md, "Devices").
 *
 * <p>Two forms, each with an optional access after a colon, letters of {@code r} (read),
 * {@code w} (write) and {@code m} (mknod), {@code rwm} when left out:
 * <ul>
 *   <li>a device node of the host, by its absolute path: {@code /dev/fuse}, {@code
 *       /dev/net/tun:rw}; its type and numbers are read from the host's node when the
 *       subhost boots ({@link Node});
 *   <li>a type and numbers: {@code c:10:200}, {@code b:7:*:r}; {@code c} for a character
 *       device, {@code b} for a block device, {@code *} for any major or minor number
 *       ({@link Numbers}).
 * </ul>
 *
 * <pre>{@code
 * DEVICES=/dev/fuse /dev/net/tun c:10:229:rw
 * }</pre>
 *
 * <p>Whether a node exists and is a device is the boot's business; so is making the node
 * inside the subhost (with {@code CAPABILITIES=+mknod}, or a SHARE of the host's node).
 */
public sealed interface DeviceRule permits DeviceRule.Node, DeviceRule.Numbers {
    /** Read, write and mknod: the access of a rule that names none. */
    String ALL_ACCESS = "rwm";

    /**
     * The devices that every subhost may use, whatever DEVICES says: {@code /dev/null} (1:3),
     * {@code zero} (1:5), {@code full} (1:7), {@code random} (1:8), {@code urandom} (1:9),
     * {@code tty} (5:0), {@code ptmx} (5:2), and the pseudo-terminals of devpts (136:*).
     * Any devpts instance's terminals have the same numbers: that a subhost opens only its
     * own is kept by its mounts ({@code nodev} everywhere but its own {@code /dev}), not by
     * these numbers.
     */
    List<Numbers> DEFAULTS = List.of(
            new Numbers('c', 1, 3, ALL_ACCESS),
            new Numbers('c', 1, 5, ALL_ACCESS),
            new Numbers('c', 1, 7, ALL_ACCESS),
            new Numbers('c', 1, 8, ALL_ACCESS),
            new Numbers('c', 1, 9, ALL_ACCESS),
            new Numbers('c', 5, 0, ALL_ACCESS),
            new Numbers('c', 5, 2, ALL_ACCESS),
            new Numbers('c', 136, Numbers.ANY, ALL_ACCESS));

    /** {@return the access: one or more of {@code r}, {@code w}, {@code m}, in that order} */
    String access();

    /**
     * Reads one word of DEVICES.
     *
     * @param word such as {@code /dev/fuse}, {@code /dev/net/tun:rw}, {@code c:10:200}
     * @return the rule
     * @throws IllegalArgumentException naming the word and the forms it may take
     */
    static DeviceRule parse(String word) {
        Objects.requireNonNull(word, "word");
        if (word.startsWith("/")) {
            int colon = word.indexOf(':');
            String path = colon < 0 ? word : word.substring(0, colon);
            String access = colon < 0 ? ALL_ACCESS : Numbers.access(word, word.substring(colon + 1));
            return new Node(Rules.path("DEVICES", path), access);
        }
        Matcher m = Numbers.FORM.matcher(word);
        if (!m.matches()) {
            throw new IllegalArgumentException("DEVICES (" + Rules.printable(word) + ") must be a device node's absolute"
                    + " path (/dev/fuse) or c|b:MAJOR:MINOR (c:10:200, * for any number), each with an optional"
                    + " :ACCESS of r, w and m");
        }
        return new Numbers(m.group(1).charAt(0), Numbers.number(word, m.group(2)), Numbers.number(word, m.group(3)),
                m.group(4) == null ? ALL_ACCESS : Numbers.access(word, m.group(4)));
    }

    /**
     * Reads a DEVICES value: words separated by white space; none for a blank value.
     *
     * @param text the value
     * @return the rules in order
     * @throws IllegalArgumentException for the first word that is no rule
     */
    static List<DeviceRule> parseList(String text) {
        List<DeviceRule> rules = new ArrayList<>();
        for (String word : Rules.words(text)) {
            rules.add(parse(word));
        }
        return List.copyOf(rules);
    }

    /**
     * A device node of the host, named by its path: the type and numbers are those of the
     * node when the subhost boots.
     *
     * @param path the node's absolute path on the host
     * @param access one or more of {@code r}, {@code w}, {@code m}
     */
    record Node(Path path, String access) implements DeviceRule {
        /** Checks the path and the access. */
        public Node {
            Objects.requireNonNull(path, "path");
            if (!path.isAbsolute()) {
                throw new IllegalArgumentException("DEVICES node (" + path + ") must be an absolute path");
            }
            if (path.toString().indexOf(':') >= 0) {
                throw new IllegalArgumentException("DEVICES node (" + path + ") must not contain a colon");
            }
            access = Numbers.access(path.toString(), access);
        }

        /** {@return the word that {@link DeviceRule#parse} reads back: {@code PATH} or {@code PATH:ACCESS}} */
        @Override
        public String toString() {
            return path + (access.equals(ALL_ACCESS) ? "" : ":" + access);
        }
    }

    /**
     * A device by type and numbers.
     *
     * @param type {@code c} (character) or {@code b} (block)
     * @param major the major number, or {@link #ANY}
     * @param minor the minor number, or {@link #ANY}
     * @param access one or more of {@code r}, {@code w}, {@code m}
     */
    record Numbers(char type, int major, int minor, String access) implements DeviceRule {
        /** A major or minor number that stands for every number ({@code *}). */
        public static final int ANY = -1;
        /** The largest major number (12 bits) and minor number (20 bits) of a Linux dev_t. */
        static final int MAX_MAJOR = (1 << 12) - 1;
        static final int MAX_MINOR = (1 << 20) - 1;
        private static final Pattern FORM = Pattern.compile("([cb]):(\\*|[0-9]{1,7}):(\\*|[0-9]{1,7})(?::([^:]*))?");

        /** Checks the type, the numbers and the access. */
        public Numbers {
            if (type != 'c' && type != 'b') {
                throw new IllegalArgumentException("DEVICES type (" + type + ") must be c or b");
            }
            if (major < ANY || major > MAX_MAJOR || minor < ANY || minor > MAX_MINOR) {
                throw new IllegalArgumentException("DEVICES numbers (" + major + ":" + minor + ") must be * or at most "
                        + MAX_MAJOR + ":" + MAX_MINOR);
            }
            access = access(type + ":" + major + ":" + minor, access);
        }

        /** {@return the word that {@link DeviceRule#parse} reads back, such as {@code c:136:*} or {@code b:7:0:r}} */
        @Override
        public String toString() {
            return type + ":" + numberText(major) + ":" + numberText(minor)
                    + (access.equals(ALL_ACCESS) ? "" : ":" + access);
        }

        private static String numberText(int n) {
            return n == ANY ? "*" : Integer.toString(n);
        }

        private static int number(String word, String text) {
            if (text.equals("*")) {
                return ANY;
            }
            return Integer.parseInt(text);
        }

        /** The access letters in the order r, w, m; each at most once, at least one. */
        static String access(String word, String text) {
            Objects.requireNonNull(text, "access");
            boolean r = false;
            boolean w = false;
            boolean m = false;
            for (char c : text.toCharArray()) {
                switch (c) {
                    case 'r' -> r = !r || duplicate(word, text);
                    case 'w' -> w = !w || duplicate(word, text);
                    case 'm' -> m = !m || duplicate(word, text);
                    default -> throw new IllegalArgumentException("DEVICES access (" + Rules.printable(text) + ") of "
                            + Rules.printable(word) + " must be letters of r, w and m");
                }
            }
            if (!r && !w && !m) {
                throw new IllegalArgumentException("DEVICES access () of " + Rules.printable(word)
                        + " must be letters of r, w and m");
            }
            return (r ? "r" : "") + (w ? "w" : "") + (m ? "m" : "");
        }

        private static boolean duplicate(String word, String text) {
            throw new IllegalArgumentException("DEVICES access (" + text + ") of " + Rules.printable(word)
                    + " names a letter twice");
        }
    }
}
