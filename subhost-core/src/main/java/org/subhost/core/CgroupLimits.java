package org.subhost.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import org.subhost.config.Limits;
import org.subhost.linux.Fds;
import org.subhost.linux.SyscallException;

/**
 * The limits of {@link Limits} as writes into a subhost's control group files
 * ({@link SubhostGroups}), in cgroup v2's or v1's words:
 *
 * <table>
 *   <caption>Each limit's files</caption>
 *   <tr><th>limit</th><th>cgroup v2</th><th>cgroup v1</th></tr>
 *   <tr><td>MEMORY_MAX</td><td>{@code memory.max} (bytes or {@code max})</td>
 *       <td>{@code memory.limit_in_bytes} (bytes or -1)</td></tr>
 *   <tr><td>MEMORY_HIGH</td><td>{@code memory.high}</td><td>none: a v2 feature</td></tr>
 *   <tr><td>PIDS_MAX</td><td>{@code pids.max}</td><td>{@code pids.max}</td></tr>
 *   <tr><td>CPU_WEIGHT</td><td>{@code cpu.weight}</td><td>{@code cpu.shares}, weight &times; 1024 / 100
 *       (systemd's conversion: 100 is 1024)</td></tr>
 *   <tr><td>CPU_MAX</td><td>{@code cpu.max}: quota and period 100000 &micro;s</td>
 *       <td>{@code cpu.cfs_period_us} 100000, then {@code cpu.cfs_quota_us}</td></tr>
 *   <tr><td>IO_WEIGHT</td><td>{@code io.weight} ({@code default N}), else {@code io.bfq.weight}</td>
 *       <td>{@code blkio.weight}, else {@code blkio.bfq.weight} (1 to 1000)</td></tr>
 * </table>
 *
 * <p>DISK_MAX is no control group's: {@link DiskQuota} applies it.
 */
final class CgroupLimits {
    /** The period of CPU_MAX's quota: 100 ms, the kernel's default. */
    static final long CPU_PERIOD_US = 100_000;

    private CgroupLimits() {}

    /**
     * One value for one control file: the first of {@code files} that exists gets it.
     *
     * @param files the file, or the files of which the first present is meant
     * @param value what is written
     * @param limit the limit it applies, as {@code VAR (value)}, for messages
     */
    record Write(List<Path> files, String value, String limit) {
        /** Copies the files. */
        Write {
            files = List.copyOf(files);
        }

        Write(Path file, String value, String limit) {
            this(List.of(file), value, limit);
        }
    }

    /**
     * The writes that set {@code variables} of {@code limits} in {@code groups}: at a boot
     * those not at the kernel's default; for a live change, those given (a variable set back
     * to none writes the unlimited value).
     *
     * @param limits the limits
     * @param variables which of {@link Limits#VARIABLES} to write; DISK_MAX is left out
     * @param groups the subhost's groups
     * @param layout the host's layout, for messages
     * @return the writes, in order
     * @throws IOException when a limit's controller is not among the subhost's groups, or
     *     cannot take the value (MEMORY_HIGH on v1, IO_WEIGHT above 1000 on v1)
     */
    static List<Write> writes(Limits limits, Collection<String> variables, SubhostGroups groups, CgroupLayout layout)
            throws IOException {
        List<Write> out = new ArrayList<>();
        for (String variable : Limits.VARIABLES) {
            if (!variables.contains(variable) || variable.equals("DISK_MAX")) {
                continue;
            }
            String controller = SubhostGroups.CONTROLLER.get(variable);
            String limit = variable + " (" + limits.text(variable) + ")";
            Optional<SubhostGroups.Placement> at = groups.placement(controller);
            if (at.isEmpty()) {
                if (limits.isKernelDefault(variable)) {
                    continue; // nothing to undo where there is no group
                }
                throw new IOException(limit + " needs the " + controller + " controller, and this subhost has no "
                        + controller + " group (" + layout.describe() + ")");
            }
            Path g = at.get().group();
            boolean v2 = at.get().v2();
            switch (variable) {
                case "MEMORY_MAX" -> out.add(new Write(g.resolve(v2 ? "memory.max" : "memory.limit_in_bytes"),
                        limits.memoryMax().isPresent() ? Long.toString(limits.memoryMax().getAsLong()) : v2 ? "max" : "-1",
                        limit));
                case "MEMORY_HIGH" -> {
                    if (v2) {
                        out.add(new Write(g.resolve("memory.high"), limits.memoryHigh().isPresent()
                                ? Long.toString(limits.memoryHigh().getAsLong()) : "max", limit));
                    } else if (!limits.isKernelDefault(variable)) {
                        throw new IOException(limit + " needs the memory controller of cgroup v2, and this subhost's"
                                + " is on cgroup v1 at " + g.getParent() + " (" + layout.describe() + "); use MEMORY_MAX");
                    }
                }
                case "PIDS_MAX" -> out.add(new Write(g.resolve("pids.max"), limits.pidsMax().isPresent()
                        ? Long.toString(limits.pidsMax().getAsLong()) : "max", limit));
                case "CPU_WEIGHT" -> out.add(v2 ? new Write(g.resolve("cpu.weight"), Integer.toString(limits.cpuWeight()),
                        limit) : new Write(g.resolve("cpu.shares"), Long.toString(shares(limits.cpuWeight())), limit));
                case "CPU_MAX" -> {
                    String quota = limits.cpuMaxPercent().isPresent()
                            ? Long.toString(limits.cpuMaxPercent().getAsInt() * CPU_PERIOD_US / 100) : null;
                    if (v2) {
                        out.add(new Write(g.resolve("cpu.max"), (quota == null ? "max" : quota) + " " + CPU_PERIOD_US,
                                limit));
                    } else {
                        out.add(new Write(g.resolve("cpu.cfs_period_us"), Long.toString(CPU_PERIOD_US), limit));
                        out.add(new Write(g.resolve("cpu.cfs_quota_us"), quota == null ? "-1" : quota, limit));
                    }
                }
                case "IO_WEIGHT" -> {
                    int weight = limits.ioWeight();
                    if (v2) {
                        out.add(new Write(List.of(g.resolve("io.weight"), g.resolve("io.bfq.weight")),
                                "default " + weight, limit));
                    } else if (weight > 1000) {
                        throw new IOException(limit + " cannot be applied by the blkio controller of cgroup v1 at "
                                + g.getParent() + ", whose weights are 1 to 1000 (" + layout.describe() + ")");
                    } else {
                        out.add(new Write(List.of(g.resolve("blkio.weight"), g.resolve("blkio.bfq.weight")),
                                Integer.toString(weight), limit));
                    }
                }
                default -> throw new IllegalStateException("no control file for " + variable);
            }
        }
        return out;
    }

    /** CPU_WEIGHT as v1 {@code cpu.shares}: 100 is 1024, at least 2 (the kernel's minimum). */
    static long shares(int weight) {
        return Math.max(2, weight * 1024L / 100);
    }

    /**
     * Writes each value to the first of its files that exists, in order.
     *
     * @param writes what to write
     * @throws IOException naming the limit, the file, the value and the kernel's answer;
     *     or, when none of a write's files exists, the files it looked for
     */
    static void apply(List<Write> writes) throws IOException {
        for (Write w : writes) {
            Optional<Path> file = w.files().stream().filter(Files::exists).findFirst();
            if (file.isEmpty()) {
                throw new IOException(w.limit() + " cannot be applied: this host's " + w.files().get(0).getParent()
                        + " has no " + String.join(" and no ", w.files().stream().map(p -> p.getFileName().toString())
                                .toList()) + (w.files().get(0).getFileName().toString().contains("weight")
                                ? " (an I/O weight needs the BFQ scheduler or io.cost on the disks)" : ""));
            }
            try {
                write(file.get(), w.value());
            } catch (SyscallException e) {
                throw new IOException(w.limit() + " cannot be applied: " + e.getMessage(), e);
            }
        }
    }

    /**
     * Writes {@code value} to a control file: open(2) O_WRONLY (no O_CREAT: a control file
     * that the kernel did not make is not there), one write(2), close.
     *
     * @param file the control file
     * @param value the value, without a line end
     * @throws SyscallException naming the file and the value: ENOENT, EINVAL for a value
     *     the kernel does not take, EBUSY (a v2 group with processes cannot enable
     *     controllers below it)
     */
    static void write(Path file, String value) throws SyscallException {
        writeEach(file, List.of(value));
    }

    /**
     * Writes each of {@code values} to a control file with a write(2) of its own, through one
     * open descriptor: the kernel takes one value per write ({@code devices.allow} one rule).
     *
     * @param file the control file
     * @param values the values, without line ends
     * @throws SyscallException naming the file and the value refused
     */
    static void writeEach(Path file, List<String> values) throws SyscallException {
        int fd = Fds.open(file.toString(), Fds.O_WRONLY | Fds.O_CLOEXEC);
        String value = "";
        try {
            for (String v : values) {
                value = v;
                Fds.write(fd, v.getBytes(StandardCharsets.UTF_8));
            }
        } catch (SyscallException e) {
            throw new SyscallException("write", file + ", " + value, e.errno());
        } finally {
            try {
                Fds.close(fd);
            } catch (SyscallException e) {
                // EBADF only, a bug elsewhere; nothing to undo.
            }
        }
    }
}
