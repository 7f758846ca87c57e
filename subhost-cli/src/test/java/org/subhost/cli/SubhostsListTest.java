package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The list file of {@code subhosts}: comments, blank lines, relative paths, where it is. */
class SubhostsListTest {
    private static final Path LIST = Path.of("/etc/subhosts.conf");

    @Test
    void readsOnePathALineSkippingCommentsAndBlankLines() throws Exception {
        SubhostsList list = SubhostsList.parse(LIST, """
                # subhosts of this host
                /ex1/ex1.conf

                   \t
                  /srv/mta/mta.conf \t
                  # an indented comment
                """);
        assertThat(list.entries()).containsExactly(
                new SubhostsList.Entry(2, Path.of("/ex1/ex1.conf")),
                new SubhostsList.Entry(5, Path.of("/srv/mta/mta.conf")));
        assertThat(list.where(list.entries().get(1))).isEqualTo("/etc/subhosts.conf:5");
    }

    @Test
    void resolvesRelativePathsAgainstTheListsDirectory() throws Exception {
        SubhostsList list = SubhostsList.parse(Path.of("/srv/lab/subhosts.conf"), "a/a.conf\n../b.conf\n./c.conf");
        assertThat(list.entries()).extracting(SubhostsList.Entry::config).containsExactly(
                Path.of("/srv/lab/a/a.conf"), Path.of("/srv/b.conf"), Path.of("/srv/lab/c.conf"));
    }

    @Test
    void keepsAHashAfterTheStartAsPartOfThePath() throws Exception {
        SubhostsList list = SubhostsList.parse(LIST, "/ex#1/ex1.conf # not a comment\n");
        assertThat(list.entries()).extracting(SubhostsList.Entry::config)
                .containsExactly(Path.of("/ex#1/ex1.conf # not a comment"));
    }

    @Test
    void readsCarriageReturnLineEndsAsWhiteSpace() throws Exception {
        SubhostsList list = SubhostsList.parse(LIST, "/ex1/ex1.conf\r\n#\r\n/ex2/ex2.conf\r\n");
        assertThat(list.entries()).extracting(SubhostsList.Entry::config)
                .containsExactly(Path.of("/ex1/ex1.conf"), Path.of("/ex2/ex2.conf"));
    }

    @Test
    void anEmptyListHasNoEntries() throws Exception {
        assertThat(SubhostsList.parse(LIST, "").entries()).isEmpty();
        assertThat(SubhostsList.parse(LIST, "# none yet\n\n").entries()).isEmpty();
    }

    @Test
    void rejectsALineThatIsNoPath() {
        assertThatThrownBy(() -> SubhostsList.parse(LIST, "/ex1/ex1.conf\n/ex\0/x.conf\n"))
                .isInstanceOf(SubhostsList.ListException.class)
                .hasMessage("/etc/subhosts.conf:2: configuration file (/ex\0/x.conf) is not a path: Nul character not"
                        + " allowed");
    }

    @Test
    void theListIsEtcSubhostsConfUnlessSubhostsConfNamesAnother() throws Exception {
        assertThat(SubhostsList.locate(null)).isEqualTo(Path.of("/etc/subhosts.conf"));
        assertThat(SubhostsList.locate("")).isEqualTo(Path.of("/etc/subhosts.conf"));
        assertThat(SubhostsList.locate("/srv/lab/subhosts.conf")).isEqualTo(Path.of("/srv/lab/subhosts.conf"));
        assertThat(SubhostsList.locate("lab/list")).isEqualTo(Path.of("").toAbsolutePath().resolve("lab/list"));
    }

    @Test
    void aMissingListSaysWhichFileAndHowToNameAnother(@TempDir Path tmp) {
        Path missing = tmp.resolve("subhosts.conf");
        assertThatThrownBy(() -> SubhostsList.read(missing))
                .isInstanceOf(SubhostsList.ListException.class)
                .hasMessage("list of subhosts (" + missing + ") does not exist; create it, or name another file with"
                        + " SUBHOSTS_CONF=FILE");
    }

    @Test
    void readsTheFile(@TempDir Path tmp) throws Exception {
        Path file = Files.write(tmp.resolve("subhosts.conf"), List.of("# two", "a.conf", "/b/b.conf"));
        SubhostsList list = SubhostsList.read(file);
        assertThat(list.file()).isEqualTo(file);
        assertThat(list.entries()).containsExactly(new SubhostsList.Entry(2, tmp.resolve("a.conf")),
                new SubhostsList.Entry(3, Path.of("/b/b.conf")));
    }

    @Test
    void aDirectoryIsNoList(@TempDir Path tmp) throws IOException {
        assertThatThrownBy(() -> SubhostsList.read(tmp))
                .isInstanceOf(SubhostsList.ListException.class)
                .hasMessageStartingWith("list of subhosts (" + tmp + ") cannot be read: ");
    }
}
