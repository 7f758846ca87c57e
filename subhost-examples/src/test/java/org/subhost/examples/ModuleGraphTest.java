package org.subhost.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.subhost.examples.guide.Checkout;

/**
 * The module graph as the code declares it is the one docs/architecture.md draws: each
 * module's {@code module-info.java} requires and exports exactly what the table of modules
 * says (a qualified export as {@code `PACKAGE` (exported to `MODULE` only)}); the examples
 * read nothing but the API; the BOM pins exactly the published modules,
 * at the parent's version.
 */
class ModuleGraphTest {
    private static final Path ROOT = Checkout.root();

    /** One row of the table of modules. */
    private record Row(String directory, String module, Set<String> exported, Set<String> exportedTo, Set<String> requires,
            boolean published) {}

    @Test
    void eachModuleRequiresAndExportsWhatTheArchitectureSays() throws IOException {
        List<Row> rows = table();
        assertThat(rows).extracting(Row::directory).as("the modules of the table")
                .containsExactlyInAnyOrderElementsOf(reactorModules());
        for (Row row : rows) {
            Path info = ROOT.resolve(row.directory() + "/src/main/java/module-info.java");
            if (row.module().isEmpty()) {
                assertThat(info).as("%s has no JPMS module", row.directory()).doesNotExist();
                continue;
            }
            String source = withoutComments(Files.readString(info));
            assertThat(first(source, "module\\s+([\\w.]+)")).as("the module of %s", row.directory()).isEqualTo(row.module());
            assertThat(all(source, "requires\\s+(?:transitive\\s+|static\\s+)*([\\w.]+)\\s*;"))
                    .as("what %s requires", row.module()).isEqualTo(row.requires());
            assertThat(all(source, "exports\\s+([\\w.]+)\\s*;")).as("what %s exports", row.module()).isEqualTo(row.exported());
            Set<String> qualified = new TreeSet<>();
            Matcher m = Pattern.compile("exports\\s+([\\w.]+)\\s+to\\s+([\\w.,\\s]+);").matcher(source);
            while (m.find()) {
                for (String target : m.group(2).split(",")) {
                    qualified.add(m.group(1) + " to " + target.strip());
                }
            }
            assertThat(qualified).as("what %s exports to named modules only", row.module()).isEqualTo(row.exportedTo());
        }
    }

    @Test
    void theExamplesImportNothingButTheApi() throws IOException {
        List<String> outside = new ArrayList<>();
        try (Stream<Path> files = Files.walk(ROOT.resolve("subhost-examples/src/main/java"))) {
            for (Path file : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = Pattern.compile("\\b(org\\.subhost(?:\\.\\w+)*)\\.[A-Z]\\w*").matcher(Files.readString(file));
                while (m.find()) {
                    String pkg = m.group(1);
                    if (!pkg.equals("org.subhost") && !pkg.equals("org.subhost.config") && !pkg.startsWith("org.subhost.examples")) {
                        outside.add(ROOT.relativize(file) + ": " + m.group());
                    }
                }
            }
        }
        assertThat(outside).as("references to packages other than the API's").isEmpty();
    }

    @Test
    void theBomPinsExactlyThePublishedLibraryModulesAtTheParentsVersion() throws IOException {
        String bom = Files.readString(ROOT.resolve("subhost-bom/pom.xml"));
        String parent = Files.readString(ROOT.resolve("pom.xml"));
        Set<String> pinned = all(bom.substring(bom.indexOf("<dependencyManagement>")), "<artifactId>([^<]+)</artifactId>");
        Set<String> library = new TreeSet<>();
        for (Row row : table()) {
            if (row.published() && !row.module().isEmpty()) {
                library.add(row.directory());
            }
        }
        assertThat(pinned).isEqualTo(library);
        assertThat(first(bom, "<artifactId>subhost-bom</artifactId>\\s*<version>([^<]+)</version>"))
                .isEqualTo(first(parent, "<artifactId>subhost-parent</artifactId>\\s*<version>([^<]+)</version>"));
        for (Row row : table()) {
            String pom = Files.readString(ROOT.resolve(row.directory() + "/pom.xml"));
            assertThat(pom.contains("<maven.deploy.skip>true</maven.deploy.skip>"))
                    .as("%s is %spublished", row.directory(), row.published() ? "" : "not ").isEqualTo(!row.published());
        }
    }

    /** The rows of the table under "## Modules" in docs/architecture.md. */
    private static List<Row> table() throws IOException {
        String doc = Files.readString(ROOT.resolve("docs/architecture.md"));
        String section = doc.substring(doc.indexOf("## Modules"));
        List<Row> rows = new ArrayList<>();
        for (String line : section.lines().takeWhile(l -> !l.startsWith("Dependencies")).toList()) {
            String[] cells = line.split("\\|");
            if (cells.length < 7 || !cells[1].trim().startsWith("subhost-")) {
                continue;
            }
            String module = cells[2].contains("`") ? first(cells[2], "`([^`]+)`") : "";
            Set<String> exportedTo = new TreeSet<>();
            Matcher to = Pattern.compile("`([\\w.]+)` \\(exported to `([\\w.]+)`").matcher(cells[3]);
            while (to.find()) {
                exportedTo.add(to.group(1) + " to " + to.group(2));
            }
            rows.add(new Row(cells[1].trim(), module, all(cells[3], "\\*\\*`([^`]+)`\\*\\*"), exportedTo,
                    all(cells[4], "`([^`]+)`"), cells[5].trim().startsWith("yes")));
        }
        return rows;
    }

    /** The modules of the parent POM's reactor. */
    private static Set<String> reactorModules() throws IOException {
        return all(Files.readString(ROOT.resolve("pom.xml")), "<module>([^<]+)</module>");
    }

    private static String withoutComments(String source) {
        return source.replaceAll("(?s)/\\*.*?\\*/", "").replaceAll("//[^\n]*", "");
    }

    private static String first(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertThat(m.find()).as("%s in %s", regex, text.length() > 80 ? text.substring(0, 80) + "..." : text).isTrue();
        return m.group(1);
    }

    private static Set<String> all(String text, String regex) {
        Set<String> found = new TreeSet<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            found.add(m.group(1));
        }
        return found;
    }
}
