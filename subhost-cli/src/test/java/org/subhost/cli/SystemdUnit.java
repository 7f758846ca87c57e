package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A systemd unit file read the way systemd reads the parts the tests need (systemd.unit(5),
 * systemd.service(5)): sections of {@code Key=value} lines, {@code Environment=} and
 * {@code Exec*=} lines split into words (double quotes keep a word together) before the
 * specifiers of a template instance are expanded in each word ({@code %f}, {@code %i},
 * {@code %%}). Anything more (other specifiers, line continuations, the {@code -@:+!}
 * prefixes of Exec lines) fails the test, so that the unit stays within what is checked.
 */
final class SystemdUnit {
    private final Map<String, List<String>> values;

    private SystemdUnit(Map<String, List<String>> values) {
        this.values = values;
    }

    /** Reads {@code file}. */
    static SystemdUnit read(Path file) throws IOException {
        Map<String, List<String>> values = new LinkedHashMap<>();
        String section = null;
        for (String raw : Files.readAllLines(file)) {
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            assertThat(line).as("a line of %s", file).doesNotEndWith("\\");
            if (line.startsWith("[")) {
                assertThat(line).endsWith("]");
                section = line.substring(1, line.length() - 1);
                continue;
            }
            int eq = line.indexOf('=');
            assertThat(eq).as("line %s of %s", line, file).isPositive();
            assertThat(section).as("section of %s", line).isNotNull();
            values.computeIfAbsent(section + "." + line.substring(0, eq).strip(), k -> new ArrayList<>())
                    .add(line.substring(eq + 1).strip());
        }
        return new SystemdUnit(values);
    }

    /** The values of {@code key} in {@code section}, in order; empty when it is not set. */
    List<String> values(String section, String key) {
        return values.getOrDefault(section + "." + key, List.of());
    }

    /** The one value of {@code key} in {@code section}. */
    String value(String section, String key) {
        List<String> all = values(section, key);
        assertThat(all).as("%s= in [%s]", key, section).hasSize(1);
        return all.getFirst();
    }

    /** The command line of an Exec key, its words with the instance's specifiers expanded. */
    List<String> command(String key, String instance) {
        String line = value("Service", key);
        assertThat(line).as("%s has none of the prefixes -@:+!", key).doesNotStartWith("-").doesNotStartWith("@")
                .doesNotStartWith(":").doesNotStartWith("+").doesNotStartWith("!");
        List<String> command = words(line).stream().map(w -> expand(w, instance)).toList();
        assertThat(Path.of(command.getFirst())).as("program of %s", key).isAbsolute();
        return command;
    }

    /** The variables that Environment= lines set, with the instance's specifiers expanded. */
    Map<String, String> environment(String instance) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : values("Service", "Environment")) {
            for (String word : words(line)) {
                String assignment = expand(word, instance);
                int eq = assignment.indexOf('=');
                assertThat(eq).as("assignment %s", assignment).isPositive();
                env.put(assignment.substring(0, eq), assignment.substring(eq + 1));
            }
        }
        return env;
    }

    /** Like {@code systemd-escape --path PATH}: the instance name for an absolute path. */
    static String escapePath(String path) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("systemd-escape", "--path", path).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        p.getInputStream().transferTo(out);
        assertThat(p.waitFor()).as("systemd-escape --path %s: %s", path, out).isZero();
        return out.toString(StandardCharsets.UTF_8).strip();
    }

    /**
     * Specifier {@code %f}: the instance unescaped as a path, with {@code /} before it. Each
     * {@code -} is a {@code /}, and {@code \xNN} is the byte NN (systemd-escape(1)).
     */
    static String unescapePath(String instance) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        bytes.write('/');
        for (int i = 0; i < instance.length(); i++) {
            char c = instance.charAt(i);
            if (c == '-') {
                bytes.write('/');
            } else if (c == '\\' && i + 3 < instance.length() && instance.charAt(i + 1) == 'x') {
                bytes.write(Integer.parseInt(instance.substring(i + 2, i + 4), 16));
                i += 3;
            } else {
                bytes.write(c);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static String expand(String word, String instance) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < word.length(); i++) {
            char c = word.charAt(i);
            if (c != '%') {
                b.append(c);
                continue;
            }
            assertThat(i + 1).as("a specifier at the end of %s", word).isLessThan(word.length());
            char spec = word.charAt(++i);
            switch (spec) {
                case 'f' -> b.append(unescapePath(instance));
                case 'i' -> b.append(instance);
                case '%' -> b.append('%');
                default -> throw new AssertionError("specifier %" + spec + " in " + word + " is not one the tests know");
            }
        }
        return b.toString();
    }

    /** The words of a line: split at white space, double quotes keeping a word together. */
    private static List<String> words(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        boolean quoted = false;
        for (char c : line.toCharArray()) {
            if (c == '"') {
                quoted = !quoted;
                word = word == null ? new StringBuilder() : word;
            } else if (Character.isWhitespace(c) && !quoted) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
            } else {
                assertThat(c).as("no escapes or single quotes in %s", line).isNotIn('\\', '\'');
                word = word == null ? new StringBuilder() : word;
                word.append(c);
            }
        }
        assertThat(quoted).as("quotes of %s closed", line).isFalse();
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }
}
