package org.subhost.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.SequencedMap;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * What subhosts left on this host, found by independent means rather than through the
 * API under test: entries of {@code /run/netns}, links in {@code /sys/class/net}, mounts in
 * {@code /proc/self/mountinfo} (under a test's directories, on {@code /run/netns/NAME}, or
 * overlays with a NAME as their source), state directories and lock files in {@code
 * /run/subhost}, control groups at the top of every cgroup hierarchy (v2 and v1) and inside
 * the group this process is in there, processes whose command line names a subhost ({@code --name
 * NAME }, as its pid 1 does), a test's directory or a marker, loop devices bound to a
 * test's image files, and mount or network namespaces other than its own that this JVM
 * still holds through a descriptor or a thread (except the SDK's mount seed, while it is
 * a copy of the host's mounts: {@link #find()}).
 *
 * <p>The last one matters because the mounts of a subhost live in its own mount namespace:
 * a namespace kept alive by a leaked descriptor or a thread that never went back is not in
 * the host's mount table, yet holds the subhost's overlay and its disk images.
 *
 * <pre>{@code
 * assertThat(HostLeftovers.of(name).under(base).find()).as("what %s left", name).isEmpty();
 * }</pre>
 */
public final class HostLeftovers {
    private static final Path RUN_NETNS = Path.of("/run/netns");
    private static final Path RUN_SUBHOST = Path.of("/run/subhost");
    private static final List<Path> CGROUP_TOPS = List.of(Path.of("/sys/fs/cgroup"), Path.of("/sys/fs/cgroup/unified"));

    private final Predicate<String> ours;
    private final List<Path> dirs = new ArrayList<>();
    private final List<String> markers = new ArrayList<>();
    private final List<String> links = new ArrayList<>();
    private final List<Path> images = new ArrayList<>();
    private boolean namespacesOfThisJvm = true;

    private HostLeftovers(Predicate<String> ours) {
        this.ours = ours;
    }

    /**
     * The check for the subhosts {@code names}: a link counts when it is a NAME and a cable
     * number ({@code NAME0}, {@code NAME0.302}).
     *
     * @param names the subhosts' NAMEs
     * @return the check, to be narrowed further and run with {@link #find()}
     */
    public static HostLeftovers of(String... names) {
        List<String> all = List.of(names);
        return new HostLeftovers(all::contains);
    }

    /**
     * The check for every subhost whose NAME {@code ours} accepts.
     *
     * @param ours which NAMEs are the test's
     * @return the check, to be narrowed further and run with {@link #find()}
     */
    public static HostLeftovers matching(Predicate<String> ours) {
        return new HostLeftovers(ours);
    }

    /**
     * Also mounts below {@code dirs}, and processes whose command line names a path below one of them.
     *
     * @param dirs the test's directories (a null is left out)
     * @return this check
     */
    public HostLeftovers under(Path... dirs) {
        for (Path d : dirs) {
            if (d != null) {
                this.dirs.add(d.toAbsolutePath().normalize());
            }
        }
        return this;
    }

    /**
     * Also processes whose command line contains one of {@code markers}.
     *
     * @param markers strings of the test's own command lines
     * @return this check
     */
    public HostLeftovers markers(String... markers) {
        this.markers.addAll(List.of(markers));
        return this;
    }

    /**
     * Also links of these exact names (a bridge the test made, say).
     *
     * @param names link names
     * @return this check
     */
    public HostLeftovers links(String... names) {
        this.links.addAll(List.of(names));
        return this;
    }

    /**
     * Also loop devices whose backing file is one of {@code images}.
     *
     * @param images the test's image files (a null is left out)
     * @return this check
     */
    public HostLeftovers images(Path... images) {
        for (Path i : images) {
            if (i != null) {
                this.images.add(i.toAbsolutePath().normalize());
            }
        }
        return this;
    }

    /**
     * Leaves out the namespaces that this JVM holds: for a program that boots other
     * subhosts in this JVM while it checks (the soak's rounds run side by side, and a
     * round's boot thread is in that round's mount namespace while another round checks).
     *
     * @return this check
     */
    public HostLeftovers ignoringThisJvmsNamespaces() {
        this.namespacesOfThisJvm = false;
        return this;
    }

    /**
     * Everything left, one line each ({@code link sht1x0}, {@code mount /tmp/b/live (overlay sht1x)}).
     * The one mount namespace that the SDK keeps between boots as the seed of their own
     * (a copy of the host's mounts without {@code /run/netns}) is not counted while it holds
     * nothing but mounts the host still has.
     *
     * @return what is left; empty when nothing
     * @throws IOException when {@code /proc} or {@code /sys} cannot be read
     */
    public List<String> find() throws IOException {
        List<String> left = new ArrayList<>();
        for (String n : entries(RUN_NETNS)) {
            if (ours.test(n)) {
                left.add("netns " + RUN_NETNS.resolve(n));
            }
        }
        for (String n : entries(Path.of("/sys/class/net"))) {
            if (ours.test(n.replaceFirst("\\d+(\\.\\d+)?$", "")) || links.contains(n)) {
                left.add("link " + n);
            }
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            Path mountPoint = Path.of(unescape(f[4]));
            boolean onNetns = RUN_NETNS.equals(mountPoint.getParent()) && ours.test(mountPoint.getFileName().toString());
            boolean overlay = dash > 0 && dash + 2 < f.length && f[dash + 1].equals("overlay") && ours.test(f[dash + 2]);
            if (dirs.stream().anyMatch(mountPoint::startsWith) || onNetns || overlay) {
                left.add("mount " + mountPoint + " (" + (dash > 0 && dash + 2 < f.length ? f[dash + 1] + " " + f[dash + 2] : "?")
                        + ")");
            }
        }
        for (String n : entries(RUN_SUBHOST)) {
            // .NAME.lock is the lock file of NAME; any other entry is a state directory.
            boolean lock = n.startsWith(".") && n.endsWith(".lock");
            String name = lock ? n.substring(1, n.length() - ".lock".length()) : n;
            if (ours.test(name)) {
                left.add((lock ? "lock file " : "state ") + RUN_SUBHOST.resolve(n));
            }
        }
        for (Path parent : cgroupParents()) {
            for (String n : entries(parent)) {
                if (ours.test(n) && Files.isDirectory(parent.resolve(n))) {
                    left.add("cgroup " + parent.resolve(n));
                }
            }
        }
        left.addAll(processes());
        left.addAll(loopDevices());
        if (namespacesOfThisJvm) {
            left.addAll(withoutMountSeed(namespacesHeldByThisJvm()));
        }
        return left;
    }

    /**
     * {@code held} without the SDK's mount seed: the one mount namespace that a JVM which
     * booted subhosts keeps by a descriptor between boots, a copy of the host's mounts
     * without those under {@code /run/netns}, from which each boot's own is copied. It counts
     * only while its mount table is that: no mount at or below {@code /run/netns}, and every
     * mount in it one that the host still has at the same place, of the same type, source
     * and root (a copy of a mount the host has let go of would keep its filesystem, a loop
     * device say, alive). Read with {@code nsenter --mount}; a second such namespace, or one
     * that nsenter cannot read, counts as left.
     */
    private static List<String> withoutMountSeed(List<String> held) throws IOException {
        List<String> seeds = held.stream().filter(l -> l.startsWith("descriptor ") && l.contains(" holds mnt namespace "))
                .filter(HostLeftovers::isCopyOfHostMounts).toList();
        if (seeds.size() != 1) {
            return held;
        }
        List<String> rest = new ArrayList<>(held);
        rest.remove(seeds.get(0));
        return rest;
    }

    /** Whether the mount namespace of the descriptor in {@code line} holds only copies of the host's mounts, none under /run/netns. */
    private static boolean isCopyOfHostMounts(String line) {
        String fd = line.substring("descriptor ".length()).split(" ", 2)[0];
        Path nsenter = Path.of("/usr/bin/nsenter");
        if (!Files.isExecutable(nsenter)) {
            return false;
        }
        try {
            Process p = new ProcessBuilder(nsenter.toString(), "--mount=/proc/" + ProcessHandle.current().pid() + "/fd/" + fd,
                    "cat", "/proc/self/mountinfo").redirectErrorStream(true).start();
            p.getOutputStream().close();
            String table = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                return false;
            }
            java.util.Set<String> host = new java.util.HashSet<>();
            for (String l : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
                host.add(mountKey(l));
            }
            for (String l : table.split("\n")) {
                if (l.isBlank()) {
                    continue;
                }
                Path mountPoint = Path.of(unescape(l.split(" ")[4]));
                if (mountPoint.startsWith(RUN_NETNS) || !host.contains(mountKey(l))) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** A mountinfo line's root, mount point, type and source: what a copy of the mount has in common with it. */
    private static String mountKey(String line) {
        String[] f = line.split(" ");
        int dash = List.of(f).indexOf("-");
        String rest = dash > 0 && dash + 2 < f.length ? f[dash + 1] + " " + f[dash + 2] : "?";
        return (f.length > 4 ? f[3] + " " + f[4] : line) + " " + rest;
    }

    /**
     * Where a subhost's control groups can be: the top of {@code /sys/fs/cgroup} and of its
     * v2 hierarchy, the top of every cgroup hierarchy in the mount table (v1 ones too), and
     * in each of those the group this process is in ({@code /proc/self/cgroup}), where a
     * subhost's v1 groups go.
     */
    private static List<Path> cgroupParents() throws IOException {
        java.util.Set<Path> parents = new java.util.LinkedHashSet<>(CGROUP_TOPS);
        List<Path> mounts = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            int dash = List.of(f).indexOf("-");
            if (dash > 0 && dash + 1 < f.length && (f[dash + 1].equals("cgroup") || f[dash + 1].equals("cgroup2"))) {
                mounts.add(Path.of(unescape(f[4])));
            }
        }
        List<String> own = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/cgroup"))) {
            String[] f = line.split(":", 3);
            if (f.length == 3 && f[2].startsWith("/") && !f[2].equals("/")) {
                own.add(f[2].substring(1));
            }
        }
        for (Path mount : mounts) {
            parents.add(mount);
            for (String group : own) {
                Path candidate = mount.resolve(group);
                if (Files.isDirectory(candidate)) {
                    parents.add(candidate);
                }
            }
        }
        return List.copyOf(parents);
    }

    /** The processes whose command line names a subhost of ours ({@code --name NAME }), a path under a directory, or a marker. */
    private List<String> processes() throws IOException {
        List<String> left = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        commandLines().forEach((pid, cmdline) -> {
            int at = cmdline.indexOf("--name ");
            String named = at < 0 ? "" : cmdline.substring(at + "--name ".length()).split(" ", 2)[0];
            boolean ourName = !named.isEmpty() && ours.test(named);
            // d + "/": a directory .../w0-1 must not claim the processes of .../w0-10.
            if (pid != self && (ourName || dirs.stream().anyMatch(d -> cmdline.contains(d + "/"))
                    || markers.stream().anyMatch(cmdline::contains))) {
                left.add("process " + pid + " (" + cmdline.trim() + ")");
            }
        });
        return left;
    }

    /** Loop devices bound to one of the images ({@code /sys/block/loopN/loop/backing_file}). */
    private List<String> loopDevices() throws IOException {
        List<String> left = new ArrayList<>();
        if (images.isEmpty()) {
            return left;
        }
        for (String dev : entries(Path.of("/sys/block"))) {
            Path backing = Path.of("/sys/block", dev, "loop", "backing_file");
            if (!dev.startsWith("loop")) {
                continue;
            }
            String file;
            try {
                file = Files.readString(backing).strip().replaceFirst(" \\(deleted\\)$", "");
            } catch (IOException e) {
                continue; // not bound, or detached while we looked
            }
            if (images.contains(Path.of(file))) {
                left.add("loop device /dev/" + dev + " (" + file + ")");
            }
        }
        return left;
    }

    /** How long a link's delete may stay in the kernel after a stop before its thread counts as left. */
    private static final java.time.Duration LINK_DELETE_WAIT = java.time.Duration.ofSeconds(20);

    /**
     * The mount and network namespaces other than this process's own that this JVM holds:
     * a descriptor open on one ({@code /proc/self/fd/N} reads {@code mnt:[INODE]}), or a
     * thread that lives in one ({@code /proc/self/task/TID/ns/mnt}).
     *
     * @return one line for each; empty when none
     * @throws IOException when {@code /proc/self} cannot be read
     */
    public static List<String> namespacesHeldByThisJvm() throws IOException {
        awaitLinkDeletes();
        List<String> left = new ArrayList<>();
        for (String kind : List.of("mnt", "net")) {
            String own = Files.readSymbolicLink(Path.of("/proc/self/ns", kind)).toString();
            for (String fd : entries(Path.of("/proc/self/fd"))) {
                String target;
                try {
                    target = Files.readSymbolicLink(Path.of("/proc/self/fd", fd)).toString();
                } catch (IOException e) {
                    continue; // closed while we looked (the directory's own descriptor, say)
                }
                if (target.startsWith(kind + ":[") && !target.equals(own)) {
                    left.add("descriptor " + fd + " of this JVM holds " + kind + " namespace " + target);
                }
            }
            for (String tid : entries(Path.of("/proc/self/task"))) {
                String ns;
                String comm;
                try {
                    ns = Files.readSymbolicLink(Path.of("/proc/self/task", tid, "ns", kind)).toString();
                    comm = Files.readString(Path.of("/proc/self/task", tid, "comm")).strip();
                } catch (IOException e) {
                    continue; // the thread ended while we looked
                }
                if (!ns.equals(own)) {
                    left.add("thread " + tid + " (" + comm + ") of this JVM is in " + kind + " namespace " + ns);
                }
            }
        }
        return left;
    }

    /**
     * Waits, at most {@link #LINK_DELETE_WAIT}, for the threads that delete a link after a
     * stop ({@code "delete link NAME"}, of the SDK's LinkRemoval) to end: such a thread
     * outlives the stop on purpose, in the namespaces the stop ran in, until the kernel has
     * freed the link, and ends by itself; one that outlives the wait is counted as left.
     */
    private static void awaitLinkDeletes() throws IOException {
        long deadline = System.nanoTime() + LINK_DELETE_WAIT.toNanos();
        while (System.nanoTime() < deadline && linkDeleteRunning()) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static boolean linkDeleteRunning() throws IOException {
        for (String tid : entries(Path.of("/proc/self/task"))) {
            try {
                // comm is cut at 15 bytes: "delete link sht" for "delete link sht1x0".
                if (Files.readString(Path.of("/proc/self/task", tid, "comm")).startsWith("delete link")) {
                    return true;
                }
            } catch (IOException e) {
                // the thread ended while we looked
            }
        }
        return false;
    }

    /**
     * The pids of the processes whose command line contains {@code marker}.
     *
     * @param marker a string of the caller's own command lines
     * @return their pids, in the order of {@code /proc}; empty when none
     * @throws IOException when {@code /proc} cannot be read
     */
    public static List<Long> pidsWith(String marker) throws IOException {
        List<Long> pids = new ArrayList<>();
        commandLines().forEach((pid, cmdline) -> {
            if (cmdline.contains(marker)) {
                pids.add(pid);
            }
        });
        return pids;
    }

    /** Every process's command line, its arguments joined by spaces, by pid in the order of {@code /proc}. */
    private static SequencedMap<Long, String> commandLines() throws IOException {
        SequencedMap<Long, String> lines = new LinkedHashMap<>();
        for (String pid : entries(Path.of("/proc"))) {
            if (!pid.matches("\\d+")) {
                continue;
            }
            try {
                lines.put(Long.parseLong(pid), new String(Files.readAllBytes(Path.of("/proc", pid, "cmdline")),
                        StandardCharsets.UTF_8).replace('\0', ' '));
            } catch (IOException e) {
                // the process ended while we looked
            }
        }
        return lines;
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
