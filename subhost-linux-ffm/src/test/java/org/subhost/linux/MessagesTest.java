package org.subhost.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.subhost.linux.internal.FlagNames;

/** Error messages and argument formatting, without root. */
class MessagesTest {
    @Test
    void mountMessageNamesSourceTargetTypeAndFlags() {
        SyscallException e = new SyscallException("mount",
                Mounts.describeMount("overlay", "/opt/mta/live", "overlay", Mounts.MS_NOSUID, null), Errno.EINVAL);
        assertThat(e).hasMessage("mount(overlay on /opt/mta/live, type overlay, MS_NOSUID): EINVAL (Invalid argument)");
    }

    @Test
    void mountMessageOfBindNamesFlagsInKernelOrderAndData() {
        assertThat(Mounts.describeMount("/srv", "/ex1/live/srv", null, Mounts.MS_REC | Mounts.MS_BIND, null))
                .isEqualTo("/srv on /ex1/live/srv, MS_BIND|MS_REC");
        assertThat(Mounts.describeMount(null, "/", null, Mounts.MS_PRIVATE | Mounts.MS_REC, null))
                .isEqualTo("none on /, MS_REC|MS_PRIVATE");
        assertThat(Mounts.describeMount("tmpfs", "/x/run", "tmpfs", 0, "size=50M,mode=755"))
                .isEqualTo("tmpfs on /x/run, type tmpfs, size=50M,mode=755");
        assertThat(Mounts.describeMount(null, "/x", null,
                Mounts.MS_REMOUNT | Mounts.MS_BIND | Mounts.MS_RDONLY | Mounts.MS_NOSUID | Mounts.MS_NODEV
                        | Mounts.MS_NOEXEC, null))
                .isEqualTo("none on /x, MS_REMOUNT|MS_BIND|MS_RDONLY|MS_NOSUID|MS_NODEV|MS_NOEXEC");
    }

    @Test
    void flagNamesShowUnknownBitsInHexAndEmptyWordAsZero() {
        FlagNames names = FlagNames.builder().add("A", 1).add("B", 4).build();
        assertThat(names.format(0)).isEqualTo("0");
        assertThat(names.format(5)).isEqualTo("A|B");
        assertThat(names.format(1 | 0x40000000L)).isEqualTo("A|0x40000000");
        assertThat(names.name(4)).isEqualTo("B");
        assertThat(names.name(3)).isEqualTo("3");
    }

    @Test
    void umountAndOpenTreeAndMoveMountMessagesNameFlags() {
        assertThat(Mounts.UMOUNT_FLAGS.format(Mounts.MNT_DETACH | Mounts.UMOUNT_NOFOLLOW))
                .isEqualTo("MNT_DETACH|UMOUNT_NOFOLLOW");
        assertThat(Mounts.OPEN_TREE_FLAGS.format(Mounts.OPEN_TREE_CLONE | Mounts.OPEN_TREE_CLOEXEC | Mounts.AT_RECURSIVE))
                .isEqualTo("OPEN_TREE_CLONE|OPEN_TREE_CLOEXEC|AT_RECURSIVE");
        assertThat(Mounts.at(7, "") + " onto " + Mounts.at(Mounts.AT_FDCWD, "/ex1/live/srv"))
                .isEqualTo("fd 7 onto /ex1/live/srv");
        assertThat(Mounts.at(7, "sub/dir")).isEqualTo("fd 7/sub/dir");
        assertThat(Mounts.MOVE_MOUNT_FLAGS.format(Mounts.MOVE_MOUNT_F_EMPTY_PATH)).isEqualTo("MOVE_MOUNT_F_EMPTY_PATH");
    }

    @Test
    void mknodMessageGivesTypeModeAndDeviceNumbers() {
        assertThat(Mounts.describeMknod("/ex1/live/dev/null", Mounts.S_IFCHR | 0666, 1, 3))
                .isEqualTo("/ex1/live/dev/null, S_IFCHR 0666, 1:3");
        assertThat(Mounts.describeMknod("/tmp/fifo", Mounts.S_IFIFO | 0600, 0, 0))
                .isEqualTo("/tmp/fifo, S_IFIFO 0600");
    }

    @Test
    @SuppressWarnings("restricted")
    void makedevEncodesAsGlibcDoes() throws Throwable {
        // glibc's own encoding, gnu_dev_makedev(3), as the independent reference.
        MethodHandle glibc = Linker.nativeLinker().downcallHandle(
                Linker.nativeLinker().defaultLookup().find("gnu_dev_makedev").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
        assertThat(Mounts.makedev(1, 3)).isEqualTo(0x103L);
        for (int[] pair : new int[][] {{1, 3}, {5, 2}, {259, 65536}, {0x12345, 0x6789a}, {-1, -1}}) {
            assertThat(Mounts.makedev(pair[0], pair[1])).as("makedev(%s, %s)", pair[0], pair[1])
                    .isEqualTo((long) glibc.invokeExact(pair[0], pair[1]));
        }
    }

    @Test
    void openFlagsNameTheAccessModeAlways() {
        assertThat(Fds.describeOpenFlags(Fds.O_RDONLY | Fds.O_CLOEXEC)).isEqualTo("O_RDONLY|O_CLOEXEC");
        assertThat(Fds.describeOpenFlags(Fds.O_RDONLY)).isEqualTo("O_RDONLY");
        assertThat(Fds.describeOpenFlags(Fds.O_WRONLY | Fds.O_CREAT | Fds.O_APPEND | Fds.O_CLOEXEC))
                .isEqualTo("O_WRONLY|O_CREAT|O_APPEND|O_CLOEXEC");
        assertThat(Fds.describeOpenFlags(Fds.O_PATH | Fds.O_DIRECTORY)).isEqualTo("O_RDONLY|O_DIRECTORY|O_PATH");
    }

    @Test
    void cloneFlagsAreNamed() {
        assertThat(Namespaces.describe(Namespaces.CLONE_NEWNS | Namespaces.CLONE_NEWNET | Namespaces.CLONE_NEWPID))
                .isEqualTo("CLONE_NEWNS|CLONE_NEWNET|CLONE_NEWPID");
        assertThat(Namespaces.describe(Namespaces.CLONE_NEWTIME | Namespaces.CLONE_NEWCGROUP | Namespaces.CLONE_NEWUTS
                | Namespaces.CLONE_NEWIPC | Namespaces.CLONE_FS))
                .isEqualTo("CLONE_FS|CLONE_NEWIPC|CLONE_NEWUTS|CLONE_NEWTIME|CLONE_NEWCGROUP");
    }

    @Test
    void signalsAreNamed() {
        assertThat(Signals.name(Signals.SIGTERM)).isEqualTo("SIGTERM");
        assertThat(Signals.name(Signals.SIGKILL)).isEqualTo("SIGKILL");
        assertThat(Signals.name(Signals.SIGCHLD)).isEqualTo("SIGCHLD");
        assertThat(Signals.name(1000)).isEqualTo("signal 1000");
    }

    @Test
    void errnoWithoutNameStillReadable() {
        assertThat(new SyscallException("setns", "fd 3, CLONE_NEWNET", Errno.EUSERS))
                .hasMessage("setns(fd 3, CLONE_NEWNET): EUSERS (Too many users)");
        assertThat(new SyscallException("flock", "fd 3, LOCK_EX|LOCK_NB", Errno.EWOULDBLOCK))
                .hasMessage("flock(fd 3, LOCK_EX|LOCK_NB): EAGAIN (Resource temporarily unavailable)");
    }

    @Test
    void exitStatusIsCodeOr128PlusSignal() {
        assertThat(Spawn.decodeWaitStatus(0x0300)).isEqualTo(3);
        assertThat(Spawn.decodeWaitStatus(0x000f)).isEqualTo(143);
        assertThat(Spawn.decodeWaitStatus(0x0089)).as("SIGKILL with core flag").isEqualTo(137);
        assertThat(Pidfd.decode(Pidfd.CLD_EXITED, 3)).isEqualTo(3);
        assertThat(Pidfd.decode(Pidfd.CLD_KILLED, 15)).isEqualTo(143);
        assertThat(Pidfd.decode(Pidfd.CLD_DUMPED, 6)).isEqualTo(134);
    }

    @Test
    void spawnDescribesProgramArgumentsAndCwd() {
        Spawn.Builder builder = Spawn.program(Path.of("/bin/sh")).args("-c", "echo hi", "")
                .cwd(Path.of("/tmp"));
        assertThat(builder.describe()).isEqualTo("/bin/sh -c 'echo hi' '', cwd /tmp");
        assertThat(Spawn.command("tini").argv0("init").args("--", "it's").describe())
                .isEqualTo("tini (argv0 init) -- 'it'\\''s'");
    }

    @Test
    void spawnRejectsCallerMistakesAtOnce() {
        Spawn.Builder builder = Spawn.program(Path.of("/bin/true"));
        assertThatThrownBy(() -> builder.keepFd(5, 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("keepFd target (1) must be at least 3; 0-2 are set with stdin, stdout and stderr");
        builder.keepFd(5, 3);
        assertThatThrownBy(() -> builder.keepFd(6, 3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("keepFd target (3) is given twice");
        assertThatThrownBy(() -> builder.env(Map.of("A=B", "c"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("environment variable name (A=B) must be non-empty and without '='");
        assertThatThrownBy(() -> builder.args("a\0b")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("argument (a?b) must not contain NUL");
        assertThatThrownBy(() -> Spawn.command("")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("command name () must not be empty");
        assertThatThrownBy(() -> Redirect.fd(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("fd (-1) must not be negative");
    }

    @Test
    void spawnOfMissingProgramNamesItAndENOENT() {
        assertThatThrownBy(() -> Spawn.program(Path.of("/nonexistent/sht-program")).args("x").spawn())
                .isInstanceOf(SyscallException.class)
                .hasMessage("posix_spawn(/nonexistent/sht-program x): ENOENT (No such file or directory)");
    }

    @Test
    void namespaceRequestReadsAsWordsAndRejectsUserNamespace() {
        NamespaceRequest request = NamespaceRequest.builder().unshare(Namespaces.CLONE_NEWNS)
                .enterNetns(Path.of("/run/netns/ex1")).enterPidfd(9, Namespaces.CLONE_NEWNS | Namespaces.CLONE_NEWUTS)
                .build();
        assertThat(request).hasToString("enter /run/netns/ex1 (CLONE_NEWNET), enter pidfd 9 "
                + "(CLONE_NEWNS|CLONE_NEWUTS), unshare CLONE_NEWNS");
        assertThat(request.toBuilder().unshare(Namespaces.CLONE_NEWPID).build().unshareFlags())
                .isEqualTo(Namespaces.CLONE_NEWNS | Namespaces.CLONE_NEWPID);
        assertThat(NamespaceRequest.none()).hasToString("no namespaces");
        assertThatThrownBy(() -> NamespaceRequest.builder().unshare(Namespaces.CLONE_NEWUSER))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unshare flags (CLONE_NEWUSER) must be CLONE_NEW* flags other than CLONE_NEWUSER");
        assertThatThrownBy(() -> NamespaceRequest.builder().enter(Path.of("/proc/1/ns/net"),
                Namespaces.CLONE_NEWNET | Namespaces.CLONE_NEWNS))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("nstype (CLONE_NEWNS|CLONE_NEWNET) must be one CLONE_NEW* flag other than CLONE_NEWUSER");
    }
}
