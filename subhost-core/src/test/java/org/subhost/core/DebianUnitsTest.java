package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The unit reader against every {@code .service} of a real Debian 12 tree ({@code
 * .ci/debian-tree}, made once with debootstrap and cached; making it needs root): each unit
 * reads into a service or a reason, and the one warning of a unit names exactly the
 * directives outside the subset, which a plain reading of the file finds independently.
 */
class DebianUnitsTest {
    private static final Pattern ASSIGNMENT = Pattern.compile("^([A-Za-z][A-Za-z0-9]*)=");

    @Test
    void everyServiceOfTheDebianTreeReadsAndExactlyTheUnsupportedDirectivesAreWarnedAbout() throws Exception {
        KernelFixture.requireRoot();
        Path tree = debianTree();
        List<Path> units;
        try (Stream<Path> files = Files.list(tree.resolve("usr/lib/systemd/system"))) {
            units = files.filter(p -> p.getFileName().toString().endsWith(".service")).sorted().toList();
        }
        assertThat(units).hasSizeGreaterThanOrEqualTo(15);
        List<String> read = new ArrayList<>();
        try (SubhostTree root = SubhostTree.open(tree)) {
            for (Path unit : units) {
                String file = unit.getFileName().toString();
                if (file.contains("@")) {
                    continue; // a template: START names no instance of one
                }
                UnitReader.Reading r = UnitReader.read(root, file, Duration.ofSeconds(30));
                Set<String> outside = outsideTheSubset(unit);
                List<String> warned = r.warnings().stream()
                        .filter(w -> w.contains(" starts without what these directives ask")).toList();
                if (outside.isEmpty()) {
                    assertThat(warned).as(file).isEmpty();
                } else {
                    assertThat(warned).as(file).hasSize(1);
                    assertThat(namedIn(warned.getFirst())).as(file).containsExactlyElementsOf(outside);
                }
                assertThat(r.spec().isPresent() || r.settled().orElseThrow().startsWith("skipped ("))
                        .as("%s reads into a service (or is skipped by a condition): %s", file, r).isTrue();
                read.add(file);
            }
        }
        assertThat(read).contains("rsyslog.service", "ssh.service", "cron.service", "postfix.service",
                "dovecot.service", "networking.service");
    }

    /** The directives of {@code unit} outside the subset, in file order, read line by line. */
    private static Set<String> outsideTheSubset(Path unit) throws Exception {
        Set<String> outside = new LinkedHashSet<>();
        String section = "";
        for (String line : Files.readAllLines(unit, StandardCharsets.UTF_8)) {
            String t = line.strip();
            if (t.startsWith("[")) {
                section = t.substring(1, t.indexOf(']'));
                continue;
            }
            Matcher m = ASSIGNMENT.matcher(t);
            if (!m.find() || section.equals("Install")) {
                continue;
            }
            String key = section + "." + m.group(1);
            if (!UnitReader.SUPPORTED.contains(key) && !UnitReader.WITHOUT_EFFECT.contains(key)) {
                outside.add(m.group(1));
            }
        }
        return outside;
    }

    /** The names a warning lists: {@code Name= (line N)} or {@code Name= (FILE:N)}. */
    private static Set<String> namedIn(String warning) {
        Set<String> names = new LinkedHashSet<>();
        Matcher m = Pattern.compile("(?:: |, )([A-Za-z0-9]+)= \\(").matcher(warning);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    /** The cached Debian tree, made once by {@code .ci/debian-tree} (its last line is the path). */
    static Path debianTree() throws Exception {
        Path script = Path.of("../.ci/debian-tree").toAbsolutePath().normalize();
        Path output = Files.createTempFile("subhost-debian-tree-", ".out");
        try {
            Process p = new ProcessBuilder(script.toString()).redirectErrorStream(true)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(output.toFile()).start();
            assertThat(p.waitFor(10, TimeUnit.MINUTES)).as(".ci/debian-tree finished").isTrue();
            List<String> lines = Files.readAllLines(output);
            assertThat(p.exitValue()).as(".ci/debian-tree: %s", lines).isZero();
            return Path.of(lines.getLast().trim());
        } finally {
            Files.deleteIfExists(output);
        }
    }
}
