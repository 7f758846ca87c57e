package org.subhost.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.subhost.ProgressListener;
import org.subhost.linux.Fds;
import org.subhost.linux.WallClock;

/**
 * The subhost's LOG file as the boot and stop write to it: one line per event, prefixed
 * with the local time and {@code overlay-boot[NAME]:}. pid 1 and the init append to the
 * same file through their own descriptors. The time comes from {@link WallClock}, not
 * java.time, whose first use loads the JDK's whole time-zone database (20-27 ms of a cold
 * command).
 *
 * <p>The descriptor is opened once, before the root is switched, and stays valid afterwards. A
 * LOG that cannot be written does not stop a boot: the line goes to SLF4J instead, with
 * the reason. When the log relay has rotated LOG meanwhile (LOG_MAX: LOG and LOG.1
 * exchanged names), the descriptor is of LOG.1, which a second rotation would empty: the
 * line goes to LOG as it is now, opened again, so that the lines of a stop of a subhost
 * that prints without end are not lost. LOG as it is now is looked up by its name in its
 * directory, a descriptor opened with LOG on the host, never by its path: the namespace
 * thread writes the lines of its last steps after it switched its root, where LOG's path
 * leads into the subhost's tree (LOWER shows the host's LOG there, and a subhost's root
 * may have put links on the way in UPPER). By its path, such a line made the overlay copy
 * LOG up into UPPER, and could have made a file through the subhost's links.
 */
final class BootLog implements AutoCloseable {
    /**
     * SLF4J, for a LOG that cannot be written; made on first use, because setting SLF4J up
     * took some 20 ms of a cold {@code overlay-boot} that writes its LOG fine.
     */
    private static final class Slf4j {
        static final Logger LOGGER = LoggerFactory.getLogger(BootLog.class);
    }

    private final String prefix;
    private final Path file;
    /** LOG's directory (O_PATH), opened with LOG on the host; null when LOG could not be opened. */
    private final Descriptor directory;
    /** LOG's name in {@link #directory}. */
    private final String name;
    /** The user LOG must belong to: the SDK's, known on the host before any root switch. */
    private final int us;
    private final ProgressListener listener;
    private int fd;
    /**
     * The file that {@code fd} is open on, or null when unknown: a descriptor stays on its
     * file, so it is looked at once per descriptor, not once per line.
     */
    private org.subhost.linux.FileStatus opened;

    private BootLog(String prefix, Path file, Descriptor directory, int us, int fd, ProgressListener listener) {
        this.prefix = prefix;
        this.file = file;
        this.directory = directory;
        this.name = file.getFileName() == null ? "" : file.getFileName().toString();
        this.us = us;
        this.listener = listener;
        use(fd);
    }

    /** Writes to {@code fd} from now on, with the file it is open on known. */
    private void use(int fd) {
        this.fd = fd;
        try {
            opened = fd < 0 ? null : org.subhost.linux.AtFiles.fstat(fd);
        } catch (org.subhost.linux.SyscallException e) {
            opened = null; // looked at again at each line, as if new
        }
    }

    /**
     * Opens {@code file} for appending, creating it (and its directory) when missing, as
     * {@link LogFile#openForAppend} allows: a LOG refused there (a link, a FIFO, another
     * user's file) is not written; its lines go to SLF4J with the reason.
     */
    static BootLog open(String command, String name, Path file) {
        return open(command, name, file, ProgressListener.NONE);
    }

    /**
     * Opens {@code file} as {@link #open(String, String, Path)} does; every line also goes
     * to {@code listener}.
     */
    static BootLog open(String command, String name, Path file, ProgressListener listener) {
        String prefix = command + "[" + name + "]: ";
        int fd;
        try {
            fd = LogFile.openForAppend(file);
        } catch (IOException e) {
            Slf4j.LOGGER.warn("cannot write LOG {}: {}", file, PlanExecutor.reason(e));
            return new BootLog(prefix, file, null, -1, -1, listener);
        }
        Descriptor directory = null;
        int us = -1;
        try {
            us = org.subhost.linux.Credentials.effectiveUid();
            directory = new Descriptor(Fds.open(file.toAbsolutePath().getParent().toString(),
                    Fds.O_PATH | Fds.O_DIRECTORY | Fds.O_CLOEXEC));
        } catch (IOException e) {
            // LOG is open (a SyscallException is an IOException): its lines go there, without
            // following a rotation.
        }
        return new BootLog(prefix, file, directory, us, fd, listener);
    }

    /**
     * What {@code log} holds from byte {@code offset} on (a boot's own lines: LOG is
     * appended to by every boot and stop, and grows without bound), at most its last {@link
     * LogFile#READ_LIMIT} bytes.
     *
     * @throws IOException when LOG cannot be read, or is no regular file
     */
    static String readSince(Path log, long offset) throws IOException {
        return LogFile.readSince(log, offset);
    }

    /**
     * Whether {@code fd} is still the file named LOG: the relay may have rotated it. A
     * LOG that cannot be looked at now counts as unchanged.
     */
    private boolean stillLog() {
        if (directory == null) {
            return true;
        }
        int named;
        try {
            named = org.subhost.linux.AtFiles.openat2(directory.fd(), name, Fds.O_PATH | Fds.O_NOFOLLOW | Fds.O_CLOEXEC,
                    0, org.subhost.linux.AtFiles.RESOLVE_BENEATH | org.subhost.linux.AtFiles.RESOLVE_NO_SYMLINKS);
        } catch (org.subhost.linux.SyscallException e) {
            return true;
        }
        try {
            org.subhost.linux.FileStatus there = org.subhost.linux.AtFiles.fstat(named);
            org.subhost.linux.FileStatus open = opened != null ? opened : org.subhost.linux.AtFiles.fstat(fd);
            return there.isSameFile(open);
        } catch (org.subhost.linux.SyscallException e) {
            return true;
        } finally {
            Descriptor.closeQuietly(named);
        }
    }

    /** Appends one line; when LOG cannot be written, logs it through SLF4J instead. */
    void line(String text) {
        line(ProgressListener.Severity.INFO, text);
    }

    /** Appends one line of a failure: the boot or stop failed, or left something. */
    void error(String text) {
        line(ProgressListener.Severity.ERROR, text);
    }

    /** Appends one line of a problem that does not end the boot or stop. */
    void warning(String text) {
        line(ProgressListener.Severity.WARNING, text);
    }

    private synchronized void line(ProgressListener.Severity severity, String raw) {
        // One line, whatever a subhost put into the text (a path, a program's name): a line
        // break in it would forge a line of LOG or of the journal (docs/security.md).
        String text = Printable.of(raw);
        try {
            listener.line(severity, text);
        } catch (RuntimeException e) {
            // A listener's bug must not stop a boot or a stop half-way.
        }
        if (fd >= 0 && !stillLog()) {
            try {
                int again = LogFile.openForAppendIn(directory.fd(), name, file, us);
                Descriptor.closeQuietly(fd);
                use(again);
            } catch (IOException e) {
                // The rotated file takes the line: better there than nowhere.
            }
        }
        if (fd < 0) {
            Slf4j.LOGGER.info("{}{}", prefix, text);
            return;
        }
        byte[] bytes = (WallClock.timestamp() + " " + prefix + text + "\n").getBytes(StandardCharsets.UTF_8);
        try {
            int done = 0;
            while (done < bytes.length) {
                int n = Fds.write(fd, done == 0 ? bytes : java.util.Arrays.copyOfRange(bytes, done, bytes.length));
                if (n <= 0) {
                    throw new IOException("write made no progress");
                }
                done += n;
            }
        } catch (IOException e) {
            Slf4j.LOGGER.warn("cannot write LOG {}: {}", file, PlanExecutor.reason(e));
            Descriptor.closeQuietly(fd);
            use(-1);
        }
    }

    @Override
    public synchronized void close() {
        Descriptor.closeQuietly(fd);
        use(-1);
        if (directory != null) {
            directory.close();
        }
    }
}
