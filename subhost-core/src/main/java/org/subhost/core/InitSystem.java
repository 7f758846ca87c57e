package org.subhost.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.subhost.config.Confinement;
import org.subhost.linux.AtFiles;
import org.subhost.linux.Fds;
import org.subhost.linux.SyscallException;

/**
 * An init system (systemd, sysvinit, runit, ...) as pid 1 of a subhost, as with the old
 * tool, whose pid 1 was the shell of the init script: a script whose last command is
 * {@code exec PROGRAM} with PROGRAM an init system makes PROGRAM pid 1. Then pid 1 of
 * subhost-init does not stay as the reaper: it sets up what systemd's Container Interface
 * asks of a container manager and execs the script itself ({@code --exec}); see
 * docs/configuration.md, "An init system as pid 1".
 */
final class InitSystem {
    /** The programs taken for init systems, by file name. */
    static final Set<String> NAMES = Set.of("systemd", "init", "openrc-init", "runit-init", "runit", "s6-svscan");
    /**
     * systemd's request to halt, which in a container ends pid 1: SIGRTMIN+3 as the C
     * library numbers it (glibc and musl keep the kernel's first two real-time signals,
     * 32 and 33, for themselves, so SIGRTMIN is 34).
     */
    static final int SIGRTMIN_3 = 34 + 3;
    /** What sysvinit takes for a power failure, on which its inittab shuts down (as LXC sends). */
    static final int SIGPWR = 30;

    private InitSystem() {}

    /**
     * The init system that {@code script} execs as its last command, if any: its last line
     * that is neither blank nor a comment is {@code exec PROGRAM [ARGS...]} and PROGRAM's
     * file name is one of {@link #NAMES}.
     *
     * @param script the init script
     * @return PROGRAM as the script names it
     */
    static Optional<String> of(String script) {
        List<String> lines = script.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        if (lines.isEmpty()) {
            return Optional.empty();
        }
        String[] words = lines.getLast().split("\\s+");
        if (words.length < 2 || !words[0].equals("exec")) {
            return Optional.empty();
        }
        String program = words[1];
        String file = program.substring(program.lastIndexOf('/') + 1);
        return NAMES.contains(file) ? Optional.of(program) : Optional.empty();
    }

    /**
     * The init system of an INIT command that prints its script with {@code echo}, as the
     * one-line INIT of the configuration page does ({@code echo exec
     * /lib/systemd/systemd}): known without running it, for the plan of a dry run.
     *
     * @param initCommand the INIT command
     */
    static Optional<String> ofCommand(String initCommand) {
        String command = initCommand.strip();
        return command.startsWith("echo ") ? of(command.substring("echo ".length())) : Optional.empty();
    }

    /**
     * The program that pid 1 runs now, when it is not subhost-init: the init system it
     * became. pid 1 is known as subhost-init by the identity (device and inode) of the SDK's
     * copy that the boot recorded ({@link SubhostState#program}), never by a path or a name:
     * the subhost's root names its files as it likes. The path shown is {@code
     * /proc/PID/exe}'s, which names the file in the subhost's own root ({@code
     * /usr/lib/systemd/systemd} for {@code /sbin/init} on Debian). A record of an older
     * version, which has no identity, knows pid 1 by the path {@code /.reaper} it ran from.
     *
     * @param state the subhost's record, with pid 1
     */
    static Optional<String> running(SubhostState state) {
        int pid1 = state.pid1().orElseThrow().pid();
        if (state.program().isPresent()) {
            Optional<SdkProgram.FileIdentity> runs = SdkProgram.executableOf(pid1);
            if (runs.isEmpty() || runs.equals(state.program())) {
                return Optional.empty(); // subhost-init, or gone
            }
        }
        try {
            String exe = Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid1), "exe")).toString();
            if (exe.endsWith(" (deleted)")) {
                exe = exe.substring(0, exe.length() - " (deleted)".length());
            }
            if (state.program().isEmpty() && exe.equals(NamespaceSpawner.REAPER)) {
                return Optional.empty();
            }
            return exe.isEmpty() ? Optional.empty() : Optional.of(exe);
        } catch (IOException | UnsupportedOperationException e) {
            return Optional.empty(); // gone, or not ours to read
        }
    }

    /**
     * The confinement of a subhost whose pid 1 is an init system when {@code initSystem}:
     * the configuration's, raised to the admin level (systemd-nspawn's, which keeps
     * CAP_SYS_ADMIN: an init system mounts) when its capabilities are the default ones;
     * capabilities that CAPABILITIES set otherwise are kept as they are.
     *
     * @param configured the configuration's confinement
     * @param initSystem whether an init system becomes pid 1
     */
    static Confinement confinement(Confinement configured, boolean initSystem) {
        if (initSystem && configured.capabilityMask() == Confinement.DEFAULT.capabilityMask()) {
            return configured.withCapabilities("admin");
        }
        return configured;
    }

    /**
     * The signal that asks {@code program} (as {@link #running} names it) to shut the
     * subhost down: SIGRTMIN+3 for systemd, SIGPWR for sysvinit's init, SIGTERM for others.
     */
    static int stopSignal(String program) {
        String file = program.substring(program.lastIndexOf('/') + 1);
        return switch (file) {
            case "systemd" -> SIGRTMIN_3;
            case "init" -> SIGPWR;
            default -> org.subhost.linux.Signals.SIGTERM;
        };
    }

    /** The signal's name for the LOG. */
    static String signalName(int signal) {
        return signal == SIGRTMIN_3 ? "SIGRTMIN+3" : signal == SIGPWR ? "SIGPWR" : "SIGTERM";
    }

    /** How much of a {@code /etc/machine-id} is read, at most: 32 hex digits and a newline. */
    static final int MACHINE_ID_LIMIT = 4096;

    /**
     * Gives the subhost a machine id of its own (machine-id(5)) when its {@code
     * /etc/machine-id} is the host's, as over LOWER=/: systemd and journald name the
     * machine by it. The new id is derived from the host's and NAME, so that it stays the
     * same from boot to boot; it goes to the upper layer. Called after the root switch,
     * with the host's id read before it.
     *
     * <p>The subhost's root owns {@code /etc}, and this runs with every capability while the
     * NAME's lock is held: {@code /etc/machine-id} is read only when it is a regular file of
     * at most {@link #MACHINE_ID_LIMIT} bytes ({@link SubhostTree#readRegular}); whatever
     * is at {@code machine-id.subhost-new} (a FIFO that would block the write for ever, a
     * link to {@code /sys}) is removed, never opened; the new file is made with O_EXCL by
     * name in the resolved {@code /etc} and renamed over the old one in that same directory.
     *
     * @return whether it wrote one
     * @throws IOException when the subhost's {@code /etc} cannot be written
     */
    static boolean ownMachineId(String hostMachineId, String name) throws IOException {
        if (hostMachineId.isEmpty()) {
            return false;
        }
        try (SubhostTree tree = SubhostTree.open(Path.of("/"))) {
            Optional<byte[]> there;
            try {
                there = tree.readRegular("etc/machine-id", MACHINE_ID_LIMIT);
            } catch (IOException e) {
                return false; // not a regular file, or too large: not the host's; the subhost's business
            }
            if (there.isEmpty() || !new String(there.get(), StandardCharsets.US_ASCII).strip().equals(hostMachineId)) {
                return false;
            }
            UUID id = UUID.nameUUIDFromBytes((hostMachineId + "/" + name).getBytes(StandardCharsets.UTF_8));
            String hex = HexFormat.of().toHexDigits(id.getMostSignificantBits())
                    + HexFormat.of().toHexDigits(id.getLeastSignificantBits());
            String tmp = "machine-id.subhost-new";
            tree.remove("etc/" + tmp);
            if (!tree.createFile("etc/" + tmp, (hex + "\n").getBytes(StandardCharsets.US_ASCII), 0444)) {
                throw new IOException(tree.pathOf("etc/" + tmp) + ": appeared while it was being written");
            }
            int etc;
            try {
                etc = tree.open("etc", Fds.O_PATH | Fds.O_DIRECTORY);
            } catch (SyscallException e) {
                throw new IOException(tree.pathOf("etc") + ": " + e.errnoText(), e);
            }
            try {
                AtFiles.renameat(etc, tmp, etc, "machine-id");
            } catch (SyscallException e) {
                throw new IOException("rename " + tree.pathOf("etc/" + tmp) + " to machine-id: " + e.errnoText(), e);
            } finally {
                Descriptor.closeQuietly(etc);
            }
            return true;
        }
    }

    /** The host's machine id, or "" when it has none (or none that is a regular file of a few bytes). */
    static String hostMachineId() {
        try (SubhostTree host = SubhostTree.open(Path.of("/"))) {
            return host.readRegular("etc/machine-id", MACHINE_ID_LIMIT)
                    .map(bytes -> new String(bytes, StandardCharsets.US_ASCII).strip()).orElse("");
        } catch (IOException e) {
            return "";
        }
    }
}
