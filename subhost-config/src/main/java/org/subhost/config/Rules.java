package org.subhost.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The rules for single values of a subhost configuration (docs/spec.md §2), shared by the
 * file reader and the builder so that both accept exactly the same values. Each check
 * throws IllegalArgumentException with a "subject (value) rule" message; the reader adds
 * file and line.
 */
final class Rules {
    /** The kernel's IFNAMSIZ (16) less the terminating NUL. */
    static final int MAX_INTERFACE_NAME_BYTES = 15;
    /** NAME plus a cable number must stay a valid interface name, hence 12. */
    static final int MAX_NAME_CHARACTERS = 12;

    private static final Pattern NAME_CHARACTERS = Pattern.compile("[A-Za-z0-9_.-]+");
    private static final Pattern RAM_SIZE = Pattern.compile("[0-9]+[kKmMgG%]?");
    private static final Pattern LIST_SEPARATOR = Pattern.compile("[ \\t\\n\\x0B\\f\\r]+");

    private Rules() {}

    /**
     * Checks a subhost NAME: 1 to 12 characters of {@code [A-Za-z0-9_.-]}, not {@code .}
     * or {@code ..} (it names the netns file {@code /run/netns/NAME} and the state
     * directory {@code /run/subhost/NAME}), and not starting with {@code .} or {@code -}.
     * A leading dot would hide the subhost from listings and let NAME {@code .x.lock} take
     * the place of the lock file of NAME {@code x}; a leading dash would make the host end
     * {@code NAME0} read as an option to {@code ifup} and {@code ip}.
     */
    static String checkName(String name) {
        if (name.isEmpty()) {
            throw new IllegalArgumentException("NAME () must not be empty");
        }
        if (name.length() > MAX_NAME_CHARACTERS) {
            throw new IllegalArgumentException(
                    "NAME (" + printable(name) + ") must be at most " + MAX_NAME_CHARACTERS + " characters");
        }
        if (!NAME_CHARACTERS.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "NAME (" + printable(name) + ") must contain only letters A-Z a-z, digits and _ . -");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("NAME (" + name + ") must not be . or ..");
        }
        if (name.startsWith(".") || name.startsWith("-")) {
            throw new IllegalArgumentException("NAME (" + name + ") must not start with . or -");
        }
        return name;
    }

    /**
     * Checks a network interface name as the kernel's {@code dev_valid_name} does: 1 to 15
     * bytes, not {@code .} or {@code ..}, no {@code /}, {@code :} or white space.
     * {@code what} names the role in the message, such as {@code bridge}.
     */
    static String checkInterfaceName(String what, String name) {
        if (name.isEmpty()) {
            throw new IllegalArgumentException(what + " () must not be empty");
        }
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_INTERFACE_NAME_BYTES) {
            throw new IllegalArgumentException(what + " (" + name + ") must be at most "
                    + MAX_INTERFACE_NAME_BYTES + " bytes (the kernel's IFNAMSIZ-1)");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException(what + " (" + name + ") must not be . or ..");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == ':' || c == ' ' || c == 0 || (c >= '\t' && c <= '\r')) {
                throw new IllegalArgumentException(
                        what + " (" + name + ") must not contain /, : or white space");
            }
        }
        return name;
    }

    /** Reads a yes/no value of {@code variable}: {@code yes} is true, {@code no} false. */
    static boolean parseYesNo(String variable, String text) {
        return switch (text) {
            case "yes" -> true;
            case "no" -> false;
            default -> throw new IllegalArgumentException(variable + " (" + text + ") must be yes or no");
        };
    }

    /**
     * Reads a RAM_SIZE value: {@code none} (empty) or a tmpfs size, digits with an optional
     * {@code k}, {@code m}, {@code g} (either case) or {@code %} suffix.
     */
    static Optional<String> parseRamSize(String text) {
        if (text.equals("none")) {
            return Optional.empty();
        }
        if (!RAM_SIZE.matcher(text).matches()) {
            throw new IllegalArgumentException("RAM_SIZE (" + text
                    + ") must be none or a size: digits with an optional k, m, g or % suffix");
        }
        return Optional.of(text);
    }

    /**
     * Reads a START value: {@code none} (no services) or service names separated by white
     * space. {@code none} among other names is refused: it would read back as "no services".
     */
    static List<String> parseStart(String text) {
        if (text.equals("none")) {
            return List.of();
        }
        List<String> services = words(text);
        if (services.contains("none")) {
            throw new IllegalArgumentException(
                    "START (" + text + ") must be none alone or a list of services");
        }
        services.forEach(Rules::checkService);
        return services;
    }

    /** Checks one START service: an absolute script path or a service name. */
    static String checkService(String service) {
        if (service.isEmpty() || service.chars().anyMatch(c -> c == 0 || isBlank((char) c))) {
            throw new IllegalArgumentException(
                    "START service (" + service + ") must be a non-empty word without white space");
        }
        if (service.equals("none")) {
            throw new IllegalArgumentException(
                    "START service (none) is reserved: use no services for START=none");
        }
        return service;
    }

    /** The smallest LOG_MAX: one page; a bound smaller than a few lines would rotate at every line. */
    static final long MIN_LOG_MAX = 4096;
    private static final Pattern SIZE = Pattern.compile("([0-9]{1,15})([kKmMgG]?)");

    /**
     * Reads a LOG_MAX value: a size in bytes, digits with an optional {@code k}, {@code m}
     * or {@code g} suffix (either case, powers of 1024), at least {@link #MIN_LOG_MAX}.
     */
    static long parseLogMax(String text) {
        java.util.regex.Matcher m = SIZE.matcher(text);
        if (!m.matches()) {
            throw new IllegalArgumentException("LOG_MAX (" + printable(text)
                    + ") must be a size: digits with an optional k, m or g suffix");
        }
        long bytes = Long.parseLong(m.group(1));
        int shift = switch (m.group(2).toLowerCase(java.util.Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            default -> 0;
        };
        if (bytes > Long.MAX_VALUE >> 31) {
            throw new IllegalArgumentException("LOG_MAX (" + text + ") is too large");
        }
        return checkLogMax(text, bytes << shift);
    }

    /** Checks a LOG_MAX in bytes; {@code text} is the value as written, for the message. */
    static long checkLogMax(String text, long bytes) {
        if (bytes < MIN_LOG_MAX) {
            throw new IllegalArgumentException("LOG_MAX (" + text + ") must be at least 4k (" + MIN_LOG_MAX
                    + " bytes)");
        }
        return bytes;
    }

    /**
     * Reads a HIDE value: host paths separated by white space, relative ones resolved
     * against {@code base}; none may be {@code /}.
     */
    static List<Path> parseHide(String text, Path base) {
        List<Path> out = new java.util.ArrayList<>();
        for (String word : words(text)) {
            out.add(checkHide(base.resolve(path("HIDE", word)).normalize()));
        }
        return List.copyOf(out);
    }

    /** Checks one HIDE path: absolute and normalised, and not {@code /}, which is the subhost's root. */
    static Path checkHide(Path path) {
        if (!path.isAbsolute()) {
            throw new IllegalArgumentException("HIDE path (" + path + ") must be absolute");
        }
        if (path.getNameCount() == 0) {
            throw new IllegalArgumentException("HIDE path (/) must not be the root: set LOWER to a tree of its own"
                    + " instead");
        }
        return path;
    }

    /** Splits a space separated list (CABLES, START) into its words; empty for blank text. */
    static List<String> words(String text) {
        String stripped = trim(text);
        return stripped.isEmpty() ? List.of() : List.of(LIST_SEPARATOR.split(stripped));
    }

    /**
     * The value with leading and trailing white space (space, tab, CR, vertical tab, form
     * feed) removed, as the old tool's sed did; a CR from a DOS line end goes too.
     */
    static String trim(String text) {
        int start = 0;
        int end = text.length();
        while (start < end && isBlank(text.charAt(start))) {
            start++;
        }
        while (end > start && isBlank(text.charAt(end - 1))) {
            end--;
        }
        return text.substring(start, end);
    }

    private static boolean isBlank(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
    }

    /**
     * The real path of a BASE directory: {@code resolved} with symbolic links resolved,
     * which must exist and be a directory. {@code written} is the value as the user wrote
     * it, for the message.
     */
    static Path realDirectory(String written, Path resolved) {
        Path real;
        try {
            real = resolved.toRealPath();
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("BASE (" + written + ") must be an existing directory ("
                    + resolved.normalize() + " does not exist)");
        } catch (IOException e) {
            throw new IllegalArgumentException("BASE (" + written + ") cannot be resolved: " + e.getMessage());
        }
        if (!Files.isDirectory(real)) {
            throw new IllegalArgumentException(
                    "BASE (" + written + ") must be a directory (" + real + " is not one)");
        }
        return real;
    }

    /** {@code text} as a path; "subject (value) rule" when it cannot be one (a NUL). */
    static Path path(String variable, String text) {
        try {
            return Path.of(text);
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(variable + " (" + printable(text) + ") must be a path: " + e.getReason()
                    + encodingHint(text, System.getProperty("sun.jnu.encoding")));
        }
    }

    /**
     * What to do when {@code text} has characters that the JVM's file name encoding
     * ({@code jnuEncoding}, the system property {@code sun.jnu.encoding}) cannot hold; empty
     * otherwise. The JVM takes that encoding from the locale of LC_CTYPE when it starts (a
     * system property cannot change it): with no LANG, as under cron or {@code env -i}, it
     * is ASCII, and a path such as {@code /srv/größe} cannot be a {@link Path} at all.
     */
    static String encodingHint(String text, String jnuEncoding) {
        boolean ascii = text.chars().allMatch(c -> c < 0x80);
        if (ascii || jnuEncoding == null || jnuEncoding.equalsIgnoreCase("UTF-8")) {
            return "";
        }
        return " (this Java runs with file names in " + jnuEncoding
                + ": start it in a UTF-8 locale, for example with LC_ALL=C.UTF-8 in its environment)";
    }

    /** {@code text} with control characters shown as {@code \xNN}, for messages. */
    static String printable(String text) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < ' ' || c == 0x7f) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
