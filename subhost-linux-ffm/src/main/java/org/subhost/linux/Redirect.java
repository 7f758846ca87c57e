package org.subhost.linux;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * Where a standard stream (0, 1 or 2) of a {@link Spawn}ed program comes from or goes to.
 *
 * <p>Example: {@code Spawn.program(init).stdout(Redirect.appendTo(log)).stderr(Redirect.appendTo(log))}
 * sends both output streams to the end of the subhost's LOG file.
 *
 * <p>Forms: {@link #inherit()} (the JVM's own descriptor of that number), {@link
 * #devNull()} ({@code /dev/null}), {@link #fd} (an open descriptor of the caller), {@link
 * #appendTo} (a file, created with mode 0644 if missing, opened with O_APPEND so that
 * writers of several processes do not overwrite each other). Whether the file can be
 * opened is found out at spawn time.
 */
public sealed interface Redirect {
    /** {@return the JVM's own descriptor of the same number} */
    static Redirect inherit() {
        return Inherit.INSTANCE;
    }

    /** {@return {@code /dev/null}, opened for reading and writing} */
    static Redirect devNull() {
        return DevNull.INSTANCE;
    }

    /**
     * The caller's open descriptor {@code fd}, which stays the caller's.
     *
     * @param fd an open descriptor of the caller
     * @return the redirect
     */
    static Redirect fd(int fd) {
        return new Fd(fd);
    }

    /**
     * The end of {@code file}, created (mode 0644, less the umask) if missing.
     *
     * @param file the file to append to
     * @return the redirect
     */
    static Redirect appendTo(Path file) {
        return new AppendTo(file);
    }

    /** The JVM's own descriptor. */
    enum Inherit implements Redirect {
        /** The one value. */
        INSTANCE;

        @Override
        public String toString() {
            return "inherit";
        }
    }

    /** {@code /dev/null}. */
    enum DevNull implements Redirect {
        /** The one value. */
        INSTANCE;

        @Override
        public String toString() {
            return "/dev/null";
        }
    }

    /**
     * An open descriptor of the caller.
     *
     * @param fd the descriptor, at least 0
     */
    record Fd(int fd) implements Redirect {
        /** Checks the descriptor. */
        public Fd {
            if (fd < 0) {
                throw new IllegalArgumentException("fd (" + fd + ") must not be negative");
            }
        }

        @Override
        public String toString() {
            return "fd " + fd;
        }
    }

    /**
     * A file written at its end.
     *
     * @param file the file
     */
    record AppendTo(Path file) implements Redirect {
        /** Checks the path. */
        public AppendTo {
            requireNonNull(file, "file");
        }

        @Override
        public String toString() {
            return ">> " + file;
        }
    }
}
