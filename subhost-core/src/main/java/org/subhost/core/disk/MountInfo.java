package org.subhost.core.disk;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The mounts of the calling thread's mount namespace as {@code /proc/thread-self/mountinfo}
 * lists them (proc(5)): mount point, filesystem type and source, with the kernel's octal
 * escapes ({@code \040} for a space) decoded. Later entries lie on top of earlier ones at
 * the same mount point.
 *
 * @param mounts the entries, in the kernel's order
 */
record MountInfo(List<MountInfo.Entry> mounts) {
    /** One line of mountinfo: where, what type, from what source. */
    record Entry(Path mountPoint, String fsType, String source) {}

    MountInfo {
        mounts = List.copyOf(mounts);
    }

    /** The mounts of the calling thread's mount namespace. */
    static MountInfo ofThisThread() throws IOException {
        return parse(Files.readAllLines(Path.of("/proc/thread-self/mountinfo")));
    }

    static MountInfo parse(List<String> lines) {
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
        return new MountInfo(entries);
    }

    /** The mount on top at {@code mountPoint}: the last that mountinfo lists there. */
    Optional<Entry> topmost(Path mountPoint) {
        Entry top = null;
        for (Entry e : mounts) {
            if (e.mountPoint().equals(mountPoint)) {
                top = e;
            }
        }
        return Optional.ofNullable(top);
    }

    /** Whether {@code source} is mounted on {@code mountPoint}, on top or covered. */
    boolean isMountedFrom(Path mountPoint, String source) {
        return mounts.stream().anyMatch(e -> e.mountPoint().equals(mountPoint) && e.source().equals(source));
    }

    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(s.charAt(i));
            }
        }
        return b.toString();
    }
}
