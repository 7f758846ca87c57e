package org.subhost.core;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.stream.Stream;
import org.subhost.SubhostStatus;
import org.subhost.linux.Errno;
import org.subhost.linux.SyscallException;

/**
 * What is done to a subhost's control groups ({@link SubhostGroups}): made before pid 1
 * starts anything, joined by pid 1, the log relay and every entering process, read for the
 * status, removed at the stop. Only groups of the subhost's own are made, written or
 * removed; of the host's groups, only a v2 parent's {@code cgroup.subtree_control} is
 * written, to enable a controller that the subhost's limits need.
 */
final class Cgroups {
    /** The group a delegated unit's main process moves to, so that its unit's group can enable controllers. */
    static final String SUPERVISOR = "supervisor";

    private Cgroups() {}

    /**
     * Makes the subhost's groups: first the v2 controllers enabled in the v2 parent's
     * {@code cgroup.subtree_control} (those not enabled yet), then each directory. A group
     * that exists already is taken only when it has neither processes nor groups below it
     * (one left by a boot that was killed); anything else is some other group of the
     * host's, which is never taken.
     *
     * <p>A v2 group other than the root may enable controllers for its children only while
     * it has no process of its own (EBUSY otherwise: "no internal processes"). Under a
     * systemd unit with Delegate=yes, the unit's group holds its main process, this one:
     * then this process moves into the unit's {@code supervisor} group first, as
     * systemd's DelegateSubgroup=supervisor would have put it; systemd removes that group
     * with the unit's.
     *
     * @param groups where the groups go
     * @return the directories made (not those taken over), for an undo
     * @throws IOException naming the group or file the kernel refused; what was made is
     *     removed again
     */
    static List<Path> make(SubhostGroups groups) throws IOException {
        if (groups.v2().isPresent() && !groups.v2Controllers().isEmpty()) {
            enableControllers(groups.v2().get().getParent(), groups.v2Controllers());
        }
        List<Path> made = new ArrayList<>();
        try {
            for (Path dir : groups.directories()) {
                if (makeOne(dir)) {
                    made.add(dir);
                }
            }
        } catch (IOException | RuntimeException e) {
            for (Path dir : made.reversed()) {
                try {
                    Files.deleteIfExists(dir);
                } catch (IOException undo) {
                    e.addSuppressed(undo);
                }
            }
            throw e;
        }
        return made;
    }

    /** mkdir of one group; true when made, false when an empty one was there. */
    private static boolean makeOne(Path dir) throws IOException {
        try {
            Files.createDirectory(dir);
            return true;
        } catch (FileAlreadyExistsException e) {
            String procs = Files.readString(dir.resolve("cgroup.procs")).strip();
            boolean children;
            try (Stream<Path> entries = Files.list(dir)) {
                children = entries.anyMatch(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS));
            }
            if (!procs.isEmpty() || children) {
                throw new IOException("control group " + dir + " exists and is not this subhost's (it has "
                        + (procs.isEmpty() ? "groups below it" : "processes") + "): boot it under another NAME, or"
                        + " remove that group if it is a leftover");
            }
            return false;
        }
    }

    /** Enables {@code controllers} below {@code parent}, those that its subtree_control lacks. */
    static void enableControllers(Path parent, Set<String> controllers) throws IOException {
        Path control = parent.resolve("cgroup.subtree_control");
        Set<String> enabled = words(Files.readString(control));
        List<String> missing = controllers.stream().filter(c -> !enabled.contains(c)).sorted().toList();
        if (missing.isEmpty()) {
            return;
        }
        String value = String.join(" ", missing.stream().map(c -> "+" + c).toList());
        try {
            CgroupLimits.write(control, value);
        } catch (SyscallException e) {
            long self = ProcessHandle.current().pid();
            if (!e.is(Errno.EBUSY) || !words(Files.readString(parent.resolve("cgroup.procs"))).contains(
                    Long.toString(self))) {
                throw new IOException("cannot enable the " + String.join(", ", missing) + " controller"
                        + (missing.size() > 1 ? "s" : "") + " for the subhost's group: " + e.getMessage(), e);
            }
            Path supervisor = parent.resolve(SUPERVISOR);
            try {
                Files.createDirectory(supervisor);
            } catch (FileAlreadyExistsException exists) {
                // made by an earlier boot of this unit, or by systemd (DelegateSubgroup=supervisor)
            }
            CgroupLimits.write(supervisor.resolve("cgroup.procs"), Long.toString(self));
            CgroupLimits.write(control, value);
        }
    }

    /**
     * The groups that a change of a running subhost's limits from {@code now} to {@code next}
     * needs, made: a v2 controller that the subhost's group lacks is enabled in its parent; a
     * v1 group that it lacks is made where a boot would put it now, and each of its
     * processes moved in ({@link #moveAll}). The caller records them before it writes any
     * limit ({@link #change}), so that the stop removes them whatever comes next.
     *
     * @param groups the subhost's groups
     * @param now its limits now
     * @param next the limits it is to have
     * @param layout the host's layout
     * @return the groups, with those added
     * @throws IOException when a controller is missing on this host, or the kernel refuses
     */
    static SubhostGroups prepareChange(SubhostGroups groups, org.subhost.config.Limits now,
            org.subhost.config.Limits next, CgroupLayout layout) throws IOException {
        SubhostGroups g = groups;
        for (String variable : changed(now, next)) {
            String controller = SubhostGroups.CONTROLLER.get(variable);
            if (controller == null || g.placement(controller).isPresent() || next.isKernelDefault(variable)) {
                continue;
            }
            Optional<Path> v2 = g.v2();
            Optional<CgroupLayout.Hierarchy> v1 = layout.v1Hierarchy(controller);
            if (v2.isPresent() && CgroupLayout.readControllers(v2.get().getParent()).contains(controller)) {
                enableControllers(v2.get().getParent(), Set.of(controller));
                Set<String> more = new java.util.TreeSet<>(g.v2Controllers());
                more.add(controller);
                g = new SubhostGroups(v2, more, g.v1());
            } else if (v1.isPresent()) {
                // A group of the hierarchy, where a boot would have put it, and every process
                // of the subhost moved into it.
                Path dir = v1.get().groupOf(name(g));
                makeOne(dir);
                try {
                    moveAll(g, dir);
                } catch (IOException | RuntimeException e) {
                    try {
                        ControlGroup.remove(dir);
                    } catch (IOException undo) {
                        e.addSuppressed(undo);
                    }
                    throw e;
                }
                g = g.withV1(v1.get(), dir);
            } else {
                throw new IOException(variable + " (" + next.text(variable) + ") cannot be set: this host has no "
                        + controller + " controller for the subhost's groups (" + layout.describe() + ")");
            }
        }
        return g;
    }

    /**
     * Writes each limit that differs between {@code now} and {@code next} into the
     * subhost's groups (made by {@link #prepareChange}), and DISK_MAX into UPPER's quota.
     *
     * @param groups the subhost's groups
     * @param now its limits now
     * @param next the limits it is to have
     * @param upper UPPER, for DISK_MAX
     * @param layout the host's layout, for messages
     * @throws IOException naming the limit that cannot be set; those before it are set
     */
    static void change(SubhostGroups groups, org.subhost.config.Limits now, org.subhost.config.Limits next,
            Optional<Path> upper, CgroupLayout layout) throws IOException {
        List<String> changed = changed(now, next);
        CgroupLimits.apply(CgroupLimits.writes(next, changed, groups, layout));
        if (changed.contains("DISK_MAX")) {
            if (upper.isEmpty()) {
                throw new IOException("DISK_MAX cannot be set on the running subhost: its record does not name UPPER"
                        + " (it was booted by an older version); boot it again");
            }
            DiskQuota.set(upper.get(), Optional.empty(), next.diskMax(), line -> { });
        }
    }

    private static List<String> changed(org.subhost.config.Limits now, org.subhost.config.Limits next) {
        return org.subhost.config.Limits.VARIABLES.stream().filter(v -> !now.text(v).equals(next.text(v))).toList();
    }

    /** The subhost's NAME: the last name of each of its groups. */
    private static String name(SubhostGroups groups) {
        return groups.directories().get(0).getFileName().toString();
    }

    /**
     * Moves every process of the subhost into the new group {@code dir} (of a v1 hierarchy
     * that the subhost had no group in): each pid of its membership group, again until a
     * pass finds none left out, since a process may fork while it is moved.
     *
     * @param groups the subhost's groups, without {@code dir}
     * @param dir the new group, made
     * @throws IOException when the kernel refuses a move
     */
    static void moveAll(SubhostGroups groups, Path dir) throws IOException {
        Path from = groups.membership().orElseThrow(() -> new IOException("the subhost has no control group to"
                + " find its processes in"));
        for (int pass = 0; pass < 100; pass++) {
            Set<String> there = words(Files.readString(dir.resolve("cgroup.procs")));
            List<String> left = words(Files.readString(from.resolve("cgroup.procs"))).stream()
                    .filter(p -> !there.contains(p)).toList();
            if (left.isEmpty()) {
                return;
            }
            for (String pid : left) {
                try {
                    CgroupLimits.write(dir.resolve("cgroup.procs"), pid);
                } catch (SyscallException e) {
                    if (!e.is(Errno.ESRCH)) {
                        throw e;
                    }
                    // ended meanwhile
                }
            }
        }
        throw new IOException("the processes of " + from + " kept forking while they were moved into " + dir);
    }

    /**
     * Removes the subhost's groups and the groups below them, each once its processes are
     * gone ({@link ControlGroup#remove}).
     *
     * @param groups the subhost's groups
     * @throws IOException for the first group that stays; the others are still tried
     */
    static void remove(SubhostGroups groups) throws IOException {
        IOException first = null;
        for (Path dir : groups.directories().reversed()) {
            try {
                ControlGroup.remove(dir);
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /**
     * What the subhost uses now, from its groups' files: memory now and at its peak, OOM
     * kills, processes and CPU time. A figure whose file the host lacks is empty.
     *
     * @param groups the subhost's groups
     * @return the usage
     */
    static SubhostStatus.Usage usage(SubhostGroups groups) {
        OptionalLong memory = OptionalLong.empty();
        OptionalLong peak = OptionalLong.empty();
        OptionalLong oomKills = OptionalLong.empty();
        Optional<SubhostGroups.Placement> m = groups.placement("memory");
        if (m.isPresent()) {
            Path g = m.get().group();
            boolean v2 = m.get().v2();
            memory = number(g.resolve(v2 ? "memory.current" : "memory.usage_in_bytes"));
            peak = number(g.resolve(v2 ? "memory.peak" : "memory.max_usage_in_bytes"));
            oomKills = field(g.resolve(v2 ? "memory.events" : "memory.oom_control"), "oom_kill");
        }
        OptionalLong processes = groups.placement("pids").map(p -> number(p.group().resolve("pids.current")))
                .orElse(OptionalLong.empty());
        if (processes.isEmpty()) {
            processes = groups.membership().map(g -> count(g.resolve("cgroup.procs"))).orElse(OptionalLong.empty());
        }
        OptionalLong cpuMicros = groups.v2().map(g -> field(g.resolve("cpu.stat"), "usage_usec"))
                .orElse(OptionalLong.empty());
        if (cpuMicros.isEmpty() && groups.v1().containsKey("cpuacct")) {
            OptionalLong nanos = number(groups.v1().get("cpuacct").resolve("cpuacct.usage"));
            cpuMicros = nanos.isPresent() ? OptionalLong.of(nanos.getAsLong() / 1000) : OptionalLong.empty();
        }
        return new SubhostStatus.Usage(memory, peak, processes, cpuMicros, oomKills);
    }

    private static OptionalLong number(Path file) {
        try {
            return OptionalLong.of(Long.parseLong(Files.readString(file).strip()));
        } catch (IOException | NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    /** The value of {@code KEY N} line {@code key} of a flat keyed file ({@code memory.events}, {@code cpu.stat}). */
    private static OptionalLong field(Path file, String key) {
        try {
            for (String line : Files.readAllLines(file)) {
                String[] f = line.strip().split("\\s+");
                if (f.length == 2 && f[0].equals(key)) {
                    return OptionalLong.of(Long.parseLong(f[1]));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not there: unknown
        }
        return OptionalLong.empty();
    }

    private static OptionalLong count(Path procs) {
        try {
            return OptionalLong.of(words(Files.readString(procs)).size());
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    private static Set<String> words(String text) {
        Set<String> out = new LinkedHashSet<>();
        for (String w : text.strip().split("\\s+")) {
            if (!w.isEmpty()) {
                out.add(w);
            }
        }
        return out;
    }
}
