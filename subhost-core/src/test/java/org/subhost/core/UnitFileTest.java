package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/** The syntax of unit files (systemd.syntax(7)) and of their command lines (systemd.service(5)). */
class UnitFileTest {

    @Test
    void readsSectionsAssignmentsAndLinesWithTheirFileAndLine() {
        UnitFile.Parsed parsed = UnitFile.parse("/lib/systemd/system/x.service", """
                # a comment
                [Unit]
                Description = The x daemon
                ; another comment

                [Service]
                ExecStart=/usr/sbin/x -n \\
                  # a comment inside is skipped
                  --foreground
                Environment=
                """);
        assertThat(parsed.problems()).isEmpty();
        assertThat(parsed.entries()).containsExactly(
                new UnitFile.Entry("Unit", "Description", "The x daemon", "/lib/systemd/system/x.service", 3),
                new UnitFile.Entry("Service", "ExecStart", "/usr/sbin/x -n  --foreground",
                        "/lib/systemd/system/x.service", 7),
                new UnitFile.Entry("Service", "Environment", "", "/lib/systemd/system/x.service", 10));
    }

    @Test
    void tellsTheLinesThatSystemdWouldIgnore() {
        UnitFile.Parsed parsed = UnitFile.parse("u.service", "Before=a\n[Service]\nno assignment\n[Broken\nType=simple\n");
        assertThat(parsed.entries()).isEmpty();
        assertThat(parsed.problems()).extracting(Object::toString).containsExactly(
                "u.service:1: assignment outside of a section: \"Before=a\"",
                "u.service:3: no assignment (Key=Value): \"no assignment\"",
                "u.service:4: not a section header: \"[Broken\"");
    }

    @Test
    void showsControlCharactersOfTheSubhostEscaped() {
        assertThat(UnitFile.shown("a\u001b[2Jb\n")).isEqualTo("\"a\\x1b[2Jb\\x0a\"");
    }

    private static List<ExecCommand> parse(String value, Map<String, String> env) throws Exception {
        return ExecCommand.parse(value, env, c -> c == 'n' ? Optional.of("x.service") : Optional.empty());
    }

    @Test
    void splitsACommandLineWithPrefixesQuotesAndEscapes() throws Exception {
        assertThat(parse("-/usr/sbin/sshd -D -o 'Banner none' \"a\\tb\" \\x41", Map.of())).containsExactly(
                new ExecCommand("/usr/sbin/sshd", List.of("/usr/sbin/sshd", "-D", "-o", "Banner none", "a\tb", "A"),
                        true, false));
        assertThat(parse("@/bin/sleep sleeper 5", Map.of())).containsExactly(
                new ExecCommand("/bin/sleep", List.of("sleeper", "5"), false, false));
        assertThat(parse("+/bin/true", Map.of())).containsExactly(
                new ExecCommand("/bin/true", List.of("/bin/true"), false, true));
    }

    @Test
    void expandsVariablesAsSystemdDoes() throws Exception {
        Map<String, String> env = Map.of("OPTS", "-a  -b", "DIR", "/var/x y");
        assertThat(parse("/bin/x $OPTS ${DIR}/z %n", env)).containsExactly(
                new ExecCommand("/bin/x", List.of("/bin/x", "-a", "-b", "/var/x y/z", "x.service"), false, false));
        assertThat(parse(":/bin/x $OPTS", env)).containsExactly(
                new ExecCommand("/bin/x", List.of("/bin/x", "$OPTS"), false, false));
        assertThat(parse("/bin/x $UNSET", env)).containsExactly(
                new ExecCommand("/bin/x", List.of("/bin/x"), false, false));
    }

    @Test
    void separatesCommandsAtALoneSemicolon() throws Exception {
        assertThat(parse("/bin/a 1 ; /bin/b \\;", Map.of())).containsExactly(
                new ExecCommand("/bin/a", List.of("/bin/a", "1"), false, false),
                new ExecCommand("/bin/b", List.of("/bin/b", ";"), false, false));
    }

    @Test
    void refusesWhatCannotBeRun() {
        assertThatThrownBy(() -> parse("/bin/x 'open", Map.of())).hasMessage(
                "quote ' from column 8 not closed: \"/bin/x 'open\"");
        assertThatThrownBy(() -> parse("/bin/x %q", Map.of())).hasMessage("specifier %q is not supported");
        assertThatThrownBy(() -> parse("/bin/x \\x00", Map.of())).hasMessage(
                "escape gives no character (0): \"/bin/x \\x00\"");
        assertThatThrownBy(() -> parse("- ", Map.of())).hasMessage("no program to run");
    }

    /** Any argv, written with systemd's quoting, reads back as the same argv. */
    @Property(tries = 300)
    void quotedArgumentsReadBackUnchanged(@ForAll("argvs") List<String> argv) throws Exception {
        StringBuilder line = new StringBuilder("/bin/prog");
        for (String arg : argv) {
            line.append(" \"");
            for (char c : arg.toCharArray()) {
                switch (c) {
                    case '"', '\\', '$', '%' -> line.append('\\').append(c);
                    case '\n' -> line.append("\\n");
                    default -> line.append(c);
                }
            }
            line.append('"');
        }
        List<String> expected = new ArrayList<>(List.of("/bin/prog"));
        expected.addAll(argv);
        assertThat(parse(line.toString(), Map.of())).containsExactly(
                new ExecCommand("/bin/prog", expected, false, false));
    }

    @Provide
    Arbitrary<List<String>> argvs() {
        return Arbitraries.strings().withChars("ab $%\"'\\;\n\t{}@-+").ofMaxLength(12).list().ofMaxSize(5);
    }
}
