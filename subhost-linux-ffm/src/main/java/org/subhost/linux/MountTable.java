package org.subhost.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The mounts of a mount namespace as {@code /proc/PID/mountinfo} lists them (proc(5)):
 * mount point, filesystem type and source, with the kernel's octal escapes ({@code \040}
 * for a space) decoded. A reading of the kernel's table, without policy; it reads a
 * snapshot, which the kernel may change at once.
 *
 * <pre>{@code
 * MountTable.ofThisThread().isMountPoint(Path.of("/ex1/live"))
 * }</pre>
 *
 * @param mounts the entries, in the kernel's order (a later mount on the same point covers
 *     an earlier one)
 */
public record MountTable(List<Entry> mounts) {

    /**
     * One line of mountinfo: where, what type, from what source.
     *
     * @param mountPoint the mount point, in the reading thread's view
     * @param fsType the filesystem type, such as {@code overlay} or {@code ext4}
     * @param source the mount source, such as {@code /dev/loop3} or an overlay's NAME
     */
    public record Entry(Path mountPoint, String fsType, String source) {}

    /** Copies the entries. */
    public MountTable {
        mounts = List.copyOf(mounts);
    }

    /**
     * The mount table of the calling thread's mount namespace ({@code /proc/thread-self/mountinfo}:
     * mount namespaces are per thread, and a namespace thread's differs from the process's).
     *
     * @return the table
     * @throws IOException when procfs cannot be read
     */
    public static MountTable ofThisThread() throws IOException {
        return read(Path.of("/proc/thread-self/mountinfo"));
    }

    /**
     * Parses a mountinfo file.
     *
     * @param mountinfo such as {@code /proc/PID/mountinfo}
     * @return the table
     * @throws IOException when it cannot be read
     */
    public static MountTable read(Path mountinfo) throws IOException {
        return parse(Files.readAllLines(mountinfo));
    }

    /**
     * Parses the lines of a mountinfo file; a line without the {@code " - "} separator is
     * left out.
     *
     * @param lines the lines
     * @return the table
     */
    public static MountTable parse(List<String> lines) {
        List<Entry> entries = new ArrayList<>(lines.size());
        for (String line : lines) {
            // 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
            String[] fields = line.split(" ");
            int dash = line.indexOf(" - ");
            if (fields.length < 5 || dash < 0) {
                continue;
            }
            String[] tail = line.substring(dash + 3).split(" ");
            entries.add(new Entry(Path.of(unescape(fields[4])), tail[0], tail.length > 1 ? unescape(tail[1]) : ""));
        }
        return new MountTable(entries);
    }

    /**
     * Whether something is mounted exactly on {@code path}.
     *
     * @param path a mount point in the reading thread's view
     * @return whether the table lists a mount there
     */
    public boolean isMountPoint(Path path) {
        return mounts.stream().anyMatch(e -> e.mountPoint().equals(path));
    }

    /**
     * The mount point of the first filesystem of type {@code fsType}.
     *
     * @param fsType such as {@code cgroup2}
     * @return its mount point, or empty when none is mounted
     */
    public Optional<Path> firstOfType(String fsType) {
        return mounts.stream().filter(e -> e.fsType().equals(fsType)).map(Entry::mountPoint).findFirst();
    }

    /**
     * The mounts at or below {@code path}.
     *
     * @param path a directory in the reading thread's view
     * @return its mounts, in the kernel's order
     */
    public List<Entry> under(Path path) {
        return mounts.stream().filter(e -> e.mountPoint().startsWith(path)).toList();
    }

    /**
     * The mount on top at {@code mountPoint}: the last that mountinfo lists there.
     *
     * @param mountPoint a mount point in the reading thread's view
     * @return the topmost mount there, or empty when nothing is mounted there
     */
    public Optional<Entry> topmost(Path mountPoint) {
        Entry top = null;
        for (Entry e : mounts) {
            if (e.mountPoint().equals(mountPoint)) {
                top = e;
            }
        }
        return Optional.ofNullable(top);
    }

    /**
     * Whether {@code source} is mounted on {@code mountPoint}, on top or covered.
     *
     * @param mountPoint a mount point in the reading thread's view
     * @param source a mount source, such as {@code /dev/loop3}
     * @return whether such a mount is listed
     */
    public boolean isMountedFrom(Path mountPoint, String source) {
        return mounts.stream().anyMatch(e -> e.mountPoint().equals(mountPoint) && e.source().equals(source));
    }

    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && isOctal(s, i + 1) && isOctal(s, i + 2) && isOctal(s, i + 3)) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean isOctal(String s, int i) {
        return i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '7';
    }
}
