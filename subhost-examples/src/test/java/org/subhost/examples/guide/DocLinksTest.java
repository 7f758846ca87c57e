package org.subhost.examples.guide;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every relative link of the Markdown files of this checkout ({@code README.md} and
 * {@code docs/}; a {@code *.draft.md} of README text links from the top, as README.md
 * does) names a file or directory that exists, and a {@code #fragment} into a
 * Markdown file names one of its headings (as GitHub makes anchors: lower case, spaces to
 * {@code -}, punctuation other than {@code -} and {@code _} dropped).
 */
class DocLinksTest {
    // [text](target) and [text](target "title"); images too. Code spans are removed first.
    private static final Pattern LINK = Pattern.compile("\\[[^\\]]*\\]\\(([^)\\s]+)(?:\\s+\"[^\"]*\")?\\)");

    @Test
    void everyRelativeLinkOfTheDocsResolves() throws IOException {
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (Path file : markdownFiles()) {
            List<String> lines = Files.readAllLines(file);
            boolean fenced = false;
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.strip().startsWith("```")) {
                    fenced = !fenced;
                    continue;
                }
                if (fenced || line.startsWith("    ")) {
                    continue;
                }
                Matcher m = LINK.matcher(line.replaceAll("`[^`]*`", ""));
                while (m.find()) {
                    String target = m.group(1);
                    if (target.matches("[a-z]+:.*")) {
                        continue; // https:, mailto:, man: and the like are not files
                    }
                    checked++;
                    String problem = check(file, target);
                    if (problem != null) {
                        problems.add(Checkout.root().relativize(file) + ":" + (i + 1) + ": " + target + ": " + problem);
                    }
                }
            }
        }
        assertThat(checked).as("relative links checked").isGreaterThanOrEqualTo(10);
        assertThat(problems).isEmpty();
    }

    @Test
    void anchorsFollowGitHubsRule() {
        assertThat(anchor("Boot: a plan applied with rollback")).isEqualTo("boot-a-plan-applied-with-rollback");
        assertThat(anchor("pid 1 (`subhost-init`)")).isEqualTo("pid-1-subhost-init");
        assertThat(anchor("The `.conf` file")).isEqualTo("the-conf-file");
    }

    /** Why {@code target}, linked from {@code file}, does not resolve; null when it does. */
    private static String check(Path file, String target) throws IOException {
        int hash = target.indexOf('#');
        String path = hash < 0 ? target : target.substring(0, hash);
        String fragment = hash < 0 ? null : target.substring(hash + 1);
        // A draft of README text links as README.md does: from the top of the checkout.
        Path from = file.getFileName().toString().endsWith(".draft.md") ? Checkout.root() : file.getParent();
        Path resolved = path.isEmpty() ? file : from.resolve(path).normalize();
        if (!resolved.startsWith(Checkout.root())) {
            return "leaves the checkout";
        }
        if (!Files.exists(resolved)) {
            return "no such file";
        }
        if (fragment != null && resolved.toString().endsWith(".md") && !anchors(resolved).contains(fragment)) {
            return "no heading with anchor #" + fragment + " in " + Checkout.root().relativize(resolved);
        }
        return null;
    }

    private static Set<String> anchors(Path markdown) throws IOException {
        Set<String> anchors = new HashSet<>();
        boolean fenced = false;
        for (String line : Files.readAllLines(markdown)) {
            if (line.strip().startsWith("```")) {
                fenced = !fenced;
            } else if (!fenced && line.matches("#{1,6} .*")) {
                anchors.add(anchor(line.replaceFirst("#{1,6} ", "")));
            }
        }
        return anchors;
    }

    static String anchor(String heading) {
        return heading.strip().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-');
    }

    private static List<Path> markdownFiles() throws IOException {
        List<Path> files = new ArrayList<>();
        files.add(Checkout.root().resolve("README.md"));
        try (Stream<Path> all = Files.walk(Checkout.root().resolve("docs"))) {
            all.filter(p -> p.toString().endsWith(".md")).sorted().forEach(files::add);
        }
        return files;
    }
}
