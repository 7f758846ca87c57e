package org.subhost.core;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What an ifupdown configuration ({@code /etc/network/interfaces}, interfaces(5)) says
 * about interface names: the {@code iface} stanzas that {@code ifup NAME} needs, and every
 * name it mentions. A preflight uses it to tell whether {@code ifup NAMEi} of a cable's host
 * end can work, and whether a subhost's own file configures each of its {@code ethi}.
 *
 * <p>Example: {@code auto eth0} / {@code iface eth0 inet manual} names {@code eth0}, with a
 * stanza. Read: comments ({@code #} first on a line), continuations (a line ending in
 * {@code \}), {@code iface}, {@code auto}, {@code allow-CLASS}, {@code source PATTERN}
 * and {@code source-directory DIR}. Left aside: {@code mapping} (a script picks the
 * stanza), and wildcards in any but the last component of a {@code source} pattern.
 */
final class IfupdownStanzas {
    /** The host's ifupdown configuration. */
    static final Path HOST_FILE = Path.of("/etc/network/interfaces");
    /** How deep {@code source} lines may nest, and how many files are read at most. */
    private static final int MAX_DEPTH = 8;
    private static final int MAX_FILES = 256;
    /** interfaces(5): source-directory reads the files whose names match this. */
    private static final Pattern SOURCE_DIRECTORY_NAME = Pattern.compile("[a-zA-Z0-9_-]+");

    private IfupdownStanzas() {}

    /**
     * What one file says.
     *
     * @param stanzas the names with an {@code iface} stanza
     * @param names every name in {@code iface}, {@code auto} and {@code allow-} lines
     * @param sources the patterns of {@code source} lines, as written
     * @param sourceDirectories the directories of {@code source-directory} lines, as written
     */
    record Parsed(Set<String> stanzas, Set<String> names, List<String> sources, List<String> sourceDirectories) {
        Parsed {
            stanzas = Set.copyOf(stanzas);
            names = Set.copyOf(names);
            sources = List.copyOf(sources);
            sourceDirectories = List.copyOf(sourceDirectories);
        }

        /** {@return whether the file includes others} */
        boolean sourcesOthers() {
            return !sources.isEmpty() || !sourceDirectories.isEmpty();
        }
    }

    /** Parses the text of one interfaces(5) file. */
    static Parsed parse(String text) {
        Set<String> stanzas = new LinkedHashSet<>();
        Set<String> names = new LinkedHashSet<>();
        List<String> sources = new ArrayList<>();
        List<String> directories = new ArrayList<>();
        for (String line : logicalLines(text)) {
            String[] words = line.trim().split("[ \t]+");
            if (words.length < 2) {
                continue;
            }
            switch (words[0]) {
                case "iface" -> {
                    stanzas.add(words[1]);
                    names.add(words[1]);
                }
                case "auto" -> names.addAll(List.of(words).subList(1, words.length));
                case "source" -> sources.add(words[1]);
                case "source-directory" -> directories.add(words[1]);
                default -> {
                    if (words[0].startsWith("allow-")) {
                        names.addAll(List.of(words).subList(1, words.length));
                    }
                }
            }
        }
        return new Parsed(stanzas, names, sources, directories);
    }

    /** The names of {@code text}'s iface, auto and allow- lines. */
    static Set<String> namesIn(String text) {
        return parse(text).names();
    }

    /** The lines, with continuations joined and comment lines left out. */
    private static List<String> logicalLines(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder pending = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            if (pending.isEmpty() && line.stripLeading().startsWith("#")) {
                continue;
            }
            if (line.endsWith("\\")) {
                pending.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            out.add(pending.append(line).toString());
            pending.setLength(0);
        }
        if (!pending.isEmpty()) {
            out.add(pending.toString());
        }
        return out;
    }

    /**
     * The names that the configuration starting at {@code file} has an {@code iface} stanza
     * for, following its {@code source} and {@code source-directory} lines (relative
     * paths from the including file's directory); empty when {@code file} cannot be read.
     * The host's own configuration, trusted as such.
     */
    static Optional<Set<String>> stanzasOf(Path file) {
        // Missing on most hosts: told by access(2), which makes no exception, before the read,
        // whose failure (a race, a directory, no permission) gives the same empty answer.
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        Set<String> stanzas = new LinkedHashSet<>();
        List<Path> read = new ArrayList<>();
        try {
            collect(file, 0, stanzas, read);
        } catch (IOException e) {
            return Optional.empty();
        }
        return Optional.of(stanzas);
    }

    private static void collect(Path given, int depth, Set<String> stanzas, List<Path> read) throws IOException {
        Path file = given.toAbsolutePath().normalize();
        if (depth > MAX_DEPTH || read.size() >= MAX_FILES || read.contains(file)) {
            return;
        }
        read.add(file);
        Parsed parsed = parse(Files.readString(file));
        stanzas.addAll(parsed.stanzas());
        Path dir = file.getParent();
        for (String pattern : parsed.sources()) {
            for (Path included : expand(dir.resolve(pattern))) {
                collectIfReadable(included, depth + 1, stanzas, read);
            }
        }
        for (String directory : parsed.sourceDirectories()) {
            Path d = dir.resolve(directory);
            if (!Files.isDirectory(d)) {
                continue;
            }
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(d)) {
                List<Path> sorted = new ArrayList<>();
                for (Path entry : entries) {
                    if (SOURCE_DIRECTORY_NAME.matcher(entry.getFileName().toString()).matches()) {
                        sorted.add(entry);
                    }
                }
                sorted.sort(null);
                for (Path entry : sorted) {
                    collectIfReadable(entry, depth + 1, stanzas, read);
                }
            }
        }
    }

    /** An included file that is gone or unreadable is skipped, as ifupdown skips a pattern that matches nothing. */
    private static void collectIfReadable(Path file, int depth, Set<String> stanzas, List<Path> read) {
        if (!Files.isRegularFile(file)) {
            return;
        }
        try {
            collect(file, depth, stanzas, read);
        } catch (IOException e) {
            // skipped
        }
    }

    /** The files a {@code source} pattern names: a wildcard in the last component only, sorted. */
    private static List<Path> expand(Path pattern) throws IOException {
        Path parent = pattern.getParent();
        String last = pattern.getFileName() == null ? "" : pattern.getFileName().toString();
        if (parent == null || !(last.contains("*") || last.contains("?") || last.contains("["))) {
            return List.of(pattern);
        }
        if (!Files.isDirectory(parent)) {
            return List.of();
        }
        PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + last);
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(parent)) {
            for (Path entry : entries) {
                String name = entry.getFileName().toString();
                // wordexp(3), as a shell's glob, leaves out dot files unless the pattern names them.
                if (matcher.matches(entry.getFileName()) && !(name.startsWith(".") && !last.startsWith("."))) {
                    out.add(entry);
                }
            }
        }
        out.sort(null);
        return out;
    }
}
