package org.subhost.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The mounts of a mount namespace as {@code /proc/PID/mountinfo} lists them (proc(5)):
 * mount point and filesystem type, with the kernel's octal escapes ({@code \040} for a
 * space) decoded.
 *
 * @param mounts the entries, in the kernel's order
 */
record MountTable(List<Entry> mounts) {

    /** One line of mountinfo: where, what type, from what source. */
    record Entry(Path mountPoint, String fsType, String source) {}

    MountTable {
        mounts = List.copyOf(mounts);
    }

    /** The mount table of the calling thread's mount namespace. */
    static MountTable ofThisThread() throws IOException {
        return read(Path.of("/proc/thread-self/mountinfo"));
    }

    /** Parses a mountinfo file. */
    static MountTable read(Path mountinfo) throws IOException {
        return parse(Files.readAllLines(mountinfo));
    }

    static MountTable parse(List<String> lines) {
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

    /** Whether something is mounted exactly on {@code path}. */
    boolean isMountPoint(Path path) {
        return mounts.stream().anyMatch(e -> e.mountPoint().equals(path));
    }

    /** The mount point of the first filesystem of type {@code fsType}. */
    Optional<Path> firstOfType(String fsType) {
        return mounts.stream().filter(e -> e.fsType().equals(fsType)).map(Entry::mountPoint).findFirst();
    }

    /** The mounts at or below {@code path}. */
    List<Entry> under(Path path) {
        return mounts.stream().filter(e -> e.mountPoint().startsWith(path)).toList();
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
