package org.subhost.config;

import java.util.Locale;

/**
 * A Linux capability, by the number the kernel gives it ({@code capabilities(7)}).
 *
 * <p>Named in CAPABILITIES without the {@code CAP_} prefix, in any case: {@code sys_time},
 * {@code NET_RAW}, {@code cap_sys_admin}. The kernel that runs the subhost may know fewer
 * (those it lacks cannot be kept anyway) or more (unknown to this type, they are dropped).
 */
public enum Capability {
    /** Change file owners. */
    CHOWN(0),
    /** Bypass file permission checks. */
    DAC_OVERRIDE(1),
    /** Bypass read and search permission checks; also opens files by handle. */
    DAC_READ_SEARCH(2),
    /** Bypass the owner checks of chmod, utime and the like. */
    FOWNER(3),
    /** Keep set-user-ID bits when a file changes. */
    FSETID(4),
    /** Signal any process. */
    KILL(5),
    /** Change group IDs. */
    SETGID(6),
    /** Change user IDs. */
    SETUID(7),
    /** Change the capability sets of oneself (within the bounding set). */
    SETPCAP(8),
    /** Set the immutable and append-only file attributes. */
    LINUX_IMMUTABLE(9),
    /** Bind ports below 1024. */
    NET_BIND_SERVICE(10),
    /** Broadcast and listen to multicast. */
    NET_BROADCAST(11),
    /** Configure the network (of the subhost's own network namespace). */
    NET_ADMIN(12),
    /** Raw and packet sockets. */
    NET_RAW(13),
    /** Lock memory. */
    IPC_LOCK(14),
    /** Bypass System V IPC permission checks. */
    IPC_OWNER(15),
    /** Load and unload kernel modules: the host's kernel. */
    SYS_MODULE(16),
    /** Raw I/O: I/O ports, {@code /dev/mem}, FIBMAP, SCSI commands. */
    SYS_RAWIO(17),
    /** chroot. */
    SYS_CHROOT(18),
    /** Trace and read the memory of any process. */
    SYS_PTRACE(19),
    /** Process accounting (acct) for the whole host. */
    SYS_PACCT(20),
    /** Mounts and many other administrative calls. */
    SYS_ADMIN(21),
    /** reboot(2) and kexec. */
    SYS_BOOT(22),
    /** Raise priorities, set other processes' scheduling. */
    SYS_NICE(23),
    /** Override resource limits and quotas. */
    SYS_RESOURCE(24),
    /** Set the host's clock. */
    SYS_TIME(25),
    /** Configure terminals (vhangup). */
    SYS_TTY_CONFIG(26),
    /** Make device nodes. */
    MKNOD(27),
    /** File leases. */
    LEASE(28),
    /** Write to the kernel's audit log. */
    AUDIT_WRITE(29),
    /** Configure the kernel's audit subsystem. */
    AUDIT_CONTROL(30),
    /** Set file capabilities. */
    SETFCAP(31),
    /** Override mandatory access control. */
    MAC_OVERRIDE(32),
    /** Configure mandatory access control. */
    MAC_ADMIN(33),
    /** Read and configure the kernel log. */
    SYSLOG(34),
    /** Timers that wake the host from suspend. */
    WAKE_ALARM(35),
    /** Keep the host from suspending. */
    BLOCK_SUSPEND(36),
    /** Read the kernel's audit log. */
    AUDIT_READ(37),
    /** Performance monitoring of the whole host. */
    PERFMON(38),
    /** BPF programs and maps. */
    BPF(39),
    /** Checkpoint and restore of processes. */
    CHECKPOINT_RESTORE(40);

    private final int number;

    Capability(int number) {
        this.number = number;
    }

    /** {@return the kernel's number for this capability, its bit in a capability mask} */
    public int number() {
        return number;
    }

    /**
     * Reads a capability's name: {@code sys_time}, {@code SYS_TIME} or {@code cap_sys_time}.
     *
     * @param name the name
     * @return the capability
     * @throws IllegalArgumentException naming the word when no capability has that name
     */
    public static Capability parse(String name) {
        String upper = name.toUpperCase(Locale.ROOT);
        if (upper.startsWith("CAP_")) {
            upper = upper.substring(4);
        }
        try {
            return valueOf(upper);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("capability (" + name + ") is not known; names are those of"
                    + " capabilities(7) without CAP_, such as sys_time or net_raw");
        }
    }

    /** The name as CAPABILITIES writes it: lower case, without {@code CAP_}. */
    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}
