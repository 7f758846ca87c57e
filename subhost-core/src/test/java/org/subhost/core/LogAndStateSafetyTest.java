package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.NotRunningException;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;
import org.subhost.linux.AtFiles;
import org.subhost.linux.Fds;
import org.subhost.linux.Inotify;
import org.subhost.linux.Mounts;

/**
 * LOG, state records and locks against the host's other users: a LOG made beforehand by
 * another user (uid 64999, no account needed), or made a symbolic link or a FIFO, is refused
 * at once; LOG, state and lock are root's alone even under umask 000; a record that others
 * could have written is not acted on; LOG is read only up to a bound.
 */
class LogAndStateSafetyTest {
    private static final int OTHER_USER = 64999;
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);
    /** inotify(7)'s IN_OPEN: a file or directory was opened. */
    private static final int IN_OPEN = 0x20;

    private final Subhosts subhosts = Subhosts.linux();
    private String name;
    private Path base;
    private Path log;
    private SubhostConfig config;

    @BeforeEach
    void setUp() throws Exception {
        KernelFixture.requireRoot();
        name = KernelFixture.uniqueName();
        base = KernelFixture.base(name);
        log = base.resolve("log");
        config = SubhostConfig.builder(name, base).start("none").log(log).build();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (name == null) {
            return;
        }
        try {
            subhosts.stop(config, Duration.ofSeconds(2));
        } catch (NotRunningException e) {
            // never booted, or stopped by the test
        }
        KernelFixture.assertNothingLeft(name, base);
        KernelFixture.deleteTree(base);
    }

    private void assertBootRefused(String message) {
        assertThatThrownBy(() -> assertTimeoutPreemptively(Duration.ofSeconds(30), () -> subhosts.boot(config)))
                .isInstanceOf(SubhostException.class).hasMessageContaining(message);
    }

    @Test
    void aLogMadeBeforehandByAnotherUserRefusesTheBootAndStaysAsItWas() throws Exception {
        Files.writeString(log, "forged: service ssh started\n");
        Files.setAttribute(log, "unix:uid", OTHER_USER);

        assertBootRefused("LOG (" + log + ") belongs to uid " + OTHER_USER + ", not to root; refused: another user "
                + "made it and could read or forge it; remove it, or set LOG to a path in a directory of root's");
        assertThat(Files.readString(log)).isEqualTo("forged: service ssh started\n");
        KernelFixture.assertNothingLeft(name, base);
    }

    @Test
    void aLogThatIsASymbolicLinkRefusesTheBootWithoutFollowingIt() throws Exception {
        Path target = base.resolve("elsewhere");
        Files.createSymbolicLink(log, target);

        assertBootRefused("LOG (" + log + ") is a symbolic link; refused: remove it, or set LOG to another path");
        assertThat(target).doesNotExist();
    }

    @Test
    void aLogThatIsAFifoRefusesTheBootAtOnce() throws Exception {
        Mounts.mknod(log.toString(), Mounts.S_IFIFO | 0666, 0, 0);

        assertBootRefused("LOG (" + log + ") is a FIFO; refused: remove it, or set LOG to another path");
    }

    @Test
    void underUmask000TheLogTheRecordAndTheLockAreRootsAlone() throws Exception {
        log = base.resolve("logs/of/it.log");
        config = config.toBuilder().log(log).build();
        int before = AtFiles.umask(0);
        Subhost s;
        try {
            s = subhosts.boot(config);
        } finally {
            AtFiles.umask(before);
        }
        assertThat(mode(log)).isEqualTo("rw-------");
        assertThat(mode(base.resolve("logs"))).isEqualTo("rwxr-xr-x");
        assertThat(mode(base.resolve("logs/of"))).isEqualTo("rwxr-xr-x");
        assertThat(mode(Path.of("/run/subhost", name))).isEqualTo("rwx------");
        assertThat(mode(Path.of("/run/subhost", name, "state"))).isEqualTo("rw-------");
        assertThat(mode(Path.of("/run/subhost", "." + name + ".lock"))).isEqualTo("rw-------");
        s.stop(TEN_SECONDS);
    }

    @Test
    void anOlderLogReadableByEveryoneIsNarrowedTo0640() throws Exception {
        Files.writeString(log, "older lines\n");
        Files.setPosixFilePermissions(log, PosixFilePermissions.fromString("rw-rw-rw-"));

        subhosts.boot(config).stop(TEN_SECONDS);

        assertThat(mode(log)).isEqualTo("rw-r-----");
        assertThat(Files.readString(log)).startsWith("older lines\n");
    }

    @Test
    void aStateRecordThatOthersCouldWriteIsNotActedOn() throws Exception {
        subhosts.boot(config);
        Path state = Path.of("/run/subhost", name, "state");
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rw-rw-rw-"));

        assertThatThrownBy(() -> subhosts.stop(config, TEN_SECONDS)).isInstanceOf(SubhostException.class)
                .hasMessageContaining(state + ": writable by others than its owner (mode 0666), so its record cannot "
                        + "be trusted; refused: if you made it, chmod go-w " + state + "; else remove it if no subhost "
                        + name + " runs");
        Files.setPosixFilePermissions(state, PosixFilePermissions.fromString("rw-------"));
        subhosts.stop(config, TEN_SECONDS);
    }

    @Test
    void readingALogIsBoundedToItsLastBytesFromWholeLines() throws Exception {
        String line = "x".repeat(99) + "\n";
        Files.writeString(log, line.repeat(30_000) + "last line\n", StandardCharsets.UTF_8);

        String read = LogFile.readSince(log, 0);

        assertThat(read.length()).isLessThanOrEqualTo(LogFile.READ_LIMIT);
        assertThat(read).startsWith(line).endsWith(line + "last line\n");
        Path fifo = base.resolve("fifo");
        Mounts.mknod(fifo.toString(), Mounts.S_IFIFO | 0600, 0, 0);
        assertThatThrownBy(() -> LogFile.readSince(fifo, 0))
                .hasMessage("LOG (" + fifo + ") is a FIFO, not a regular file; refused: remove it, or set LOG to "
                        + "another path");
    }

    private static String mode(Path p) throws Exception {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }
    /**
     * The namespace thread writes the lines of its last steps after its root switch, where
     * LOG's path leads into the subhost's tree: LOWER shows the host's LOG there. Those lines
     * reach the host's LOG, and the overlay makes no copy of LOG in UPPER (by its path, the
     * line's look for a rotation opened the subhost's view of LOG for writing).
     */
    @Test
    void theLinesAfterTheRootSwitchReachTheHostsLogAndLeaveNoCopyOfItInUpper() throws Exception {
        subhosts.boot(config);

        assertThat(Files.readString(log)).as("the namespace thread's last step, written after its root switch")
                .containsPattern("overlay-boot\\[" + name + "\\]: step \\d+: pid 1 ");
        Path upper = base.resolve("root");
        assertThat(upper.resolve(base.toString().substring(1))).as("LOG's directory as UPPER holds it").doesNotExist();
    }

    /**
     * A subhost's root that puts a link in UPPER on the way to LOG (here to a SHARE, a host
     * directory bound into the subhost, with a file of LOG's name there) gets the boot to
     * open nothing there: LOG is looked up in its directory as the host opened it, never by
     * its path in the subhost's tree. By its path, the line's look for a rotation found
     * another file there and opened it for writing, as host root, through the link.
     */
    @Test
    void aLinkOnLogsWayInUpperGetsNothingOpenedInTheShareItLeadsTo() throws Exception {
        Path shared = Files.createDirectory(base.resolve("shared"));
        Files.writeString(shared.resolve("log"), "");
        Path way = base.resolve("root").resolve(base.toString().substring(1));
        Files.createDirectories(way.getParent());
        Files.createSymbolicLink(way, Path.of("/mnt/shared-" + name));
        config = config.toBuilder().addShare(new org.subhost.config.Share(shared, Path.of("/mnt/shared-" + name)))
                .build();
        int watch = Inotify.init(Inotify.IN_NONBLOCK | Inotify.IN_CLOEXEC);
        try {
            Inotify.addWatch(watch, shared.toString(), IN_OPEN);

            subhosts.boot(config);

            assertThat(Inotify.read(watch)).as("files opened in the shared host directory")
                    .noneMatch(event -> event.name().equals("log"));
        } finally {
            Fds.close(watch);
        }
        assertThat(Files.size(shared.resolve("log"))).isZero();
        assertThat(Files.readString(log)).containsPattern("overlay-boot\\[" + name + "\\]: step \\d+: pid 1 ");
    }
}
