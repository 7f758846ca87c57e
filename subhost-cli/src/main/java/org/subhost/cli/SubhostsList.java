package org.subhost.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The list of subhosts that start with the host ({@code /etc/subhosts.conf}, docs/spec.md
 * §10): one configuration file a line, in the order they start.
 *
 * <p>Example:
 * <pre>
 * # /etc/subhosts.conf: booted in this order, stopped in the reverse
 * /ex1/ex1.conf
 * mta/mta.conf
 * </pre>
 * (the second is {@code /etc/mta/mta.conf}).
 *
 * <p>Each line is trimmed of white space; an empty line, and a line whose first character
 * is {@code #}, is skipped. Any other line is one path as it stands ({@code #} later on the
 * line is part of the path, as paths may hold it); a relative path resolves against the
 * directory of the list file. Whether the configuration files exist is not checked here:
 * each entry fails on its own when it is used, so that one bad line stops no other subhost.
 *
 * @param file the list file, absolute
 * @param entries the configuration files, in the order of the file
 */
record SubhostsList(Path file, List<Entry> entries) {
    /** Where the list is when SUBHOSTS_CONF does not name another file. */
    static final Path DEFAULT_FILE = Path.of("/etc/subhosts.conf");

    /** The environment variable that names another list file. */
    static final String ENV = "SUBHOSTS_CONF";

    /**
     * One configuration file of the list.
     *
     * @param line the line of the list it is on, counting from 1
     * @param config the configuration file, absolute (relative paths resolved against the
     *     list's directory) but not canonical: it need not exist
     */
    record Entry(int line, Path config) {}

    /** Copies the entries. */
    SubhostsList {
        entries = List.copyOf(entries);
    }

    /**
     * The list file to read: the value of SUBHOSTS_CONF when it is set and not empty
     * (relative to the working directory), else {@link #DEFAULT_FILE}.
     */
    static Path locate(String envValue) throws ListException {
        if (envValue == null || envValue.isEmpty()) {
            return DEFAULT_FILE;
        }
        try {
            return Path.of(envValue).toAbsolutePath().normalize();
        } catch (InvalidPathException e) {
            throw new ListException(ENV + " (" + envValue + ") is not a path: " + e.getReason());
        }
    }

    /** Reads the list file {@code file} (absolute). */
    static SubhostsList read(Path file) throws ListException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ListException("list of subhosts (" + file + ") does not exist; create it, or name another"
                    + " file with " + ENV + "=FILE");
        } catch (AccessDeniedException e) {
            throw new ListException("list of subhosts (" + file + ") cannot be read: permission denied");
        } catch (IOException e) {
            throw new ListException("list of subhosts (" + file + ") cannot be read: " + e.getMessage());
        }
        return parse(file, text);
    }

    /** The entries of {@code text}, the content of the list file {@code file} (absolute). */
    static SubhostsList parse(Path file, String text) throws ListException {
        Path dir = file.getParent();
        List<Entry> entries = new ArrayList<>();
        int number = 0;
        for (String raw : text.split("\n", -1)) {
            number++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                entries.add(new Entry(number, dir.resolve(line).normalize()));
            } catch (InvalidPathException e) {
                throw new ListException(file + ":" + number + ": " + "configuration file (" + line
                        + ") is not a path: " + e.getReason());
            }
        }
        return new SubhostsList(file, entries);
    }

    /** Where {@code entry} stands, for messages: {@code /etc/subhosts.conf:3}. */
    String where(Entry entry) {
        return file + ":" + entry.line();
    }

    /** The list file is missing, unreadable or not a list; the message says which and where. */
    static final class ListException extends Exception {
        private static final long serialVersionUID = 1L;

        ListException(String message) {
            super(message);
        }
    }
}
