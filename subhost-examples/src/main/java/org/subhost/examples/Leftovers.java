package org.subhost.examples;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * What subhosts left on this host, found by independent means rather than through the
 * API: entries of {@code /run/netns}, links in {@code /sys/class/net}, mounts in {@code
 * /proc/self/mountinfo} (under a directory, on {@code /run/netns/NAME}, or overlays with a
 * NAME as their source), state directories and lock files in {@code /run/subhost}, control
 * groups at the top of {@code /sys/fs/cgroup} (and {@code /sys/fs/cgroup/unified}), and
 * processes whose command line names a subhost ({@code --name NAME }, as the reaper's
 * does), a directory or a marker.
 *
 * <p>Which names count is a predicate on a name as it appears on the host: a netns, a link
 * (NAME followed by a cable number), a state directory, a cgroup.
 */
final class Leftovers {
    private static final Path RUN_NETNS = Path.of("/run/netns");
    private static final Path RUN_SUBHOST = Path.of("/run/subhost");
    private static final List<Path> CGROUP_TOPS = List.of(Path.of("/sys/fs/cgroup"), Path.of("/sys/fs/cgroup/unified"));

    private Leftovers() {}

    /**
     * Everything left that belongs to a name accepted by {@code ours}, lies under {@code
     * dir}, or runs with one of {@code markers} in its command line; one line each, empty
     * when nothing is left.
     */
    static List<String> find(Predicate<String> ours, Path dir, List<String> markers) throws IOException {
        List<String> left = new ArrayList<>();
        for (String n : entries(RUN_NETNS)) {
            if (ours.test(n)) {
                left.add("netns " + RUN_NETNS.resolve(n));
            }
        }
        for (String n : entries(Path.of("/sys/class/net"))) {
            if (ours.test(n)) {
                left.add("link " + n);
            }
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            Path mountPoint = Path.of(unescape(f[4]));
            boolean onNetns = RUN_NETNS.equals(mountPoint.getParent()) && ours.test(mountPoint.getFileName().toString());
            boolean overlay = dash > 0 && dash + 2 < f.length && f[dash + 1].equals("overlay") && ours.test(f[dash + 2]);
            if (mountPoint.startsWith(dir) || onNetns || overlay) {
                left.add("mount " + mountPoint + " (" + (dash > 0 && dash + 2 < f.length ? f[dash + 1] + " " + f[dash + 2] : "?")
                        + ")");
            }
        }
        for (String n : entries(RUN_SUBHOST)) {
            // .NAME.lock is the lock file of NAME (StateStore); any other entry is a state directory.
            boolean lock = n.startsWith(".") && n.endsWith(".lock");
            String name = lock ? n.substring(1, n.length() - ".lock".length()) : n;
            if (ours.test(name)) {
                left.add((lock ? "lock file " : "state ") + RUN_SUBHOST.resolve(n));
            }
        }
        for (Path top : CGROUP_TOPS) {
            for (String n : entries(top)) {
                if (ours.test(n) && Files.isDirectory(top.resolve(n))) {
                    left.add("cgroup " + top.resolve(n));
                }
            }
        }
        left.addAll(processes(ours, dir, markers));
        return left;
    }

    /** The processes whose command line names a subhost of ours ({@code --name NAME }), {@code dir} or a marker. */
    static List<String> processes(Predicate<String> ours, Path dir, List<String> markers) throws IOException {
        List<String> left = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        for (String pid : entries(Path.of("/proc"))) {
            if (!pid.matches("\\d+") || Long.parseLong(pid) == self) {
                continue;
            }
            String cmdline;
            try {
                cmdline = new String(Files.readAllBytes(Path.of("/proc", pid, "cmdline")), StandardCharsets.UTF_8)
                        .replace('\0', ' ');
            } catch (IOException e) {
                continue; // the process ended while we looked
            }
            int at = cmdline.indexOf("--name ");
            String named = at < 0 ? "" : cmdline.substring(at + "--name ".length()).split(" ", 2)[0];
            boolean ourName = !named.isEmpty() && ours.test(named);
            // dir + "/": round w0-1 must not claim the processes of round w0-10.
            if (ourName || cmdline.contains(dir + "/") || markers.stream().anyMatch(cmdline::contains)) {
                left.add("process " + pid + " (" + cmdline.trim() + ")");
            }
        }
        return left;
    }

    /** The pids of the processes whose command line contains {@code marker}. */
    static List<Long> pidsWith(String marker) throws IOException {
        List<Long> pids = new ArrayList<>();
        for (String pid : entries(Path.of("/proc"))) {
            if (!pid.matches("\\d+")) {
                continue;
            }
            try {
                String cmdline = new String(Files.readAllBytes(Path.of("/proc", pid, "cmdline")), StandardCharsets.UTF_8)
                        .replace('\0', ' ');
                if (cmdline.contains(marker)) {
                    pids.add(Long.parseLong(pid));
                }
            } catch (IOException e) {
                // the process ended while we looked
            }
        }
        return pids;
    }

    private static List<String> entries(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /** A mountinfo path with its octal escapes ({@code \040} for a space) undone. */
    private static String unescape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }
}
