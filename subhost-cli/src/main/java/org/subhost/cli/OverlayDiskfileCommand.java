package org.subhost.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.subhost.config.DiskAttachment;
import org.subhost.config.DiskAttachmentReport;
import org.subhost.core.disk.DiskImageException;
import org.subhost.core.disk.DiskImages;

/**
 * {@code overlay-diskfile MOUNTPATH [DISKFILE [INDEX]]}: a helper for {@code !} values
 * (docs/spec.md §9), such as {@code LOWER=!overlay-diskfile mnt/ disk.img 2}. When ACTION is
 * {@code overlay-boot} it mounts partition INDEX of DISKFILE (or the whole image) unless it
 * is mounted already (the rules and the mount are {@link DiskImages}'s, in subhost-core); in
 * every case it prints MOUNTPATH exactly as given, as the value.
 *
 * <p>A mount it makes is reported in the file that {@code SUBHOST_ATTACHMENTS} names
 * ({@link DiskAttachmentReport}, the protocol of the configuration's reader), so that the
 * subhost's stop, or a failed boot, unmounts it and releases its loop device.
 */
final class OverlayDiskfileCommand extends Command {
    static final String NAME = "overlay-diskfile";
    static final String USAGE_LINE = "Usage: overlay-diskfile MOUNTPATH [DISKFILE [INDEX]]";

    static final String DESCRIPTION = """
            A helper for the !-values of a subhost's configuration, such as
              LOWER=!overlay-diskfile mnt/ disk.img 2
            It prints MOUNTPATH as the value. When the environment variable ACTION is
            overlay-boot, it first mounts the filesystem of partition INDEX of the disk
            image DISKFILE (without INDEX: the whole image) unless it is mounted already:
            on the longest part of MOUNTPATH that exists as a directory, through a loop
            device (read-only when the image is not writable), with the filesystem type
            read from its superblock (ext2, ext3, ext4, xfs, btrfs, vfat, squashfs, erofs).
            MOUNTPATH must then exist in that filesystem. Partition tables: MBR and GPT.
            Relative paths are taken from the current directory (BASE, for a !-value).
            Without DISKFILE, or for any other ACTION, it mounts nothing.

            The mounts it makes are released by overlay-stop of the subhost (and when
            the boot fails), through the file named by SUBHOST_ATTACHMENTS. Needs root
            to mount.

            Options:
              -h, --help  print this help and exit

            Exit status: 0 done, 1 the image cannot be mounted, 2 bad usage.
            """;

    private static final CliArgs.Syntax SYNTAX = CliArgs.Syntax.operands(3);

    private final Map<String, String> environment;
    private final Path workingDirectory;

    /** The command as the CLI runs it: this process's environment and working directory. */
    OverlayDiskfileCommand() {
        this(System.getenv(), Path.of("").toAbsolutePath());
    }

    /** The command with an environment and working directory of the caller's (tests). */
    OverlayDiskfileCommand(Map<String, String> environment, Path workingDirectory) {
        super(USAGE_LINE, DESCRIPTION, SYNTAX);
        this.environment = environment;
        this.workingDirectory = workingDirectory;
    }

    @Override
    int execute(CliArgs args, PrintStream out, PrintStream err) throws CommandExit {
        List<String> operands = operands(args);
        String mountPath = operands.get(0);
        if (operands.size() == 1 || !"overlay-boot".equals(environment.get("ACTION"))) {
            // Nothing to mount: a filesystem mounted beforehand, or a stop, a dry reading...
            out.println(mountPath);
            return EXIT_OK;
        }
        OptionalInt index = operands.size() == 3 ? OptionalInt.of(index(operands.get(2))) : OptionalInt.empty();
        String reportFile = environment.get(DiskAttachmentReport.ENVIRONMENT_VARIABLE);
        Path report = reportFile == null || reportFile.isEmpty() ? null : Path.of(reportFile);
        Optional<DiskAttachment> made;
        try {
            made = DiskImages.mount(workingDirectory, mountPath, operands.get(1), index);
        } catch (DiskImageException e) {
            throw CommandExit.failure(e.getMessage());
        }
        if (made.isPresent() && report == null) {
            err.println(NAME + ": mounted " + operands.get(1) + " on " + made.get().mountPoint() + " ("
                    + made.get().loopDevice() + "); " + DiskAttachmentReport.ENVIRONMENT_VARIABLE
                    + " is not set, so no subhost's stop will unmount it");
        } else if (made.isPresent()) {
            report(report, made.get(), operands.get(1), index);
        }
        out.println(mountPath);
        return EXIT_OK;
    }

    /**
     * Hands the mount made to the reading of the configuration; when that cannot be done,
     * the mount is undone, since no stop would ever release it.
     */
    private static void report(Path report, DiskAttachment made, String diskfile, OptionalInt index)
            throws CommandExit {
        try {
            DiskAttachmentReport.append(report, made);
        } catch (IOException e) {
            List<String> left = DiskImages.releaseAll(List.of(made), line -> { });
            String what = index.isPresent() ? "partition " + index.getAsInt() + " of " + diskfile : diskfile;
            throw CommandExit.failure("cannot report the mount of " + what + " on " + made.mountPoint() + " in "
                    + report + ": " + reason(e) + (left.isEmpty() ? " (unmounted again)" : "; " + String.join("; ", left)));
        }
    }

    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException n) {
            return n.getFile() + ": no such file or directory";
        }
        if (e instanceof AccessDeniedException a) {
            return a.getFile() + ": permission denied";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** MOUNTPATH, and DISKFILE and INDEX when given: none empty, INDEX a partition number. */
    private static List<String> operands(CliArgs args) throws CommandExit {
        List<String> operands = args.operands();
        if (operands.isEmpty()) {
            throw CommandExit.usage("missing MOUNTPATH");
        }
        for (int i = 0; i < operands.size(); i++) {
            if (operands.get(i).isEmpty()) {
                throw CommandExit.usage((i == 0 ? "MOUNTPATH" : i == 1 ? "DISKFILE" : "INDEX") + " must not be empty");
            }
        }
        if (operands.size() == 3) {
            index(operands.get(2));
        }
        return operands;
    }

    private static int index(String text) throws CommandExit {
        int index;
        try {
            index = Integer.parseInt(text);
        } catch (NumberFormatException e) {
            index = 0;
        }
        if (index < 1 || !text.matches("[0-9]+")) {
            throw CommandExit.usage("INDEX (" + text + ") must be a partition number, 1 or more");
        }
        return index;
    }
}
