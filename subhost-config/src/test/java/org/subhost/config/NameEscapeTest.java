package org.subhost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.subhost.config.ConfFiles.read;
import static org.subhost.config.ConfFiles.write;
import static org.subhost.config.ConfFiles.writeBytes;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NAME becomes {@code /run/netns/NAME}, {@code /run/subhost/NAME}, the cgroup {@code NAME}
 * and the host interfaces {@code NAMEi}: whichever way it is given (the NAME line, a {@code
 * !} command's output, the file's name, the builder), a NAME that could point elsewhere,
 * hide, take a lock file's place or read as an option is refused with its rule.
 */
class NameEscapeTest {
    @TempDir
    Path dir;

    @Test
    void refusesNamesThatLeaveTheDirectoryOnTheNameLine() {
        rejectsOnNameLine("..", "NAME (..) must not be . or ..");
        rejectsOnNameLine(".", "NAME (.) must not be . or ..");
        rejectsOnNameLine("a/b", "NAME (a/b) must contain only letters A-Z a-z, digits and _ . -");
        rejectsOnNameLine("../etc", "NAME (../etc) must contain only letters A-Z a-z, digits and _ . -");
        rejectsOnNameLine("/etc", "NAME (/etc) must contain only letters A-Z a-z, digits and _ . -");
    }

    @Test
    void refusesNamesThatStartWithADotOrADash() {
        // .x.lock would take the place of the lock file of NAME x in /run/subhost.
        rejectsOnNameLine(".x.lock", "NAME (.x.lock) must not start with . or -");
        rejectsOnNameLine(".hidden", "NAME (.hidden) must not start with . or -");
        // -a: its host end -a0 would read as options to ifup.
        rejectsOnNameLine("-a", "NAME (-a) must not start with . or -");
        rejectsOnNameLine("--all", "NAME (--all) must not start with . or -");
    }

    @Test
    void acceptsDotsAndDashesInsideAName() throws Exception {
        assertThat(read(write(dir, "ex1.conf", "BASE=.", "NAME=a.-b_..c-")).name()).isEqualTo("a.-b_..c-");
        assertThat(SubhostConfig.builder("9..-", dir).build().name()).isEqualTo("9..-");
    }

    @Test
    void refusesControlCharactersAndShowsThemEscaped() {
        byte[] nul = "BASE=.\nNAME=a\0b\n".getBytes(StandardCharsets.UTF_8);
        Path conf = writeBytes(dir, "nul.conf", nul);
        assertThatThrownBy(() -> read(conf)).hasMessage(conf + ":2: NAME value must not contain a NUL character");
        Path tab = write(dir, "tab.conf", "BASE=.", "NAME=a\tb");
        assertThatThrownBy(() -> read(tab))
                .hasMessage(tab + ":2: NAME (a\\x09b) must contain only letters A-Z a-z, digits and _ . -");
        assertThatThrownBy(() -> SubhostConfig.builder("a\nb", dir))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("NAME (a\\x0ab) must contain only letters A-Z a-z, digits and _ . -");
        assertThatThrownBy(() -> SubhostConfig.builder("a\0b", dir))
                .hasMessage("NAME (a\\x00b) must contain only letters A-Z a-z, digits and _ . -");
    }

    @Test
    void refusesAVeryLongName() {
        String longName = "a".repeat(300);
        Path conf = write(dir, "long.conf", "BASE=.", "NAME=" + longName);
        assertThatThrownBy(() -> read(conf)).hasMessage(conf + ":2: NAME (" + longName + ") must be at most 12 characters");
        assertThatThrownBy(() -> SubhostConfig.builder("../../../../x", dir))
                .hasMessage("NAME (../../../../x) must be at most 12 characters");
    }

    @Test
    void refusesTheSameNamesFromACommand() {
        // The first line of the command's output is the value; it is checked like a written one.
        Path up = write(dir, "up.conf", "BASE=.", "NAME=!echo ../x");
        assertThatThrownBy(() -> read(up)).hasMessage(up + ":2: NAME (../x) must contain only letters A-Z a-z, digits and _ . -");
        Path dash = write(dir, "dash.conf", "BASE=.", "NAME=!echo -a");
        assertThatThrownBy(() -> read(dash)).hasMessage(dash + ":2: NAME (-a) must not start with . or -");
        Path dots = write(dir, "dots.conf", "BASE=.", "NAME=!printf '..\\nx\\n'");
        assertThatThrownBy(() -> read(dots)).hasMessage(dots + ":2: NAME (..) must not be . or ..");
    }

    @Test
    void refusesTheSameNamesFromTheFileName() {
        // ..conf and ...conf default to . and ..; .conf to .conf itself.
        Path one = write(dir, "..conf", "BASE=.");
        assertThatThrownBy(() -> read(one))
                .hasMessage(one + ": NAME (.) must not be . or .. (NAME defaults to the file's name)");
        Path two = write(dir, "...conf", "BASE=.");
        assertThatThrownBy(() -> read(two))
                .hasMessage(two + ": NAME (..) must not be . or .. (NAME defaults to the file's name)");
        Path hidden = write(dir, ".conf", "BASE=.");
        assertThatThrownBy(() -> read(hidden))
                .hasMessage(hidden + ": NAME (.conf) must not start with . or - (NAME defaults to the file's name)");
        Path dash = write(dir, "-a.conf", "BASE=.");
        assertThatThrownBy(() -> read(dash))
                .hasMessage(dash + ": NAME (-a) must not start with . or - (NAME defaults to the file's name)");
        Path newline = write(dir, "a\nb.conf", "BASE=.");
        assertThatThrownBy(() -> read(newline)).hasMessage(newline
                + ": NAME (a\\x0ab) must contain only letters A-Z a-z, digits and _ . - (NAME defaults to the file's name)");
    }

    @Test
    void aNameLineOverridesABadFileName() throws Exception {
        assertThat(read(write(dir, "-a.conf", "BASE=.", "NAME=good")).name()).isEqualTo("good");
    }

    @Test
    void refusesTheSameNamesInTheBuilder() {
        for (String[] c : new String[][] {
                {"..", "NAME (..) must not be . or .."},
                {".", "NAME (.) must not be . or .."},
                {"a/b", "NAME (a/b) must contain only letters A-Z a-z, digits and _ . -"},
                {"../etc", "NAME (../etc) must contain only letters A-Z a-z, digits and _ . -"},
                {".x.lock", "NAME (.x.lock) must not start with . or -"},
                {"-a", "NAME (-a) must not start with . or -"},
                {"", "NAME () must not be empty"}}) {
            assertThatThrownBy(() -> SubhostConfig.builder(c[0], dir)).as("builder(%s)", c[0])
                    .isInstanceOf(IllegalArgumentException.class).hasMessage(c[1]);
            SubhostConfig.Builder b = SubhostConfig.builder("ok", dir);
            assertThatThrownBy(() -> b.name(c[0])).as("name(%s)", c[0]).hasMessage(c[1]);
        }
        assertThatThrownBy(() -> SubhostConfig.builder(null, dir)).isInstanceOf(NullPointerException.class);
    }

    private void rejectsOnNameLine(String name, String message) {
        Path conf = write(dir, "ex1.conf", "BASE=.", "NAME=" + name);
        assertThatThrownBy(() -> read(conf)).as("NAME=%s", name).isInstanceOf(ConfigException.class)
                .hasMessage(conf + ":2: " + message);
    }
}
