package org.subhost.core;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.subhost.config.Cable;
import org.subhost.config.RootKind;
import org.subhost.config.SubhostConfig;

/**
 * Derives the boot plan of a subhost from its configuration and the host's facts: a pure
 * function, so that plans are tested without root and printed by {@code overlay-boot
 * --dry-run}.
 *
 * <p>The steps follow docs/spec.md §3 in order: checks and the state record; the network
 * namespace and the cables; the mount namespace; PREMOUNT; the root; POSTMOUNT; the
 * shares; the control groups with the limits and the device policy; pivot_root; pid 1;
 * and, back on the host, pid 1 into its control groups, the record of pid 1, and the
 * release of the init. A limit that the host cannot apply makes a step that refuses the
 * boot before anything is made; DISK_MAX is set on UPPER right after the first record.
 *
 * <p>It also wires what the steps hand on: a {@link Slot} for each result that a later step
 * reads (the network namespace, what {@link InitSupervisor.PrepareInit} opened, pid 1, the
 * state record), given to the step that makes it and to each step that reads it, so that the
 * plan says who needs what and {@link BootPlan} can check it.
 */
public final class BootPlanner {
    /** How long pid 1 waits for the subhost's processes after passing SIGTERM on, before SIGKILL. */
    static final Duration INIT_GRACE = Duration.ofSeconds(5);

    private BootPlanner() {}

    /**
     * The plan for {@code config} on this host.
     *
     * @param config the subhost's configuration
     * @return the plan
     */
    public static BootPlan plan(SubhostConfig config) {
        return plan(config, HostFacts.probe());
    }

    static BootPlan plan(SubhostConfig config, HostFacts facts) {
        String name = config.name();
        Map<String, String> env = hookEnvironment(config);
        // Where the control groups go, or why the limits cannot be applied here: then the
        // plan's first check refuses the boot, and --dry-run shows why.
        SubhostGroups groups;
        Optional<String> refusal;
        try {
            groups = SubhostGroups.plan(name, facts.cgroups(), config.limits());
            refusal = Optional.empty();
        } catch (java.io.IOException e) {
            groups = SubhostGroups.NONE;
            refusal = Optional.of(e.getMessage());
        }
        List<BootStep<?>> steps = new ArrayList<>();
        // What steps hand to later steps, each given below to the step that makes it and to
        // the steps that read it.
        Slot<SubhostState> booting = new Slot<>("the state record of the boot");
        Slot<InitSupervisor.PreparedInit> prepared = new Slot<>("LOG, the log relay and the init");
        Slot<InitSupervisor.CommandIo> io = prepared.part("LOG and /dev/null for commands",
                InitSupervisor.PreparedInit::io);
        Slot<LogRelay.Ends> relay = prepared.part("the log relay", InitSupervisor.PreparedInit::relay);
        Slot<Descriptor> netns = new Slot<>("network namespace " + name);
        Slot<NamespaceSpawner.Pid1> pid1 = new Slot<>("pid 1");
        Slot<SubhostState> running = new Slot<>("the state record of the running subhost");
        Slot<Hiding.Known> known = new Slot<>("what is known of the other subhosts");

        // 1. disk images that ! commands mounted become the boot's (released if it fails);
        //    checks, and a record of what will be made, before anything is made
        if (!config.attachments().isEmpty()) {
            steps.add(new DiskAttachments.Adopt(config.attachments()));
        }
        steps.add(new OverlayFs.CheckLayout(config.rootKind(), config.live(), config.upper(), config.work(),
                config.lower()));
        refusal.ifPresent(reason -> steps.add(new ControlGroup.Refuse(reason)));
        steps.add(new StateStore.RecordBooting(planned(config, groups), booting));
        steps.add(new TreeIndex.Register(SubhostTrees.of(config), config.hide(), known));
        // DISK_MAX on UPPER, before anything writes to it
        if (config.limits().diskMax().isPresent()) {
            steps.add(new DiskQuota.Limit(config.upper(), config.work(), config.limits().diskMax().getAsLong()));
        }
        // 2. the network namespace and the cables. The cables are made while the namespace
        //    steps run (BootStep.Alongside), in the network namespace that the namespace
        //    thread makes for itself first; unless a user's PREMOUNT or POSTMOUNT, which runs
        //    among those, might look at them: then all of it comes first, in this order. The
        //    init sees them either way.
        //    The control groups (with their limits and device policy), LOG and the log relay
        //    are made alongside too, before the cables; the namespace thread waits for the
        //    relay and the init only right before pid 1's spawn. Unless a user's command runs
        //    among them or the namespace steps (INIT, PREMOUNT, POSTMOUNT): then they come
        //    first, as that command has always seen them.
        boolean userHooks = config.premount().isPresent() || config.postmount().isPresent();
        boolean prepareAlongside = !userHooks && config.init().isEmpty();
        // The built-in PREMOUNT, UPPER/etc/network/interfaces, is written on the caller's
        // thread too, when no user's hook runs among the namespace steps.
        Optional<Slot<Boolean>> interfacesWritten = !userHooks && config.rootKind() != RootKind.PLAIN
                ? Optional.of(new Slot<>("UPPER/etc/network/interfaces, written or left")) : Optional.empty();
        // the groups before the log relay starts, which is born in them (BirthGroups), as pid 1 is
        List<BootStep<?>> prepare = new ArrayList<>();
        if (!groups.directories().isEmpty()) {
            prepare.add(new ControlGroup.Create(groups, config.limits(), DevicePolicy.of(config.devices()),
                    facts.cgroups()));
        }
        prepare.add(new InitSupervisor.PrepareInit(name, config.log(), config.init(), config.start(), env,
                config.base(), config.hookTimeout(), config.serviceTimeout(), config.logMax(), groups, prepared));
        NetnsCable.CableSteps cables = NetnsCable.cableSteps(config, facts, netns, io);
        // What pid 1's spawn reads of the init: made before it on the same thread, or handed
        // over by the namespace thread's wait for the caller's.
        Slot<InitSupervisor.PreparedInit> preparedForPid1 = prepared;
        if (userHooks) {
            steps.addAll(prepare);
            steps.add(new NetnsCable.CreateNetns(name, netns));
            steps.addAll(cables.steps());
        } else {
            // The namespace thread's descriptor, which the caller's thread waits for and hands
            // to the cables as netns.
            Slot<Descriptor> made = new Slot<>("network namespace " + name + " of the namespace thread");
            if (!prepareAlongside) {
                steps.addAll(prepare);
            }
            // The built-in PREMOUNT first alongside: the namespace thread waits for it before
            // it mounts the root (4), and has its network and mount namespaces to make before.
            if (interfacesWritten.isPresent()) {
                steps.add(alongside(InitSupervisor.WriteInterfaces.onHost(config, interfacesWritten.get())));
            }
            if (prepareAlongside) {
                prepare.forEach(step -> steps.add(alongside(step)));
                preparedForPid1 = new Slot<>("LOG, the log relay and the init, on the namespace thread");
            }
            steps.add(alongside(new NetnsCable.AwaitNetns(name, made, netns)));
            cables.steps().forEach(step -> steps.add(alongside(step)));
            steps.add(new NetnsCable.CreateNetnsOnBootThread(name, made));
        }
        // 3. the mount namespace
        List<Path> shareSources = config.shares().stream().map(share -> share.hostPath()).toList();
        steps.add(new OverlayFs.NewMountNamespace(name, userHooks ? Optional.of(netns) : Optional.empty(),
                OverlayFs.NewMountNamespace.seedable(userHooks, shareSources), shareSources));
        // 4. PREMOUNT (not for a root that is the directory itself, as in the old tool)
        if (interfacesWritten.isPresent()) {
            steps.add(new InitSupervisor.AwaitInterfaces(config.upper().resolve(InitSupervisor.WriteInterfaces.RELATIVE),
                    interfacesWritten.get(), new Slot<>("UPPER/etc/network/interfaces, on the namespace thread")));
        } else if (config.rootKind() != RootKind.PLAIN) {
            steps.add(config.premount()
                    .<BootStep<?>>map(cmd -> new InitSupervisor.RunHook("PREMOUNT", cmd,
                            List.of(config.upper().toString()), env, config.base(), config.hookTimeout(), config.log(),
                            io))
                    .orElseGet(() -> InitSupervisor.WriteInterfaces.of(config)));
        }
        // 5. the root
        steps.addAll(OverlayFs.rootSteps(config));
        // 6. POSTMOUNT
        if (config.postmount().isPresent()) {
            steps.add(new InitSupervisor.RunHook("POSTMOUNT", config.postmount().get(),
                    List.of(config.live().toString(), config.upper().toString()), env, config.base(),
                    config.hookTimeout(), config.log(), io));
        } else {
            steps.addAll(OverlayFs.builtinPostmount(config));
        }
        // 7. SHARE, then what the subhost must not see of the host, where its root or a share shows it
        steps.addAll(OverlayFs.shareSteps(config, known));
        steps.add(new Hiding.HideTrees(name, config.live(), config.hide(), known));
        // 8. START's services, read from the subhost's root and checked before pid 1 exists:
        //     their warnings name file:line in LOG and on the admin's terminal
        Optional<Slot<List<UnitReader.Reading>>> services = Optional.empty();
        if (config.init().isEmpty() && !config.start().isEmpty()) {
            Slot<List<UnitReader.Reading>> read = new Slot<>("START's services, read from the subhost's root");
            steps.add(new InitSupervisor.ReadServices(config.live(), config.start(), config.preferUnits(),
                    config.supervise(), config.serviceTimeout(), read));
            services = Optional.of(read);
        }
        // 9. the switch of root
        steps.add(new OverlayFs.PivotRoot(config.live()));
        // 10. pid 1
        // An INIT that echoes "exec INIT-SYSTEM" is known now: its confinement is shown and recorded
        // at the level it gets (one found only in INIT's output is raised when pid 1 starts).
        boolean initSystem = config.init().flatMap(InitSystem::ofCommand).isPresent();
        Slot<LogRelay.Ends> relayForPid1 = relay;
        Slot<InitSupervisor.InitProgram> init = prepared.part("the init", InitSupervisor.PreparedInit::program);
        Slot<BirthGroups> birth = prepared.part("pid 1's control groups", InitSupervisor.PreparedInit::groups);
        if (preparedForPid1 != prepared) {
            steps.add(new InitSupervisor.AwaitPrepared(prepared, preparedForPid1));
            relayForPid1 = preparedForPid1.part("the log relay", InitSupervisor.PreparedInit::relay);
            init = preparedForPid1.part("the init", InitSupervisor.PreparedInit::program);
            birth = preparedForPid1.part("pid 1's control groups", InitSupervisor.PreparedInit::groups);
        }
        steps.add(new NamespaceSpawner.StartPid1(name, INIT_GRACE, InitSystem.confinement(config.confinement(),
                initSystem), init, relayForPid1, birth, groups.directories(), services, pid1));
        // back on the host: record pid 1, then let the init run (11)
        steps.add(new StateStore.RecordRunning(config.log(), booting, pid1, cables.hostEnds(), running));
        steps.add(new Hiding.Carry(name, known, pid1));
        steps.add(new NamespaceSpawner.ReleaseInit(name, config.log(), pid1, services.isPresent()
                ? InitSupervisor.servicesWait(config.start().size(), config.serviceTimeout()) : Duration.ZERO,
                config.start(), config.initReadyTimeout()));
        return new BootPlan(name, steps, running);
    }

    /** {@code step}, run alongside the namespace steps. */
    private static <R> BootStep<R> alongside(BootStep<R> step) {
        return new BootStep.Alongside<>(step);
    }

    /** The environment of PREMOUNT, POSTMOUNT and INIT commands: CONFIG and ACTION (docs/spec.md §2). */
    static Map<String, String> hookEnvironment(SubhostConfig config) {
        Map<String, String> env = new HashMap<>();
        env.put("CONFIG", config.file().map(Path::toString).orElse(""));
        env.put("ACTION", "overlay-boot");
        return env;
    }

    /** The state record the boot will write first, from the configuration and where its groups go. */
    static SubhostState planned(SubhostConfig config, SubhostGroups groups) {
        List<String> links = new ArrayList<>();
        List<String> ends = new ArrayList<>();
        for (Cable cable : config.cables()) {
            links.add(cable.hostName());
            ends.add(cable.subhostName());
        }
        return SubhostState.builder(config.name())
                .config(config.file())
                .log(config.log())
                .live(config.live())
                .rootKind(config.rootKind())
                .netns(config.name())
                .hostLinks(links)
                .cableEnds(ends)
                .cgroups(groups)
                .limits(config.limits())
                .upper(Optional.of(config.upper()))
                .services(config.start())
                .disks(config.attachments())
                .confinement(InitSystem.confinement(config.confinement(),
                        config.init().flatMap(InitSystem::ofCommand).isPresent()))
                .shares(config.shares())
                .build();
    }
}
