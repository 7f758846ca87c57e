package org.subhost.core;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Reads a START name's systemd unit ({@code NAME.service}) from the subhost's tree and
 * checks it against the subset that the built-in init runs (docs/spec.md §5.2).
 *
 * <p>Example: {@code read(tree, "rsyslog", 30 s)} finds {@code /lib/systemd/system/rsyslog.service}
 * (after {@code /etc/systemd/system} and {@code /run/systemd/system}), applies the drop-ins
 * {@code rsyslog.service.d/*.conf} of every one of the four directories in the order of
 * their names (a name in an earlier directory hides the same name in a later one), and
 * gives a {@link ServiceSpec} plus one warning that names the directives outside the subset
 * ({@code ProtectSystem=}, ...) with their file:line.
 *
 * <p>Read on the host side at the boot, through {@link SubhostTree} (by the preflight, through
 * {@link LayeredTree}, UPPER over LOWER): every path is resolved
 * inside the subhost's root, only regular files are read, each at most {@link
 * UnitFile#MAX_BYTES}. A unit linked to {@code /dev/null} is masked. The subhost's own
 * {@code /etc/passwd} and {@code /etc/group} give {@code User=} and {@code Group=}.
 * Not checked: whether the programs exist; pid 1 says so when it execs them.
 */
final class UnitReader {
    /** Where systemd looks for units, first wins (systemd.unit(5), "System Unit Search Path"). */
    static final List<String> SEARCH_PATH = List.of("/etc/systemd/system", "/run/systemd/system",
            "/lib/systemd/system", "/usr/lib/systemd/system");
    /** Directives that are read and need nothing more under START: START's order is the dependency order. */
    static final Set<String> WITHOUT_EFFECT = Set.of("Unit.Description", "Unit.Documentation", "Unit.After",
            "Unit.Before", "Unit.Wants", "Unit.Requires", "Unit.Requisite", "Unit.BindsTo", "Unit.PartOf",
            "Unit.Upholds", "Unit.Conflicts", "Unit.DefaultDependencies", "Unit.WantedBy", "Unit.RequiredBy",
            "Unit.SourcePath", "Unit.IgnoreOnIsolate", "Unit.AllowIsolate", "Unit.RefuseManualStart",
            "Unit.RefuseManualStop", "Unit.StopWhenUnneeded", "Unit.CollectMode");
    /** The supported directives, as {@code Section.Key}. */
    static final Set<String> SUPPORTED = Set.of("Service.Type", "Service.ExecStartPre", "Service.ExecStart",
            "Service.ExecStartPost", "Service.ExecReload", "Service.ExecStop", "Service.User", "Service.Group",
            "Service.SupplementaryGroups", "Service.Environment", "Service.EnvironmentFile",
            "Service.WorkingDirectory", "Service.RuntimeDirectory", "Service.RuntimeDirectoryMode",
            "Service.PIDFile", "Service.UMask", "Service.Restart", "Service.RestartSec", "Service.TimeoutSec",
            "Service.TimeoutStartSec", "Service.TimeoutStopSec", "Service.KillMode", "Service.KillSignal",
            "Service.RemainAfterExit", "Service.NotifyAccess", "Service.StartLimitBurst",
            "Service.StartLimitInterval", "Service.StartLimitIntervalSec", "Unit.StartLimitBurst",
            "Unit.StartLimitIntervalSec", "Unit.StartLimitInterval", "Unit.ConditionPathExists");
    /** Directives whose values add up in a list, and which an empty value resets. */
    private static final Set<String> LISTS = Set.of("Service.ExecStartPre", "Service.ExecStart",
            "Service.ExecStartPost", "Service.ExecReload", "Service.ExecStop", "Service.Environment",
            "Service.EnvironmentFile", "Service.RuntimeDirectory", "Service.SupplementaryGroups",
            "Unit.ConditionPathExists");
    private static final int PASSWD_LIMIT = 1 << 20;
    private static final int ENVIRONMENT_FILE_LIMIT = 64 * 1024;
    /** What {@code infinity} means for a time limit: longer than any boot waits. */
    static final Duration INFINITY = Duration.ofDays(365);

    private UnitReader() {}

    /**
     * What reading one START name gave.
     *
     * @param name the START name
     * @param spec the service to run; empty when it is settled already
     * @param settled the state pid 1 reports at its turn, when the service is not run:
     *     {@code skipped (...)} for a condition that fails, {@code failed (...)} for a unit
     *     that cannot be run
     * @param warnings the lines for LOG and the admin's terminal, each naming file:line
     */
    record Reading(String name, Optional<ServiceSpec> spec, Optional<String> settled, List<String> warnings) {
        Reading {
            warnings = List.copyOf(warnings);
            if (spec.isPresent() == settled.isPresent()) {
                throw new IllegalArgumentException("a reading has either a spec or a settled state");
            }
        }
    }

    /** A unit that cannot be run, with the reason starting with file:line. */
    static final class UnitException extends Exception {
        private static final long serialVersionUID = 1L;

        UnitException(String message) {
            super(message);
        }
    }

    /**
     * The path of {@code NAME.service} in the first directory of {@link #SEARCH_PATH} that has one.
     *
     * @param tree the subhost's root
     * @param unit the unit's file name ({@code rsyslog.service})
     * @return its path inside the tree; empty when no directory has it
     */
    static Optional<String> find(TreeReader tree, String unit) throws IOException {
        for (String dir : SEARCH_PATH) {
            String path = dir + "/" + unit;
            if (tree.typeName(path, false).isPresent()) {
                return Optional.of(path);
            }
        }
        return Optional.empty();
    }

    /**
     * Why the unit at {@code path} is masked: a link to {@code /dev/null} (a character device,
     * or nothing at all inside the subhost's tree before its {@code /dev} is mounted) or a link
     * that leads nowhere; empty for a unit file.
     */
    private static Optional<String> masked(TreeReader tree, String path) throws IOException {
        Optional<String> followed;
        try {
            followed = tree.typeName(path);
        } catch (IOException e) {
            followed = Optional.empty(); // a loop of links: leads nowhere
        }
        if (followed.isEmpty() || followed.get().equals("character device")) {
            return Optional.of(path + ": masked (a link to /dev/null or to nothing inside the subhost)");
        }
        if (!followed.get().equals("regular file")) {
            return Optional.of(path + ": a " + followed.get() + ", not a unit file");
        }
        return Optional.empty();
    }

    /**
     * Reads the unit of START's {@code name} ({@code name.service}, or {@code name} itself when
     * it ends in {@code .service}).
     *
     * @param tree the subhost's root
     * @param name the START name
     * @param serviceLimit the .conf's service timeout, the most that a start may take
     * @return the reading; a unit that cannot be run is a reading with a {@code failed} state
     */
    static Reading read(TreeReader tree, String name, Duration serviceLimit) throws IOException {
        String unit = name.endsWith(".service") ? name : name + ".service";
        List<String> warnings = new ArrayList<>();
        try {
            return new Reading(name, Optional.of(readUnit(tree, name, unit, serviceLimit, warnings)),
                    Optional.empty(), warnings);
        } catch (UnitException e) {
            warnings.add(e.getMessage());
            return new Reading(name, Optional.empty(), Optional.of("failed (" + firstWords(e.getMessage()) + ")"),
                    warnings);
        } catch (Skipped e) {
            return new Reading(name, Optional.empty(), Optional.of("skipped (" + e.getMessage() + ")"), warnings);
        }
    }

    /** The reason of a failure without its file:line, short enough for a state. */
    private static String firstWords(String message) {
        int colon = message.indexOf(": ");
        String text = colon > 0 && message.substring(0, colon).matches(".*:[0-9]+") ? message.substring(colon + 2)
                : message;
        return text.length() > 200 ? text.substring(0, 200) + "..." : text;
    }

    /** A condition that does not hold: the unit is skipped, as systemd skips it. */
    private static final class Skipped extends Exception {
        private static final long serialVersionUID = 1L;

        Skipped(String message) {
            super(message);
        }
    }

    private static ServiceSpec readUnit(TreeReader tree, String name, String unit, Duration serviceLimit,
            List<String> warnings) throws IOException, UnitException, Skipped {
        String main = find(tree, unit).orElseThrow(() -> new UnitException(
                "no " + unit + " in " + String.join(", ", SEARCH_PATH) + ", and no /etc/init.d/" + name));
        Optional<String> masked = masked(tree, main);
        if (masked.isPresent()) {
            throw new UnitException(masked.get());
        }
        List<UnitFile.Entry> entries = new ArrayList<>(parse(tree, main, warnings));
        for (String dropIn : dropIns(tree, unit)) {
            entries.addAll(parse(tree, dropIn, warnings));
        }
        return interpret(tree, name, unit, main, entries, serviceLimit, warnings);
    }

    /** The drop-ins of {@code unit}: each name once, from the first directory that has it, in the order of names. */
    static List<String> dropIns(TreeReader tree, String unit) throws IOException {
        Map<String, String> byName = new TreeMap<>();
        for (String dir : SEARCH_PATH) {
            for (String file : tree.list(dir + "/" + unit + ".d")) {
                if (file.endsWith(".conf")) {
                    byName.putIfAbsent(file, dir + "/" + unit + ".d/" + file);
                }
            }
        }
        return List.copyOf(byName.values());
    }

    private static List<UnitFile.Entry> parse(TreeReader tree, String path, List<String> warnings)
            throws IOException {
        Optional<byte[]> bytes = tree.readRegular(path, UnitFile.MAX_BYTES);
        if (bytes.isEmpty()) {
            return List.of(); // gone meanwhile: as if it were not there
        }
        UnitFile.Parsed parsed = UnitFile.parse(path, new String(bytes.get(), StandardCharsets.UTF_8));
        for (UnitFile.Problem problem : parsed.problems()) {
            warnings.add(problem + "; line ignored");
        }
        return parsed.entries();
    }

    /** Reads the entries in order into the directives' values, lists with resets, the rest last one wins. */
    private static ServiceSpec interpret(TreeReader tree, String name, String unit, String main,
            List<UnitFile.Entry> entries, Duration serviceLimit, List<String> warnings)
            throws IOException, UnitException, Skipped {
        Map<String, List<UnitFile.Entry>> values = new LinkedHashMap<>();
        List<UnitFile.Entry> outside = new ArrayList<>();
        for (UnitFile.Entry e : entries) {
            String key = e.section() + "." + e.key();
            if (e.section().equals("Install") || WITHOUT_EFFECT.contains(key)) {
                continue;
            }
            if (!SUPPORTED.contains(key)) {
                outside.add(e);
                continue;
            }
            List<UnitFile.Entry> list = values.computeIfAbsent(normal(key), k -> new ArrayList<>());
            if (e.value().isEmpty() || !LISTS.contains(key)) {
                list.clear();
            }
            if (!e.value().isEmpty()) {
                list.add(e);
            }
        }
        if (!outside.isEmpty()) {
            warnings.add(outsideWarning(unit, outside));
        }
        checkConditions(tree, values.getOrDefault("Unit.ConditionPathExists", List.of()));

        ServiceSpec.Builder b = ServiceSpec.builder(name, ServiceSpec.Kind.UNIT, main);
        Optional<UnitFile.Entry> type = last(values, "Service.Type");
        if (type.isPresent()) {
            b.type = type(type.get(), warnings);
        } else if (values.containsKey("Service.ExecStart") && !values.get("Service.ExecStart").isEmpty()) {
            b.type = ServiceSpec.Type.SIMPLE;
        } else {
            b.type = ServiceSpec.Type.ONESHOT; // systemd: no ExecStart and no Type= is a oneshot
        }
        // Who it runs as comes first: %h, %u and HOME depend on it.
        Optional<UnitFile.Entry> user = last(values, "Service.User");
        Optional<UnitFile.Entry> group = last(values, "Service.Group");
        if (user.isPresent() || group.isPresent()) {
            b.user = Optional.of(credentials(tree, user, group, values.getOrDefault("Service.SupplementaryGroups",
                    List.of())));
        }
        Map<String, String> env = new LinkedHashMap<>();
        b.user.ifPresent(c -> {
            env.put("HOME", c.home());
            env.put("LOGNAME", c.name());
            env.put("USER", c.name());
            env.put("SHELL", c.shell());
        });
        for (UnitFile.Entry e : values.getOrDefault("Service.Environment", List.of())) {
            for (String assignment : environmentWords(e)) {
                int eq = assignment.indexOf('=');
                if (eq <= 0) {
                    warnings.add(e.where() + ": Environment=: " + UnitFile.shown(assignment)
                            + " is no NAME=value; ignored");
                } else {
                    env.put(assignment.substring(0, eq), assignment.substring(eq + 1));
                }
            }
        }
        for (UnitFile.Entry e : values.getOrDefault("Service.EnvironmentFile", List.of())) {
            environmentFile(tree, e, env, warnings);
        }
        List<String> runtime = new ArrayList<>();
        for (UnitFile.Entry e : values.getOrDefault("Service.RuntimeDirectory", List.of())) {
            for (String dir : e.value().trim().split("\\s+")) {
                if (dir.startsWith("/") || dir.contains("..") || dir.isEmpty()) {
                    throw new UnitException(e.where() + ": RuntimeDirectory= (" + dir
                            + ") must be a relative path below /run without ..");
                }
                runtime.add(dir);
            }
        }
        if (!runtime.isEmpty()) {
            env.put("RUNTIME_DIRECTORY", String.join(":", runtime.stream().map(d -> "/run/" + d).toList()));
        }
        b.runtimeDirectories.addAll(runtime);
        Optional<ServiceSpec.Credentials> credentials = b.user;
        java.util.function.Function<Character, Optional<String>> specifiers = c -> specifier(c, unit, credentials);
        Map<String, String> fullEnv = new LinkedHashMap<>();
        for (String kv : ServiceSpec.BASE_ENVIRONMENT) {
            fullEnv.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
        fullEnv.putAll(env);
        b.environment.clear();
        fullEnv.forEach((k, v) -> b.environment.add(k + "=" + v));

        commands(values, "Service.ExecStartPre", fullEnv, specifiers, b.startPre);
        commands(values, "Service.ExecStart", fullEnv, specifiers, b.start);
        commands(values, "Service.ExecStartPost", fullEnv, specifiers, b.startPost);
        commands(values, "Service.ExecReload", fullEnv, specifiers, b.reload);
        commands(values, "Service.ExecStop", fullEnv, specifiers, b.stop);
        if (b.start.isEmpty() && b.type != ServiceSpec.Type.ONESHOT) {
            throw new UnitException(main + ": ExecStart= is missing, which Type=" + b.type.name().toLowerCase(Locale.ROOT)
                    + " needs");
        }
        if (b.start.size() > 1 && b.type != ServiceSpec.Type.ONESHOT) {
            UnitFile.Entry e = values.get("Service.ExecStart").getLast();
            throw new UnitException(e.where() + ": more than one ExecStart= command, which only Type=oneshot allows");
        }
        Optional<UnitFile.Entry> dir = last(values, "Service.WorkingDirectory");
        if (dir.isPresent()) {
            String d = dir.get().value();
            boolean optional = d.startsWith("-");
            d = optional ? d.substring(1) : d;
            if (d.equals("~")) {
                d = credentials.map(ServiceSpec.Credentials::home).orElse("/root");
            }
            d = expand(dir.get(), d, specifiers);
            if (!d.startsWith("/")) {
                throw new UnitException(dir.get().where() + ": WorkingDirectory= (" + d + ") must be an absolute path");
            }
            b.workingDirectory = Optional.of((optional ? "-" : "") + d);
        }
        Optional<UnitFile.Entry> pid = last(values, "Service.PIDFile");
        if (pid.isPresent()) {
            String p = expand(pid.get(), pid.get().value(), specifiers);
            b.pidFile = Optional.of(p.startsWith("/") ? p : "/run/" + p);
        }
        Optional<UnitFile.Entry> mode = last(values, "Service.RuntimeDirectoryMode");
        if (mode.isPresent()) {
            b.runtimeDirectoryMode = octal(mode.get(), 07777);
        }
        Optional<UnitFile.Entry> umask = last(values, "Service.UMask");
        if (umask.isPresent()) {
            b.umask = octal(umask.get(), 0777);
        }
        Optional<UnitFile.Entry> restart = last(values, "Service.Restart");
        if (restart.isPresent()) {
            b.restart = restart(restart.get(), warnings);
        }
        Optional<UnitFile.Entry> restartSec = last(values, "Service.RestartSec");
        if (restartSec.isPresent()) {
            b.restartDelay = timeSpan(restartSec.get());
        }
        Optional<UnitFile.Entry> burst = last(values, "StartLimitBurst");
        if (burst.isPresent()) {
            b.startLimitBurst = (int) number(burst.get(), 1_000_000);
        }
        Optional<UnitFile.Entry> interval = last(values, "StartLimitIntervalSec");
        if (interval.isPresent()) {
            b.startLimitInterval = timeSpan(interval.get());
        }
        Optional<UnitFile.Entry> timeout = last(values, "Service.TimeoutSec");
        if (timeout.isPresent()) {
            b.startTimeout = b.stopTimeout = timeSpan(timeout.get());
        }
        Optional<UnitFile.Entry> startTimeout = last(values, "Service.TimeoutStartSec");
        if (startTimeout.isPresent()) {
            b.startTimeout = timeSpan(startTimeout.get());
        }
        Optional<UnitFile.Entry> stopTimeout = last(values, "Service.TimeoutStopSec");
        if (stopTimeout.isPresent()) {
            b.stopTimeout = timeSpan(stopTimeout.get());
        }
        // The .conf's service timeout bounds every start, so that the boot's wait is bounded.
        if (b.startTimeout.isZero() || b.startTimeout.compareTo(serviceLimit) > 0) {
            b.startTimeout = serviceLimit;
        }
        if (b.stopTimeout.isZero()) {
            b.stopTimeout = INFINITY;
        }
        Optional<UnitFile.Entry> killMode = last(values, "Service.KillMode");
        if (killMode.isPresent()) {
            b.killMode = switch (killMode.get().value()) {
                case "control-group" -> ServiceSpec.KillMode.CONTROL_GROUP;
                case "process" -> ServiceSpec.KillMode.PROCESS;
                case "mixed" -> ServiceSpec.KillMode.MIXED;
                case "none" -> ServiceSpec.KillMode.NONE;
                default -> throw new UnitException(killMode.get().where() + ": KillMode= ("
                        + killMode.get().value() + ") must be control-group, process, mixed or none");
            };
        }
        Optional<UnitFile.Entry> killSignal = last(values, "Service.KillSignal");
        if (killSignal.isPresent()) {
            b.killSignal = signal(killSignal.get());
        }
        Optional<UnitFile.Entry> remain = last(values, "Service.RemainAfterExit");
        if (remain.isPresent()) {
            b.remainAfterExit = bool(remain.get());
        }
        Optional<UnitFile.Entry> notify = last(values, "Service.NotifyAccess");
        if (notify.isPresent()) {
            switch (notify.get().value()) {
                case "all", "exec" -> b.notifyAccessAll = true;
                case "main", "none" -> b.notifyAccessAll = false;
                default -> throw new UnitException(notify.get().where() + ": NotifyAccess= (" + notify.get().value()
                        + ") must be none, main, exec or all");
            }
        }
        if (b.type == ServiceSpec.Type.FORKING && b.pidFile.isEmpty() && b.restart != ServiceSpec.Restart.NO) {
            warnings.add(main + ": " + unit + ": Type=forking without PIDFile=: the init cannot tell its main"
                    + " process, so Restart= has no effect");
        }
        return b.build();
    }

    /** Section-independent keys (StartLimit* is in [Unit] now, in [Service] before systemd 230). */
    private static String normal(String key) {
        return switch (key) {
            case "Unit.StartLimitBurst", "Service.StartLimitBurst" -> "StartLimitBurst";
            case "Unit.StartLimitIntervalSec", "Unit.StartLimitInterval", "Service.StartLimitInterval",
                    "Service.StartLimitIntervalSec" -> "StartLimitIntervalSec";
            default -> key;
        };
    }

    private static Optional<UnitFile.Entry> last(Map<String, List<UnitFile.Entry>> values, String key) {
        List<UnitFile.Entry> list = values.get(key);
        return list == null || list.isEmpty() ? Optional.empty() : Optional.of(list.getLast());
    }

    /** The one warning of a unit: every directive outside the subset, with its file:line. */
    static String outsideWarning(String unit, List<UnitFile.Entry> outside) {
        UnitFile.Entry first = outside.getFirst();
        StringBuilder b = new StringBuilder(first.where()).append(": ").append(unit)
                .append(" starts without what these directives ask, outside the built-in init's subset: ");
        for (int i = 0; i < outside.size(); i++) {
            UnitFile.Entry e = outside.get(i);
            b.append(i == 0 ? "" : ", ").append(e.key()).append("= (")
                    .append(e.file().equals(first.file()) ? "line " + e.line() : e.where()).append(')');
        }
        return b.toString();
    }

    private static void checkConditions(TreeReader tree, List<UnitFile.Entry> conditions)
            throws IOException, Skipped {
        boolean anyTrigger = false, triggered = false;
        for (UnitFile.Entry e : conditions) {
            String v = e.value();
            boolean trigger = v.startsWith("|");
            v = trigger ? v.substring(1) : v;
            boolean negate = v.startsWith("!");
            v = negate ? v.substring(1) : v;
            boolean holds = tree.typeName(v).isPresent() != negate;
            if (trigger) {
                anyTrigger = true;
                triggered |= holds;
            } else if (!holds) {
                throw new Skipped("ConditionPathExists=" + e.value() + " does not hold, " + e.where());
            }
        }
        if (anyTrigger && !triggered) {
            throw new Skipped("no ConditionPathExists=| holds, " + conditions.getFirst().where());
        }
    }

    private static ServiceSpec.Type type(UnitFile.Entry e, List<String> warnings) throws UnitException {
        return switch (e.value()) {
            case "simple" -> ServiceSpec.Type.SIMPLE;
            case "exec" -> ServiceSpec.Type.EXEC;
            case "forking" -> ServiceSpec.Type.FORKING;
            case "oneshot" -> ServiceSpec.Type.ONESHOT;
            case "notify" -> ServiceSpec.Type.NOTIFY;
            case "notify-reload" -> {
                warnings.add(e.where() + ": Type=notify-reload runs as Type=notify (reload by ExecReload= only)");
                yield ServiceSpec.Type.NOTIFY;
            }
            case "idle", "dbus" -> {
                warnings.add(e.where() + ": Type=" + e.value() + " runs as Type=simple");
                yield ServiceSpec.Type.SIMPLE;
            }
            default -> throw new UnitException(e.where() + ": Type= (" + e.value()
                    + ") must be simple, exec, forking, oneshot or notify");
        };
    }

    private static ServiceSpec.Restart restart(UnitFile.Entry e, List<String> warnings) throws UnitException {
        return switch (e.value()) {
            case "no" -> ServiceSpec.Restart.NO;
            case "on-failure" -> ServiceSpec.Restart.ON_FAILURE;
            case "always" -> ServiceSpec.Restart.ALWAYS;
            case "on-abnormal", "on-abort", "on-watchdog" -> {
                warnings.add(e.where() + ": Restart=" + e.value() + " runs as Restart=on-failure");
                yield ServiceSpec.Restart.ON_FAILURE;
            }
            case "on-success" -> {
                warnings.add(e.where() + ": Restart=on-success runs as Restart=no");
                yield ServiceSpec.Restart.NO;
            }
            default -> throw new UnitException(e.where() + ": Restart= (" + e.value()
                    + ") must be no, on-failure or always");
        };
    }

    private static void commands(Map<String, List<UnitFile.Entry>> values, String key, Map<String, String> env,
            java.util.function.Function<Character, Optional<String>> specifiers, List<ExecCommand> out)
            throws UnitException {
        for (UnitFile.Entry e : values.getOrDefault(key, List.of())) {
            try {
                List<ExecCommand> commands = ExecCommand.parse(e.value(), env, specifiers);
                for (ExecCommand c : commands) {
                    if (!c.program().startsWith("/") && c.program().contains("/")) {
                        throw new ExecCommand.BadCommand("the program (" + c.program()
                                + ") must be an absolute path or a plain name");
                    }
                }
                out.addAll(commands);
            } catch (ExecCommand.BadCommand bad) {
                throw new UnitException(e.where() + ": " + e.key() + "=: " + bad.getMessage());
            }
        }
    }

    private static String expand(UnitFile.Entry e, String value,
            java.util.function.Function<Character, Optional<String>> specifiers) throws UnitException {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c != '%') {
                b.append(c);
            } else if (i + 1 == value.length()) {
                throw new UnitException(e.where() + ": " + e.key() + "=: % at the end");
            } else {
                char letter = value.charAt(++i);
                if (letter == '%') {
                    b.append('%');
                } else {
                    b.append(specifiers.apply(letter).orElseThrow(() -> new UnitException(e.where() + ": "
                            + e.key() + "=: specifier %" + letter + " is not supported")));
                }
            }
        }
        return b.toString();
    }

    /** systemd.unit(5) "Specifiers", those that mean the same in a subhost. */
    static Optional<String> specifier(char c, String unit, Optional<ServiceSpec.Credentials> user) {
        String prefix = unit.substring(0, unit.length() - ".service".length());
        String instance = "";
        int at = prefix.indexOf('@');
        if (at >= 0) {
            instance = prefix.substring(at + 1);
            prefix = prefix.substring(0, at);
        }
        return Optional.ofNullable(switch (c) {
            case 'n' -> unit;
            case 'N' -> unit.substring(0, unit.length() - ".service".length());
            case 'p', 'P' -> prefix;
            case 'i', 'I' -> instance;
            case 't' -> "/run";
            case 'S' -> "/var/lib";
            case 'C' -> "/var/cache";
            case 'L' -> "/var/log";
            case 'E' -> "/etc";
            case 'T' -> "/tmp";
            case 'V' -> "/var/tmp";
            case 'h' -> user.map(ServiceSpec.Credentials::home).orElse("/root");
            case 'u' -> user.map(ServiceSpec.Credentials::name).orElse("root");
            case 'U' -> Integer.toString(user.map(ServiceSpec.Credentials::uid).orElse(0));
            case 'g' -> user.isPresent() ? null : "root";
            case 'G' -> Integer.toString(user.map(ServiceSpec.Credentials::gid).orElse(0));
            default -> null;
        });
    }

    /** {@code Environment=}'s words: blank-separated, each may be quoted. */
    private static List<String> environmentWords(UnitFile.Entry e) throws UnitException {
        try {
            List<String> words = new ArrayList<>();
            for (ExecCommand c : ExecCommand.parse(":" + e.value().replace(";", "\\;"), Map.of(),
                    ch -> Optional.empty())) {
                words.addAll(c.argv());
            }
            return words;
        } catch (ExecCommand.BadCommand bad) {
            throw new UnitException(e.where() + ": Environment=: " + bad.getMessage());
        }
    }

    private static void environmentFile(TreeReader tree, UnitFile.Entry e, Map<String, String> env,
            List<String> warnings) throws IOException, UnitException {
        String path = e.value();
        boolean optional = path.startsWith("-");
        path = optional ? path.substring(1) : path;
        if (!path.startsWith("/")) {
            throw new UnitException(e.where() + ": EnvironmentFile= (" + path + ") must be an absolute path");
        }
        Optional<byte[]> bytes = tree.readRegular(path, ENVIRONMENT_FILE_LIMIT);
        if (bytes.isEmpty()) {
            if (!optional) {
                throw new UnitException(e.where() + ": EnvironmentFile= " + path + " is not there");
            }
            return;
        }
        int n = 0;
        for (String raw : new String(bytes.get(), StandardCharsets.UTF_8).split("\n")) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            if (line.startsWith("export ")) {
                line = line.substring("export ".length()).strip();
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                warnings.add(path + ":" + n + ": no NAME=value; line ignored");
                continue;
            }
            String value = line.substring(eq + 1).strip();
            if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"")
                    || value.startsWith("'") && value.endsWith("'"))) {
                value = value.substring(1, value.length() - 1);
            }
            env.put(line.substring(0, eq).strip(), value);
        }
    }

    private static ServiceSpec.Credentials credentials(TreeReader tree, Optional<UnitFile.Entry> user,
            Optional<UnitFile.Entry> group, List<UnitFile.Entry> supplementary) throws IOException, UnitException {
        List<String[]> passwd = table(tree, "/etc/passwd", 7);
        List<String[]> groups = table(tree, "/etc/group", 4);
        String name = "root";
        int uid = 0, gid = 0;
        String home = "/root", shell = "/bin/sh";
        if (user.isPresent()) {
            String u = user.get().value();
            String[] row = passwd.stream().filter(r -> r[0].equals(u) || r[2].equals(u)).findFirst().orElse(null);
            if (row == null) {
                if (!u.matches("[0-9]{1,9}")) {
                    throw new UnitException(user.get().where() + ": User= (" + u
                            + ") is not in the subhost's /etc/passwd");
                }
                name = u;
                uid = gid = Integer.parseInt(u);
            } else {
                name = row[0];
                uid = Integer.parseInt(row[2]);
                gid = Integer.parseInt(row[3]);
                home = row[5].isEmpty() ? "/" : row[5];
                shell = row[6].isEmpty() ? "/bin/sh" : row[6];
            }
        }
        if (group.isPresent()) {
            gid = groupId(groups, group.get(), group.get().value());
        }
        List<Integer> extra = new ArrayList<>();
        if (user.isPresent()) {
            for (String[] g : groups) {
                for (String member : g[3].split(",")) {
                    if (member.equals(name) && !extra.contains(Integer.parseInt(g[2]))) {
                        extra.add(Integer.parseInt(g[2]));
                    }
                }
            }
        }
        for (UnitFile.Entry e : supplementary) {
            for (String g : e.value().trim().split("\\s+")) {
                int id = groupId(groups, e, g);
                if (!extra.contains(id)) {
                    extra.add(id);
                }
            }
        }
        return new ServiceSpec.Credentials(name, uid, gid, extra, home, shell);
    }

    private static int groupId(List<String[]> groups, UnitFile.Entry e, String g) throws UnitException {
        for (String[] row : groups) {
            if (row[0].equals(g) || row[2].equals(g)) {
                return Integer.parseInt(row[2]);
            }
        }
        if (g.matches("[0-9]{1,9}")) {
            return Integer.parseInt(g);
        }
        throw new UnitException(e.where() + ": " + e.key() + "= (" + g + ") is not in the subhost's /etc/group");
    }

    /** The rows of a colon-separated table with numeric third (and fourth) fields; other rows are skipped. */
    private static List<String[]> table(TreeReader tree, String path, int fields) throws IOException {
        List<String[]> rows = new ArrayList<>();
        Optional<byte[]> bytes = tree.readRegular(path, PASSWD_LIMIT);
        if (bytes.isEmpty()) {
            return rows;
        }
        for (String line : new String(bytes.get(), StandardCharsets.UTF_8).split("\n")) {
            String[] row = line.split(":", -1);
            if (row.length == fields && row[2].matches("[0-9]{1,9}")
                    && (fields != 7 || row[3].matches("[0-9]{1,9}"))) {
                rows.add(row);
            }
        }
        return rows;
    }

    private static int octal(UnitFile.Entry e, int max) throws UnitException {
        try {
            int v = Integer.parseInt(e.value(), 8);
            if (v >= 0 && v <= max) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // said below
        }
        throw new UnitException(e.where() + ": " + e.key() + "= (" + e.value() + ") must be an octal mode up to 0"
                + Integer.toOctalString(max));
    }

    private static long number(UnitFile.Entry e, long max) throws UnitException {
        try {
            long v = Long.parseLong(e.value());
            if (v >= 0 && v <= max) {
                return v;
            }
        } catch (NumberFormatException ignored) {
            // said below
        }
        throw new UnitException(e.where() + ": " + e.key() + "= (" + e.value() + ") must be a number from 0 to " + max);
    }

    private static boolean bool(UnitFile.Entry e) throws UnitException {
        return switch (e.value().toLowerCase(Locale.ROOT)) {
            case "1", "yes", "y", "true", "t", "on" -> true;
            case "0", "no", "n", "false", "f", "off" -> false;
            default -> throw new UnitException(e.where() + ": " + e.key() + "= (" + e.value() + ") must be yes or no");
        };
    }

    /**
     * A time span of systemd.time(7): {@code 90}, {@code 5min 20s}, {@code 100ms}, {@code infinity}
     * (as {@link #INFINITY}); a bare number is seconds.
     */
    static Duration timeSpan(UnitFile.Entry e) throws UnitException {
        String v = e.value().strip();
        if (v.equals("infinity")) {
            return INFINITY;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern
                .compile("\\s*([0-9]+(?:\\.[0-9]+)?)\\s*([a-zA-Z]*)").matcher(v);
        double micros = 0;
        int end = 0;
        while (m.find() && m.start() == end) {
            end = m.end();
            double n = Double.parseDouble(m.group(1));
            double unit = switch (m.group(2)) {
                case "", "s", "sec", "second", "seconds" -> 1e6;
                case "us", "usec", "µs" -> 1;
                case "ms", "msec" -> 1e3;
                case "m", "min", "minute", "minutes" -> 60e6;
                case "h", "hr", "hour", "hours" -> 3600e6;
                case "d", "day", "days" -> 86400e6;
                case "w", "week", "weeks" -> 7 * 86400e6;
                default -> -1;
            };
            if (unit < 0) {
                end = -1;
                break;
            }
            micros += n * unit;
        }
        if (end != v.length() || v.isEmpty()) {
            throw new UnitException(e.where() + ": " + e.key() + "= (" + v
                    + ") must be a time span such as 90, 5min 20s, 100ms or infinity");
        }
        Duration d = Duration.ofNanos((long) Math.min(micros * 1000, INFINITY.toNanos()));
        return d;
    }

    /** The signals a KillSignal= may name, by name without SIG. */
    private static final Map<String, Integer> SIGNALS = Map.ofEntries(Map.entry("HUP", 1), Map.entry("INT", 2),
            Map.entry("QUIT", 3), Map.entry("KILL", 9), Map.entry("USR1", 10), Map.entry("USR2", 12),
            Map.entry("ALRM", 14), Map.entry("TERM", 15), Map.entry("CONT", 18), Map.entry("STOP", 19),
            Map.entry("WINCH", 28), Map.entry("PWR", 30));

    private static int signal(UnitFile.Entry e) throws UnitException {
        String v = e.value();
        String name = v.startsWith("SIG") ? v.substring(3) : v;
        if (SIGNALS.containsKey(name)) {
            return SIGNALS.get(name);
        }
        if (name.matches("RTMIN\\+[0-9]{1,2}") && Integer.parseInt(name.substring(6)) <= 30) {
            return 34 + Integer.parseInt(name.substring(6));
        }
        if (v.matches("[0-9]{1,2}") && Integer.parseInt(v) > 0 && Integer.parseInt(v) < 65) {
            return Integer.parseInt(v);
        }
        throw new UnitException(e.where() + ": KillSignal= (" + v + ") must be a signal such as SIGTERM or 15");
    }
}
