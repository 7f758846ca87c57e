package org.subhost.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every NamedNetns call given a name that is no single file name in {@code /run/netns} is
 * refused before the kernel is asked: create makes no file, mount or namespace elsewhere,
 * delete unmounts and removes nothing, open and exists look nowhere else. A name that is
 * one file name stays in {@code /run/netns}, whatever its characters.
 */
class NamedNetnsEscapeTest {
    private static final String SLASH_OR_NUL = ") must not contain '/' or NUL";

    @Test
    void everyCallRefusesNamesOutsideRunNetns() throws Exception {
        Kernel.requireRoot();
        String target = Kernel.uniqueName();
        // A fresh machine has no /run/netns until the first named netns is made.
        boolean hadRunNetns = Files.isDirectory(Path.of("/run/netns"));
        // Where ../NAME and /run/NAME would land.
        Path escaped = Path.of("/run", target);
        List<String[]> cases = List.of(
                new String[] {"../" + target, "netns name (../" + target + SLASH_OR_NUL},
                new String[] {"/run/" + target, "netns name (/run/" + target + SLASH_OR_NUL},
                new String[] {"a/b", "netns name (a/b" + SLASH_OR_NUL},
                new String[] {target + "\0x", "netns name (" + target + "\\0x" + SLASH_OR_NUL},
                new String[] {"..", "netns name (..) must not be . or .."},
                new String[] {".", "netns name (.) must not be . or .."},
                new String[] {"", "netns name () must not be empty"},
                new String[] {"y".repeat(300), "netns name (yyyyyyyyyyyyyyyy...) must be at most 255 bytes, not 300"});
        for (String[] c : cases) {
            String name = c[0];
            assertThatThrownBy(() -> NamedNetns.create(name)).as("create(%s)", name)
                    .isInstanceOf(IllegalArgumentException.class).hasMessage(c[1]);
            assertThatThrownBy(() -> NamedNetns.delete(name)).as("delete(%s)", name).hasMessage(c[1]);
            assertThatThrownBy(() -> NamedNetns.open(name)).as("open(%s)", name).hasMessage(c[1]);
            assertThatThrownBy(() -> NamedNetns.exists(name)).as("exists(%s)", name).hasMessage(c[1]);
        }
        assertThat(escaped).as("what create(../%s) would have made", target).doesNotExist();
        // Other tests may mount meanwhile; none of them uses this test's fresh name.
        assertThat(Files.readAllLines(Path.of("/proc/self/mountinfo"))).as("mounts").noneMatch(l -> l.contains(target));
        if (hadRunNetns) {
            assertThat(Path.of("/run/netns")).as("delete(..) keeps /run/netns").isDirectory();
        }
    }

    @Test
    void aNameWithOddCharactersIsStillOneFileInRunNetns() {
        for (String name : List.of("a\nb", "-a", ".hidden", "..mta", "a b", "é")) {
            assertThat(NamedNetns.path(name).getParent()).as("parent of %s", name).isEqualTo(NamedNetns.RUN_NETNS);
            assertThat(NamedNetns.path(name).getFileName().toString()).isEqualTo(name);
        }
    }
}
