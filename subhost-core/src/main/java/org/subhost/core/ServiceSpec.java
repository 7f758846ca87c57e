package org.subhost.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * One START service as the built-in init runs it: what was checked on the host side at the
 * boot, handed to pid 1 in its compact form ({@link ServiceTable}), so that pid 1 parses
 * nothing of the subhost's files itself.
 *
 * <p>Example: START's {@code rsyslog} on Debian 12 is the unit {@code
 * /lib/systemd/system/rsyslog.service}: {@code Type=notify}, {@code ExecStart=/usr/sbin/rsyslogd
 * -n -iNONE}, {@code Restart=on-failure}; START's {@code ssh} is {@code /etc/init.d/ssh},
 * run as {@code service ssh start}.
 *
 * <p>Built by {@link #builder} (many parts are optional); {@link UnitReader} makes the ones
 * of units, {@link #initScript} those of init.d scripts and absolute paths.
 *
 * @param name the name as written in START
 * @param kind an init.d script (or a path) or a systemd unit
 * @param source the file it came from, for messages ({@code /etc/init.d/ssh}, the unit file)
 * @param type how its start is known to be done
 * @param startPre {@code ExecStartPre=}
 * @param start {@code ExecStart=} (the script's {@code start} for init.d)
 * @param startPost {@code ExecStartPost=}
 * @param reload {@code ExecReload=}
 * @param stop {@code ExecStop=}
 * @param user the uid and gid it runs as, with its supplementary groups; empty: root
 * @param environment {@code NAME=value} pairs, the whole environment of its commands
 * @param workingDirectory {@code WorkingDirectory=}; empty: {@code /}
 * @param runtimeDirectories {@code RuntimeDirectory=}: names below {@code /run}, made before the start
 * @param runtimeDirectoryMode {@code RuntimeDirectoryMode=}
 * @param pidFile {@code PIDFile=}
 * @param umask {@code UMask=}
 * @param restart {@code Restart=}
 * @param restartDelay {@code RestartSec=}
 * @param startLimitBurst {@code StartLimitBurst=}: starts allowed within the interval
 * @param startLimitInterval {@code StartLimitIntervalSec=}
 * @param startTimeout {@code TimeoutStartSec=}, at most the .conf's service timeout
 * @param stopTimeout {@code TimeoutStopSec=}
 * @param killMode {@code KillMode=}
 * @param killSignal {@code KillSignal=}, a signal number
 * @param remainAfterExit {@code RemainAfterExit=} (oneshot)
 * @param notifyAccessAll {@code NotifyAccess=all}: any process of the service may notify, not only the main one
 */
record ServiceSpec(String name, Kind kind, String source, Type type, List<ExecCommand> startPre,
        List<ExecCommand> start, List<ExecCommand> startPost, List<ExecCommand> reload, List<ExecCommand> stop,
        Optional<Credentials> user, List<String> environment, Optional<String> workingDirectory,
        List<String> runtimeDirectories, int runtimeDirectoryMode, Optional<String> pidFile, int umask,
        Restart restart, Duration restartDelay, int startLimitBurst, Duration startLimitInterval,
        Duration startTimeout, Duration stopTimeout, KillMode killMode, int killSignal, boolean remainAfterExit,
        boolean notifyAccessAll) {

    /** Where a service's definition comes from. */
    enum Kind {
        /** {@code /etc/init.d/NAME} (as {@code service NAME start}) or an absolute path (as {@code PATH start}). */
        INIT_D,
        /** A systemd unit {@code NAME.service}. */
        UNIT
    }

    /** {@code Type=}, and so when the start is done. */
    enum Type {
        /** Done once forked. */
        SIMPLE,
        /** Done once its program was exec'd. */
        EXEC,
        /** Done when the started process exits 0 (and PIDFile=, when set, names the main process). */
        FORKING,
        /** Done when every ExecStart= exited 0. */
        ONESHOT,
        /** Done when the main process sends READY=1 to NOTIFY_SOCKET. */
        NOTIFY
    }

    /** {@code Restart=}. */
    enum Restart {
        /** Never restarted. */
        NO,
        /** Restarted when it exits with a status other than 0, is killed by a signal or its start times out. */
        ON_FAILURE,
        /** Restarted whenever it ends, except by a stop. */
        ALWAYS
    }

    /** {@code KillMode=}: which processes a stop signals. */
    enum KillMode {
        /** Every process of the service (its process groups). */
        CONTROL_GROUP,
        /** The main process only. */
        PROCESS,
        /** KillSignal to the main process, then SIGKILL to every process. */
        MIXED,
        /** No signal; ExecStop= alone. */
        NONE
    }

    /**
     * The identity a service's processes take.
     *
     * @param name the user's name, for USER and LOGNAME
     * @param uid the user id
     * @param gid the group id
     * @param groups the supplementary groups
     * @param home the home directory, for HOME
     * @param shell the login shell, for SHELL
     */
    record Credentials(String name, int uid, int gid, List<Integer> groups, String home, String shell) {
        Credentials {
            Objects.requireNonNull(name, "name");
            groups = List.copyOf(groups);
            Objects.requireNonNull(home, "home");
            Objects.requireNonNull(shell, "shell");
        }
    }

    ServiceSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(type, "type");
        startPre = List.copyOf(startPre);
        start = List.copyOf(start);
        startPost = List.copyOf(startPost);
        reload = List.copyOf(reload);
        stop = List.copyOf(stop);
        Objects.requireNonNull(user, "user");
        environment = List.copyOf(environment);
        Objects.requireNonNull(workingDirectory, "workingDirectory");
        runtimeDirectories = List.copyOf(runtimeDirectories);
        Objects.requireNonNull(pidFile, "pidFile");
        Objects.requireNonNull(restart, "restart");
        Objects.requireNonNull(restartDelay, "restartDelay");
        Objects.requireNonNull(startLimitInterval, "startLimitInterval");
        Objects.requireNonNull(startTimeout, "startTimeout");
        Objects.requireNonNull(stopTimeout, "stopTimeout");
        Objects.requireNonNull(killMode, "killMode");
        if (start.isEmpty() && type != Type.ONESHOT) {
            throw new IllegalArgumentException("service " + name + ": ExecStart= is missing");
        }
    }

    /** The environment of an init.d script's start and of every command that names no other. */
    static final List<String> BASE_ENVIRONMENT = List.of(
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");

    /**
     * An init.d script, or an absolute path, as START always ran it: {@code service NAME start}
     * or {@code PATH start}, in a session of its own, done when it exits 0 within {@code limit};
     * stopped by {@code service NAME stop} or {@code PATH stop} within {@code limit} too.
     *
     * @param name the START entry
     * @param limit the .conf's service timeout
     * @return its spec
     */
    static ServiceSpec initScript(String name, Duration limit) {
        return builder(name, Kind.INIT_D, name.startsWith("/") ? name : "/etc/init.d/" + name)
                .type(Type.ONESHOT)
                .start(List.of(scriptCommand(name, "start")))
                .stop(List.of(scriptCommand(name, "stop")))
                .startTimeout(limit)
                .stopTimeout(limit)
                .remainAfterExit(true)
                .killMode(KillMode.NONE)
                .build();
    }

    /** {@code service NAME ACTION}, or {@code PATH ACTION} for an absolute path. */
    private static ExecCommand scriptCommand(String name, String action) {
        List<String> argv = name.startsWith("/") ? List.of(name, action) : List.of("service", name, action);
        return new ExecCommand(argv.getFirst(), argv, false, false);
    }

    /**
     * A builder with systemd's defaults ({@code Type=simple}, {@code Restart=no},
     * {@code RestartSec=100ms}, a start limit of 5 in 10 s, 90 s to start and to stop,
     * {@code KillMode=control-group}, SIGTERM, umask 0022).
     *
     * @param name the START entry
     * @param kind its kind
     * @param source its file, for messages
     * @return a builder
     */
    static Builder builder(String name, Kind kind, String source) {
        return new Builder(name, kind, source);
    }

    /** The mutable parts of a {@link ServiceSpec} while it is read. */
    static final class Builder {
        private final String name;
        private final Kind kind;
        private final String source;
        Type type = Type.SIMPLE;
        final List<ExecCommand> startPre = new ArrayList<>();
        final List<ExecCommand> start = new ArrayList<>();
        final List<ExecCommand> startPost = new ArrayList<>();
        final List<ExecCommand> reload = new ArrayList<>();
        final List<ExecCommand> stop = new ArrayList<>();
        Optional<Credentials> user = Optional.empty();
        final List<String> environment = new ArrayList<>(BASE_ENVIRONMENT);
        Optional<String> workingDirectory = Optional.empty();
        final List<String> runtimeDirectories = new ArrayList<>();
        int runtimeDirectoryMode = 0755;
        Optional<String> pidFile = Optional.empty();
        int umask = 0022;
        Restart restart = Restart.NO;
        Duration restartDelay = Duration.ofMillis(100);
        int startLimitBurst = 5;
        Duration startLimitInterval = Duration.ofSeconds(10);
        Duration startTimeout = Duration.ofSeconds(90);
        Duration stopTimeout = Duration.ofSeconds(90);
        KillMode killMode = KillMode.CONTROL_GROUP;
        int killSignal = 15;
        boolean remainAfterExit;
        boolean notifyAccessAll;

        private Builder(String name, Kind kind, String source) {
            this.name = name;
            this.kind = kind;
            this.source = source;
        }

        Builder type(Type value) {
            type = value;
            return this;
        }

        Builder start(List<ExecCommand> commands) {
            start.clear();
            start.addAll(commands);
            return this;
        }

        Builder startTimeout(Duration value) {
            startTimeout = value;
            return this;
        }

        Builder stop(List<ExecCommand> commands) {
            stop.clear();
            stop.addAll(commands);
            return this;
        }

        Builder stopTimeout(Duration value) {
            stopTimeout = value;
            return this;
        }

        Builder remainAfterExit(boolean value) {
            remainAfterExit = value;
            return this;
        }

        Builder killMode(KillMode value) {
            killMode = value;
            return this;
        }

        Builder restart(Restart value) {
            restart = value;
            return this;
        }

        Builder pidFile(String value) {
            pidFile = Optional.of(value);
            return this;
        }

        ServiceSpec build() {
            return new ServiceSpec(name, kind, source, type, startPre, start, startPost, reload, stop, user,
                    environment, workingDirectory, runtimeDirectories, runtimeDirectoryMode, pidFile, umask, restart,
                    restartDelay, startLimitBurst, startLimitInterval, startTimeout, stopTimeout, killMode,
                    killSignal, remainAfterExit, notifyAccessAll);
        }
    }
}
