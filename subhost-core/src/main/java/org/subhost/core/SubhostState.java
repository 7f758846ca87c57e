package org.subhost.core;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.subhost.config.Confinement;
import org.subhost.config.DiskAttachment;
import org.subhost.config.Limits;
import org.subhost.config.RootKind;
import org.subhost.config.Share;

/**
 * The record of a subhost kept under {@code /run/subhost/NAME/state}: what it is made of on
 * the host, so that any later process can find, check and stop it.
 *
 * <p>A record is written twice during a boot: as {@link Phase#BOOTING} before the first
 * host resource is made (so that a boot killed midway can be cleaned up by a stop), and as
 * {@link Phase#RUNNING} once pid 1 is known.
 *
 * <p>The file is {@code key=value} lines; lists are space-separated (interface and service
 * names have no spaces). Disk attachments are one line each, {@code disk1=}, {@code
 * disk2=}, ... in {@link DiskAttachment}'s tab-separated form; a record written before
 * they existed has none and reads as none. The confinement is one line, {@code confinement=}
 * in the form {@code CAPABILITIES=... SECCOMP=... CONFINE_FILES=...}; a record written before it
 * existed stands for a subhost booted unconfined ({@link Confinement#NONE}). The shares are
 * one line each, {@code share1=}, {@code share2=}, ... as {@code HOSTPATH<tab>SUBHOSTPATH}
 * (a path with a tab or a line break is never shared); a record written before they were
 * kept has none. The control groups
 * are {@code cgroup=} (the v2 group, as before), {@code cgroup.controllers=} and one {@code
 * cgroup.v1.CONTROLLER=} per v1 controller ({@link SubhostGroups#record()}); the limits one line,
 * {@code limits=} in {@link Limits#toString()}'s form, and {@code upper=} UPPER, whose quota
 * DISK_MAX sets; a record written before they existed stands for a subhost without limits.
 *
 * @param name NAME
 * @param phase booting or running
 * @param pid1 pid 1 with its start time, once spawned
 * @param config the .conf file, if the subhost was booted from one
 * @param log the LOG file
 * @param logOffset the size of LOG when this boot started, where its lines begin
 * @param live LIVE
 * @param rootKind how the root is made
 * @param netns the network namespace's name (NAME)
 * @param hostLinks host-side interfaces made by the boot, in the order made
 * @param cableEnds the subhost-side name for each host link, in the same order
 * @param ifupped host ends configured with ifup, to be taken down with ifdown
 * @param cgroups the control groups, none when the host had none
 * @param services the START services, in order
 * @param started when the boot started
 * @param disks disk images mounted for it by {@code !} commands, released after pid 1
 * @param confinement what pid 1 was told to keep its processes from
 * @param shares the host paths bound into it, the boot's SHAREs and the live ones since, in
 *     the order made
 * @param limits the limits applied to its control groups (and DISK_MAX to UPPER)
 * @param upper UPPER, whose quota DISK_MAX sets (and the stop lifts); empty in an older record
 * @param program the identity of the SDK's copy of subhost-init that pid 1 was started
 *     from ({@link SdkProgram#identity}), by which a stop knows that pid 1 still runs it
 *     rather than an init system it exec'd; none in a record written before it existed
 */
record SubhostState(
        String name,
        Phase phase,
        Optional<ProcessIdentity> pid1,
        Optional<Path> config,
        Path log,
        long logOffset,
        Path live,
        RootKind rootKind,
        String netns,
        List<String> hostLinks,
        List<String> cableEnds,
        List<String> ifupped,
        SubhostGroups cgroups,
        List<String> services,
        Instant started,
        List<DiskAttachment> disks,
        Confinement confinement,
        List<Share> shares,
        Limits limits,
        Optional<Path> upper,
        Optional<SdkProgram.FileIdentity> program) {

    /** Where in its life a recorded subhost is. */
    enum Phase { BOOTING, RUNNING }

    SubhostState {
        requireNonNull(name, "name");
        hostLinks = List.copyOf(hostLinks);
        cableEnds = List.copyOf(cableEnds);
        ifupped = List.copyOf(ifupped);
        services = List.copyOf(services);
        disks = List.copyOf(disks);
        requireNonNull(confinement, "confinement");
        shares = List.copyOf(shares);
        requireNonNull(cgroups, "cgroups");
        requireNonNull(limits, "limits");
        requireNonNull(upper, "upper");
        requireNonNull(program, "program");
    }

    /** The limits of a subhost booted before limits existed: none at all. */
    static final Limits NO_LIMITS = Limits.DEFAULT.withPidsMax(java.util.OptionalLong.empty());

    /** {@return the v2 control group, as the record kept it before the v1 groups existed} */
    Optional<Path> cgroup() {
        return cgroups.v2();
    }

    /**
     * A record of {@code name} to be filled in by name: phase {@link Phase#BOOTING}, no pid 1,
     * no .conf file, LOG offset 0, network namespace {@code name}, no links, cable ends,
     * ifup'ed ends, control group, services, disks or shares, started at the epoch, the
     * default confinement, until set. LOG, LIVE and the root's kind have no default.
     *
     * @param name NAME
     * @return the builder
     */
    static Builder builder(String name) {
        return new Builder(name);
    }

    /** {@return a builder that starts from this record} */
    Builder toBuilder() {
        return new Builder(name).phase(phase).pid1(pid1).config(config).log(log).logOffset(logOffset).live(live)
                .rootKind(rootKind).netns(netns).hostLinks(hostLinks).cableEnds(cableEnds).ifupped(ifupped)
                .cgroups(cgroups).services(services).started(started).disks(disks).confinement(confinement)
                .shares(shares).limits(limits).upper(upper).program(program);
    }

    /** The same record, now running with pid 1 {@code pid1} (whose program is not known). */
    SubhostState running(ProcessIdentity pid1, List<String> ifupped) {
        return toBuilder().phase(Phase.RUNNING).pid1(Optional.of(pid1)).ifupped(ifupped).build();
    }

    /**
     * The same record, now running with pid 1 {@code pid1}, started from the SDK's copy {@code
     * program} and told to apply {@code confinement}.
     */
    SubhostState running(ProcessIdentity pid1, List<String> ifupped, SdkProgram.FileIdentity program,
            Confinement confinement) {
        return toBuilder().phase(Phase.RUNNING).pid1(Optional.of(pid1)).ifupped(ifupped).program(Optional.of(program))
                .confinement(confinement).build();
    }

    /** The same record without disk attachments (they have been handed on). */
    SubhostState withoutDisks() {
        return toBuilder().disks(List.of()).build();
    }

    /** The same record with {@code confinement}. */
    SubhostState withConfinement(Confinement confinement) {
        return toBuilder().confinement(confinement).build();
    }

    /**
     * A state record built by name, so that no caller lines up seventeen positional
     * arguments, half of them lists of strings and paths. Each setter takes the record
     * component of its name (see the record's parameters) and refuses null.
     */
    static final class Builder {
        private final String name;
        private Phase phase = Phase.BOOTING;
        private Optional<ProcessIdentity> pid1 = Optional.empty();
        private Optional<Path> config = Optional.empty();
        private Path log;
        private long logOffset;
        private Path live;
        private RootKind rootKind;
        private String netns;
        private List<String> hostLinks = List.of();
        private List<String> cableEnds = List.of();
        private List<String> ifupped = List.of();
        private SubhostGroups cgroups = SubhostGroups.NONE;
        private List<String> services = List.of();
        private Instant started = Instant.EPOCH;
        private List<DiskAttachment> disks = List.of();
        private Confinement confinement = Confinement.DEFAULT;
        private List<Share> shares = List.of();
        private Limits limits = NO_LIMITS;
        private Optional<Path> upper = Optional.empty();
        private Optional<SdkProgram.FileIdentity> program = Optional.empty();

        private Builder(String name) {
            this.name = requireNonNull(name, "name");
            this.netns = name;
        }

        Builder phase(Phase phase) {
            this.phase = requireNonNull(phase, "phase");
            return this;
        }

        Builder pid1(Optional<ProcessIdentity> pid1) {
            this.pid1 = requireNonNull(pid1, "pid1");
            return this;
        }

        Builder config(Optional<Path> config) {
            this.config = requireNonNull(config, "config");
            return this;
        }

        Builder log(Path log) {
            this.log = requireNonNull(log, "log");
            return this;
        }

        Builder logOffset(long logOffset) {
            this.logOffset = logOffset;
            return this;
        }

        Builder live(Path live) {
            this.live = requireNonNull(live, "live");
            return this;
        }

        Builder rootKind(RootKind rootKind) {
            this.rootKind = requireNonNull(rootKind, "rootKind");
            return this;
        }

        Builder netns(String netns) {
            this.netns = requireNonNull(netns, "netns");
            return this;
        }

        Builder hostLinks(List<String> hostLinks) {
            this.hostLinks = List.copyOf(hostLinks);
            return this;
        }

        Builder cableEnds(List<String> cableEnds) {
            this.cableEnds = List.copyOf(cableEnds);
            return this;
        }

        Builder ifupped(List<String> ifupped) {
            this.ifupped = List.copyOf(ifupped);
            return this;
        }

        /** Sets a v2 group alone, as a record had before the v1 groups existed. */
        Builder cgroup(Optional<Path> cgroup) {
            this.cgroups = new SubhostGroups(requireNonNull(cgroup, "cgroup"), java.util.Set.of(), Map.of());
            return this;
        }

        Builder cgroups(SubhostGroups cgroups) {
            this.cgroups = requireNonNull(cgroups, "cgroups");
            return this;
        }

        Builder limits(Limits limits) {
            this.limits = requireNonNull(limits, "limits");
            return this;
        }

        Builder upper(Optional<Path> upper) {
            this.upper = requireNonNull(upper, "upper");
            return this;
        }

        Builder services(List<String> services) {
            this.services = List.copyOf(services);
            return this;
        }

        Builder started(Instant started) {
            this.started = requireNonNull(started, "started");
            return this;
        }

        Builder disks(List<DiskAttachment> disks) {
            this.disks = List.copyOf(disks);
            return this;
        }

        Builder confinement(Confinement confinement) {
            this.confinement = requireNonNull(confinement, "confinement");
            return this;
        }

        Builder shares(List<Share> shares) {
            for (Share share : shares) {
                checkRecordable(share);
            }
            this.shares = List.copyOf(shares);
            return this;
        }

        Builder program(Optional<SdkProgram.FileIdentity> program) {
            this.program = requireNonNull(program, "program");
            return this;
        }

        /**
         * {@return the record}
         *
         * @throws NullPointerException when LOG, LIVE or the root's kind was not set
         */
        SubhostState build() {
            return new SubhostState(name, phase, pid1, config, requireNonNull(log, "log"), logOffset,
                    requireNonNull(live, "live"), requireNonNull(rootKind, "rootKind"), netns, hostLinks, cableEnds,
                    ifupped, cgroups, services, started, disks, confinement, shares, limits, upper, program);
        }
    }

    /**
     * The record as the text of the state file: one {@code key=value} line per key, in the
     * order below. Written twice a boot, so straight into one builder (see {@link #parse}).
     */
    String format() {
        StringBuilder b = new StringBuilder(512);
        line(b, "name", name);
        line(b, "phase", phase.name().toLowerCase(java.util.Locale.ROOT));
        if (pid1.isPresent()) {
            line(b, "pid", Integer.toString(pid1.get().pid()));
            line(b, "starttime", Long.toString(pid1.get().startTime()));
        }
        if (config.isPresent()) {
            line(b, "config", config.get().toString());
        }
        line(b, "log", log.toString());
        line(b, "logoffset", Long.toString(logOffset));
        line(b, "live", live.toString());
        line(b, "root", rootKind.name().toLowerCase(java.util.Locale.ROOT));
        line(b, "netns", netns);
        line(b, "links", String.join(" ", hostLinks));
        line(b, "ends", String.join(" ", cableEnds));
        line(b, "ifup", String.join(" ", ifupped));
        for (Map.Entry<String, String> group : cgroups.record().entrySet()) {
            line(b, group.getKey(), group.getValue());
        }
        line(b, "services", String.join(" ", services));
        line(b, "started", Long.toString(started.toEpochMilli()));
        for (int i = 0; i < disks.size(); i++) {
            line(b, "disk" + (i + 1), disks.get(i).toString());
        }
        line(b, "confinement", confinement.toString());
        for (int i = 0; i < shares.size(); i++) {
            line(b, "share" + (i + 1), shares.get(i).hostPath() + "\t" + shares.get(i).subhostPath());
        }
        line(b, "limits", limits.toString());
        if (upper.isPresent()) {
            line(b, "upper", upper.get().toString());
        }
        if (program.isPresent()) {
            line(b, "program", program.get().toString());
        }
        return b.toString();
    }

    private static void line(StringBuilder b, String key, String value) {
        b.append(key).append('=').append(value).append('\n');
    }

    /**
     * Parses the text of a state file.
     *
     * @throws IllegalArgumentException naming the key that is missing or malformed
     */
    static SubhostState parse(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                m.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        Optional<ProcessIdentity> pid1 = m.containsKey("pid")
                ? Optional.of(new ProcessIdentity(Integer.parseInt(m.get("pid")), Long.parseLong(m.get("starttime"))))
                : Optional.empty();
        return builder(required(m, "name"))
                .phase(Phase.valueOf(required(m, "phase").toUpperCase(java.util.Locale.ROOT)))
                .pid1(pid1)
                .config(Optional.ofNullable(m.get("config")).map(Path::of))
                .log(Path.of(required(m, "log")))
                .logOffset(Long.parseLong(m.getOrDefault("logoffset", "0")))
                .live(Path.of(required(m, "live")))
                .rootKind(RootKind.valueOf(required(m, "root").toUpperCase(java.util.Locale.ROOT)))
                .netns(required(m, "netns"))
                .hostLinks(words(m.get("links")))
                .cableEnds(words(m.get("ends")))
                .ifupped(words(m.get("ifup")))
                .cgroups(SubhostGroups.fromRecord(m))
                .services(words(m.get("services")))
                .started(Instant.ofEpochMilli(Long.parseLong(required(m, "started"))))
                .disks(disks(m))
                .confinement(confinement(m.get("confinement")))
                .shares(shares(m))
                .limits(m.containsKey("limits") ? Limits.parse(m.get("limits")) : NO_LIMITS)
                .upper(Optional.ofNullable(m.get("upper")).map(Path::of))
                .program(Optional.ofNullable(m.get("program")).map(SdkProgram.FileIdentity::parse))
                .build();
    }

    /** The {@code confinement=} line; none in a record of a subhost booted before it existed. */
    private static Confinement confinement(String text) {
        if (text == null) {
            return Confinement.NONE;
        }
        Confinement c = Confinement.NONE;
        for (String word : confinementParts(text.trim())) {
            int eq = word.indexOf('=');
            String value = word.substring(eq + 1);
            switch (word.substring(0, eq)) {
                case "CAPABILITIES" -> c = c.withCapabilities(value);
                case "SECCOMP" -> c = c.withSeccomp(Confinement.parseSwitch("SECCOMP", value));
                case "CONFINE_FILES" -> c = c.withFiles(Confinement.parseSwitch("CONFINE_FILES", value));
                default -> throw new IllegalArgumentException("state record's confinement (" + text
                        + ") has an unknown part " + word);
            }
        }
        return c;
    }

    /**
     * {@code text} cut at each space that a key ({@code [A-Z_]+=}) follows, that space
     * dropped: what {@code text.split(" (?=[A-Z_]+=)")} gives, without a regular expression.
     */
    static List<String> confinementParts(String text) {
        List<String> parts = new ArrayList<>(3);
        int from = 0;
        for (int i = text.indexOf(' '); i >= 0; i = text.indexOf(' ', i + 1)) {
            int k = i + 1;
            while (k < text.length() && (text.charAt(k) >= 'A' && text.charAt(k) <= 'Z' || text.charAt(k) == '_')) {
                k++;
            }
            if (k > i + 1 && k < text.length() && text.charAt(k) == '=') {
                parts.add(text.substring(from, i));
                from = i + 1;
            }
        }
        parts.add(text.substring(from));
        return parts;
    }

    /** The {@code share1=}, {@code share2=}, ... lines in their order; none in an older record. */
    private static List<Share> shares(Map<String, String> m) {
        List<Share> out = new ArrayList<>();
        for (int i = 1; m.containsKey("share" + i); i++) {
            String line = m.get("share" + i);
            int tab = line.indexOf('\t');
            if (tab < 0) {
                throw new IllegalArgumentException("state record's share" + i + " (" + line + ") lacks its tab");
            }
            out.add(new Share(Path.of(line.substring(0, tab)), Path.of(line.substring(tab + 1))));
        }
        return out;
    }

    /**
     * Refuses a share that the record's line form cannot hold: a path with a tab (the
     * separator) or a line break (the end of the line).
     *
     * @throws IllegalArgumentException naming the path
     */
    static void checkRecordable(Share share) {
        for (Path p : List.of(share.hostPath(), share.subhostPath())) {
            String text = p.toString();
            if (text.indexOf('\t') >= 0 || text.indexOf('\n') >= 0) {
                throw new IllegalArgumentException("share path (" + text.replace("\t", "\\t").replace("\n", "\\n")
                        + ") must not contain a tab or a line break");
            }
        }
    }

    /** The {@code disk1=}, {@code disk2=}, ... lines in their order; none in an older record. */
    private static List<DiskAttachment> disks(Map<String, String> m) {
        List<DiskAttachment> out = new ArrayList<>();
        for (int i = 1; m.containsKey("disk" + i); i++) {
            out.add(DiskAttachment.parse(m.get("disk" + i)));
        }
        return out;
    }

    private static String required(Map<String, String> m, String key) {
        String v = m.get(key);
        if (v == null) {
            throw new IllegalArgumentException("state record lacks " + key);
        }
        return v;
    }

    /** The words of {@code s} between runs of spaces, after {@code trim()}; none for null. */
    static List<String> words(String s) {
        List<String> out = new ArrayList<>();
        if (s != null) {
            String t = s.trim();
            int i = 0;
            while (i < t.length()) {
                int end = t.indexOf(' ', i);
                if (end < 0) {
                    end = t.length();
                }
                if (end > i) {
                    out.add(t.substring(i, end));
                }
                i = end + 1;
            }
        }
        return out;
    }
}
