package org.subhost.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.subhost.config.Confinement;

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
     * became. Read from {@code /proc/PID/exe}, which names the file in the subhost's own
     * root ({@code /usr/lib/systemd/systemd} for {@code /sbin/init} on Debian).
     *
     * @param pid1 pid 1's host pid
     */
    static Optional<String> running(int pid1) {
        try {
            String exe = Files.readSymbolicLink(Path.of("/proc", Integer.toString(pid1), "exe")).toString();
            if (exe.endsWith(" (deleted)")) {
                exe = exe.substring(0, exe.length() - " (deleted)".length());
            }
            return exe.equals(NamespaceSpawner.REAPER) || exe.isEmpty() ? Optional.empty() : Optional.of(exe);
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

    /**
     * Gives the subhost a machine id of its own (machine-id(5)) when its {@code
     * /etc/machine-id} is the host's, as over LOWER=/: systemd and journald name the
     * machine by it. The new id is derived from the host's and NAME, so that it stays the
     * same from boot to boot; it goes to the upper layer. Called after the root switch,
     * with the host's id read before it.
     *
     * @return whether it wrote one
     */
    static boolean ownMachineId(String hostMachineId, String name) throws IOException {
        Path file = Path.of("/etc/machine-id");
        if (hostMachineId.isEmpty() || !Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                || !Files.readString(file, StandardCharsets.US_ASCII).strip().equals(hostMachineId)) {
            return false;
        }
        UUID id = UUID.nameUUIDFromBytes((hostMachineId + "/" + name).getBytes(StandardCharsets.UTF_8));
        String hex = HexFormat.of().toHexDigits(id.getMostSignificantBits())
                + HexFormat.of().toHexDigits(id.getLeastSignificantBits());
        Path tmp = file.resolveSibling("machine-id.subhost-new");
        Files.writeString(tmp, hex + "\n", StandardCharsets.US_ASCII);
        Files.setAttribute(tmp, "unix:mode", 0444);
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    /** The host's machine id, or "" when it has none. */
    static String hostMachineId() {
        try {
            return Files.readString(Path.of("/etc/machine-id"), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return "";
        }
    }
}
