package org.subhost.core;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.subhost.linux.Fds;
import org.subhost.linux.Spawn;
import org.subhost.linux.SyscallException;

/**
 * Descriptors of a subhost's control groups through which a process of the SDK's program
 * is born in them ({@code src/main/c/birth.h}): the v2 group's directory, which the program
 * gives to clone3 (CLONE_INTO_CGROUP), and each v1 group's {@code tasks} file, into which
 * the child, single-threaded, writes 0 to move itself first thing. pid 1 (through
 * its launcher, {@link NamespaceSpawner.StartPid1}) and the log relay ({@link LogRelay})
 * start so.
 *
 * <p>Why not a move after the start: a pid written to {@code cgroup.procs} moves a process
 * under the kernel's global {@code cgroup_threadgroup_rwsem}, taken for writing, and the
 * first writer after a quiet spell waits for an RCU grace period first: 10 to 30 ms on a
 * 2-core VM, the boot's slowest 5% (their step times said so). A clone into the v2 group
 * takes it for reading only, and a v1 thread that moves only itself does not take it
 * (Linux 5.16).
 *
 * <p>Opened on the host, where the groups were made (the namespace thread that spawns pid
 * 1 has left the host's tree by then), with no link followed: the directories are the
 * SDK's, under the host's cgroup mounts. Close-on-exec: only the spawn that is given them
 * passes them on.
 */
final class BirthGroups implements AutoCloseable {
    /** No groups: the process is born where its parent is. */
    static final BirthGroups NONE = new BirthGroups(List.of(), new int[0], -1);

    private final List<Path> dirs;
    /** The descriptor of each of {@link #dirs}: the v2 group's directory, or a v1 group's tasks file. */
    private final int[] fds;
    /** The place of the v2 group in {@link #dirs}; -1 for none. */
    private final int v2;

    private BirthGroups(List<Path> dirs, int[] fds, int v2) {
        this.dirs = dirs;
        this.fds = fds;
        this.v2 = v2;
    }

    /**
     * Opens {@code dirs}, groups of {@code groups} (the v2 one, if any, by its directory; each
     * other by its {@code tasks} file).
     *
     * @throws SyscallException naming the directory or file the kernel refused
     */
    static BirthGroups open(SubhostGroups groups, List<Path> dirs) throws SyscallException {
        if (dirs.isEmpty()) {
            return NONE;
        }
        Optional<Path> v2Dir = groups.v2();
        int[] fds = new int[dirs.size()];
        int v2 = -1;
        int opened = 0;
        try {
            for (; opened < fds.length; opened++) {
                Path dir = dirs.get(opened);
                if (v2Dir.isPresent() && v2Dir.get().equals(dir)) {
                    // O_PATH is enough for CLONE_INTO_CGROUP: the kernel takes the file, not a read.
                    fds[opened] = Fds.open(dir.toString(), Fds.O_PATH | Fds.O_DIRECTORY | Fds.O_NOFOLLOW | Fds.O_CLOEXEC);
                    v2 = opened;
                } else {
                    fds[opened] = Fds.open(dir.resolve("tasks").toString(), Fds.O_WRONLY | Fds.O_NOFOLLOW | Fds.O_CLOEXEC);
                }
            }
        } catch (SyscallException e) {
            for (int i = 0; i < opened; i++) {
                Descriptor.closeQuietly(fds[i]);
            }
            throw e;
        }
        return new BirthGroups(List.copyOf(dirs), fds, v2);
    }

    /** {@return how many descriptors a spawn passes on} */
    int count() {
        return fds.length;
    }

    /**
     * Gives the descriptors to {@code spawn} as {@code firstFd}, {@code firstFd + 1}, ...,
     * and returns the program's options that name them ({@code --cgroup-fd N}, {@code
     * --tasks-fd N}).
     */
    List<String> passTo(Spawn.Builder spawn, int firstFd) {
        List<String> options = new ArrayList<>();
        for (int i = 0; i < fds.length; i++) {
            spawn.keepFd(fds[i], firstFd + i);
            options.add(i == v2 ? "--cgroup-fd" : "--tasks-fd");
            options.add(Integer.toString(firstFd + i));
        }
        return options;
    }

    /**
     * Reads what the program that clones tells on the pipe {@code fd} until its end of file,
     * at most 64 bytes: the cloning program and the child have both closed it by then, the
     * child once it was in every group. Lines: the child's pid, and {@code !FD ERRNO} for a
     * group that refused it ({@code src/main/c/birth.h}).
     */
    static String readReport(int fd) throws SyscallException {
        StringBuilder said = new StringBuilder();
        while (said.length() < 64) {
            byte[] more = Fds.read(fd, 64 - said.length());
            if (more.length == 0) {
                break;
            }
            said.append(new String(more, java.nio.charset.StandardCharsets.US_ASCII));
        }
        return said.toString();
    }

    /**
     * The child's pid in {@code report} (as {@link #readReport} read it, the descriptors
     * numbered from {@code firstFd} as {@link #passTo} gave them), or -1 when it tells none.
     *
     * @throws IOException when it tells a refusal: "{@code who} could not be born in the
     *     subhost's control groups: ", then the call that failed, on which group, and the errno
     */
    int bornPid(String report, int firstFd, String who) throws IOException {
        int pid = -1;
        for (String line : report.split("\n")) {
            if (line.startsWith("!")) {
                Optional<SyscallException> refusal = refusal(line, firstFd);
                if (refusal.isPresent()) {
                    throw new IOException(who + " could not be born in the subhost's control groups: "
                            + refusal.get().getMessage(), refusal.get());
                }
            } else if (isPid(line)) {
                pid = Integer.parseInt(line);
            }
        }
        return pid;
    }

    /** Whether {@code text} is a pid: 1 to 9 digits, not starting with 0. */
    private static boolean isPid(String text) {
        if (text.isEmpty() || text.length() > 9 || text.charAt(0) == '0') {
            return false;
        }
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) < '0' || text.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** The refusal in {@code line} ({@code !FD ERRNO}) as the call that failed on which group; empty if it is none. */
    private Optional<SyscallException> refusal(String line, int firstFd) {
        int space = line.indexOf(' ');
        if (space < 2) {
            return Optional.empty();
        }
        int fd;
        int errno;
        try {
            fd = Integer.parseInt(line, 1, space, 10);
            errno = Integer.parseInt(line.substring(space + 1).strip());
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        int i = fd - firstFd;
        if (i < 0 || i >= dirs.size() || errno <= 0) {
            return Optional.empty();
        }
        return Optional.of(i == v2
                ? new SyscallException("clone3", "CLONE_INTO_CGROUP of " + dirs.get(i), errno)
                : new SyscallException("write", dirs.get(i).resolve("tasks") + ", \"0\"", errno));
    }

    /** Closes the descriptors, once; the born process holds its own copies, and closes them too. */
    @Override
    public synchronized void close() {
        for (int i = 0; i < fds.length; i++) {
            Descriptor.closeQuietly(fds[i]);
            fds[i] = -1;
        }
    }
}
