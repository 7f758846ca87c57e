package org.subhost.examples.guide;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every Java block of the Markdown files under {@code docs/} is a quote of a source file
 * that the build compiles: the line before the block is {@code <!-- source: PATH -->} (the
 * whole file) or {@code <!-- source: PATH#REGION -->} (the lines between {@code // guide:begin
 * REGION} and {@code // guide:end REGION}, without their common indentation), and the block
 * is exactly that text. So the guide cannot drift from the code.
 */
class GuideCodeBlocksTest {
    private static final Pattern SOURCE = Pattern.compile("<!-- source: ([^#\\s]+)(?:#(\\S+))? -->");

    /** One fenced Java block of a Markdown file, with the source marker above it, if any. */
    record Block(Path file, int line, String marker, String code) {}

    @Test
    void everyJavaBlockOfTheDocsIsAQuoteOfACompiledSourceFile() throws IOException {
        List<Block> blocks = javaBlocks();
        assertThat(blocks).as("Java blocks in docs/").hasSizeGreaterThanOrEqualTo(4);
        List<String> problems = new ArrayList<>();
        for (Block b : blocks) {
            String where = Checkout.root().relativize(b.file()) + ":" + b.line();
            Matcher m = SOURCE.matcher(b.marker() == null ? "" : b.marker());
            if (!m.matches()) {
                problems.add(where + ": no <!-- source: PATH[#REGION] --> line right above the block");
                continue;
            }
            Path source = Checkout.root().resolve(m.group(1));
            if (!source.startsWith(Checkout.root().resolve("subhost-examples/src/main/java")) || !Files.isRegularFile(source)) {
                problems.add(where + ": " + m.group(1) + " is no source file of subhost-examples/src/main/java");
                continue;
            }
            String quoted = m.group(2) == null ? Files.readString(source) : region(source, m.group(2));
            if (quoted == null) {
                problems.add(where + ": " + m.group(1) + " has no region " + m.group(2));
            } else if (!quoted.equals(b.code())) {
                problems.add(where + ": the block differs from " + m.group(1) + (m.group(2) == null ? "" : "#" + m.group(2)));
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void everyGuideExampleIsQuotedInTheDocs() throws IOException {
        Set<String> quoted = new HashSet<>();
        for (Block b : javaBlocks()) {
            Matcher m = SOURCE.matcher(b.marker() == null ? "" : b.marker());
            if (m.matches()) {
                quoted.add(m.group(1));
            }
        }
        Path dir = Checkout.root().resolve("subhost-examples/src/main/java/org/subhost/examples/guide");
        try (Stream<Path> files = Files.list(dir)) {
            List<String> examples = files.map(p -> Checkout.root().relativize(p).toString())
                    .filter(p -> !p.endsWith("package-info.java")).sorted().toList();
            assertThat(examples).isNotEmpty();
            assertThat(quoted).containsAll(examples);
        }
    }

    @Test
    void aRegionIsTheTextBetweenItsMarkersWithoutTheirCommonIndentation() throws IOException {
        Path file = Files.createTempFile("guide-region-", ".java");
        try {
            Files.writeString(file, """
                    class A {
                        void f() {
                            // guide:begin body
                            int a = 1;
                              int b = 2;
                            // guide:end body
                        }
                    }
                    """);
            assertThat(region(file, "body")).isEqualTo("int a = 1;\n  int b = 2;\n");
            assertThat(region(file, "other")).isNull();
        } finally {
            Files.delete(file);
        }
    }

    /** The lines between the markers of {@code name}, dedented; null when there is no such region. */
    static String region(Path source, String name) throws IOException {
        List<String> lines = Files.readAllLines(source);
        int begin = -1;
        for (int i = 0; i < lines.size(); i++) {
            String t = lines.get(i).strip();
            if (t.equals("// guide:begin " + name)) {
                begin = i + 1;
            } else if (t.equals("// guide:end " + name) && begin >= 0) {
                List<String> body = lines.subList(begin, i);
                int indent = body.stream().filter(l -> !l.isBlank())
                        .mapToInt(l -> l.length() - l.stripLeading().length()).min().orElse(0);
                StringBuilder out = new StringBuilder();
                for (String l : body) {
                    out.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
                }
                return out.toString();
            }
        }
        return null;
    }

    /** Every ```java block of every Markdown file under docs/. */
    static List<Block> javaBlocks() throws IOException {
        List<Block> blocks = new ArrayList<>();
        List<Path> files;
        try (Stream<Path> all = Files.walk(Checkout.root().resolve("docs"))) {
            files = all.filter(p -> p.toString().endsWith(".md")).sorted().toList();
        }
        for (Path file : files) {
            List<String> lines = Files.readAllLines(file);
            for (int i = 0; i < lines.size(); i++) {
                if (!lines.get(i).strip().equals("```java")) {
                    continue;
                }
                String marker = i > 0 ? lines.get(i - 1).strip() : null;
                StringBuilder code = new StringBuilder();
                int j = i + 1;
                while (j < lines.size() && !lines.get(j).strip().equals("```")) {
                    code.append(lines.get(j)).append('\n');
                    j++;
                }
                blocks.add(new Block(file, i + 1, marker, code.toString()));
                i = j;
            }
        }
        return blocks;
    }
}
