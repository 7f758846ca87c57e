package org.subhost.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Reads a {@code .conf} file (docs/spec.md §2) into a {@link SubhostConfig}.
 *
 * <p>An assignment is a line that starts with a variable's name followed at once by
 * {@code =}; every other line is ignored ({@code #} comments, {@code VAR =x}, indented
 * lines, unknown names). The value is the rest of the line, trimmed. The first assignment
 * of a variable counts even when it is empty (then the default applies), except SHARE,
 * which may repeat. Values are evaluated and checked in a fixed order, BASE first (it is
 * the working directory of the other commands), so that a broken value stops the reading
 * before any later {@code !} command runs.
 *
 * <p>Every rule broken becomes a {@link ConfigException} naming the file, the line and the
 * variable; nothing else escapes, whatever the file holds.
 *
 * <p>A line that the old tool ignores although it looks meant is still ignored, but
 * becomes a {@link ConfigWarning}: a name followed by {@code =} (white space allowed
 * around the name) that is no variable, with the nearest known variable when one is near
 * ({@code STRAT=none}: did you mean START?); a known variable that is indented or has
 * white space before its {@code =}; a second assignment of a variable other than SHARE.
 * Read strictly, such lines are errors, found before any {@code !} command runs.
 */
final class ConfReader {
    /** The variables, in the order they are evaluated. SHARE comes last and is never run. */
    private static final List<String> VARIABLES = List.of("BASE", "NAME", "LOG", "CABLES", "LIVE", "UPPER",
            "WORK", "LOWER", "START", "PREMOUNT", "POSTMOUNT", "INIT", "RAM_SIZE", "ACCEPT_RA",
            "CAPABILITIES", "SECCOMP", "CONFINE_FILES",
            // Services (issue 25)
            "START_PREFER", "SUPERVISE", "INIT_READY_TIMEOUT",
            // issue 21
            "LOG_MAX", "HIDE",
            // Limits and devices (issue 23)
            "MEMORY_MAX", "MEMORY_HIGH", "PIDS_MAX", "CPU_WEIGHT", "CPU_MAX", "IO_WEIGHT", "DISK_MAX", "DEVICES",
            "SHARE");

    /** One {@code VAR=value} line; {@code value} is null when the line is not UTF-8. */
    private record Assignment(String variable, int line, String value) {}

    /** The most characters of a value that a warning quotes. */
    private static final int QUOTED_VALUE_LIMIT = 40;

    private final Path file;
    private final Path config;
    private final Path fileDirectory;
    private final String action;
    private final ValueCommandRunner runner;
    private final boolean strict;
    private final Map<String, Assignment> first = new HashMap<>();
    private final List<Assignment> shares = new ArrayList<>();
    private final List<ConfigWarning> warnings = new ArrayList<>();

    private ConfReader(Path file, String action, ValueCommandRunner runner, boolean strict) {
        this.file = file;
        this.config = file.toAbsolutePath();
        Path parent = config.normalize().getParent();
        this.fileDirectory = parent == null ? config.getRoot() : parent;
        this.action = action;
        this.runner = runner;
        this.strict = strict;
    }

    /** Reads {@code file}, running {@code !} commands with {@code runner}; warnings are kept in the result. */
    static SubhostConfig read(Path file, String action, ValueCommandRunner runner) throws ConfigException {
        return read(file, action, runner, false);
    }

    /**
     * Reads {@code file}, running {@code !} commands with {@code runner}; when {@code strict},
     * any line that would be a warning is an error instead, before any command runs.
     */
    static SubhostConfig read(Path file, String action, ValueCommandRunner runner, boolean strict)
            throws ConfigException {
        ConfReader reader = new ConfReader(file, action, runner, strict);
        reader.scan(reader.readBytes());
        if (strict && !reader.warnings.isEmpty()) {
            throw new ConfigException(file, reader.warnings);
        }
        return reader.evaluate();
    }

    private byte[] readBytes() throws ConfigException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file, 0, null, "cannot be read: no such file");
        } catch (AccessDeniedException e) {
            throw new ConfigException(file, 0, null, "cannot be read: permission denied");
        } catch (IOException e) {
            throw new ConfigException(file, 0, null, "cannot be read: " + e.getMessage());
        }
    }

    /** Finds the assignments: the first of each variable, and every non-empty SHARE. */
    private void scan(byte[] bytes) {
        int line = 0;
        int start = 0;
        while (start < bytes.length) {
            int end = start;
            while (end < bytes.length && bytes[end] != '\n') {
                end++;
            }
            line++;
            scanLine(bytes, start, end, line);
            start = end + 1;
        }
    }

    private void scanLine(byte[] bytes, int start, int end, int line) {
        for (String variable : VARIABLES) {
            int valueStart = start + variable.length() + 1;
            if (valueStart > end || !startsWith(bytes, start, variable + "=")) {
                continue;
            }
            String value = decode(bytes, valueStart, end);
            Assignment assignment = new Assignment(variable, line, value == null ? null : Rules.trim(value));
            if (variable.equals("SHARE")) {
                if (assignment.value() == null || !assignment.value().isEmpty()) {
                    shares.add(assignment);
                }
            } else {
                Assignment earlier = first.putIfAbsent(variable, assignment);
                if (earlier != null) {
                    warn(line, variable, variable + ": assigned again; the first assignment (line " + earlier.line()
                            + ") counts, this one is ignored");
                }
            }
            return;
        }
        warnIfMeant(bytes, start, end, line);
    }

    /**
     * Warns about a line that is no assignment but looks like one: white space, a name,
     * white space, {@code =}. Comments ({@code #}) and free text are no such lines.
     */
    private void warnIfMeant(byte[] bytes, int start, int end, int line) {
        int i = skipBlanks(bytes, start, end);
        int nameStart = i;
        if (i == end || !isNameStart(bytes[i])) {
            return;
        }
        while (i < end && (isNameStart(bytes[i]) || (bytes[i] >= '0' && bytes[i] <= '9'))) {
            i++;
        }
        int nameEnd = i;
        i = skipBlanks(bytes, i, end);
        if (i == end || bytes[i] != '=') {
            return;
        }
        String word = new String(bytes, nameStart, nameEnd - nameStart, StandardCharsets.US_ASCII);
        if (VARIABLES.contains(word)) {
            String value = decode(bytes, i + 1, end);
            String quoted = value == null ? "..." : quote(Rules.trim(value));
            String how = nameStart > start ? "the line is indented" : "white space stands before =";
            warn(line, word, word + ": ignored, as " + how + "; did you mean " + word + "=" + quoted + "?");
        } else {
            Optional<String> near = nearestVariable(word);
            warn(line, word, word + ": unknown variable" + near.map(v -> "; did you mean " + v + "?").orElse(""));
        }
    }

    private void warn(int line, String variable, String reason) {
        warnings.add(new ConfigWarning(file, line, variable, reason));
    }

    private static int skipBlanks(byte[] bytes, int i, int end) {
        while (i < end && (bytes[i] == ' ' || bytes[i] == '\t')) {
            i++;
        }
        return i;
    }

    private static boolean isNameStart(byte b) {
        return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || b == '_';
    }

    /** A value as a warning quotes it: printable, and cut short when long. */
    private static String quote(String value) {
        String shown = Rules.printable(value);
        return shown.length() <= QUOTED_VALUE_LIMIT ? shown : shown.substring(0, QUOTED_VALUE_LIMIT) + "...";
    }

    /**
     * The known variable nearest to {@code word}, ignoring case, when it is near enough to
     * be the one meant: at most one edit (a letter added, dropped, changed, or two letters
     * swapped) per three letters of the word, at least one; the first in reading order on
     * a tie.
     */
    static Optional<String> nearestVariable(String word) {
        String upper = word.toUpperCase(java.util.Locale.ROOT);
        int allowed = Math.max(1, Math.min(3, word.length() / 3));
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String variable : VARIABLES) {
            int d = editDistance(upper, variable);
            if (d < bestDistance) {
                best = variable;
                bestDistance = d;
            }
        }
        return bestDistance <= allowed && bestDistance < word.length() ? Optional.of(best) : Optional.empty();
    }

    /**
     * The optimal string alignment distance: insertions, deletions, substitutions and
     * swaps of two neighbours, each counting one; the swap is the typist's usual slip
     * (STRAT, CABELS).
     */
    static int editDistance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    private static boolean startsWith(byte[] bytes, int start, String prefix) {
        for (int i = 0; i < prefix.length(); i++) {
            if (bytes[start + i] != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** The bytes as UTF-8 text, or null when they are not UTF-8. */
    private static String decode(byte[] bytes, int start, int end) {
        try {
            return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes, start, end - start)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private SubhostConfig evaluate() throws ConfigException {
        Path base = readBase();
        String name = readName();
        // The builder checks BASE again: it may have gone meanwhile.
        SubhostConfig.Builder builder = set("BASE", () -> SubhostConfig.builder(name, base).file(file));
        Optional<String> log = value("LOG", fileDirectory);
        if (log.isPresent()) {
            set("LOG", () -> builder.log(Rules.path("LOG", log.get())));
        }
        Optional<String> cables = value("CABLES", base);
        if (cables.isPresent()) {
            set("CABLES", () -> Cabling.wire(name, builder.cables(cables.get()).cableSpecs()));
        }
        setPath("LIVE", base, builder::live);
        setPath("UPPER", base, builder::upper);
        setPath("WORK", base, builder::work);
        setPath("LOWER", base, builder::lower);
        checkRoot(builder);
        Optional<String> start = value("START", base);
        if (start.isPresent()) {
            set("START", () -> builder.start(start.get()));
        }
        Optional<String> premount = value("PREMOUNT", base);
        set("PREMOUNT", () -> builder.premount(premount));
        Optional<String> postmount = value("POSTMOUNT", base);
        set("POSTMOUNT", () -> builder.postmount(postmount));
        Optional<String> init = value("INIT", base);
        set("INIT", () -> builder.init(init));
        Optional<String> ramSize = value("RAM_SIZE", base);
        if (ramSize.isPresent()) {
            set("RAM_SIZE", () -> builder.ramSize(ramSize.get()));
        }
        Optional<String> acceptRa = value("ACCEPT_RA", base);
        if (acceptRa.isPresent()) {
            set("ACCEPT_RA", () -> builder.acceptRouterAdvertisements(Rules.parseYesNo("ACCEPT_RA", acceptRa.get())));
        }
        Optional<String> capabilities = value("CAPABILITIES", base);
        if (capabilities.isPresent()) {
            set("CAPABILITIES", () -> builder.capabilities(capabilities.get()));
        }
        Optional<String> seccomp = value("SECCOMP", base);
        if (seccomp.isPresent()) {
            set("SECCOMP", () -> builder.seccomp(Confinement.parseSwitch("SECCOMP", seccomp.get())));
        }
        Optional<String> files = value("CONFINE_FILES", base);
        if (files.isPresent()) {
            set("CONFINE_FILES", () -> builder.confineFiles(Confinement.parseSwitch("CONFINE_FILES", files.get())));
        }
        // Services (issue 25)
        Optional<String> prefer = value("START_PREFER", base);
        if (prefer.isPresent()) {
            set("START_PREFER", () -> builder.startPrefer(prefer.get()));
        }
        Optional<String> ready = value("INIT_READY_TIMEOUT", base);
        if (ready.isPresent()) {
            set("INIT_READY_TIMEOUT", () -> builder.initReadyTimeout(ready.get()));
        }
        Optional<String> supervise = value("SUPERVISE", base);
        if (supervise.isPresent()) {
            set("SUPERVISE", () -> builder.supervise(supervise.get()));
        }
        // issue 21: LOG's bound, and the host paths the subhost must not see
        Optional<String> logMax = value("LOG_MAX", base);
        if (logMax.isPresent()) {
            set("LOG_MAX", () -> builder.logMax(logMax.get()));
        }
        Optional<String> hide = value("HIDE", base);
        if (hide.isPresent()) {
            set("HIDE", () -> builder.hide(hide.get()));
        }
        // Limits and devices (issue 23)
        for (String variable : Limits.VARIABLES) {
            Optional<String> limit = value(variable, base);
            if (limit.isPresent()) {
                set(variable, () -> builder.limit(variable, limit.get()));
            }
        }
        Optional<String> devices = value("DEVICES", base);
        if (devices.isPresent()) {
            set("DEVICES", () -> builder.devices(devices.get()));
        }
        for (Assignment share : shares) {
            String text = text(share);
            try {
                builder.addShare(Share.parse(text, base));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file, share.line(), "SHARE", e.getMessage());
            }
        }
        builder.warnings(warnings);
        try {
            return builder.build();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file, 0, null, e.getMessage());
        }
    }

    private Path readBase() throws ConfigException {
        Optional<String> base = value("BASE", fileDirectory);
        if (base.isEmpty()) {
            throw new ConfigException(file, 0, "BASE", "Missing BASE=...");
        }
        return set("BASE", () -> Rules.realDirectory(base.get(), fileDirectory.resolve(Rules.path("BASE", base.get()))));
    }

    /** NAME, or the file's name without {@code .conf}, as basename(1) would strip it. */
    private String readName() throws ConfigException {
        Optional<String> name = value("NAME", fileDirectory);
        if (name.isPresent()) {
            return set("NAME", () -> Rules.checkName(name.get()));
        }
        Path fileName = config.getFileName();
        String defaultName = fileName == null ? "" : fileName.toString();
        if (defaultName.endsWith(".conf") && defaultName.length() > ".conf".length()) {
            defaultName = defaultName.substring(0, defaultName.length() - ".conf".length());
        }
        try {
            return Rules.checkName(defaultName);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file, 0, "NAME", e.getMessage() + " (NAME defaults to the file's name)");
        }
    }

    private void setPath(String variable, Path base, Consumer<Path> setter) throws ConfigException {
        Optional<String> value = value(variable, base);
        if (value.isPresent()) {
            set(variable, () -> setter.accept(Rules.path(variable, value.get())));
        }
    }

    /** The overlay checks, blamed on the line of LIVE or WORK, or of the other path that is set. */
    private void checkRoot(SubhostConfig.Builder builder) throws ConfigException {
        List<Path> paths = builder.rootPaths();
        Path live = paths.get(0);
        Path upper = paths.get(1);
        Path work = paths.get(2);
        Path lower = paths.get(3);
        try {
            SubhostConfig.checkLive(live, upper, lower);
        } catch (IllegalArgumentException e) {
            throw blame("LIVE", e.getMessage(), "LIVE", "UPPER", "LOWER");
        }
        try {
            SubhostConfig.checkWork(work, upper, lower);
        } catch (IllegalArgumentException e) {
            throw blame("WORK", e.getMessage(), "WORK", "UPPER");
        }
    }

    /** An error about {@code variable} on the line of the first of {@code suspects} that is set. */
    private ConfigException blame(String variable, String reason, String... suspects) {
        for (String suspect : suspects) {
            Assignment assignment = first.get(suspect);
            if (assignment != null && !assignment.value().isEmpty()) {
                return new ConfigException(file, assignment.line(), variable, reason);
            }
        }
        return new ConfigException(file, 0, variable, reason);
    }

    /**
     * The value of {@code variable}'s first assignment, its {@code !} command run in
     * {@code directory}; empty when it is not assigned or empty.
     */
    private Optional<String> value(String variable, Path directory) throws ConfigException {
        Assignment assignment = first.get(variable);
        if (assignment == null) {
            return Optional.empty();
        }
        String value = text(assignment);
        if (value.isEmpty()) {
            return Optional.empty();
        }
        if (value.startsWith("!")) {
            String command = value.substring(1);
            try {
                value = Rules.trim(runner.firstLine(command, directory, config, action));
            } catch (ValueCommandException e) {
                throw error(variable, "bad " + variable + " config: command (" + command + ") " + e.getMessage());
            }
            if (value.isEmpty()) {
                throw error(variable, "bad " + variable + " config: command (" + command + ") printed an empty first line");
            }
            if (value.indexOf(0) >= 0) {
                throw error(variable, "bad " + variable + " config: command (" + command + ") printed a NUL character");
            }
        }
        return Optional.of(value);
    }

    /** The assignment's value, which must be UTF-8 text without NUL characters. */
    private String text(Assignment assignment) throws ConfigException {
        String variable = assignment.variable();
        if (assignment.value() == null) {
            throw new ConfigException(file, assignment.line(), variable, variable + " value must be UTF-8 text");
        }
        if (assignment.value().indexOf(0) >= 0) {
            throw new ConfigException(file, assignment.line(), variable,
                    variable + " value must not contain a NUL character");
        }
        return assignment.value();
    }

    private void set(String variable, Runnable step) throws ConfigException {
        set(variable, () -> {
            step.run();
            return null;
        });
    }

    private <T> T set(String variable, Supplier<T> step) throws ConfigException {
        try {
            return step.get();
        } catch (IllegalArgumentException e) {
            throw error(variable, e.getMessage());
        }
    }

    private ConfigException error(String variable, String reason) {
        Assignment assignment = first.get(variable);
        return new ConfigException(file, assignment == null ? 0 : assignment.line(), variable, reason);
    }
}
