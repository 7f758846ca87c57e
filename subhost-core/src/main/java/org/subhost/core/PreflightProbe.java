package org.subhost.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.subhost.config.Cable;
import org.subhost.config.RootKind;
import org.subhost.config.Share;
import org.subhost.config.SubhostConfig;
import org.subhost.core.PreflightFacts.HostnameFile;
import org.subhost.core.PreflightFacts.InterfacesFile;
import org.subhost.core.PreflightFacts.Kind;
import org.subhost.core.PreflightFacts.PathState;
import org.subhost.linux.MountTable;
import org.subhost.linux.Mounts;
import org.subhost.linux.netlink.RtNetlink;

/**
 * Gathers the {@link PreflightFacts} of one configuration on this host: stat and statfs of
 * its paths, the state record of its NAME, the host's links of its cables (rtnetlink),
 * ifupdown's configuration, and a few files of the subhost's root. Reads only; runs as
 * any user, a fact it may not read being unknown.
 *
 * <p>The subhost's files (in UPPER, and LOWER's when the root is an overlay) are read
 * inside their tree ({@link SubhostTree}: no link leads out, only regular files, bounded),
 * as the boot reads them: a subhost's root owns UPPER.
 */
final class PreflightProbe {
    /** statfs(2)'s f_type of an overlay ({@code OVERLAYFS_SUPER_MAGIC} of linux/magic.h). */
    static final long OVERLAYFS_SUPER_MAGIC = 0x794c7630L;
    /** The most of a subhost's {@code etc/network/interfaces} that is read. */
    static final int INTERFACES_LIMIT = 1 << 16;

    private PreflightProbe() {}

    /**
     * The facts of {@code config} on this host, with the state records of {@code store},
     * ifupdown's {@code ifup} program (when installed) and the host's ifupdown configuration
     * at {@code ifupdownFile}.
     */
    static PreflightFacts probe(SubhostConfig config, StateStore store, Optional<Path> ifup, Path ifupdownFile) {
        return probe(config, store, ifup, ifupdownFile, HostFacts.probe().cgroups());
    }

    /**
     * As {@link #probe(SubhostConfig, StateStore, Optional, Path)}, with the host's control
     * group layout that the boot has probed already ({@code cgroups}), not probed again: the
     * library's boot runs this for its warnings, and the probe costs a few statfs calls.
     */
    static PreflightFacts probe(SubhostConfig config, StateStore store, Optional<Path> ifup, Path ifupdownFile,
            CgroupLayout cgroups) {
        PreflightFacts.Builder facts = PreflightFacts.builder();
        List<Path> paths = new ArrayList<>(List.of(config.live(), config.upper(), config.work(), config.lower()));
        config.shares().stream().map(Share::hostPath).forEach(paths::add);
        for (Path path : paths) {
            pathState(path).ifPresent(state -> facts.path(path, state));
        }
        try {
            store.read(config.name()).flatMap(SubhostState::pid1).filter(ProcessIdentity::isAlive)
                    .ifPresent(pid1 -> facts.running(pid1.pid()));
        } catch (IOException | IllegalArgumentException e) {
            // No readable record (not root): not known to run; the boot checks under its lock.
        }
        hostLinks(config, facts);
        try {
            SubhostGroups.plan(config.name(), cgroups, config.limits());
        } catch (IOException e) {
            facts.limitsRefusal(e.getMessage());
        }
        ifup.ifPresent(facts::ifup);
        IfupdownStanzas.stanzasOf(ifupdownFile).ifPresent(facts::ifupdownStanzas);
        hostname().ifPresent(facts::hostname);
        subhostFiles(config, facts);
        return facts.build();
    }

    /** What is at {@code path}, links followed as the boot follows them; empty when it cannot be told. */
    static Optional<PathState> pathState(Path path) {
        try {
            if (!Files.exists(path)) {
                return Files.notExists(path) ? Optional.of(PathState.MISSING) : Optional.empty();
            }
            if (!Files.isDirectory(path)) {
                return Optional.of(new PathState(Kind.NOT_DIRECTORY, 0, false, false));
            }
            // The mount, not the device number: a btrfs subvolume has a device number of its
            // own, though it is on the same filesystem and mount as WORK beside it, which is
            // all that overlayfs asks of UPPER and WORK.
            java.util.OptionalLong mount = Mounts.mountId(path.toString());
            long device = mount.isPresent() ? mount.getAsLong()
                    : ((Number) Files.getAttribute(path, "unix:dev")).longValue();
            boolean overlay = Mounts.filesystemType(path.toString()) == OVERLAYFS_SUPER_MAGIC;
            Path real = path.toRealPath();
            Optional<Boolean> root = Mounts.isMountRoot(real.toString());
            boolean mountRoot = root.isPresent() ? root.get() : MountTable.ofThisThread().isMountPoint(real);
            return Optional.of(new PathState(Kind.DIRECTORY, device, overlay, mountRoot));
        } catch (IOException | SecurityException | UnsupportedOperationException e) {
            return Optional.empty();
        }
    }

    /** Which of the cables' bridges and host ends the host has, from rtnetlink. */
    private static void hostLinks(SubhostConfig config, PreflightFacts.Builder facts) {
        Set<String> names = new LinkedHashSet<>();
        for (Cable cable : config.cables()) {
            cable.bridge().ifPresent(names::add);
            names.add(cable.hostName());
        }
        if (names.isEmpty()) {
            return;
        }
        try (RtNetlink links = RtNetlink.open()) {
            List<String> present = new ArrayList<>();
            for (String name : names) {
                if (links.link(name).isPresent()) {
                    present.add(name);
                }
            }
            facts.hostLinksKnown();
            present.forEach(facts::hostLink);
        } catch (IOException e) {
            // Links unknown: nothing is said of them.
        }
    }

    /** The host's hostname: its UTS namespace's, as a prompt on the host shows it. */
    private static Optional<String> hostname() {
        try {
            String name = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
            return name.isEmpty() ? Optional.empty() : Optional.of(name);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** The subhost's network interfaces file, hostname and START services, read inside its trees. */
    private static void subhostFiles(SubhostConfig config, PreflightFacts.Builder facts) {
        boolean overlay = config.rootKind() == RootKind.OVERLAY;
        try (SubhostTree upper = SubhostTree.open(config.upper())) {
            String interfaces = "etc/network/interfaces";
            Optional<byte[]> text = readOrEmpty(upper, interfaces, INTERFACES_LIMIT);
            if (text.isPresent()) {
                IfupdownStanzas.Parsed parsed = IfupdownStanzas.parse(new String(text.get(), StandardCharsets.UTF_8));
                facts.upperInterfaces(new InterfacesFile(upper.pathOf(interfaces), parsed.names(), parsed.sourcesOthers()));
            }
            try (SubhostTree lower = overlay ? SubhostTree.open(config.lower()) : null) {
                hostnameFile(upper, lower).ifPresent(facts::subhostHostname);
                if (config.init().isEmpty()) {
                    services(config, lower == null ? upper : new LayeredTree(upper, lower), facts);
                }
            }
        } catch (IOException e) {
            // A tree this user may not read, or that is missing: the preflight's errors say
            // so; nothing is known of its files.
        }
    }

    /**
     * The {@code etc/hostname} the subhost will see: UPPER's when it has one (an entry that
     * is no regular file, such as an overlay's whiteout, hides LOWER's), else LOWER's.
     */
    private static Optional<HostnameFile> hostnameFile(SubhostTree upper, SubhostTree lower) throws IOException {
        String file = "etc/hostname";
        // No lambdas: the start-up cache holds only those its training ran, and a lambda
        // made at run time costs a cold overlay-boot a millisecond or more.
        boolean fromLower = !upper.exists(file);
        SubhostTree tree = fromLower ? lower : upper;
        if (tree == null || fromLower && !lower.exists(file)) {
            return Optional.empty();
        }
        Optional<String> name = firstLine(tree, file);
        return name.isEmpty() ? Optional.empty() : Optional.of(new HostnameFile(name.get(), tree.pathOf(file), fromLower));
    }

    private static Optional<String> firstLine(SubhostTree tree, String file) {
        return readOrEmpty(tree, file, NamespaceSpawner.HOSTNAME_FILE_LIMIT)
                .flatMap(bytes -> new String(bytes, StandardCharsets.UTF_8).lines().map(String::trim).findFirst())
                .filter(name -> !name.isEmpty());
    }

    /**
     * START's services as the boot will read them from the subhost's root ({@code root}:
     * UPPER over LOWER for an overlay): those it has neither a script nor a unit for, and the
     * unit reader's warnings of the others, as the boot gives them.
     */
    private static void services(SubhostConfig config, TreeReader root, PreflightFacts.Builder facts) {
        List<String> missing = new ArrayList<>();
        List<PreflightFacts.UnitWarning> warnings = new ArrayList<>();
        for (String service : config.start()) {
            try {
                if (!hasService(root, service)) {
                    missing.add(service);
                    continue;
                }
                UnitReader.Reading reading = StartServices.read(root, List.of(service), config.preferUnits(),
                        config.supervise(), config.serviceTimeout()).getFirst();
                boolean fails = reading.settled().filter(s -> s.startsWith("failed")).isPresent();
                List<String> texts = reading.warnings();
                for (int i = 0; i < texts.size(); i++) {
                    // A unit that cannot run: its reason is the reading's last warning.
                    warnings.add(new PreflightFacts.UnitWarning(service, texts.get(i), fails && i == texts.size() - 1));
                }
            } catch (IOException | RuntimeException e) {
                // A file this user may not read, or a tree that changes meanwhile: the boot reads LIVE.
            }
        }
        facts.missingServices(missing);
        facts.unitWarnings(warnings);
    }

    /** Whether the root has a script or unit for START name {@code service}, as StartServices looks for it. */
    private static boolean hasService(TreeReader root, String service) throws IOException {
        if (service.startsWith("/")) {
            return root.typeName(service).isPresent();
        }
        if (service.endsWith(".service")) {
            return UnitReader.find(root, service).isPresent();
        }
        return root.typeName("/etc/init.d/" + service).isPresent() || UnitReader.find(root, service + ".service").isPresent();
    }

    /** A regular file's bytes; empty when it is missing, or no regular file of at most {@code limit} bytes. */
    private static Optional<byte[]> readOrEmpty(SubhostTree tree, String file, int limit) {
        try {
            return tree.readRegular(file, limit);
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
