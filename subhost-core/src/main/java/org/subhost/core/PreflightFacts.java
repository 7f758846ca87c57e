package org.subhost.core;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

/**
 * What {@link Preflight} needs to know of the host (and of the subhost's files) to tell
 * whether a boot of one configuration would work: a value, gathered by {@link
 * PreflightProbe}, so that the checks are a pure function that tests feed without root.
 *
 * <p>A fact that could not be found out (a directory this user may not read, a file
 * that is not a regular one) is unknown, and no problem is reported from it: the boot's
 * own steps still check.
 *
 * @param paths the state of LIVE, UPPER, WORK, LOWER and each SHARE source, by path; a path
 *     not in the map is unknown
 * @param runningPid the host pid of pid 1 of a running subhost of this NAME, if one runs
 * @param hostLinks which of the interface names that the cables use (bridges, host ends)
 *     exist on the host; empty when the host's links could not be listed
 * @param ifup the {@code ifup} program, when ifupdown is installed
 * @param ifupdownStanzas the interfaces that the host's ifupdown configuration has an
 *     {@code iface} stanza for; empty when it could not be read
 * @param upperInterfaces what {@code UPPER/etc/network/interfaces} says, when it is there
 * @param hostname the host's own hostname (its kernel's nodename); empty when unknown
 * @param subhostHostname the first line of the {@code /etc/hostname} the subhost will see,
 *     with the file it comes from, when there is one
 * @param missingServices the START services that the subhost's root has neither an
 *     init.d script nor a systemd unit for, in START order
 * @param unitWarnings what the unit reader says of START's other units, read from the
 *     subhost's root as the boot will see it (UPPER over LOWER), in START order
 * @param limitsRefusal why this host cannot apply the configuration's limits (a controller
 *     it lacks), as {@link SubhostGroups#plan} says; empty when it can
 */
record PreflightFacts(
        Map<Path, PathState> paths,
        OptionalInt runningPid,
        Optional<Set<String>> hostLinks,
        Optional<Path> ifup,
        Optional<Set<String>> ifupdownStanzas,
        Optional<InterfacesFile> upperInterfaces,
        Optional<String> hostname,
        Optional<HostnameFile> subhostHostname,
        List<String> missingServices,
        List<UnitWarning> unitWarnings,
        Optional<String> limitsRefusal) {

    PreflightFacts {
        paths = Map.copyOf(paths);
        requireNonNull(runningPid, "runningPid");
        hostLinks = hostLinks.map(Set::copyOf);
        requireNonNull(ifup, "ifup");
        ifupdownStanzas = ifupdownStanzas.map(Set::copyOf);
        requireNonNull(upperInterfaces, "upperInterfaces");
        requireNonNull(hostname, "hostname");
        requireNonNull(subhostHostname, "subhostHostname");
        missingServices = List.copyOf(missingServices);
        requireNonNull(limitsRefusal, "limitsRefusal");
        unitWarnings = List.copyOf(unitWarnings);
    }

    /**
     * One warning of the unit reader of a START service ({@link UnitReader}).
     *
     * @param service the START name
     * @param text the warning, naming its file:line ({@code /lib/systemd/system/rsyslog.service:11:
     *     rsyslog.service starts without what these directives ask, ...})
     * @param fails whether it is why the unit cannot run at all (its start will fail)
     */
    record UnitWarning(String service, String text, boolean fails) {
        UnitWarning {
            requireNonNull(service, "service");
            requireNonNull(text, "text");
        }
    }

    /** What a path is, as far as a boot cares. */
    enum Kind {
        /** A directory (links followed, as the boot follows them in the host's configuration). */
        DIRECTORY,
        /** A regular file, or another kind of file that is not a directory. */
        NOT_DIRECTORY,
        /** Nothing is there. */
        MISSING
    }

    /**
     * One path of the configuration as it is now.
     *
     * @param kind directory, something else, or nothing
     * @param device the mount the directory is on (statx's mount id; its {@code st_dev} before
     *     Linux 5.8), which UPPER and WORK must share; 0 when missing
     * @param onOverlay whether the filesystem is an overlay (which the kernel refuses as an
     *     overlay's upper layer)
     * @param mountRoot whether a mount's root is there
     */
    record PathState(Kind kind, long device, boolean onOverlay, boolean mountRoot) {
        PathState {
            requireNonNull(kind, "kind");
        }

        /** Nothing at the path. */
        static final PathState MISSING = new PathState(Kind.MISSING, 0, false, false);

        /** A plain directory on filesystem {@code device}. */
        static PathState directory(long device) {
            return new PathState(Kind.DIRECTORY, device, false, false);
        }
    }

    /**
     * The subhost's {@code etc/network/interfaces} in UPPER.
     *
     * @param file its path on the host
     * @param names the interfaces it names in {@code iface}, {@code auto} and {@code allow-}
     *     lines ({@link IfupdownStanzas#namesIn})
     * @param sourcesOthers whether it includes other files ({@code source}, {@code
     *     source-directory}), which may name more
     */
    record InterfacesFile(Path file, Set<String> names, boolean sourcesOthers) {
        InterfacesFile {
            requireNonNull(file, "file");
            names = Set.copyOf(names);
        }
    }

    /**
     * The {@code etc/hostname} the subhost will see.
     *
     * @param name its first line, trimmed
     * @param file its path on the host
     * @param fromLower whether it is LOWER's (UPPER has none), rather than the subhost's own
     */
    record HostnameFile(String name, Path file, boolean fromLower) {
        HostnameFile {
            requireNonNull(name, "name");
            requireNonNull(file, "file");
        }
    }

    /** {@return facts in which everything is unknown or absent, to build on} */
    static Builder builder() {
        return new Builder();
    }

    /** Collects facts; for {@link PreflightProbe} and for tests. Not thread-safe. */
    static final class Builder {
        private final Map<Path, PathState> paths = new HashMap<>();
        private OptionalInt runningPid = OptionalInt.empty();
        private Set<String> hostLinks;
        private Optional<Path> ifup = Optional.empty();
        private Optional<Set<String>> ifupdownStanzas = Optional.empty();
        private Optional<InterfacesFile> upperInterfaces = Optional.empty();
        private Optional<String> hostname = Optional.empty();
        private Optional<HostnameFile> subhostHostname = Optional.empty();
        private List<String> missingServices = List.of();
        private List<UnitWarning> unitWarnings = List.of();
        private Optional<String> limitsRefusal = Optional.empty();

        private Builder() {}

        Builder path(Path path, PathState state) {
            paths.put(path, state);
            return this;
        }

        Builder running(int pid) {
            runningPid = OptionalInt.of(pid);
            return this;
        }

        /** The host's links are known, and {@code name} is one of them. */
        Builder hostLink(String name) {
            hostLinks().add(name);
            return this;
        }

        /** The host's links are known (none of the names asked for, unless added). */
        Builder hostLinksKnown() {
            hostLinks();
            return this;
        }

        private Set<String> hostLinks() {
            if (hostLinks == null) {
                hostLinks = new HashSet<>();
            }
            return hostLinks;
        }

        Builder ifup(Path program) {
            ifup = Optional.of(program);
            return this;
        }

        Builder ifupdownStanzas(Set<String> names) {
            ifupdownStanzas = Optional.of(names);
            return this;
        }

        Builder upperInterfaces(InterfacesFile file) {
            upperInterfaces = Optional.of(file);
            return this;
        }

        Builder hostname(String name) {
            hostname = Optional.of(name);
            return this;
        }

        Builder subhostHostname(HostnameFile file) {
            subhostHostname = Optional.of(file);
            return this;
        }

        Builder missingServices(List<String> services) {
            missingServices = List.copyOf(services);
            return this;
        }

        Builder unitWarnings(List<UnitWarning> warnings) {
            unitWarnings = List.copyOf(warnings);
            return this;
        }

        Builder limitsRefusal(String reason) {
            limitsRefusal = Optional.of(reason);
            return this;
        }

        PreflightFacts build() {
            return new PreflightFacts(paths, runningPid, Optional.ofNullable(hostLinks), ifup, ifupdownStanzas, upperInterfaces, hostname,
                    subhostHostname, missingServices, unitWarnings, limitsRefusal);
        }
    }
}
