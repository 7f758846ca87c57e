package org.subhost.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.subhost.config.Limits;

/**
 * The subhost's control groups (docs/architecture.md, "Control groups"): its group in the
 * cgroup v2 hierarchy and in each cgroup v1 hierarchy it needs ({@link SubhostGroups}), made
 * with its limits and device policy before pid 1 is spawned, joined by pid 1 and the log
 * relay before pid 1 starts anything of the subhost, so that every process of the subhost
 * is accounted and limited there from its first instruction.
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
     * written and the device policy applied, before the root is switched and before any
     * process is in them. Undo: the groups removed, once their processes are gone.
     *
     * @param groups where the groups go
     * @param limits the limits; those at the kernel's default are not written
     * @param devices the device policy
     * @param layout the host's layout, for messages
     */
    record Create(SubhostGroups groups, Limits limits, DevicePolicy devices, CgroupLayout layout)
            implements BootStep.InNamespace<Void> {
        @Override
        public String describe() {
            List<String> set = Limits.VARIABLES.stream().filter(v -> !v.equals("DISK_MAX") && !limits.isKernelDefault(v))
                    .map(v -> v + "=" + limits.text(v)).toList();
            return "control groups " + String.join(", ", groups.directories().stream().map(Path::toString).toList())
                    + (groups.v2Controllers().isEmpty() ? "" : " (v2 controllers " + String.join(" ",
                            new java.util.TreeSet<>(groups.v2Controllers())) + ")")
                    + "; " + (set.isEmpty() ? "no limits" : String.join(" ", set))
                    + "; devices " + devices.describe();
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            List<CgroupLimits.Write> writes = CgroupLimits.writes(limits, Limits.VARIABLES.stream()
                    .filter(v -> !limits.isKernelDefault(v)).toList(), groups, layout);
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

    /**
     * Writes {@code cgroup.max.depth} and {@code cgroup.max.descendants} of {@code group}
     * when the hierarchy has them (cgroup v2, Linux 4.14); a v1 hierarchy has neither.
     */
    static void bound(Path group) throws IOException {
        Path depth = group.resolve("cgroup.max.depth");
        if (Files.exists(depth)) {
            Files.writeString(depth, Integer.toString(MAX_DEPTH));
            Files.writeString(group.resolve("cgroup.max.descendants"), Integer.toString(MAX_DESCENDANTS));
        }
    }

    /**
     * pid 1 ({@code pid1}) into every group of the subhost, by writing its pid to each
     * {@code cgroup.procs}; and the log relay ({@code relay}) into its v2 and memory groups,
     * since its memory is the subhost's too (it ends with the subhost, before the groups go). pid 1 waits for its
     * go before it starts anything of the subhost, and gets it only after this.
     */
    record Join(SubhostGroups groups, Slot<NamespaceSpawner.Pid1> pid1, Slot<LogRelay.Ends> relay)
            implements BootStep.OnHost<Void> {
        @Override
        public String describe() {
            return "pid 1 into control groups " + String.join(", ", groups.directories().stream().map(Path::toString)
                    .toList());
        }

        @Override
        public List<Slot<?>> consumes() {
            return List.of(pid1, relay);
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            Cgroups.join(groups.directories(), in.get(pid1).pid());
            int relayPid = in.get(relay).pid();
            if (relayPid > 0) {
                Cgroups.join(groups.relayDirectories(), relayPid);
            }
            return null;
        }
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
