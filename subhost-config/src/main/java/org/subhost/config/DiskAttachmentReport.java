package org.subhost.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryIteratorException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The report file where {@code !} commands name the disk images they mounted while a
 * configuration is read (such as {@code LOWER=!overlay-diskfile mnt/ disk.img 2}), so that
 * the boot adopts them and the subhost's stop releases them: the protocol between the
 * reader of a {@code .conf} file, which runs its {@code !} commands, and those commands.
 *
 * <p>The protocol, stated here only:
 * <ul>
 * <li>Each reading that runs a {@code !} command makes a new private file (mode 0600) in
 *     the temporary directory, before its first command, and names it to every {@code !} command in the environment variable {@value
 *     #ENVIRONMENT_VARIABLE}; a command run by hand, outside a reading, finds the variable
 *     unset. An outer reading's variable is not passed on.
 * <li>A command appends one line per mount it made, {@link DiskAttachment}'s text form:
 *     <pre>{@code
 *     /ex1/mnt<TAB>/dev/loop3<TAB>/ex1/disk.img
 *     }</pre>
 *     It reports nothing for a mount it found made already, which belongs to whoever made
 *     it.
 * <li>After the commands ran, the reader reads the lines back into {@link
 *     SubhostConfig#attachments()}, in the order they were written, and deletes the file;
 *     when the reading fails, {@link ConfigException#attachments()} has them, for the
 *     caller to release. A line of another shape fails the reading.
 * </ul>
 * A writer in Java calls {@link #append}; one in shell appends with {@code printf
 * '%s\t%s\t%s\n' ... >> "$SUBHOST_ATTACHMENTS"}. Not checked here: that what a line names
 * is mounted (the boot looks before it adopts, the stop before it unmounts).
 */
public final class DiskAttachmentReport {
    /** The environment variable that names the file where {@code !} commands report their mounts. */
    public static final String ENVIRONMENT_VARIABLE = "SUBHOST_ATTACHMENTS";

    private static final AtomicLong FILES = new AtomicLong();

    /** The file, once made: a reading whose commands never ask for it makes none. */
    private Path file;

    private DiskAttachmentReport() {
    }

    /**
     * Appends the report of {@code attachment} to the report file {@code report}: what a
     * {@code !} command that mounted a disk image does.
     *
     * @param report the file that {@value #ENVIRONMENT_VARIABLE} names; it must exist
     * @param attachment the mount made
     * @throws IOException when the file cannot be written; the mount is then the caller's
     *     to undo, since no reader will know of it
     */
    public static void append(Path report, DiskAttachment attachment) throws IOException {
        Objects.requireNonNull(report, "report");
        Objects.requireNonNull(attachment, "attachment");
        // No CREATE: a file the reader did not make is no report anyone reads.
        Files.writeString(report, attachment + "\n", StandardCharsets.UTF_8, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND);
    }

    /**
     * The report of one reading, whose file is made when a {@code !} command first needs it
     * ({@link #file()}): most files have no such command, and making the file, with the
     * look for dead readers' files that goes with it, took about 3 ms of a cold CLI's start.
     */
    static DiskAttachmentReport create() {
        return new DiskAttachmentReport();
    }

    /**
     * The file, as {@value #ENVIRONMENT_VARIABLE} names it to the commands: made on the first
     * call, new (never an existing file), mode 0600.
     *
     * @throws IOException when the temporary directory refuses the file
     */
    Path file() throws IOException {
        if (file == null) {
            file = makeFile();
        }
        return file;
    }

    private static Path makeFile() throws IOException {
        // Not Files.createTempFile: its random names come from a SecureRandom, whose set-up
        // was the largest cost of reading a file in a cold JVM. CREATE_NEW (O_EXCL) refuses a
        // name that exists, even as a symbolic link, so a guessable name is safe; on the rare
        // clash the next counter value is tried.
        Path dir = Path.of(System.getProperty("java.io.tmpdir"));
        String stem = "subhost-attachments-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        var privateMode = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
        removeFilesOfDeadReaders(dir);
        for (int i = 0; ; i++) {
            try {
                return Files.createFile(dir.resolve(stem + "-" + FILES.incrementAndGet() + ".txt"), privateMode);
            } catch (FileAlreadyExistsException e) {
                if (i == 100) {
                    throw e;
                }
            }
        }
    }

    /**
     * The mounts reported so far, one {@link DiskAttachment} line each, in order.
     *
     * @param confFile the configuration being read, for messages
     * @throws ConfigException when the file cannot be read, or holds a line of another
     *     shape; the exception carries the mounts of the good lines
     */
    List<DiskAttachment> read(Path confFile) throws ConfigException {
        List<DiskAttachment> attached = new ArrayList<>();
        if (file == null) {
            return attached;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new ConfigException(confFile, 0, null, "cannot read the disk attachments that ! commands"
                    + " reported (" + file + "): " + e.getMessage());
        }
        List<String> bad = new ArrayList<>();
        for (String line : lines) {
            if (line.isEmpty()) {
                continue;
            }
            try {
                attached.add(DiskAttachment.parse(line));
            } catch (IllegalArgumentException e) {
                bad.add(e.getMessage());
            }
        }
        if (!bad.isEmpty()) {
            throw new ConfigException(confFile, 0, null, "a ! command reported a bad disk attachment in "
                    + ENVIRONMENT_VARIABLE + ": " + String.join("; ", bad)).withAttachments(attached);
        }
        return attached;
    }

    /** The mounts reported so far, as far as they can be read: for a reading that failed already. */
    List<DiskAttachment> readWhatCanBeRead() {
        try {
            return read(file);
        } catch (ConfigException e) {
            return e.attachments();
        }
    }

    /** Deletes the file, once the reading is over. */
    void delete() {
        if (file == null) {
            return;
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // A left-over empty report in the temporary directory harms nobody.
        }
    }

    /**
     * Removes the report files of readers that were killed before they could (the file's
     * name holds the reader's pid). Best effort: a file that goes meanwhile is fine.
     */
    private static void removeFilesOfDeadReaders(Path dir) {
        try (var files = Files.newDirectoryStream(dir, "subhost-attachments-*-*-*.txt")) {
            for (Path f : files) {
                String[] parts = f.getFileName().toString().split("-");
                try {
                    long pid = Long.parseLong(parts[2]);
                    if (ProcessHandle.of(pid).isEmpty()) {
                        Files.deleteIfExists(f);
                    }
                } catch (NumberFormatException | IOException e) {
                    // Not one of ours, or already gone.
                }
            }
        } catch (IOException | DirectoryIteratorException e) {
            // An unreadable temporary directory: nothing to clean.
        }
    }
}
