package org.subhost.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * openat2's struct open_how byte for byte (no root, no kernel), and the *at calls on the real
 * kernel in a directory of the test's own (no root needed).
 */
class AtFilesTest {
    private Path dir;
    private int root = -1;

    @BeforeEach
    void makeDirectory() throws Exception {
        dir = Files.createTempDirectory(KernelTests.uniqueName());
        root = Fds.open(dir.toString(), Fds.O_PATH | Fds.O_DIRECTORY | Fds.O_CLOEXEC);
    }

    @AfterEach
    void removeDirectory() throws Exception {
        Fds.close(root);
        KernelTests.deleteTree(dir);
    }

    @Test
    void openHowIsFlagsModeResolveAsThreeNativeU64() {
        byte[] how = AtFiles.openHow(Fds.O_WRONLY | Fds.O_CREAT | Fds.O_EXCL | Fds.O_CLOEXEC, 0600,
                AtFiles.RESOLVE_IN_ROOT | AtFiles.RESOLVE_NO_MAGICLINKS);
        assertThat(ByteOrder.nativeOrder()).isEqualTo(ByteOrder.LITTLE_ENDIAN);
        assertThat(HexFormat.of().formatHex(how)).isEqualTo(
                "c100080000000000" + "8001000000000000" + "1200000000000000");
    }

    @Test
    void openHowOfAPathOnlyLookupWithoutSymlinks() {
        assertThat(HexFormat.of().formatHex(AtFiles.openHow(Fds.O_PATH | Fds.O_NOFOLLOW | Fds.O_DIRECTORY, 0,
                AtFiles.RESOLVE_NO_SYMLINKS))).isEqualTo("0000230000000000" + "0000000000000000" + "0400000000000000");
    }

    @Test
    void resolveInRootKeepsAnAbsoluteLinkInsideTheDirectory() throws Exception {
        Path outside = Files.createTempDirectory(KernelTests.uniqueName());
        try {
            Files.createDirectories(dir.resolve(outside.toString().substring(1)));
            Files.createSymbolicLink(dir.resolve("escape"), outside);
            int fd = AtFiles.openat2(root, "escape/planted", Fds.O_WRONLY | Fds.O_CREAT | Fds.O_EXCL | Fds.O_CLOEXEC,
                    0600, AtFiles.RESOLVE_IN_ROOT | AtFiles.RESOLVE_NO_MAGICLINKS);
            Fds.close(fd);
            assertThat(outside.resolve("planted")).doesNotExist();
            assertThat(dir.resolve(outside.toString().substring(1)).resolve("planted")).isRegularFile();
        } finally {
            KernelTests.deleteTree(outside);
        }
    }

    @Test
    void resolveNoSymlinksRefusesALinkWithELOOPNamingTheRules() throws Exception {
        Files.createSymbolicLink(dir.resolve("link"), Path.of("/etc"));
        assertThatThrownBy(() -> AtFiles.openat2(root, "link/hostname", Fds.O_RDONLY | Fds.O_CLOEXEC, 0,
                AtFiles.RESOLVE_NO_SYMLINKS | AtFiles.RESOLVE_BENEATH))
                .isInstanceOf(SyscallException.class)
                .hasMessage("openat2(fd " + root + "/link/hostname, O_RDONLY|O_CLOEXEC, "
                        + "RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH): ELOOP (Too many levels of symbolic links)");
    }

    @Test
    void tryOpenat2AnswersARefusalWithItsErrnoAndTellsAbsenceFromALink() throws Exception {
        Files.writeString(dir.resolve("file"), "x");
        Files.createSymbolicLink(dir.resolve("link"), Path.of("file"));
        long rules = AtFiles.RESOLVE_NO_SYMLINKS | AtFiles.RESOLVE_BENEATH;

        assertThat(AtFiles.tryOpenat2(root, "missing", Fds.O_PATH | Fds.O_CLOEXEC, 0, rules)).isEqualTo(-Errno.ENOENT);
        assertThat(AtFiles.tryOpenat2(root, "link", Fds.O_PATH | Fds.O_CLOEXEC, 0, rules)).isEqualTo(-Errno.ELOOP);
        assertThat(AtFiles.tryOpenat2(root, "file/x", Fds.O_PATH | Fds.O_CLOEXEC, 0, rules)).isEqualTo(-Errno.ENOTDIR);
        int fd = AtFiles.tryOpenat2(root, "file", Fds.O_RDONLY | Fds.O_CLOEXEC, 0, rules);
        try {
            assertThat(fd).isNotNegative();
            assertThat(AtFiles.fstat(fd).isRegularFile()).isTrue();
        } finally {
            Fds.close(fd);
        }
    }

    @Test
    void openat2RefusalIsTheExceptionThatOpenat2Throws() {
        long rules = AtFiles.RESOLVE_NO_SYMLINKS | AtFiles.RESOLVE_BENEATH;
        int flags = Fds.O_WRONLY | Fds.O_CREAT | Fds.O_CLOEXEC;
        assertThatThrownBy(() -> AtFiles.openat2(root, "no/such", flags, 0640, rules))
                .isInstanceOf(SyscallException.class)
                .hasMessage(AtFiles.openat2Refusal(root, "no/such", flags, 0640, rules, Errno.ENOENT).getMessage())
                .hasMessage("openat2(fd " + root + "/no/such, O_WRONLY|O_CREAT|O_CLOEXEC, 0640, "
                        + "RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH): ENOENT (No such file or directory)");
    }

    @Test
    void lstatIfPresentIsEmptyForAMissingEntryAndRefusesAFileOnTheWay() throws Exception {
        Files.writeString(dir.resolve("file"), "four");
        Files.createSymbolicLink(dir.resolve("link"), Path.of("nowhere"));

        assertThat(AtFiles.lstatIfPresent(dir.resolve("missing").toString())).isEmpty();
        assertThat(AtFiles.lstatIfPresent(dir.resolve("file").toString())).get()
                .satisfies(s -> assertThat(s.size()).isEqualTo(4));
        assertThat(AtFiles.lstatIfPresent(dir.resolve("link").toString())).as("the link itself, not followed").get()
                .satisfies(s -> assertThat(s.typeName()).isEqualTo("symbolic link"));
        assertThatThrownBy(() -> AtFiles.lstatIfPresent(dir.resolve("file/log").toString()))
                .isInstanceOf(SyscallException.class)
                .hasMessage("statx(" + dir.resolve("file/log") + ", AT_SYMLINK_NOFOLLOW): ENOTDIR (Not a directory)");
    }

    @Test
    void resolveInRootRefusesAMagicLink() throws Exception {
        Files.createSymbolicLink(dir.resolve("magic"), Path.of("/proc/self/root"));
        // IN_ROOT makes /proc/self/root mean DIR/proc/self/root, which does not exist.
        assertThatThrownBy(() -> AtFiles.openat2(root, "magic", Fds.O_PATH | Fds.O_CLOEXEC, 0,
                AtFiles.RESOLVE_IN_ROOT | AtFiles.RESOLVE_NO_MAGICLINKS)).isInstanceOf(SyscallException.class);
    }

    @Test
    void fstatTellsAFifoFromARegularFileWithoutOpeningIt() throws Exception {
        AtFiles.mknodat(root, "fifo", Mounts.S_IFIFO | 0600, 0);
        Files.writeString(dir.resolve("file"), "12345", StandardCharsets.UTF_8);
        int fifo = AtFiles.openat2(root, "fifo", Fds.O_PATH | Fds.O_CLOEXEC, 0, AtFiles.RESOLVE_IN_ROOT);
        int file = AtFiles.openat2(root, "file", Fds.O_RDONLY | Fds.O_CLOEXEC, 0, AtFiles.RESOLVE_IN_ROOT);
        try {
            FileStatus f = AtFiles.fstat(fifo);
            assertThat(f.isRegularFile()).isFalse();
            assertThat(f.typeName()).isEqualTo("FIFO");
            FileStatus r = AtFiles.fstat(file);
            assertThat(r.isRegularFile()).isTrue();
            assertThat(r.size()).isEqualTo(5);
            assertThat(r.inode()).isEqualTo(Files.getAttribute(dir.resolve("file"), "unix:ino"));
            assertThat(r.uid()).isEqualTo(Files.getAttribute(dir.resolve("file"), "unix:uid"));
        } finally {
            Fds.close(fifo);
            Fds.close(file);
        }
    }

    @Test
    void mkdiratSymlinkatRenameatAndUnlinkatActOnNamesInTheDirectory() throws Exception {
        AtFiles.mkdirat(root, "d", 0700);
        AtFiles.fchmodat(root, "d", 0751);
        assertThat(Files.getAttribute(dir.resolve("d"), "unix:mode")).isEqualTo(040751);
        AtFiles.symlinkat("/nowhere", root, "l");
        assertThatThrownBy(() -> AtFiles.mkdirat(root, "l", 0700)).hasMessageContaining("EEXIST");
        AtFiles.renameat(root, "l", root, "m");
        assertThat(Files.readSymbolicLink(dir.resolve("m"))).isEqualTo(Path.of("/nowhere"));
        AtFiles.unlinkat(root, "m", 0);
        AtFiles.unlinkat(root, "d", AtFiles.AT_REMOVEDIR);
        assertThat(dir).isEmptyDirectory();
    }
}
