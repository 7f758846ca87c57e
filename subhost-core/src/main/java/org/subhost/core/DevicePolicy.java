package org.subhost.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.subhost.config.DeviceRule;
import org.subhost.linux.Bpf;
import org.subhost.linux.DeviceFilter;
import org.subhost.linux.Errno;
import org.subhost.linux.Fds;
import org.subhost.linux.SyscallException;

/**
 * The devices that a subhost's processes may open or make: {@link DeviceRule#DEFAULTS} and
 * what DEVICES adds, enforced by the kernel on the subhost's control groups
 * (docs/security.md, "Devices"). Everything else is refused with EPERM, wherever its node
 * is: a character node 1:11 (kmsg) or a block node of the host's disks planted in LOWER
 * opens nothing.
 *
 * <p>Where the host has cgroup v2 (unified or hybrid), a BPF device program ({@link
 * DeviceFilter}) is attached to the subhost's v2 group with BPF_F_ALLOW_MULTI, so that an
 * init system inside may narrow the policy for its own groups but never widen it; it needs
 * no controller, and the kernel checks it before any v1 devices list. On a host without
 * cgroup v2, the subhost's group in the v1 devices hierarchy denies all ({@code a} into
 * {@code devices.deny}) and then allows each rule ({@code devices.allow}). When the v2
 * program cannot be loaded because the kernel refuses bpf(2) to this process (EPERM, as
 * inside another subhost, whose policy then holds for this one too), the boot says so in
 * LOG and goes on: the {@code nodev} mounts still keep device nodes to the subhost's own
 * {@code /dev}.
 *
 * @param rules the devices allowed, the defaults first
 */
record DevicePolicy(List<DeviceRule> rules) {
    /** The name of the BPF program, as {@code bpftool prog} shows it. */
    static final String PROGRAM_NAME = "subhost_devices";

    /** Copies the rules. */
    DevicePolicy {
        rules = List.copyOf(rules);
    }

    /**
     * The policy of a subhost whose DEVICES are {@code devices}.
     *
     * @param devices DEVICES, the additions
     * @return the defaults, then the additions
     */
    static DevicePolicy of(List<DeviceRule> devices) {
        List<DeviceRule> all = new ArrayList<>(DeviceRule.DEFAULTS);
        all.addAll(devices);
        return new DevicePolicy(all);
    }

    /** {@return the rules as DEVICES writes them, for the plan: {@code c:1:3 c:1:5 ... /dev/fuse}} */
    String describe() {
        return String.join(" ", rules.stream().map(DeviceRule::toString).toList());
    }

    /**
     * The rules with every host node read: its type and numbers from the host's node now.
     *
     * @return the rules as the kernel takes them
     * @throws IOException when a DEVICES node is missing or no device node, naming it
     */
    List<DeviceFilter.Rule> resolve() throws IOException {
        List<DeviceFilter.Rule> out = new ArrayList<>();
        for (DeviceRule rule : rules) {
            int access = access(rule.access());
            // instanceof, not a pattern switch: the boot's path has none (docs/architecture.md, the start-up cache).
            if (rule instanceof DeviceRule.Numbers n) {
                out.add(new DeviceFilter.Rule(n.type(), n.major(), n.minor(), access));
            } else if (rule instanceof DeviceRule.Node n) {
                out.add(node(n.path(), access));
            }
        }
        return out;
    }

    /** A host node's type and numbers, from stat(2) of {@code path} (links followed: the host's own /dev). */
    private static DeviceFilter.Rule node(Path path, int access) throws IOException {
        Map<String, Object> attributes;
        try {
            attributes = Files.readAttributes(path, "unix:mode,rdev");
        } catch (NoSuchFileException e) {
            throw new IOException("DEVICES node (" + path + ") does not exist on this host");
        }
        int type = (Integer) attributes.get("mode") & 0170000;
        long rdev = (Long) attributes.get("rdev");
        int major = (int) (((rdev >> 8) & 0xfff) | ((rdev >> 32) & ~0xfffL));
        int minor = (int) ((rdev & 0xff) | ((rdev >> 12) & ~0xffL));
        return switch (type) {
            case 0020000 -> new DeviceFilter.Rule('c', major, minor, access);
            case 0060000 -> new DeviceFilter.Rule('b', major, minor, access);
            default -> throw new IOException("DEVICES node (" + path + ") is no device node of this host");
        };
    }

    private static int access(String letters) {
        int access = 0;
        for (char c : letters.toCharArray()) {
            access |= switch (c) {
                case 'r' -> DeviceFilter.READ;
                case 'w' -> DeviceFilter.WRITE;
                default -> DeviceFilter.MKNOD;
            };
        }
        return access;
    }

    /**
     * Applies the policy to the subhost's groups, before any process of the subhost is in
     * them: the v1 devices group's lists, and the v2 group's BPF program.
     *
     * @param groups the subhost's groups, made
     * @param log where a line goes when the policy cannot be applied at all
     * @return how it is applied, for LOG: {@code v1 devices, v2 BPF program}
     * @throws IOException naming the file or call the kernel refused
     */
    String apply(SubhostGroups groups, Consumer<String> log) throws IOException {
        List<DeviceFilter.Rule> resolved = resolve();
        List<String> how = new ArrayList<>();
        Path v1 = groups.v1().get("devices");
        if (v1 != null) {
            // Deny everything first: a new group starts with its parent's list, usually "a *:* rwm".
            CgroupLimits.write(v1.resolve("devices.deny"), "a");
            List<String> allowed = new ArrayList<>();
            for (DeviceFilter.Rule rule : resolved) {
                allowed.add(rule.toString());
            }
            CgroupLimits.writeEach(v1.resolve("devices.allow"), allowed);
            how.add("v1 devices controller");
        }
        if (groups.v2().isPresent()) {
            Path v2 = groups.v2().get();
            try {
                attach(v2, new DeviceFilter(resolved));
                how.add("BPF program on " + v2);
            } catch (SyscallException e) {
                if (!e.is(Errno.EPERM)) {
                    throw e;
                }
                if (how.isEmpty()) {
                    log.accept("no device policy: the kernel refuses this process a BPF device program (" + e.getMessage()
                            + ") and the host has no v1 devices controller; only the nodev mounts keep devices out");
                }
            }
        }
        if (how.isEmpty() && groups.v2().isEmpty()) {
            log.accept("no device policy: the host has neither a v1 devices controller nor cgroup v2; only the nodev"
                    + " mounts keep devices out");
        }
        return String.join(", ", how);
    }

    /**
     * The programs loaded by this JVM, by their filter: loading one (the verifier's run) is
     * most of the policy's cost, about 0.2 ms, and one program serves every group it is
     * attached to. Their descriptors stay open (close-on-exec) for the JVM's life; a few
     * kilobytes of kernel memory each, for the few policies a host has.
     */
    private static final java.util.Map<DeviceFilter, Integer> PROGRAMS = new java.util.HashMap<>();
    /** More distinct policies than this are loaded for each boot and not kept. */
    private static final int KEPT_PROGRAMS = 16;

    /** Attaches the filter's program to the v2 group {@code group}; the group then holds the program. */
    private static void attach(Path group, DeviceFilter filter) throws SyscallException {
        int program;
        boolean kept;
        synchronized (PROGRAMS) {
            Integer loaded = PROGRAMS.get(filter);
            kept = loaded != null || PROGRAMS.size() < KEPT_PROGRAMS;
            program = loaded != null ? loaded : Bpf.loadDeviceFilter(filter, PROGRAM_NAME);
            if (loaded == null && kept) {
                PROGRAMS.put(filter, program);
            }
        }
        try {
            int dir = Fds.open(group.toString(), Fds.O_RDONLY | Fds.O_DIRECTORY | Fds.O_CLOEXEC);
            try {
                Bpf.attach(dir, program, Bpf.ATTACH_CGROUP_DEVICE, Bpf.F_ALLOW_MULTI, group.toString());
            } finally {
                closeQuietly(dir);
            }
        } finally {
            if (!kept) {
                closeQuietly(program);
            }
        }
    }

    private static void closeQuietly(int fd) {
        try {
            Fds.close(fd);
        } catch (SyscallException e) {
            // EBADF only, a bug elsewhere; nothing to undo.
        }
    }
}
