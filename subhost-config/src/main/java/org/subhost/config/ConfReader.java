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
 */
final class ConfReader {
    /** The variables, in the order they are evaluated. SHARE comes last and is never run. */
    private static final List<String> VARIABLES = List.of("BASE", "NAME", "LOG", "CABLES", "LIVE", "UPPER",
            "WORK", "LOWER", "START", "PREMOUNT", "POSTMOUNT", "INIT", "RAM_SIZE", "ACCEPT_RA",
            "CAPABILITIES", "SECCOMP", "CONFINE_FILES", "SHARE");

    /** One {@code VAR=value} line; {@code value} is null when the line is not UTF-8. */
    private record Assignment(String variable, int line, String value) {}

    private final Path file;
    private final Path config;
    private final Path fileDirectory;
    private final String action;
    private final ValueCommandRunner runner;
    private final Map<String, Assignment> first = new HashMap<>();
    private final List<Assignment> shares = new ArrayList<>();

    private ConfReader(Path file, String action, ValueCommandRunner runner) {
        this.file = file;
        this.config = file.toAbsolutePath();
        Path parent = config.normalize().getParent();
        this.fileDirectory = parent == null ? config.getRoot() : parent;
        this.action = action;
        this.runner = runner;
    }

    /** Reads {@code file}, running {@code !} commands with {@code runner}. */
    static SubhostConfig read(Path file, String action, ValueCommandRunner runner) throws ConfigException {
        ConfReader reader = new ConfReader(file, action, runner);
        reader.scan(reader.readBytes());
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
                first.putIfAbsent(variable, assignment);
            }
            return;
        }
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
        for (Assignment share : shares) {
            String text = text(share);
            try {
                builder.addShare(Share.parse(text, base));
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file, share.line(), "SHARE", e.getMessage());
            }
        }
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
