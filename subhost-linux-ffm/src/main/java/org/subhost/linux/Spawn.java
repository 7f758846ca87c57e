package org.subhost.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static java.util.Objects.requireNonNull;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.OptionalInt;
import java.util.TreeMap;
import org.subhost.linux.internal.Downcall;
import org.subhost.linux.internal.Memory;
import org.subhost.linux.internal.Native;

/**
 * Starts programs with posix_spawn(3), from the calling thread, with exactly the
 * descriptors, working directory, session and signal state asked for; and reaps them.
 *
 * <p>Example: a subhost's pid 1, from a {@link NamespaceThread} that unshared CLONE_NEWPID:
 * <pre>{@code
 * int pid = Spawn.program(Path.of("/usr/bin/tini"))
 *         .args("-s", "--", "/bin/sh", "-c", script)
 *         .env(Map.of("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"))
 *         .cwd(Path.of("/"))
 *         .stdout(Redirect.appendTo(log)).stderr(Redirect.appendTo(log))
 *         .keepFd(syncPipe[1], 3)
 *         .newSession()
 *         .spawn();
 * }</pre>
 *
 * <p>glibc's posix_spawn clones the <em>calling thread</em> (CLONE_VM|CLONE_VFORK), so the
 * child starts in that thread's mount, network, UTS, IPC and cgroup namespaces, with its
 * root and working directory, and in its pid_for_children namespace: from a thread that
 * unshared CLONE_NEWPID, the first child is pid 1 of the new pid namespace. It is still a
 * child of the JVM process, which must reap it ({@link #waitFor}, {@link #reap} or
 * {@link Pidfd#awaitExit}); the JDK's process reaper does not know it, since no
 * ProcessBuilder is involved. A failed exec (ENOENT, EACCES) or chdir is reported by
 * posix_spawn itself, as a {@link SyscallException}.
 *
 * <p>What the child gets, in the order the file actions run:
 * <ul>
 * <li>descriptors 0, 1, 2 as given ({@link Builder#stdin}, default {@code /dev/null};
 *     {@link Builder#stdout} and {@link Builder#stderr}, default the JVM's own), and each
 *     {@link Builder#keepFd} at its target number, without close-on-exec; each source is
 *     first duplicated to a number above all sources and targets, so that moving one
 *     descriptor cannot overwrite another that is still to be moved;
 * <li>every other descriptor closed (posix_spawn_file_actions_addclose for those between
 *     kept ones, addclosefrom_np, glibc 2.34, for all above): the JVM's many open files,
 *     close-on-exec or not, never reach the child;
 * <li>for {@link #programIn}, the change into the program's directory (addfchdir_np) and
 *     the close of its descriptor there;
 * <li>the working directory {@link Builder#cwd}, if given (addchdir_np, glibc 2.29),
 *     resolved against the calling thread's root and working directory;
 * <li>POSIX_SPAWN_SETSIGDEF for all signals, glibc's internal 32 and 33 included (no
 *     disposition the JVM or glibc set up, such as an ignored signal, survives) and POSIX_SPAWN_SETSIGMASK with an empty mask (the calling
 *     thread's blocked signals are not inherited);
 * <li>with {@link Builder#newSession}, POSIX_SPAWN_SETSID: a session and process group of
 *     its own (getsid == pid), as {@code setsid} gives, so that signals to the JVM's
 *     terminal or process group do not reach it.
 * </ul>
 */
public final class Spawn {
    static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    static final short POSIX_SPAWN_SETSID = 0x80;
    /** sizeof(posix_spawn_file_actions_t) in glibc on 64-bit Linux. */
    static final long FILE_ACTIONS_SIZE = 80;
    /** sizeof(posix_spawnattr_t) in glibc on 64-bit Linux. */
    static final long ATTR_SIZE = 336;
    /** sizeof(sigset_t) in glibc: 1024 bits. */
    static final long SIGSET_SIZE = 128;
    private static final int WNOHANG = 1;

    // int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
    //                 const posix_spawnattr_t *attr, char *const argv[], char *const envp[]):
    // returns an error number, does not set errno
    private static final FunctionDescriptor SPAWN_DESCRIPTOR =
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
    private static final Downcall POSIX_SPAWN = Native.lazyPlain("posix_spawn", SPAWN_DESCRIPTOR);
    private static final Downcall POSIX_SPAWNP = Native.lazyPlain("posix_spawnp", SPAWN_DESCRIPTOR);
    private static final Downcall FA_INIT = Native.lazyPlain("posix_spawn_file_actions_init",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final Downcall FA_DESTROY = Native.lazyPlain("posix_spawn_file_actions_destroy",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final Downcall FA_ADDDUP2 = Native.lazyPlain("posix_spawn_file_actions_adddup2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final Downcall FA_ADDCLOSE = Native.lazyPlain("posix_spawn_file_actions_addclose",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final Downcall FA_ADDCHDIR = Native.lazyPlain("posix_spawn_file_actions_addchdir_np",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final Downcall FA_ADDFCHDIR = Native.lazyPlain("posix_spawn_file_actions_addfchdir_np",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final Downcall FA_ADDCLOSEFROM = Native.lazyPlain("posix_spawn_file_actions_addclosefrom_np",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final Downcall ATTR_INIT = Native.lazyPlain("posix_spawnattr_init",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final Downcall ATTR_DESTROY = Native.lazyPlain("posix_spawnattr_destroy",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final Downcall ATTR_SETFLAGS = Native.lazyPlain("posix_spawnattr_setflags",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT));
    private static final Downcall ATTR_SETSIGDEFAULT = Native.lazyPlain("posix_spawnattr_setsigdefault",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final Downcall ATTR_SETSIGMASK = Native.lazyPlain("posix_spawnattr_setsigmask",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final Downcall SIGEMPTYSET = Native.lazyPlain("sigemptyset",
            FunctionDescriptor.of(JAVA_INT, ADDRESS));
    // pid_t waitpid(pid_t pid, int *status, int options)
    private static final Downcall WAITPID = Native.lazyDowncall("waitpid",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));

    private Spawn() {}

    /**
     * A builder for running the program at {@code path} (posix_spawn: no PATH lookup; a
     * relative path resolves against the calling thread's working directory).
     *
     * @param path the program's path
     * @return a builder with no arguments
     */
    public static Builder program(Path path) {
        requireNonNull(path, "path");
        return new Builder(path.toString(), false);
    }

    /**
     * A builder for running the program {@code name} of the directory {@code directoryFd}
     * (an open descriptor of the caller's; O_PATH will do), not found by a path from the
     * calling thread's root: the child changes into that directory after every other file
     * action (posix_spawn_file_actions_addfchdir_np, glibc 2.29), closes its copy of the
     * descriptor, and execs {@code name} relative to it. So a program that the calling
     * thread's root does not show can run there: a sealed memfd of this JVM, as the entry
     * {@code N} of the directory {@code /proc/self/fd} opened before a root switch.
     *
     * <p>The program starts with that directory as its working directory ({@link
     * Builder#cwd} cannot be given as well): it changes to its own at once.
     *
     * @param directoryFd the directory's descriptor, left open for the caller
     * @param name the program's name in that directory, without a slash
     * @return a builder with no arguments
     */
    public static Builder programIn(int directoryFd, String name) {
        requireNonNull(name, "name");
        if (directoryFd < 0) {
            throw new IllegalArgumentException("directory fd (" + directoryFd + ") must not be negative");
        }
        if (name.isEmpty() || name.indexOf('/') >= 0) {
            throw new IllegalArgumentException("program name (" + name + ") must be a name in the directory, without a slash");
        }
        Builder builder = new Builder(name, false);
        builder.directoryFd = directoryFd;
        return builder;
    }

    /**
     * A builder for running {@code name} found on the PATH (posix_spawnp, like a shell).
     * glibc searches the PATH of the JVM's own environment, not the one given with {@link
     * Builder#env}; a name with a slash is used as a path.
     *
     * @param name the program's name, looked up on the PATH
     * @return a builder with no arguments
     */
    public static Builder command(String name) {
        requireNonNull(name, "name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("command name () must not be empty");
        }
        return new Builder(name, true);
    }

    /**
     * Waits for the child {@code pid} of this JVM to end, and reaps it: waitpid(2),
     * retried on EINTR.
     *
     * <p>Errnos to expect: ECHILD ({@code pid} is no child of this JVM, or was reaped).
     *
     * @param pid a child of this JVM
     * @return the exit code, or 128 + the signal number if it was killed
     * @throws SyscallException when the kernel refuses
     */
    public static int waitFor(int pid) throws SyscallException {
        return waitpid(pid, 0).orElseThrow();
    }

    /**
     * Reaps the child {@code pid} if it has ended, without waiting: waitpid(2) with WNOHANG.
     *
     * @param pid a child of this JVM
     * @return the exit status as {@link #waitFor} gives it, or empty if it still runs
     * @throws SyscallException when the kernel refuses (ECHILD)
     */
    public static OptionalInt reap(int pid) throws SyscallException {
        return waitpid(pid, WNOHANG);
    }

    private static OptionalInt waitpid(int pid, int options) throws SyscallException {
        if (pid <= 0) {
            throw new IllegalArgumentException("pid (" + pid + ") must be positive");
        }
        if (options != WNOHANG && OffCarrier.needed()) {
            // Another thread of this JVM may wait for a child of any of its threads.
            return OffCarrier.run(() -> waitpid(pid, options));
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            MemorySegment status = arena.allocate(JAVA_INT);
            while (true) {
                int rc;
                rc = (int) WAITPID.call(errnoSegment, pid, Native.address(status), options);
                if (rc == pid) {
                    return OptionalInt.of(decodeWaitStatus(Memory.getInt(status, 0)));
                }
                if (rc == 0) {
                    return OptionalInt.empty();
                }
                int errno = Native.errno(errnoSegment);
                if (errno != Errno.EINTR) {
                    throw new SyscallException("waitpid", "pid " + pid + (options == WNOHANG ? ", WNOHANG" : ""), errno);
                }
            }
        }
    }

    /** A wait(2) status as a shell reports it: the exit code, or 128 + the terminating signal. */
    static int decodeWaitStatus(int status) {
        int signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
    }

    /**
     * What to start and how; {@link #spawn} starts it. Setters check their arguments at once;
     * a builder can spawn several times.
     */
    public static final class Builder {
        private final String program;
        private final boolean pathLookup;
        private String argv0;
        private final List<String> args = new ArrayList<>();
        private Map<String, String> env;
        private Path cwd;
        private Redirect stdin = Redirect.devNull();
        private Redirect stdout = Redirect.inherit();
        private Redirect stderr = Redirect.inherit();
        private final Map<Integer, Integer> keptFds = new TreeMap<>();
        private boolean newSession;
        /** {@link Spawn#programIn}'s directory; -1 for a program by path. */
        private int directoryFd = -1;

        private Builder(String program, boolean pathLookup) {
            this.program = requireCString("program", program);
            this.pathLookup = pathLookup;
            this.argv0 = program;
        }

        /**
         * The program's name for itself, argv[0]; the program as given by default.
         *
         * @param argv0 the name
         * @return this builder
         */
        public Builder argv0(String argv0) {
            this.argv0 = requireCString("argv0", argv0);
            return this;
        }

        /**
         * Appends arguments after argv[0].
         *
         * @param args the arguments
         * @return this builder
         */
        public Builder args(String... args) {
            return args(List.of(args));
        }

        /**
         * Appends arguments after argv[0].
         *
         * @param args the arguments
         * @return this builder
         */
        public Builder args(List<String> args) {
            for (String arg : args) {
                this.args.add(requireCString("argument", arg));
            }
            return this;
        }

        /**
         * The whole environment of the program (nothing else is passed); the JVM's own
         * environment by default.
         *
         * @param env the variables and their values
         * @return this builder
         */
        public Builder env(Map<String, String> env) {
            Map<String, String> copy = new LinkedHashMap<>();
            env.forEach((name, value) -> {
                requireCString("environment variable name", name);
                if (name.isEmpty() || name.indexOf('=') >= 0) {
                    throw new IllegalArgumentException("environment variable name (" + name
                            + ") must be non-empty and without '='");
                }
                copy.put(name, requireCString("value of " + name, value));
            });
            this.env = copy;
            return this;
        }

        /**
         * The working directory of the program; the calling thread's by default.
         *
         * @param cwd the directory
         * @return this builder
         */
        public Builder cwd(Path cwd) {
            if (directoryFd >= 0) {
                throw new IllegalStateException("a program run from a directory descriptor starts in that directory;"
                        + " no cwd (" + cwd + ") can be given");
            }
            this.cwd = requireNonNull(cwd, "cwd");
            requireCString("cwd", cwd.toString());
            return this;
        }

        /**
         * Descriptor 0; {@code /dev/null} by default.
         *
         * @param redirect where descriptor 0 comes from
         * @return this builder
         */
        public Builder stdin(Redirect redirect) {
            this.stdin = requireNonNull(redirect, "stdin");
            return this;
        }

        /**
         * Descriptor 1; the JVM's own by default.
         *
         * @param redirect where descriptor 1 goes
         * @return this builder
         */
        public Builder stdout(Redirect redirect) {
            this.stdout = requireNonNull(redirect, "stdout");
            return this;
        }

        /**
         * Descriptor 2; the JVM's own by default.
         *
         * @param redirect where descriptor 2 goes
         * @return this builder
         */
        public Builder stderr(Redirect redirect) {
            this.stderr = requireNonNull(redirect, "stderr");
            return this;
        }

        /**
         * Passes the caller's open descriptor {@code source} to the program as descriptor
         * {@code target} (3 or more; 0-2 are set with stdin, stdout, stderr), for example
         * the write end of a pipe the caller waits on. The caller keeps and closes {@code
         * source}; it may be close-on-exec.
         *
         * @param source the caller's descriptor
         * @param target the descriptor number in the program, 3 or more
         * @return this builder
         */
        public Builder keepFd(int source, int target) {
            if (source < 0) {
                throw new IllegalArgumentException("keepFd source (" + source + ") must not be negative");
            }
            if (target < 3) {
                throw new IllegalArgumentException("keepFd target (" + target
                        + ") must be at least 3; 0-2 are set with stdin, stdout and stderr");
            }
            if (keptFds.containsKey(target)) {
                throw new IllegalArgumentException("keepFd target (" + target + ") is given twice");
            }
            keptFds.put(target, source);
            return this;
        }

        /**
         * Starts the program in a new session and process group (POSIX_SPAWN_SETSID), like {@code setsid}.
         *
         * @return this builder
         */
        public Builder newSession() {
            this.newSession = true;
            return this;
        }

        /**
         * Starts the program: posix_spawn(3) (posix_spawnp for {@link Spawn#command}) from
         * the calling thread, in its namespaces.
         *
         * <p>Errnos to expect: ENOENT (no such program, or no such working directory),
         * EACCES, ENOEXEC, ENOMEM (among others: a pid namespace whose pid 1 has ended
         * accepts no new process).
         *
         * @return the pid of the child, in the caller's pid namespace
         * @throws SyscallException when a redirect cannot be opened or the spawn fails
         */
        public int spawn() throws SyscallException {
            List<Integer> opened = new ArrayList<>();
            try {
                NavigableMap<Integer, Integer> sources = new TreeMap<>();
                sources.put(0, open(stdin, 0, opened));
                sources.put(1, open(stdout, 1, opened));
                sources.put(2, open(stderr, 2, opened));
                sources.putAll(keptFds);
                if (directoryFd >= 0) {
                    // Kept past the others, so that the closes before it leave it open.
                    sources.put(sources.lastKey() + 1, directoryFd);
                }
                return spawn(sources);
            } finally {
                for (int fd : opened) {
                    Fds.close(fd);
                }
            }
        }

        private static int open(Redirect redirect, int target, List<Integer> opened) throws SyscallException {
            // instanceof, not a pattern switch: the JDK makes a class for each pattern switch
            // when it first runs, which the start-up cache cannot hold; this one ran in every
            // boot, on the thread that starts pid 1 (about 1 ms of a cold overlay-boot).
            int fd;
            if (redirect instanceof Redirect.Inherit) {
                return target;
            } else if (redirect instanceof Redirect.Fd f) {
                return f.fd();
            } else if (redirect instanceof Redirect.DevNull) {
                fd = Fds.open("/dev/null", Fds.O_RDWR | Fds.O_CLOEXEC);
            } else if (redirect instanceof Redirect.AppendTo a) {
                fd = Fds.open(a.file().toString(), Fds.O_WRONLY | Fds.O_CREAT | Fds.O_APPEND | Fds.O_CLOEXEC, 0644);
            } else {
                throw new IllegalArgumentException("unknown redirect " + redirect);
            }
            opened.add(fd);
            return fd;
        }

        /** Spawns with {@code sources}: target descriptor to the caller's source descriptor. */
        private int spawn(NavigableMap<Integer, Integer> sources) throws SyscallException {
            int highest = 0;
            for (Map.Entry<Integer, Integer> e : sources.entrySet()) {
                highest = Math.max(highest, Math.max(e.getKey(), e.getValue()));
            }
            int lastTarget = sources.lastKey();
            Map<String, String> environment = env != null ? env : System.getenv();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment actions = arena.allocate(FILE_ACTIONS_SIZE, 8);
                MemorySegment attr = arena.allocate(ATTR_SIZE, 8);
                check("posix_spawn_file_actions_init", (int) FA_INIT.invoke(Native.address(actions)));
                try {
                    check("posix_spawnattr_init", (int) ATTR_INIT.invoke(Native.address(attr)));
                    try {
                        if (overlaps(sources)) {
                            // Through a number above every source and target, so that no dup2
                            // overwrites a source still to be moved (fd 3 -> 4 and 4 -> 3), and a
                            // source kept at its own number loses its close-on-exec.
                            int temporary = highest + 1;
                            for (int source : sources.values()) {
                                check("posix_spawn_file_actions_adddup2",
                                        (int) FA_ADDDUP2.invoke(Native.address(actions), source, temporary++));
                            }
                            temporary = highest + 1;
                            for (int target : sources.keySet()) {
                                check("posix_spawn_file_actions_adddup2",
                                        (int) FA_ADDDUP2.invoke(Native.address(actions), temporary++, target));
                            }
                        } else {
                            // No source is a target: each dup2 goes straight to its target, half
                            // the actions (each one a system call of glibc's here, and of the
                            // child while the caller waits for its exec).
                            for (Map.Entry<Integer, Integer> e : sources.entrySet()) {
                                check("posix_spawn_file_actions_adddup2",
                                        (int) FA_ADDDUP2.invoke(Native.address(actions), e.getValue(), e.getKey()));
                            }
                        }
                        // Descriptors between the kept ones (4 to 6 when keeping 3 and 7),
                        // then all above them.
                        for (int fd = 3; fd < lastTarget; fd++) {
                            if (!sources.containsKey(fd)) {
                                check("posix_spawn_file_actions_addclose",
                                        (int) FA_ADDCLOSE.invoke(Native.address(actions), fd));
                            }
                        }
                        check("posix_spawn_file_actions_addclosefrom_np",
                                (int) FA_ADDCLOSEFROM.invoke(Native.address(actions), lastTarget + 1));
                        if (directoryFd >= 0) {
                            check("posix_spawn_file_actions_addfchdir_np",
                                    (int) FA_ADDFCHDIR.invoke(Native.address(actions), lastTarget));
                            check("posix_spawn_file_actions_addclose",
                                    (int) FA_ADDCLOSE.invoke(Native.address(actions), lastTarget));
                        }
                        if (cwd != null) {
                            check("posix_spawn_file_actions_addchdir_np",
                                    (int) FA_ADDCHDIR.invoke(Native.address(actions),
                                            Native.address(Memory.cString(arena, cwd.toString()))));
                        }
                        // Every bit set, not sigfillset: that leaves out glibc's internal
                        // signals 32 and 33, which its posix_spawn then sets to SIG_IGN, and
                        // an ignored signal stays ignored across exec.
                        MemorySegment allSignals = arena.allocate(SIGSET_SIZE, 8);
                        allSignals.fill((byte) 0xff);
                        MemorySegment noSignals = arena.allocate(SIGSET_SIZE, 8);
                        check("sigemptyset", (int) SIGEMPTYSET.invoke(Native.address(noSignals)));
                        check("posix_spawnattr_setsigdefault", (int) ATTR_SETSIGDEFAULT.invoke(Native.address(attr),
                                Native.address(allSignals)));
                        check("posix_spawnattr_setsigmask", (int) ATTR_SETSIGMASK.invoke(Native.address(attr),
                                Native.address(noSignals)));
                        short flags = (short) (POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
                                | (newSession ? POSIX_SPAWN_SETSID : 0));
                        check("posix_spawnattr_setflags", (int) ATTR_SETFLAGS.invoke(Native.address(attr), flags));

                        MemorySegment pid = arena.allocate(JAVA_INT);
                        MemorySegment argv = stringArray(arena, argv());
                        MemorySegment envp = stringArray(arena, environment(environment));
                        MemorySegment path = Memory.cString(arena, program);
                        int error = pathLookup
                                ? (int) POSIX_SPAWNP.invoke(Native.address(pid), Native.address(path),
                                        Native.address(actions), Native.address(attr), Native.address(argv),
                                        Native.address(envp))
                                : (int) POSIX_SPAWN.invoke(Native.address(pid), Native.address(path),
                                        Native.address(actions), Native.address(attr), Native.address(argv),
                                        Native.address(envp));
                        if (error != 0) {
                            throw new SyscallException(pathLookup ? "posix_spawnp" : "posix_spawn", describe(), error);
                        }
                        return Memory.getInt(pid, 0);
                    } finally {
                        int ignored = (int) ATTR_DESTROY.invoke(Native.address(attr));
                    }
                } finally {
                    // Frees the list of actions that glibc allocated with malloc.
                    int ignored = (int) FA_DESTROY.invoke(Native.address(actions));
                }
            }
        }

        /** Whether a source descriptor is also a target: then no dup2 may go straight to its target. */
        static boolean overlaps(NavigableMap<Integer, Integer> sources) {
            for (int source : sources.values()) {
                if (sources.containsKey(source)) {
                    return true;
                }
            }
            return false;
        }

        private List<String> argv() {
            List<String> argv = new ArrayList<>(args.size() + 1);
            argv.add(argv0);
            argv.addAll(args);
            return argv;
        }

        private static List<String> environment(Map<String, String> environment) {
            List<String> out = new ArrayList<>(environment.size());
            environment.forEach((name, value) -> out.add(name + "=" + value));
            return out;
        }

        /** The program, its arguments and the working directory as an error message shows them. */
        String describe() {
            StringBuilder out = new StringBuilder(directoryFd >= 0 ? "fd " + directoryFd + "/" + program : program);
            if (!argv0.equals(program)) {
                out.append(" (argv0 ").append(quote(argv0)).append(')');
            }
            for (String arg : args) {
                out.append(' ').append(quote(arg));
            }
            if (cwd != null) {
                out.append(", cwd ").append(cwd);
            }
            return out.toString();
        }

        private static String quote(String arg) {
            if (!arg.isEmpty() && arg.chars().noneMatch(c -> Character.isWhitespace(c) || c == '\'' || c == '"')) {
                return arg;
            }
            return "'" + arg.replace("'", "'\\''") + "'";
        }

        /**
         * A NULL-terminated array of C strings. The pointers are gathered in a long[] and
         * copied in at once: setting them one by one through the ADDRESS layout makes that
         * layout's var handle, whose method handles a cold JVM generates at run time (five
         * classes, several milliseconds of a cold overlay-boot).
         */
        private static MemorySegment stringArray(Arena arena, List<String> strings) {
            long[] pointers = new long[strings.size() + 1];
            for (int i = 0; i < strings.size(); i++) {
                pointers[i] = Memory.cString(arena, strings.get(i)).address();
            }
            MemorySegment array = arena.allocate(JAVA_LONG, pointers.length);
            MemorySegment.copy(pointers, 0, array, JAVA_LONG, 0, pointers.length);
            return array;
        }

        private static void check(String call, int error) throws SyscallException {
            // These only fail for lack of memory or a descriptor out of range.
            if (error != 0) {
                throw new SyscallException(call, "", error);
            }
        }

        private static String requireCString(String what, String s) {
            requireNonNull(s, what);
            if (s.indexOf('\0') >= 0) {
                throw new IllegalArgumentException(what + " (" + s.replace('\0', '?') + ") must not contain NUL");
            }
            return s;
        }
    }
}
