package org.subhost.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The subhost's control group (docs/spec.md §3.8): a group named NAME at the top of the host's
 * cgroup v2 hierarchy, where pid 1 goes before it starts anything, so that every process
 * of the subhost is accounted there.
 */
final class ControlGroup {
    private ControlGroup() {}

    /** mkdir of the group, before the root is switched. Undo: rmdir, once its processes are gone. */
    record Create(Path group) implements BootStep.InNamespace<Void> {
        @Override
        public String describe() {
            return "control group " + group;
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            try {
                Files.createDirectory(group);
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (!Files.readString(group.resolve("cgroup.procs")).isBlank()) {
                    throw new IOException("control group " + group + " exists and has processes");
                }
            }
            return null;
        }

        @Override
        public void undo(Void nothing, StepInputs in) throws Exception {
            remove(group);
        }
    }

    /**
     * pid 1 ({@code pid1}) into the group, by writing its pid to {@code cgroup.procs}; and
     * the log relay ({@code relay}), whose memory is the subhost's too (it ends with the
     * subhost, before the group goes).
     */
    record Join(Path group, Slot<NamespaceSpawner.Pid1> pid1, Slot<LogRelay.Ends> relay)
            implements BootStep.OnHost<Void> {
        @Override
        public String describe() {
            return "pid 1 into control group " + group;
        }

        @Override
        public List<Slot<?>> consumes() {
            return List.of(pid1, relay);
        }

        @Override
        public Void apply(StepInputs in) throws Exception {
            Files.writeString(group.resolve("cgroup.procs"), Integer.toString(in.get(pid1).pid()));
            int relayPid = in.get(relay).pid();
            if (relayPid > 0) {
                Files.writeString(group.resolve("cgroup.procs"), Integer.toString(relayPid));
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
                removeChildren(group);
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
