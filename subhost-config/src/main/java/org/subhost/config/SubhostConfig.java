package org.subhost.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The resolved, immutable configuration of one subhost: what its {@code .conf} file says
 * (docs/spec.md §2), with every default applied, every path absolute and the cables
 * numbered and named.
 *
 * <p>From a file, as {@code overlay-boot} reads it:
 * <pre>{@code
 * SubhostConfig mta = SubhostConfig.read(Path.of("/opt/mta/mta.conf"), "overlay-boot");
 * mta.name();     // "mta"
 * mta.upper();    // /opt/mta/root
 * }</pre>
 * Or in code, without any file, checked by the same rules:
 * <pre>{@code
 * SubhostConfig test = SubhostConfig.builder("t1", Path.of("/var/lib/t1"))
 *         .cables("br0=06:20:03:4e:a6:f2").start(List.of()).build();
 * }</pre>
 *
 * <p>Defaults: NAME the file's name without {@code .conf}; LOG {@code /tmp/oly-NAME.log};
 * LIVE, UPPER, WORK {@code BASE/live}, {@code BASE/root}, {@code BASE/work}; LOWER
 * {@code /}; START {@code networking ssh}; RAM_SIZE {@code 50M}; no cables, shares,
 * PREMOUNT, POSTMOUNT or INIT; the safe {@link Confinement#DEFAULT} (CAPABILITIES {@code
 * default}, SECCOMP and CONFINE_FILES {@code on}); the {@link Limits#DEFAULT} limits (PIDS_MAX
 * {@value Limits#DEFAULT_PIDS_MAX}, nothing else limited) and no DEVICES beyond {@link
 * DeviceRule#DEFAULTS}. BASE is required and is stored as its real path.
 *
 * <p>Checked here: the syntax of every value, NAME, interface names against the kernel's
 * limits, VLAN tags, MAC addresses, and that an overlay root's LIVE and WORK can work.
 * Left to the boot: that LIVE, UPPER, WORK, LOWER and the shared paths exist, that the
 * bridges exist, and that no subhost of this NAME runs.
 */
public final class SubhostConfig {
    /** How long a {@code VAR=!command} may run before it is killed: 30 seconds. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(30);
    /** The services started when START is not set: {@code networking ssh}. */
    public static final List<String> DEFAULT_START = List.of("networking", "ssh");
    /** The size of the tmpfs on the subhost's {@code /run} when RAM_SIZE is not set. */
    public static final String DEFAULT_RAM_SIZE = "50M";
    /** How long a PREMOUNT, POSTMOUNT or INIT command may run unless set: 60 seconds. */
    public static final Duration DEFAULT_HOOK_TIMEOUT = Duration.ofSeconds(60);
    /** How long one START service's start may run unless set: 30 seconds. */
    public static final Duration DEFAULT_SERVICE_TIMEOUT = Duration.ofSeconds(30);
    /** How long the boot waits for an init system's READY=1 unless INIT_READY_TIMEOUT is set: 90 seconds. */
    public static final Duration DEFAULT_INIT_READY_TIMEOUT = Duration.ofSeconds(90);
    /** The longest time limit that may be set for hooks and services: one day. */
    public static final Duration MAX_TIMEOUT = Duration.ofDays(1);
    /** How large LOG may grow when LOG_MAX is not set: 10 MiB, and as much again in its rotated file. */
    public static final long DEFAULT_LOG_MAX = 10L << 20;

    private final Path file;
    private final String name;
    private final Path log;
    private final Path base;
    private final String cablesText;
    private final List<CableSpec> cableSpecs;
    private final List<Cable> cables;
    private final Path live;
    private final Path upper;
    private final Path work;
    private final Path lower;
    private final String startText;
    private final List<String> start;
    private final String premount;
    private final String postmount;
    private final String init;
    private final String ramSize;
    private final boolean acceptRouterAdvertisements;
    // Services (issue 25): START_PREFER, SUPERVISE, INIT_READY_TIMEOUT
    private final boolean preferUnits;
    private final Map<String, String> supervise;
    private final Duration initReadyTimeout;
    private final List<Share> shares;
    private final Duration hookTimeout;
    private final Duration serviceTimeout;
    private final List<DiskAttachment> attachments;
    private final Confinement confinement;
    private final List<ConfigWarning> warnings;
    // LOG_MAX and HIDE (issue 21)
    private final long logMax;
    private final List<Path> hide;
    private final Limits limits;
    private final List<DeviceRule> devices;

    private SubhostConfig(Builder b, Path log, List<Cable> cables, Path live, Path upper, Path work, Path lower,
            List<Share> shares) {
        this.file = b.file;
        this.name = b.name;
        this.log = log;
        this.base = b.base;
        this.cablesText = b.cablesText;
        this.cableSpecs = b.cableSpecs;
        this.cables = cables;
        this.live = live;
        this.upper = upper;
        this.work = work;
        this.lower = lower;
        this.startText = b.startText;
        this.start = b.start;
        this.premount = b.premount;
        this.postmount = b.postmount;
        this.init = b.init;
        this.ramSize = b.ramSize;
        this.acceptRouterAdvertisements = b.acceptRouterAdvertisements;
        this.preferUnits = b.preferUnits;
        this.initReadyTimeout = b.initReadyTimeout;
        this.supervise = Collections.unmodifiableMap(new LinkedHashMap<>(b.supervise));
        this.shares = shares;
        this.hookTimeout = b.hookTimeout;
        this.serviceTimeout = b.serviceTimeout;
        this.attachments = b.attachments;
        this.confinement = b.confinement;
        this.warnings = b.warnings;
        this.logMax = b.logMax;
        this.hide = b.hide;
        this.limits = b.limits;
        this.devices = b.devices;
    }

    /**
     * Reads a {@code .conf} file, running its {@code !} commands with
     * {@link #DEFAULT_COMMAND_TIMEOUT}.
     *
     * @param confFile the configuration file; a relative path resolves against the working
     *     directory
     * @param action the command on whose behalf the file is read, given to {@code !}
     *     commands as ACTION, such as {@code overlay-boot} or {@code overlay-stop}
     * @return the checked configuration
     * @throws ConfigException when the file cannot be read or breaks a rule; the message
     *     names the file and the line
     */
    public static SubhostConfig read(Path confFile, String action) throws ConfigException {
        return read(confFile, action, DEFAULT_COMMAND_TIMEOUT);
    }

    /**
     * Reads a {@code .conf} file as {@link #read(Path, String)} does, killing a {@code !}
     * command (with all processes of its session) that runs longer than
     * {@code commandTimeout}.
     *
     * <p>A value {@code !command} runs {@code /bin/sh -c command} with CONFIG (this file's
     * absolute path) and ACTION in its environment, in BASE (for NAME, LOG and BASE: in the
     * file's directory); the first line of its output is the value. Only the first
     * assignment of each variable is run; SHARE values never are.
     *
     * @param confFile the configuration file; a relative path resolves against the working
     *     directory
     * @param action the command on whose behalf the file is read, given to {@code !} commands
     *     as ACTION
     * @param commandTimeout how long each {@code !} command may run
     * @return the checked configuration
     * @throws ConfigException as for {@link #read(Path, String)}, and when a command fails,
     *     prints nothing or runs too long
     */
    public static SubhostConfig read(Path confFile, String action, Duration commandTimeout)
            throws ConfigException {
        return read(confFile, action, commandTimeout, false);
    }

    /**
     * Reads a {@code .conf} file as {@link #read(Path, String, Duration)} does, but refuses
     * every line that the reading would only warn about ({@link #warnings()}): an unknown
     * variable such as {@code STRAT=none}, a known one that is no assignment ({@code START =
     * none}), a second assignment. Those lines are found before any {@code !} command runs,
     * and all of them are named in one exception. Like {@code overlay-boot --strict}.
     *
     * @param confFile the configuration file; a relative path resolves against the working
     *     directory
     * @param action the command on whose behalf the file is read, given to {@code !} commands
     *     as ACTION
     * @param commandTimeout how long each {@code !} command may run
     * @return the checked configuration, without warnings
     * @throws ConfigException as for {@link #read(Path, String, Duration)}, and naming every
     *     line that would be a warning, one a line
     */
    public static SubhostConfig readStrict(Path confFile, String action, Duration commandTimeout)
            throws ConfigException {
        return read(confFile, action, commandTimeout, true);
    }

    private static SubhostConfig read(Path confFile, String action, Duration commandTimeout, boolean strict)
            throws ConfigException {
        Objects.requireNonNull(confFile, "confFile");
        Objects.requireNonNull(action, "action");
        // A private file per reading that runs commands, where commands such as overlay-diskfile
        // report what they mounted (DiskAttachmentReport), so that the boot can adopt it and
        // the stop release it. Made by the first command.
        DiskAttachmentReport report = DiskAttachmentReport.create();
        try {
            SubhostConfig config = ConfReader.read(confFile, action, new ShellCommandRunner(commandTimeout, report),
                    strict);
            List<DiskAttachment> attached = report.read(confFile);
            return attached.isEmpty() ? config : config.toBuilder().attachments(attached).build();
        } catch (ConfigException e) {
            throw e.withAttachments(e.attachments().isEmpty() ? report.readWhatCanBeRead() : e.attachments());
        } finally {
            report.delete();
        }
    }

    /**
     * Reads a {@code .conf} file without running anything: a value that is a {@code !}
     * command is refused, as a command that failed would be. For a reader that wants to
     * know what a configuration says (its BASE, LOG, LOWER, SHARE lines) but acts for
     * another subhost, such as a boot that hides from its subhost the directories of those
     * that {@code /etc/subhosts.conf} lists: it must not run their commands.
     *
     * @param confFile the configuration file; a relative path resolves against the working
     *     directory
     * @return the checked configuration
     * @throws ConfigException when the file cannot be read, breaks a rule, or has a value
     *     that is a command (the message says that it was not run)
     */
    public static SubhostConfig readWithoutCommands(Path confFile) throws ConfigException {
        Objects.requireNonNull(confFile, "confFile");
        return ConfReader.read(confFile, "read", (command, directory, config, action) -> {
            throw new ValueCommandException("was not run: the file is read without running its commands");
        });
    }

    /**
     * A builder for a subhost described in code, with every other variable at its default.
     *
     * @param name the NAME: 1 to 12 characters of {@code [A-Za-z0-9_.-]}
     * @param base the BASE directory, which must exist; stored as its real path, and the
     *     directory that relative paths given to the builder resolve against
     * @return a builder with NAME and BASE set
     * @throws IllegalArgumentException when NAME or BASE breaks its rule
     */
    public static Builder builder(String name, Path base) {
        return new Builder(name, base);
    }

    /** {@return a builder holding this configuration, to derive a changed one} */
    public Builder toBuilder() {
        return new Builder(this);
    }

    /** {@return the {@code .conf} file this was read from; empty when it was built in code} */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /**
     * {@return NAME: the netns name, the host-side interface prefix and the overlay's source name}
     */
    public String name() {
        return name;
    }

    /** {@return LOG: the file that receives the boot's steps and the init's output} */
    public Path log() {
        return log;
    }

    /** {@return BASE: the subhost's directory, as a real path (no symbolic links)} */
    public Path base() {
        return base;
    }

    /** {@return all cables in CABLES order, numbered and named} */
    public List<Cable> cables() {
        return cables;
    }

    /** {@return the cables as CABLES gave them, before numbering} */
    public List<CableSpec> cableSpecs() {
        return cableSpecs;
    }

    /** {@return the veth cables in order; {@code veths().get(i).index() == i}} */
    public List<VethCable> veths() {
        return cables.stream().filter(VethCable.class::isInstance).map(VethCable.class::cast).toList();
    }

    /** {@return the VLAN cables in CABLES order} */
    public List<VlanCable> vlans() {
        return cables.stream().filter(VlanCable.class::isInstance).map(VlanCable.class::cast).toList();
    }

    /** {@return LIVE: the mount point of the running subhost's root} */
    public Path live() {
        return live;
    }

    /** {@return UPPER: the writable layer, the subhost's own files} */
    public Path upper() {
        return upper;
    }

    /** {@return WORK: the overlay's work directory, on UPPER's filesystem, outside UPPER} */
    public Path work() {
        return work;
    }

    /** {@return LOWER: the read-only layer, normally an OS root} */
    public Path lower() {
        return lower;
    }

    /** {@return how the root is made from LIVE, UPPER and LOWER} */
    public RootKind rootKind() {
        return RootKind.of(live, upper, lower);
    }

    /** {@return START: the services to start, in order; empty for {@code START=none}} */
    public List<String> start() {
        return start;
    }

    /** {@return PREMOUNT: the user's command replacing the built-in step before the root mount} */
    public Optional<String> premount() {
        return Optional.ofNullable(premount);
    }

    /** {@return POSTMOUNT: the user's command replacing the built-in step after the root mount} */
    public Optional<String> postmount() {
        return Optional.ofNullable(postmount);
    }

    /** {@return INIT: the user's command whose output replaces the built-in init script} */
    public Optional<String> init() {
        return Optional.ofNullable(init);
    }

    /** {@return RAM_SIZE: the size of the tmpfs on the subhost's {@code /run}; empty for none} */
    public Optional<String> ramSize() {
        return Optional.ofNullable(ramSize);
    }

    /**
     * {@return ACCEPT_RA: whether the cables' host ends accept IPv6 router advertisements
     * and autoconfigure addresses from them; false (the default) for {@code no}, so that a
     * subhost cannot give the host a route or an address through itself}
     */
    public boolean acceptRouterAdvertisements() {
        return acceptRouterAdvertisements;
    }

    /**
     * {@return START_PREFER: whether a START name that has both an init.d script and a
     * systemd unit runs as the unit ({@code START_PREFER=unit}); false (the default,
     * {@code init.d}): as the script, as START always ran it}
     */
    public boolean preferUnits() {
        return preferUnits;
    }

    /**
     * SUPERVISE: the init.d services of START that the built-in init restarts when their
     * daemon dies, each with the PID file (inside the subhost) that names its daemon once
     * the script's start has exited 0: {@code SUPERVISE=ssh:/run/sshd.pid} restarts {@code
     * service ssh start} when the pid in {@code /run/sshd.pid} ends with a failure, as
     * {@code Restart=on-failure} does for a unit.
     *
     * @return the services and their PID files, in the order written; empty unless set
     */
    public Map<String, String> supervise() {
        return supervise;
    }

    /**
     * INIT_READY_TIMEOUT: how long {@code overlay-boot} waits for an init system as pid 1
     * (INIT that execs systemd) to say READY=1 on the NOTIFY_SOCKET it gets, before it
     * returns all the same; {@link #DEFAULT_INIT_READY_TIMEOUT} unless set.
     *
     * @return the time limit
     */
    public Duration initReadyTimeout() {
        return initReadyTimeout;
    }

    /** {@return the SHARE binds in file order, without a share of LOWER onto itself} */
    public List<Share> shares() {
        return shares;
    }

    /**
     * How long each of PREMOUNT, POSTMOUNT and INIT may run before it is killed, with every
     * process of its session, and the boot fails naming it. Not a {@code .conf} variable:
     * set in code or with {@code overlay-boot --hook-timeout}; {@link #DEFAULT_HOOK_TIMEOUT}
     * unless set.
     *
     * @return the time limit of each hook
     */
    public Duration hookTimeout() {
        return hookTimeout;
    }

    /**
     * How long each START service's start may run before the init kills it (with its
     * process group) and records it in LOG as timed out; the other services still start.
     * Not a {@code .conf} variable: set in code or with {@code overlay-boot
     * --service-timeout}; {@link #DEFAULT_SERVICE_TIMEOUT} unless set.
     *
     * @return the time limit of each service's start
     */
    public Duration serviceTimeout() {
        return serviceTimeout;
    }

    /**
     * The disk images that {@code !} commands (overlay-diskfile) mounted while this
     * configuration was read, in the order reported: a boot adopts them, and the stop (or a
     * boot that fails) unmounts them and releases their loop devices. Empty for most
     * configurations and for every one read with an ACTION other than {@code overlay-boot}.
     *
     * @return the mounts made, in the order they were made
     */
    public List<DiskAttachment> attachments() {
        return attachments;
    }

    /**
     * What the subhost's processes are kept from doing to the host: CAPABILITIES, SECCOMP
     * and CONFINE_FILES (docs/security.md).
     *
     * @return the confinement; {@link Confinement#DEFAULT} unless loosened
     */
    public Confinement confinement() {
        return confinement;
    }

    /**
     * The lines of the {@code .conf} file that the reading ignored although they look meant
     * ({@link ConfigWarning}): unknown variables, known ones that are no assignment, second
     * assignments. A boot writes them to LOG; {@code overlay-boot} prints them.
     *
     * @return the warnings in file order; empty for a clean file and for a configuration
     *     built in code
     */
    public List<ConfigWarning> warnings() {
        return warnings;
    }

    /**
     * {@return LOG_MAX: how large LOG may grow, in bytes, before its newest part is kept in
     * its rotated file {@code LOG.1} and LOG starts again; {@link #DEFAULT_LOG_MAX} unless set}
     */
    public long logMax() {
        return logMax;
    }

    /**
     * {@return HIDE: host paths that the subhost must not see, besides what every subhost
     * hides of the others (their BASE, LOG and state); absolute, in the order given}
     */
    public List<Path> hide() {
        return hide;
    }

    /**
     * How much of the host the subhost may take: MEMORY_MAX, MEMORY_HIGH, PIDS_MAX,
     * CPU_WEIGHT, CPU_MAX, IO_WEIGHT and DISK_MAX, applied to its control group (and UPPER's
     * quota) before pid 1 runs anything of the subhost.
     *
     * @return the limits; {@link Limits#DEFAULT} (PIDS_MAX {@value Limits#DEFAULT_PIDS_MAX},
     *     nothing else limited) unless set
     */
    public Limits limits() {
        return limits;
    }

    /**
     * DEVICES: the devices that the subhost's processes may use beyond {@link
     * DeviceRule#DEFAULTS}, which every subhost gets.
     *
     * @return the added devices in the order written; empty unless set
     */
    public List<DeviceRule> devices() {
        return devices;
    }

    /**
     * The resolved configuration as {@code VAR=value} lines, as {@code overlay-boot
     * --dry-run} prints it: NAME LOG BASE CABLES LIVE UPPER WORK LOWER START PREMOUNT
     * POSTMOUNT INIT RAM_SIZE CAPABILITIES SECCOMP CONFINE_FILES, the limits (MEMORY_MAX
     * MEMORY_HIGH PIDS_MAX CPU_WEIGHT CPU_MAX IO_WEIGHT DISK_MAX) and DEVICES, then one {@code SHARE=hostdir:subhostdir} per share. Paths
     * are absolute, unset commands empty; CABLES and START are as written (trimmed).
     * Such lines, written to a file, read back as this configuration (unless a command
     * string holds a line break or starts with {@code !}).
     *
     * @return the lines, without line breaks
     */
    public List<String> describe() {
        List<String> lines = new ArrayList<>();
        lines.add("NAME=" + name);
        lines.add("LOG=" + log);
        lines.add("BASE=" + base);
        lines.add("CABLES=" + cablesText);
        lines.add("LIVE=" + live);
        lines.add("UPPER=" + upper);
        lines.add("WORK=" + work);
        lines.add("LOWER=" + lower);
        lines.add("START=" + startText);
        lines.add("PREMOUNT=" + Objects.toString(premount, ""));
        lines.add("POSTMOUNT=" + Objects.toString(postmount, ""));
        lines.add("INIT=" + Objects.toString(init, ""));
        lines.add("RAM_SIZE=" + Objects.toString(ramSize, "none"));
        if (acceptRouterAdvertisements) {
            // Only when set: the lines of a configuration without it stay as they were.
            lines.add("ACCEPT_RA=yes");
        }
        if (preferUnits) {
            lines.add("START_PREFER=unit");
        }
        if (!initReadyTimeout.equals(DEFAULT_INIT_READY_TIMEOUT)) {
            lines.add("INIT_READY_TIMEOUT=" + initReadyTimeout.toSeconds());
        }
        if (!supervise.isEmpty()) {
            lines.add("SUPERVISE=" + supervise.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue())
                    .collect(Collectors.joining(" ")));
        }
        lines.add("CAPABILITIES=" + confinement.capabilitiesText());
        lines.add("SECCOMP=" + (confinement.seccomp() ? "on" : "off"));
        lines.add("CONFINE_FILES=" + (confinement.files() ? "on" : "off"));
        // Only when set: the lines of a configuration without them stay as they were.
        if (logMax != DEFAULT_LOG_MAX) {
            lines.add("LOG_MAX=" + sizeText(logMax));
        }
        if (!hide.isEmpty()) {
            lines.add("HIDE=" + hide.stream().map(Path::toString).collect(Collectors.joining(" ")));
        }
        lines.addAll(limits.assignments());
        lines.add("DEVICES=" + devices.stream().map(DeviceRule::toString).collect(Collectors.joining(" ")));
        shares.forEach(share -> lines.add("SHARE=" + share));
        return List.copyOf(lines);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SubhostConfig c
                && Objects.equals(file, c.file)
                && describe().equals(c.describe())
                && cables.equals(c.cables)
                && hookTimeout.equals(c.hookTimeout)
                && serviceTimeout.equals(c.serviceTimeout)
                && attachments.equals(c.attachments);
    }

    @Override
    public int hashCode() {
        return Objects.hash(file, describe());
    }

    /** {@code SubhostConfig[NAME=..., LOG=..., ...]}, from {@link #describe()}. */
    @Override
    public String toString() {
        return describe().stream().collect(Collectors.joining(", ", "SubhostConfig[", "]"));
    }

    /** {@code bytes} as LOG_MAX reads it back: with the largest suffix that divides it. */
    private static String sizeText(long bytes) {
        for (String suffix : new String[] {"G", "M", "K"}) {
            int shift = suffix.equals("G") ? 30 : suffix.equals("M") ? 20 : 10;
            if (bytes % (1L << shift) == 0) {
                return (bytes >> shift) + suffix;
            }
        }
        return Long.toString(bytes);
    }

    /** Whether an overlay root on LIVE can work: LIVE must differ from UPPER and LOWER. */
    static void checkLive(Path live, Path upper, Path lower) {
        if (RootKind.of(live, upper, lower) == RootKind.OVERLAY && (live.equals(upper) || live.equals(lower))) {
            throw new IllegalArgumentException("LIVE (" + live + ") must differ from UPPER (" + upper
                    + ") and LOWER (" + lower + ") for an overlay root");
        }
    }

    /**
     * Whether an overlay's WORK can work: the kernel wants it and UPPER to be separate
     * subtrees (neither inside the other).
     */
    static void checkWork(Path work, Path upper, Path lower) {
        if (!upper.equals(lower) && (work.startsWith(upper) || upper.startsWith(work))) {
            throw new IllegalArgumentException("WORK (" + work + ") must be outside UPPER (" + upper
                    + ") and not contain it");
        }
    }

    /**
     * Collects the parts of a {@link SubhostConfig} made in code. Each setter checks its
     * value at once (IllegalArgumentException with the same message the file reader gives);
     * {@link #build()} applies defaults, resolves relative paths against BASE, numbers the
     * cables and checks what depends on several values. A builder is not thread-safe.
     */
    public static final class Builder {
        private Path file;
        private String name;
        private Path base;
        private Path log;
        private String cablesText = "";
        private List<CableSpec> cableSpecs = List.of();
        private Path live;
        private Path upper;
        private Path work;
        private Path lower;
        private String startText = String.join(" ", DEFAULT_START);
        private List<String> start = DEFAULT_START;
        private String premount;
        private String postmount;
        private String init;
        private String ramSize = DEFAULT_RAM_SIZE;
        private boolean acceptRouterAdvertisements;
        private boolean preferUnits;
        private Duration initReadyTimeout = DEFAULT_INIT_READY_TIMEOUT;
        private final Map<String, String> supervise = new LinkedHashMap<>();
        private final List<Share> shares = new ArrayList<>();
        private Duration hookTimeout = DEFAULT_HOOK_TIMEOUT;
        private Duration serviceTimeout = DEFAULT_SERVICE_TIMEOUT;
        private List<DiskAttachment> attachments = List.of();
        private Confinement confinement = Confinement.DEFAULT;
        private List<ConfigWarning> warnings = List.of();
        private long logMax = DEFAULT_LOG_MAX;
        private List<Path> hide = List.of();
        private Limits limits = Limits.DEFAULT;
        private List<DeviceRule> devices = List.of();

        private Builder(String name, Path base) {
            name(name);
            base(base);
        }

        private Builder(SubhostConfig c) {
            file = c.file;
            name = c.name;
            base = c.base;
            log = c.log;
            cablesText = c.cablesText;
            cableSpecs = c.cableSpecs;
            live = c.live;
            upper = c.upper;
            work = c.work;
            lower = c.lower;
            startText = c.startText;
            start = c.start;
            premount = c.premount;
            postmount = c.postmount;
            init = c.init;
            ramSize = c.ramSize;
            acceptRouterAdvertisements = c.acceptRouterAdvertisements;
            preferUnits = c.preferUnits;
            initReadyTimeout = c.initReadyTimeout;
            supervise.putAll(c.supervise);
            shares.addAll(c.shares);
            hookTimeout = c.hookTimeout;
            serviceTimeout = c.serviceTimeout;
            attachments = c.attachments;
            confinement = c.confinement;
            warnings = c.warnings;
            logMax = c.logMax;
            hide = c.hide;
            limits = c.limits;
            devices = c.devices;
        }

        /**
         * Records the {@code .conf} file this configuration stands for (CONFIG of commands).
         *
         * @param file the configuration file's path
         * @return this builder
         */
        public Builder file(Path file) {
            this.file = Objects.requireNonNull(file, "file");
            return this;
        }

        /**
         * Sets NAME: 1 to 12 characters of {@code [A-Za-z0-9_.-]}, not {@code .} or {@code ..}.
         *
         * @param name the NAME
         * @return this builder
         */
        public Builder name(String name) {
            this.name = Rules.checkName(Objects.requireNonNull(name, "name"));
            return this;
        }

        /**
         * Sets BASE, an existing directory, stored as its real path. Paths given as relative
         * resolve against the BASE at {@link #build()}.
         *
         * @param base the BASE directory
         * @return this builder
         */
        public Builder base(Path base) {
            this.base = Rules.realDirectory(base.toString(), base.toAbsolutePath());
            return this;
        }

        /**
         * Sets LOG; a relative path resolves against BASE.
         *
         * @param log the LOG file
         * @return this builder
         */
        public Builder log(Path log) {
            this.log = Objects.requireNonNull(log, "log");
            return this;
        }

        /**
         * Sets CABLES from its text form: {@code [bridge]=[mac|.vlan]} cables separated by
         * white space, such as {@code "br0= =.302"}; blank for none.
         *
         * @param text the CABLES value
         * @return this builder
         */
        public Builder cables(String text) {
            List<CableSpec> specs = CableSpec.parseList(text);
            this.cableSpecs = specs;
            this.cablesText = Rules.trim(text);
            return this;
        }

        /**
         * Sets CABLES from cables made in code.
         *
         * @param specs the cables, in order
         * @return this builder
         */
        public Builder cables(List<CableSpec> specs) {
            this.cableSpecs = List.copyOf(specs);
            this.cablesText = specs.stream().map(CableSpec::toString).collect(Collectors.joining(" "));
            return this;
        }

        /**
         * Adds one cable after those already set.
         *
         * @param spec the cable
         * @return this builder
         */
        public Builder addCable(CableSpec spec) {
            List<CableSpec> specs = new ArrayList<>(cableSpecs);
            specs.add(Objects.requireNonNull(spec, "spec"));
            return cables(specs);
        }

        /**
         * Sets LIVE; a relative path resolves against BASE.
         *
         * @param live the LIVE directory
         * @return this builder
         */
        public Builder live(Path live) {
            this.live = Objects.requireNonNull(live, "live");
            return this;
        }

        /**
         * Sets UPPER; a relative path resolves against BASE.
         *
         * @param upper the UPPER directory
         * @return this builder
         */
        public Builder upper(Path upper) {
            this.upper = Objects.requireNonNull(upper, "upper");
            return this;
        }

        /**
         * Sets WORK; a relative path resolves against BASE.
         *
         * @param work the WORK directory
         * @return this builder
         */
        public Builder work(Path work) {
            this.work = Objects.requireNonNull(work, "work");
            return this;
        }

        /**
         * Sets LOWER; a relative path resolves against BASE.
         *
         * @param lower the LOWER directory
         * @return this builder
         */
        public Builder lower(Path lower) {
            this.lower = Objects.requireNonNull(lower, "lower");
            return this;
        }

        /**
         * Sets START from its text form: {@code none}, or service names separated by white
         * space.
         *
         * @param text the START value
         * @return this builder
         */
        public Builder start(String text) {
            this.start = Rules.parseStart(Rules.trim(text));
            this.startText = Rules.trim(text);
            return this;
        }

        /**
         * Sets START: services (names or absolute script paths) in start order; an empty
         * list for none.
         *
         * @param services the services, in start order
         * @return this builder
         */
        public Builder start(List<String> services) {
            services.forEach(Rules::checkService);
            this.start = List.copyOf(services);
            this.startText = services.isEmpty() ? "none" : String.join(" ", services);
            return this;
        }

        /**
         * Sets PREMOUNT, which replaces the built-in step; empty for the built-in one.
         *
         * @param command the command, or empty
         * @return this builder
         */
        public Builder premount(Optional<String> command) {
            this.premount = command.map(c -> checkCommand("PREMOUNT", c)).orElse(null);
            return this;
        }

        /**
         * Sets PREMOUNT to a command.
         *
         * @param command the command line, run by {@code /bin/sh -c}
         * @return this builder
         */
        public Builder premount(String command) {
            return premount(Optional.of(command));
        }

        /**
         * Sets POSTMOUNT, which replaces the built-in step; empty for the built-in one.
         *
         * @param command the command, or empty
         * @return this builder
         */
        public Builder postmount(Optional<String> command) {
            this.postmount = command.map(c -> checkCommand("POSTMOUNT", c)).orElse(null);
            return this;
        }

        /**
         * Sets POSTMOUNT to a command.
         *
         * @param command the command line, run by {@code /bin/sh -c}
         * @return this builder
         */
        public Builder postmount(String command) {
            return postmount(Optional.of(command));
        }

        /**
         * Sets INIT, whose output replaces the built-in init script; empty for the built-in one.
         *
         * @param command the command, or empty
         * @return this builder
         */
        public Builder init(Optional<String> command) {
            this.init = command.map(c -> checkCommand("INIT", c)).orElse(null);
            return this;
        }

        /**
         * Sets INIT to a command.
         *
         * @param command the command line, run by {@code /bin/sh -c}
         * @return this builder
         */
        public Builder init(String command) {
            return init(Optional.of(command));
        }

        /**
         * Sets the whole confinement at once.
         *
         * @param confinement what the subhost's processes are kept from
         * @return this builder
         */
        public Builder confinement(Confinement confinement) {
            this.confinement = java.util.Objects.requireNonNull(confinement, "confinement");
            return this;
        }

        /**
         * Sets CAPABILITIES: a level ({@code default}, {@code admin}, {@code all}) and/or
         * changes such as {@code +sys_time} or {@code -net_raw}; see {@link Confinement}.
         *
         * @param capabilities the CAPABILITIES value
         * @return this builder
         * @throws IllegalArgumentException naming the word that is no level or capability
         */
        public Builder capabilities(String capabilities) {
            this.confinement = confinement.withCapabilities(capabilities);
            return this;
        }

        /**
         * Sets SECCOMP: whether the system call filter refuses host-wide calls (on by default).
         *
         * @param on whether the filter is installed
         * @return this builder
         */
        public Builder seccomp(boolean on) {
            this.confinement = confinement.withSeccomp(on);
            return this;
        }

        /**
         * Sets CONFINE_FILES: whether {@code /proc/sys} (but {@code net}) and {@code /sys}
         * are read-only and {@code /proc}'s kernel files masked (on by default).
         *
         * @param on whether the kernel's files are protected
         * @return this builder
         */
        public Builder confineFiles(boolean on) {
            this.confinement = confinement.withFiles(on);
            return this;
        }

        /**
         * Sets every limit at once: MEMORY_MAX, MEMORY_HIGH, PIDS_MAX, CPU_WEIGHT, CPU_MAX,
         * IO_WEIGHT and DISK_MAX.
         *
         * @param limits how much of the host the subhost may take
         * @return this builder
         */
        public Builder limits(Limits limits) {
            this.limits = Objects.requireNonNull(limits, "limits");
            return this;
        }

        /**
         * Sets one limit from its text, as a {@code .conf} line gives it: {@code
         * limit("MEMORY_MAX", "512M")}, {@code limit("PIDS_MAX", "none")}, {@code
         * limit("CPU_MAX", "150%")}; see {@link Limits}.
         *
         * @param variable one of {@link Limits#VARIABLES}
         * @param value its value
         * @return this builder
         * @throws IllegalArgumentException naming the variable and the rule its value breaks
         */
        public Builder limit(String variable, String value) {
            this.limits = limits.with(variable, value);
            return this;
        }

        /**
         * Sets DEVICES: the devices the subhost may use beyond {@link DeviceRule#DEFAULTS}.
         *
         * @param devices the added devices, in order; empty for none
         * @return this builder
         */
        public Builder devices(List<DeviceRule> devices) {
            this.devices = List.copyOf(devices);
            return this;
        }

        /**
         * Sets DEVICES from its text form: words such as {@code /dev/fuse}, {@code
         * /dev/net/tun:rw} or {@code c:10:200} separated by white space; blank for none.
         *
         * @param text the DEVICES value
         * @return this builder
         * @throws IllegalArgumentException naming the word that is no device
         */
        public Builder devices(String text) {
            return devices(DeviceRule.parseList(text));
        }

        /**
         * Asks for an init system as the subhost's pid 1: sets INIT to {@code echo exec
         * PROGRAM ARGS...}, the one-line INIT of the configuration page ("An init system as
         * pid 1"), whose script makes PROGRAM pid 1 in place of the SDK's own. For systemd:
         * {@code initSystem("/lib/systemd/systemd")}.
         *
         * @param program the init system's absolute path inside the subhost
         * @param args its arguments (for systemd, such as {@code systemd.mask=cron.service})
         * @return this builder
         */
        public Builder initSystem(String program, String... args) {
            Objects.requireNonNull(args, "args");
            if (!program.startsWith("/") || program.chars().anyMatch(Character::isWhitespace)) {
                throw new IllegalArgumentException("init system (" + program
                        + ") must be an absolute path without white space");
            }
            StringBuilder command = new StringBuilder("echo exec ").append(program);
            for (String arg : args) {
                if (arg.isEmpty() || !arg.matches("[A-Za-z0-9@%+=:,./_-]+")) {
                    throw new IllegalArgumentException("argument (" + arg + ") of init system " + program
                            + " must be a word of letters, digits and @%+=:,./_-");
                }
                command.append(' ').append(arg);
            }
            return init(command.toString());
        }

        /**
         * Sets RAM_SIZE: {@code none} for no tmpfs on {@code /run}, or a tmpfs size such as
         * {@code 50M}, {@code 1g}, {@code 512k}, {@code 10%}.
         *
         * @param size the RAM_SIZE value
         * @return this builder
         */
        public Builder ramSize(String size) {
            this.ramSize = Rules.parseRamSize(size).orElse(null);
            return this;
        }

        /**
         * Sets LOG_MAX: how large LOG may grow before its newest part goes to {@code LOG.1},
         * a size such as {@code 10M}, {@code 512k} or {@code 1g} (powers of 1024), at least
         * {@code 4k}.
         *
         * @param size the LOG_MAX value
         * @return this builder
         */
        public Builder logMax(String size) {
            this.logMax = Rules.parseLogMax(size);
            return this;
        }

        /**
         * Sets LOG_MAX in bytes, at least 4096.
         *
         * @param bytes the largest LOG
         * @return this builder
         */
        public Builder logMax(long bytes) {
            this.logMax = Rules.checkLogMax(bytes + " bytes", bytes);
            return this;
        }

        /**
         * Sets HIDE: host paths, separated by white space, that the subhost must not see
         * (relative ones resolve against BASE); {@code /} is refused.
         *
         * @param paths the HIDE value
         * @return this builder
         */
        public Builder hide(String paths) {
            this.hide = Rules.parseHide(paths, base);
            return this;
        }

        /**
         * Sets HIDE from paths: each absolute, none {@code /}.
         *
         * @param paths the host paths to hide
         * @return this builder
         */
        public Builder hide(List<Path> paths) {
            List<Path> out = new ArrayList<>();
            for (Path p : paths) {
                out.add(Rules.checkHide(Objects.requireNonNull(p, "path").normalize()));
            }
            this.hide = List.copyOf(out);
            return this;
        }

        /**
         * Sets ACCEPT_RA: whether the cables' host ends accept IPv6 router advertisements
         * from the subhost and autoconfigure addresses from them (default false: the boot
         * sets {@code accept_ra} and {@code autoconf} of each host end to 0).
         *
         * @param accept true for {@code ACCEPT_RA=yes}
         * @return this builder
         */
        public Builder acceptRouterAdvertisements(boolean accept) {
            this.acceptRouterAdvertisements = accept;
            return this;
        }

        /**
         * Sets START_PREFER from its text: {@code init.d} (the default) or {@code unit}, the
         * kind that runs a START name that has both an init.d script and a systemd unit.
         *
         * @param text the value
         * @return this builder
         * @throws IllegalArgumentException for another value
         */
        public Builder startPrefer(String text) {
            String value = text.strip();
            if (!value.equals("init.d") && !value.equals("unit")) {
                throw new IllegalArgumentException("START_PREFER (" + value + ") must be init.d or unit");
            }
            this.preferUnits = value.equals("unit");
            return this;
        }

        /**
         * Sets INIT_READY_TIMEOUT from its text: a whole number of seconds from 1 to
         * {@link #MAX_TIMEOUT}'s.
         *
         * @param text the value
         * @return this builder
         * @throws IllegalArgumentException for another value
         */
        public Builder initReadyTimeout(String text) {
            String value = text.strip();
            long seconds = value.matches("[0-9]{1,6}") ? Long.parseLong(value) : -1;
            if (seconds < 1 || seconds > MAX_TIMEOUT.toSeconds()) {
                throw new IllegalArgumentException("INIT_READY_TIMEOUT (" + value + ") must be a number of seconds from 1"
                        + " to " + MAX_TIMEOUT.toSeconds());
            }
            this.initReadyTimeout = Duration.ofSeconds(seconds);
            return this;
        }

        /**
         * Sets SUPERVISE from its text: {@code NAME:PIDFILE} pairs separated by blanks, each
         * NAME a START name of an init.d script, each PIDFILE an absolute path inside the
         * subhost; {@code none} or nothing for none.
         *
         * @param text the value
         * @return this builder
         * @throws IllegalArgumentException for a pair that is not {@code NAME:/absolute/path}
         */
        public Builder supervise(String text) {
            supervise.clear();
            String value = text.strip();
            if (value.isEmpty() || value.equals("none")) {
                return this;
            }
            for (String pair : value.split("\\s+")) {
                int colon = pair.indexOf(':');
                if (colon <= 0 || colon + 1 == pair.length() || pair.charAt(colon + 1) != '/') {
                    throw new IllegalArgumentException("SUPERVISE (" + pair
                            + ") must be NAME:PIDFILE, PIDFILE an absolute path inside the subhost, such as"
                            + " ssh:/run/sshd.pid");
                }
                supervise.put(pair.substring(0, colon), pair.substring(colon + 1));
            }
            return this;
        }

        /**
         * Sets how long each of PREMOUNT, POSTMOUNT and INIT may run: a whole number of
         * seconds from 1 second to {@link #MAX_TIMEOUT}.
         *
         * @param limit the time limit, whole seconds
         * @return this builder
         */
        public Builder hookTimeout(Duration limit) {
            this.hookTimeout = checkTimeout("hook time limit", limit);
            return this;
        }

        /**
         * Sets how long each START service's start may run: a whole number of seconds from
         * 1 second to {@link #MAX_TIMEOUT}.
         *
         * @param limit the time limit, whole seconds
         * @return this builder
         */
        public Builder serviceTimeout(Duration limit) {
            this.serviceTimeout = checkTimeout("service time limit", limit);
            return this;
        }

        /**
         * Replaces the shares.
         *
         * @param shares the shares, in order
         * @return this builder
         */
        public Builder shares(List<Share> shares) {
            List<Share> copy = List.copyOf(shares);
            this.shares.clear();
            this.shares.addAll(copy);
            return this;
        }

        /**
         * Sets the disk images mounted for this subhost, which its stop releases (see {@link
         * SubhostConfig#attachments()}); the reader sets those that {@code !} commands
         * reported. Replaces any set before.
         *
         * @param attachments the mounts, in the order they were made
         * @return this builder
         */
        public Builder attachments(List<DiskAttachment> attachments) {
            this.attachments = List.copyOf(attachments);
            return this;
        }

        /** Sets the reader's warnings about the file ({@link SubhostConfig#warnings()}). */
        Builder warnings(List<ConfigWarning> warnings) {
            this.warnings = List.copyOf(warnings);
            return this;
        }

        /**
         * Adds a share after those already set.
         *
         * @param share the share
         * @return this builder
         */
        public Builder addShare(Share share) {
            shares.add(Objects.requireNonNull(share, "share"));
            return this;
        }

        /**
         * The configuration: defaults applied, paths resolved against BASE and normalised,
         * cables numbered and named, a share of LOWER onto itself dropped.
         *
         * @return the immutable configuration
         * @throws IllegalArgumentException when a host-side interface name gets too long for
         *     this NAME, a VLAN has no carrier, or an overlay's LIVE or WORK cannot work
         */
        public SubhostConfig build() {
            Path resolvedLog = log == null ? Path.of("/tmp/oly-" + name + ".log") : resolve(log);
            List<Path> root = rootPaths();
            Path resolvedLive = root.get(0);
            Path resolvedUpper = root.get(1);
            Path resolvedWork = root.get(2);
            Path resolvedLower = root.get(3);
            List<Cable> cables = Cabling.wire(name, cableSpecs);
            checkLive(resolvedLive, resolvedUpper, resolvedLower);
            checkWork(resolvedWork, resolvedUpper, resolvedLower);
            List<Share> kept = shares.stream()
                    .filter(s -> !(s.hostPath().equals(resolvedLower) && s.subhostPath().equals(resolvedLower)))
                    .toList();
            return new SubhostConfig(this, resolvedLog, cables, resolvedLive, resolvedUpper, resolvedWork,
                    resolvedLower, kept);
        }

        /** The cables set so far, for the reader's checks. */
        List<CableSpec> cableSpecs() {
            return cableSpecs;
        }

        /** LIVE, UPPER, WORK and LOWER as {@link #build()} will resolve them. */
        List<Path> rootPaths() {
            return List.of(resolve(live == null ? Path.of("live") : live), resolve(upper == null ? Path.of("root") : upper),
                    resolve(work == null ? Path.of("work") : work), resolve(lower == null ? Path.of("/") : lower));
        }

        private Path resolve(Path path) {
            return base.resolve(path).normalize();
        }

        private static Duration checkTimeout(String what, Duration limit) {
            Objects.requireNonNull(limit, what);
            // Whole seconds: the init's service limit is given to pid 1 in seconds.
            if (limit.compareTo(Duration.ofSeconds(1)) < 0 || limit.compareTo(MAX_TIMEOUT) > 0
                    || limit.toNanos() % 1_000_000_000L != 0) {
                String given = limit.toMillis() % 1000 == 0 ? limit.toSeconds() + " s" : limit.toMillis() + " ms";
                throw new IllegalArgumentException(what + " (" + given + ") must be a whole number of seconds from 1 to "
                        + MAX_TIMEOUT.toSeconds());
            }
            return limit;
        }

        private static String checkCommand(String variable, String command) {
            if (Rules.trim(command).isEmpty()) {
                throw new IllegalArgumentException(variable + " command must not be blank");
            }
            if (command.indexOf(0) >= 0) {
                throw new IllegalArgumentException(variable + " command must not contain a NUL character");
            }
            return command;
        }
    }
}
