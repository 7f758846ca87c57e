package org.subhost.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.subhost.linux.internal.Downcall;
import org.subhost.linux.internal.Memory;
import org.subhost.linux.internal.Native;

/**
 * The bpf(2) calls that give a cgroup v2 group a device policy: load a {@link DeviceFilter}
 * as a program (BPF_PROG_LOAD), attach it to a group's directory (BPF_PROG_ATTACH), and
 * ask which programs a group has (BPF_PROG_QUERY). Like {@code bpftool prog load} and
 * {@code bpftool cgroup attach GROUP device PROG multi}.
 *
 * <p>Kernel rules: a cgroup device program needs no controller (it is a feature of the v2
 * hierarchy itself, so it works on a hybrid host's {@code /sys/fs/cgroup/unified}); it acts
 * on every process in the group and below it, for open(2) and mknod(2) of device nodes;
 * with BPF_F_ALLOW_MULTI every program attached to the group and to its ancestors must
 * allow an access, so one attached lower down (an init system inside) can only narrow it.
 * The attachment holds the program: the program's descriptor may be closed at once, and the
 * program goes when the group is removed (rmdir) or it is detached. Loading and attaching
 * need CAP_SYS_ADMIN (or CAP_BPF with CAP_NET_ADMIN).
 */
public final class Bpf {
    /** BPF_PROG_TYPE_CGROUP_DEVICE (linux/bpf.h). */
    static final int PROG_TYPE_CGROUP_DEVICE = 15;
    /** BPF_CGROUP_DEVICE, the attach type of a device program. */
    public static final int ATTACH_CGROUP_DEVICE = 6;
    /** BPF_F_ALLOW_MULTI: more programs may be attached to the group and its descendants, and all must allow. */
    public static final int F_ALLOW_MULTI = 2;

    private static final long SYS_BPF = Native.AARCH64 ? 280 : 321;
    private static final int BPF_PROG_LOAD = 5;
    private static final int BPF_PROG_ATTACH = 8;
    private static final int BPF_PROG_DETACH = 9;
    private static final int BPF_PROG_QUERY = 16;

    // union bpf_attr, the parts used here. The kernel takes a shorter attr than its own and
    // treats the rest as zero.
    private static final long LOAD_ATTR_SIZE = 72;
    private static final long LOAD_PROG_TYPE = 0;
    private static final long LOAD_INSN_CNT = 4;
    private static final long LOAD_INSNS = 8;
    private static final long LOAD_LICENSE = 16;
    private static final long LOAD_LOG_LEVEL = 24;
    private static final long LOAD_LOG_SIZE = 28;
    private static final long LOAD_LOG_BUF = 32;
    private static final long LOAD_PROG_NAME = 48;
    private static final int PROG_NAME_SIZE = 16;
    private static final long ATTACH_ATTR_SIZE = 20;
    private static final long QUERY_ATTR_SIZE = 32;
    private static final int VERIFIER_LOG_SIZE = 64 * 1024;

    // long syscall(SYS_bpf, int cmd, union bpf_attr *attr, unsigned int size)
    private static final Downcall BPF = Native.lazySyscall(JAVA_INT, ADDRESS, JAVA_INT);

    private Bpf() {}

    /**
     * Loads a device filter as a BPF_PROG_TYPE_CGROUP_DEVICE program: {@code bpf(BPF_PROG_LOAD)}.
     * The verifier checks it first; when it refuses, the load is tried again with its log,
     * which the exception carries.
     *
     * @param filter the devices allowed
     * @param name the program's name as {@code bpftool prog} shows it: up to 15 of
     *     {@code [A-Za-z0-9_.]}
     * @return the program's descriptor (close-on-exec), which the caller closes after
     *     attaching it
     * @throws SyscallException EPERM without CAP_SYS_ADMIN or CAP_BPF, EINVAL or EACCES when
     *     the verifier refuses (with its log)
     */
    public static int loadDeviceFilter(DeviceFilter filter, String name) throws SyscallException {
        return loadDeviceProgram(filter.instructions(), name);
    }

    /** Loads {@code insns} as a cgroup device program; see {@link #loadDeviceFilter}. */
    static int loadDeviceProgram(byte[] insns, String name) throws SyscallException {
        if (name.length() >= PROG_NAME_SIZE || !name.matches("[A-Za-z0-9_.]*")) {
            throw new IllegalArgumentException("BPF program name (" + name + ") must be at most 15 of A-Z a-z 0-9 _ .");
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment program = arena.allocate(insns.length, 8);
            MemorySegment.copy(insns, 0, program, java.lang.foreign.ValueLayout.JAVA_BYTE, 0, insns.length);
            MemorySegment license = Memory.cString(arena, "Apache-2.0");
            MemorySegment attr = arena.allocate(LOAD_ATTR_SIZE, 8);
            Memory.setInt(attr, LOAD_PROG_TYPE, PROG_TYPE_CGROUP_DEVICE);
            Memory.setInt(attr, LOAD_INSN_CNT, insns.length / 8);
            Memory.setLong(attr, LOAD_INSNS, Native.address(program));
            Memory.setLong(attr, LOAD_LICENSE, Native.address(license));
            byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
            MemorySegment.copy(nameBytes, 0, attr, java.lang.foreign.ValueLayout.JAVA_BYTE, LOAD_PROG_NAME,
                    nameBytes.length);
            MemorySegment errno = Native.errnoSegment(arena);
            long fd = call(errno, BPF_PROG_LOAD, attr, LOAD_ATTR_SIZE);
            if (fd >= 0) {
                return (int) fd;
            }
            int first = Native.errno(errno);
            if (first != Errno.EINVAL && first != Errno.EACCES) {
                throw new SyscallException("bpf", "BPF_PROG_LOAD, cgroup device program " + name + " of "
                        + insns.length / 8 + " instructions", first);
            }
            MemorySegment log = arena.allocate(VERIFIER_LOG_SIZE);
            Memory.setInt(attr, LOAD_LOG_LEVEL, 1);
            Memory.setInt(attr, LOAD_LOG_SIZE, VERIFIER_LOG_SIZE);
            Memory.setLong(attr, LOAD_LOG_BUF, Native.address(log));
            fd = call(errno, BPF_PROG_LOAD, attr, LOAD_ATTR_SIZE);
            if (fd >= 0) {
                return (int) fd; // refused once, loaded now: nothing to report
            }
            String verifier = log.getString(0).strip();
            throw new SyscallException("bpf", "BPF_PROG_LOAD, cgroup device program " + name + " of "
                    + insns.length / 8 + " instructions", Native.errno(errno),
                    verifier.isEmpty() ? null : "verifier: " + verifier.replace('\n', ' '));
        }
    }

    /**
     * Attaches a program to a cgroup v2 group: {@code bpf(BPF_PROG_ATTACH)}.
     *
     * @param groupFd a descriptor of the group's directory (O_RDONLY | O_DIRECTORY)
     * @param programFd the program, from {@link #loadDeviceFilter}
     * @param attachType such as {@link #ATTACH_CGROUP_DEVICE}
     * @param flags such as {@link #F_ALLOW_MULTI}
     * @param what the group's path, for the message
     * @throws SyscallException EPERM when an ancestor's program was attached without
     *     BPF_F_ALLOW_MULTI or BPF_F_ALLOW_OVERRIDE, EBADF, EINVAL
     */
    public static void attach(int groupFd, int programFd, int attachType, int flags, String what)
            throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ATTACH_ATTR_SIZE, 8);
            Memory.setInt(attr, 0, groupFd);
            Memory.setInt(attr, 4, programFd);
            Memory.setInt(attr, 8, attachType);
            Memory.setInt(attr, 12, flags);
            MemorySegment errno = Native.errnoSegment(arena);
            if (call(errno, BPF_PROG_ATTACH, attr, ATTACH_ATTR_SIZE) < 0) {
                throw new SyscallException("bpf", "BPF_PROG_ATTACH to " + what + ", attach type " + attachType
                        + ", flags " + flags, Native.errno(errno));
            }
        }
    }

    /**
     * Detaches a program from a cgroup v2 group: {@code bpf(BPF_PROG_DETACH)}. Removing the
     * group does the same; this is for a group that stays.
     *
     * @param groupFd a descriptor of the group's directory
     * @param programFd the program attached
     * @param attachType the type it was attached with
     * @param what the group's path, for the message
     * @throws SyscallException ENOENT when the program is not attached there
     */
    public static void detach(int groupFd, int programFd, int attachType, String what) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment attr = arena.allocate(ATTACH_ATTR_SIZE, 8);
            Memory.setInt(attr, 0, groupFd);
            Memory.setInt(attr, 4, programFd);
            Memory.setInt(attr, 8, attachType);
            MemorySegment errno = Native.errnoSegment(arena);
            if (call(errno, BPF_PROG_DETACH, attr, ATTACH_ATTR_SIZE) < 0) {
                throw new SyscallException("bpf", "BPF_PROG_DETACH from " + what + ", attach type " + attachType,
                        Native.errno(errno));
            }
        }
    }

    /**
     * The ids of the programs attached to a group itself (not its ancestors) for one attach
     * type: {@code bpf(BPF_PROG_QUERY)}, like {@code bpftool cgroup show GROUP}.
     *
     * @param groupFd a descriptor of the group's directory
     * @param attachType such as {@link #ATTACH_CGROUP_DEVICE}
     * @param what the group's path, for the message
     * @return the program ids, at most 64
     * @throws SyscallException EBADF, EINVAL
     */
    public static List<Integer> attached(int groupFd, int attachType, String what) throws SyscallException {
        int max = 64;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment ids = arena.allocate(4L * max, 4);
            MemorySegment attr = arena.allocate(QUERY_ATTR_SIZE, 8);
            Memory.setInt(attr, 0, groupFd);
            Memory.setInt(attr, 4, attachType);
            Memory.setLong(attr, 16, Native.address(ids));
            Memory.setInt(attr, 24, max);
            MemorySegment errno = Native.errnoSegment(arena);
            if (call(errno, BPF_PROG_QUERY, attr, QUERY_ATTR_SIZE) < 0) {
                throw new SyscallException("bpf", "BPF_PROG_QUERY of " + what + ", attach type " + attachType,
                        Native.errno(errno));
            }
            int count = Math.min(Memory.getInt(attr, 24), max);
            List<Integer> out = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                out.add(Memory.getInt(ids, 4L * i));
            }
            return out;
        }
    }

    private static long call(MemorySegment errno, int command, MemorySegment attr, long size) {
        return BPF.call(errno, SYS_BPF, command, Native.address(attr), size);
    }
}
