package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.linux.Errno;
import org.subhost.linux.Fds;
import org.subhost.linux.SyscallException;

/**
 * A subhost's tree answers "not there" without an exception, and tells it from a refusal:
 * a missing entry is an answer (false, empty, nothing to remove, a directory made), while a
 * file where a directory must be, or a link where none may be, stays an error with the
 * message it had (the path, the tree, the reason, and openat2's refusal as the cause).
 */
class SubhostTreeAnswersTest {
    /** openat2's refusal of {@code relative} with the tree's flags, the descriptor's number left open. */
    private static final String OPENAT2 = "openat2\\(fd \\d+/%s, %s, RESOLVE_NO_MAGICLINKS\\|RESOLVE_IN_ROOT\\): %s";
    private static final String ENOTDIR = "ENOTDIR \\(Not a directory\\)";

    @TempDir
    Path tmp;
    private Path top;
    private SubhostTree tree;

    @BeforeEach
    void aTreeWithAFileAndLinks() throws IOException {
        top = Files.createDirectories(tmp.resolve("upper"));
        Files.writeString(top.resolve("file"), "four");
        Files.createDirectories(top.resolve("etc"));
        Files.createSymbolicLink(top.resolve("dangling"), Path.of("/nowhere"));
        Files.createSymbolicLink(top.resolve("link"), Path.of("/etc"));
        tree = SubhostTree.open(top);
    }

    @AfterEach
    void close() {
        tree.close();
    }

    private String notADirectory(String relative) {
        return top.resolve(relative) + " (resolved inside " + top + "): a component is not a directory";
    }

    @Test
    void existsIsFalseForAMissingEntryOrALinkToNowhereAndRefusesAFileOnTheWay() throws IOException {
        assertThat(tree.exists("missing")).isFalse();
        assertThat(tree.exists("dangling")).isFalse();
        assertThat(tree.exists("file")).isTrue();
        assertThat(tree.exists("link")).as("/etc inside the tree").isTrue();
        assertThatThrownBy(() -> tree.exists("file/x"))
                .isInstanceOf(IOException.class)
                .hasMessage(notADirectory("file/x"))
                .cause().hasMessageMatching(OPENAT2.formatted("file/x", "O_RDONLY\\|O_CLOEXEC\\|O_PATH", ENOTDIR));
    }

    @Test
    void readRegularIsEmptyWhenMissingAndRefusesAFileOnTheWay() throws IOException {
        assertThat(tree.readRegular("missing", 100)).isEmpty();
        assertThat(tree.readRegular("file", 100)).hasValueSatisfying(b -> assertThat(new String(b)).isEqualTo("four"));
        assertThatThrownBy(() -> tree.readRegular("file/x", 100))
                .isInstanceOf(IOException.class)
                .hasMessage(notADirectory("file/x"))
                .cause().hasMessageMatching(OPENAT2.formatted("file/x", "O_RDONLY\\|O_CLOEXEC\\|O_PATH", ENOTDIR));
    }

    @Test
    void listTypeNameAndLayerEntryAnswerAbsenceAndRefuseAFileAsADirectory() throws IOException {
        assertThat(tree.list("missing")).isEmpty();
        assertThat(tree.typeName("missing", false)).isEmpty();
        assertThat(tree.typeName("dangling", false)).hasValue("symbolic link");
        assertThat(tree.layerEntry("missing")).isEmpty();
        assertThat(tree.layerEntry("file/x")).as("ENOTDIR is absence in a layer").isEmpty();
        assertThatThrownBy(() -> tree.list("file"))
                .isInstanceOf(IOException.class)
                .hasMessage(notADirectory("file"))
                .cause().hasMessageMatching(OPENAT2.formatted("file", "O_RDONLY\\|O_DIRECTORY\\|O_CLOEXEC", ENOTDIR));
        assertThatThrownBy(() -> tree.typeName("file/x", true))
                .isInstanceOf(IOException.class)
                .hasMessage(notADirectory("file/x"));
    }

    @Test
    void directoryMakesWhatIsMissingAndRefusesAFileOnTheWay() throws IOException {
        int fd = tree.directory("a/b", 0750);
        Fds.close(fd);
        assertThat(top.resolve("a/b")).isDirectory();
        assertThat(tree.typeName("a/b", false)).hasValue("directory");
        assertThatThrownBy(() -> tree.directory("file/b", 0755))
                .isInstanceOf(IOException.class)
                .hasMessage(notADirectory("file"))
                .cause().hasMessageMatching(OPENAT2.formatted("file", "O_RDONLY\\|O_DIRECTORY\\|O_CLOEXEC\\|O_PATH",
                        ENOTDIR));
    }

    @Test
    void removeOfAMissingEntryIsNothingAndAFileOnTheWayIsRefused() throws IOException {
        tree.remove("missing/x");
        tree.remove("missing");
        assertThatThrownBy(() -> tree.remove("file/x"))
                .isInstanceOf(IOException.class)
                .hasMessage(notADirectory("file/x"));
        tree.remove("file");
        assertThat(top.resolve("file")).doesNotExist();
    }

    @Test
    void tryOpenWithoutLinksTellsAbsenceFromALinkAndItsRefusalIsTheThrownOne() throws IOException {
        assertThat(tree.tryOpenWithoutLinks("missing", Fds.O_PATH)).isEqualTo(-Errno.ENOENT);
        assertThat(tree.tryOpenWithoutLinks("link/x", Fds.O_PATH)).isEqualTo(-Errno.ELOOP);
        assertThat(tree.tryOpenWithoutLinks("file/x", Fds.O_PATH)).isEqualTo(-Errno.ENOTDIR);
        int fd = tree.tryOpenWithoutLinks("etc", Fds.O_PATH);
        assertThat(fd).isNotNegative();
        Fds.close(fd);
        assertThatThrownBy(() -> tree.openWithoutLinks("link/x", Fds.O_PATH))
                .isInstanceOf(SyscallException.class)
                .hasMessage(tree.openWithoutLinksRefusal("link/x", Fds.O_PATH, Errno.ELOOP).getMessage())
                .hasMessageMatching("openat2\\(fd \\d+/link/x, O_RDONLY\\|O_NOFOLLOW\\|O_CLOEXEC\\|O_PATH, "
                        + "RESOLVE_NO_MAGICLINKS\\|RESOLVE_NO_SYMLINKS\\|RESOLVE_IN_ROOT\\): "
                        + "ELOOP \\(Too many levels of symbolic links\\)");
    }
}
