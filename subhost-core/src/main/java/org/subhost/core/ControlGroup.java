package org.subhost.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.subhost.config.Limits;
import org.subhost.linux.Errno;
import org.subhost.linux.SyscallException;

/**
 * The subhost's control groups (docs/architecture.md, "Control groups"): its group in the
 * cgroup v2 hierarchy and in each cgroup v1 hierarchy it needs ({@link SubhostGroups}), made
 * with its limits and device policy before pid 1 is spawned; pid 1 and the log relay are
 * born in them ({@link BirthGroups}), so that every process of the subhost is accounted and
 * limited there from its first instruction.
 *
 * <p>The steps run on every boot's path, where the JVM still interprets them for the first
 * few hundred boots: their descriptions are built with loops rather than streams.
 */
final class ControlGroup {
    private ControlGroup() {}

    /**
     * How deep the groups below the subhost's may nest ({@code cgroup.max.depth}): an init
     * system's slices, services and user sessions, and a nested subhost's own, need fewer.
     */
    static final int MAX_DEPTH = 16;
    /**
     * How many groups there may be below the subhost's in all ({@code
     * cgroup.max.descendants}): each costs the host's kernel memory, and a subhost that makes
     * groups without end (an init system in a loop, or its root on purpose) must not exhaust it.
     */
    static final int MAX_DESCENDANTS = 4096;

    /**
     * A refusal found while planning: a limit that this host cannot apply (no such
     * controller). The step fails the boot before anything is made, naming the limit, the
     * controller and the host's layout; {@code overlay-boot --dry-run} shows it.
     *
     * @param reason the message
     */
    record Refuse(String reason) implements BootStep.OnHost<Void> {
        @Override
        public String describe() {
            return "limits: refused: " + reason;
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            throw new IOException(reason);
        }
    }

    /**
     * mkdir of the groups (with the v2 controllers enabled in the parent), then the limits
     * written and the device policy applied, on the host before the log relay starts (it is
     * born in them, {@link BirthGroups}, as pid 1 is) and before any process is in them. Undo: the
     * groups removed, once their processes are gone.
     *
     * @param groups where the groups go
     * @param limits the limits; those at the kernel's default are not written
     * @param devices the device policy
     * @param layout the host's layout, for messages
     */
    record Create(SubhostGroups groups, Limits limits, DevicePolicy devices, CgroupLayout layout)
            implements BootStep.OnHost<Void> {
        @Override
        public String describe() {
            StringBuilder b = new StringBuilder("control groups ");
            joinPaths(b, groups.directories());
            if (!groups.v2Controllers().isEmpty()) {
                b.append(" (v2 controllers ").append(String.join(" ", new java.util.TreeSet<>(groups.v2Controllers())))
                        .append(')');
            }
            b.append("; ");
            List<String> set = set(limits);
            if (set.isEmpty()) {
                b.append("no limits");
            }
            for (int i = 0; i < set.size(); i++) {
                b.append(i == 0 ? "" : " ").append(set.get(i)).append('=').append(limits.text(set.get(i)));
            }
            return b.append("; devices ").append(devices.describe()).toString();
        }

        /** The limits of {@code limits} that are set, DISK_MAX among them, in the order of {@link Limits#VARIABLES}. */
        private static List<String> setWithDisk(Limits limits) {
            List<String> set = new java.util.ArrayList<>();
            for (String v : Limits.VARIABLES) {
                if (!limits.isKernelDefault(v)) {
                    set.add(v);
                }
            }
            return set;
        }

        /** The same without DISK_MAX, which is no control group's (DiskQuota sets it). */
        private static List<String> set(Limits limits) {
            List<String> set = setWithDisk(limits);
            set.remove("DISK_MAX");
            return set;
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            List<CgroupLimits.Write> writes = CgroupLimits.writes(limits, setWithDisk(limits), groups, layout);
            Cgroups.make(groups);
            try {
                CgroupLimits.apply(writes);
                devices.apply(groups, in.log()::warning);
                if (groups.v2().isPresent()) {
                    bound(groups.v2().get());
                }
            } catch (IOException | RuntimeException e) {
                try {
                    Cgroups.remove(groups);
                } catch (IOException undo) {
                    e.addSuppressed(undo);
                }
                throw e;
            }
            return null;
        }

        @Override
        public void undo(Void nothing, StepInputs in) throws Exception {
            Cgroups.remove(groups);
        }
    }

    /** Appends {@code paths}, parted by commas, to {@code b}; returns {@code b}. */
    private static StringBuilder joinPaths(StringBuilder b, List<Path> paths) {
        for (int i = 0; i < paths.size(); i++) {
            b.append(i == 0 ? "" : ", ").append(paths.get(i));
        }
        return b;
    }

    /**
     * Writes {@code cgroup.max.depth} and {@code cgroup.max.descendants} of {@code group}
     * when the hierarchy has them (cgroup v2, Linux 4.14); a v1 hierarchy has neither.
     */
    static void bound(Path group) throws IOException {
        // Opened without O_CREAT: ENOENT says the hierarchy has no such file, in the one call
        // that writes it where it has.
        try {
            CgroupLimits.write(group.resolve("cgroup.max.depth"), Integer.toString(MAX_DEPTH));
        } catch (SyscallException e) {
            if (e.is(Errno.ENOENT)) {
                return;
            }
            throw e;
        }
        CgroupLimits.write(group.resolve("cgroup.max.descendants"), Integer.toString(MAX_DESCENDANTS));
    }

    /**
     * Removes the groups below {@code group}, deepest first: an init system as pid 1 makes
     * its own (init.scope, system.slice/...), and the kernel removes only a group without
     * children (rmdir gives EBUSY otherwise). A group's directory holds only the kernel's
     * interface files, which rmdir takes along, and its child groups.
     */
    private static void removeChildren(Path group) throws IOException {
        if (!Files.isDirectory(group, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        List<Path> children;
        try (Stream<Path> entries = Files.list(group)) {
            children = entries.filter(p -> Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)).toList();
        }
        for (Path child : children) {
            removeChildren(child);
            Files.deleteIfExists(child);
        }
    }

    /**
     * Removes the group and the groups below it. The kernel refuses (EBUSY) while a process is in it; the processes
     * of a pid namespace may need a moment to leave after pid 1 is gone, so this retries
     * for up to two seconds.
     */
    static void remove(Path group) throws IOException {
        long deadline = System.nanoTime() + 2_000_000_000L;
        while (true) {
            try {
                // rmdir first: most groups have none below them, and listing a group's
                // directory means a stat of each of its dozens of interface files.
                try {
                    Files.deleteIfExists(group);
                    return;
                } catch (FileSystemException busy) {
                    removeChildren(group);
                }
                Files.deleteIfExists(group);
                return;
            } catch (FileSystemException e) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("cannot remove control group " + group + ": " + PlanExecutor.reason(e)
                            + " (processes still in it: " + Files.readString(group.resolve("cgroup.procs")).trim()
                            + ")", e);
                }
                try {
                    Thread.sleep(5);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while removing " + group, ie);
                }
            }
        }
    }
}
