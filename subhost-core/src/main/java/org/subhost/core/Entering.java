package org.subhost.core;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.subhost.config.Confinement;
import org.subhost.linux.Fds;
import org.subhost.linux.Pidfd;
import org.subhost.linux.Redirect;
import org.subhost.linux.Spawn;
import org.subhost.linux.SyscallException;

/**
 * How a process enters a running subhost from the host: {@code exec}, {@code overlay-go},
 * the services' stops at {@code overlay-stop}. Each goes through subhost-init's enter mode
 * ({@code src/main/c/enter.c}), which forks the program into the subhost's namespaces,
 * moves it into the subhost's control group before it runs (so that it is accounted and
 * limited with the subhost, and its cgroup namespace is rooted there), gives it the
 * subhost's own {@code /dev/null} or a terminal of the subhost's own devpts (both opened
 * with no link followed and their device numbers checked), never the caller's terminal as
 * its controlling one (a session of its own), the confinement that pid 1 was told ({@link
 * SubhostState#confinement}), and only then execs it.
 *
 * <p>The program that does this is the SDK's own copy ({@link SdkProgram}), a sealed memfd
 * run as {@code /proc/self/fd/3} on the host: never a file of the subhost's tree, which the
 * subhost's root could replace with a program of its own that would then run with our
 * descriptors. The kernel runs a memfd's program as it runs a file's; the seals make its
 * content final.
 */
final class Entering {
    /** Exit status of subhost-init when entering failed; its message says which step. */
    static final int EXIT_ENTER_FAILED = 125;
    /** Where the program's memfd is for the child: {@code /proc/self/fd/3}. */
    private static final int PROGRAM_FD = 3;
    /** Where the pidfd of pid 1 is for the child. */
    private static final int PIDFD = 4;

    private Entering() {}

    /** What the entering program's standard input (and, for a terminal, output) is. */
    enum Input {
        /**
         * The caller's descriptors as given (a file, a pipe, a terminal that is not both input
         * and output), relayed through pipes by subhost-init on the host's side: the program
         * gets pipes, never the caller's files.
         */
        GIVEN,
        /** The subhost's own {@code /dev/null}, opened inside; output as given. */
        SUBHOST_NULL,
        /**
         * A new terminal of the subhost's own devpts for 0, 1 and 2, relayed to the
         * caller's descriptors (a terminal) by subhost-init on the host side.
         */
        TERMINAL
    }

    /**
     * Spawns {@code argv} into the subhost of {@code pid1} and returns the pid of the
     * host-side subhost-init (our child), whose exit status is the program's (125 when it
     * could not enter).
     *
     * @param cgroups the subhost's control groups (v2 first), each joined before the program runs
     * @param confinement the subhost's, as its pid 1 applies it (the filesystem part is
     *     pid 1's alone: the mount namespace entered has it already)
     * @param in the caller's input, for {@link Input#GIVEN} and {@link Input#TERMINAL}
     * @param newSession whether subhost-init gets a session of its own (so that a time-out can
     *     kill its process group, the program's included); not for a terminal, which stays
     *     the caller's foreground
     */
    static int spawn(String name, Pidfd pid1, List<Path> cgroups, Confinement confinement, List<String> argv, Map<String, String> env,
            Input input, int in, int out, int err, boolean newSession) throws SyscallException {
        List<String> args = new ArrayList<>(List.of("--enter", "--pidfd", Integer.toString(PIDFD)));
        for (Path group : cgroups) {
            args.add("--cgroup");
            args.add(group.toAbsolutePath().toString());
        }
        if (input == Input.TERMINAL) {
            args.add("--pty");
        } else if (input == Input.GIVEN) {
            args.add("--pipes");
        } else if (input == Input.SUBHOST_NULL) {
            args.add("--null-stdin");
        }
        args.addAll(confinement.withFiles(false).arguments());
        args.addAll(List.of("--name", name, "--"));
        args.addAll(argv);
        int[] empty = null;
        try {
            int stdin = in;
            if (input == Input.SUBHOST_NULL) {
                // A pipe with no writer until the subhost's /dev/null replaces it inside:
                // not the host's /dev/null, whose inode the subhost must never hold.
                empty = Fds.pipe2(Fds.O_CLOEXEC);
                Fds.close(empty[1]);
                empty[1] = -1;
                stdin = empty[0];
            }
            Spawn.Builder spawn = Spawn.program(Path.of("/proc/self/fd/" + PROGRAM_FD))
                    .argv0("subhost-init")
                    .args(args)
                    .env(env)
                    .cwd(Path.of("/"))
                    .stdin(Redirect.fd(stdin))
                    .stdout(Redirect.fd(out))
                    .stderr(Redirect.fd(err))
                    .keepFd(SdkProgram.memfd(), PROGRAM_FD)
                    .keepFd(pid1.fd(), PIDFD);
            if (newSession) {
                spawn.newSession();
            }
            return spawn.spawn();
        } finally {
            if (empty != null) {
                Descriptor.closeQuietly(empty[0]);
            }
        }
    }
}
