package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The manual pages in {@code docs/man} render without a warning, as {@code man -l} shows
 * them (or {@code groff -man} where man-db is missing), and every command's {@code --help}
 * starts with its usage line, which is the page's SYNOPSIS.
 */
class ManPagesTest {
    private static final Path MAN_DIR = findManDir();

    @ParameterizedTest
    @ValueSource(strings = {"overlay-boot", "overlay-stop", "overlay-go", "overlay-share", "overlay-list",
            "overlay-diskfile", "subhosts", "overlay-service", "overlay-limit"})
    void pageRendersWithoutWarnings(String command) throws IOException, InterruptedException {
        Path page = MAN_DIR.resolve(command + ".8");
        assertThat(page).as("manual page of %s", command).isRegularFile();
        List<String> renderer;
        if (onPath("man").isPresent()) {
            renderer = List.of("man", "-l", "-Tutf8", page.toString());
        } else {
            assumeTrue(onPath("groff").isPresent(), "neither man nor groff is installed, so no page can be rendered");
            renderer = List.of("groff", "-man", "-Tutf8", "-ww", page.toString());
        }
        Rendered r = render(renderer);
        assertThat(r.status()).as("%s exit status (stderr: %s)", renderer, r.err()).isZero();
        assertThat(r.err()).as("warnings of %s", renderer).isEmpty();
        // -Tutf8 output overstrikes bold letters (X\bX); the plain text is what a reader sees.
        // Justified lines stretch spaces; one space each is what the checks need.
        String text = r.out().replaceAll(".\b", "").replaceAll("[ \t]+", " ");
        assertThat(text).contains("SYNOPSIS", "NAME", command + " - ");
    }

    @Test
    void noPageSaysItsCommandIsMissing() throws IOException {
        // Every command of the family is implemented: no page may still say otherwise.
        try (var pages = Files.list(MAN_DIR)) {
            for (Path page : pages.toList()) {
                assertThat(Files.readString(page)).as(page.getFileName().toString())
                        .doesNotContain("not implemented");
            }
        }
    }

    @Test
    void overlayListDocumentsEveryJsonField() throws IOException {
        String source = Files.readString(MAN_DIR.resolve("overlay-list.8"));
        for (String field : List.of("name", "pid", "config", "started", "uptime_s", "root", "live", "log", "cgroup", "init_system",
                "cables", "host", "subhost", "mac", "bridge", "up", "services", "state", "phase", "main_pid", "restarts",
                "shares", "limits", "memory_max", "memory_high", "pids_max", "cpu_weight", "cpu_max", "io_weight",
                "disk_max", "usage", "memory_bytes", "memory_peak_bytes", "processes", "cpu_usec", "oom_kills")) {
            assertThat(source).as("field %s", field).containsPattern("(?m)^\\.BR? " + field + "( |$)");
        }
    }

    @Test
    void overlayBootDocumentsEveryVariable() throws IOException {
        String source = Files.readString(MAN_DIR.resolve("overlay-boot.8"));
        for (String variable : List.of("BASE", "NAME", "LOG", "CABLES", "LIVE", "UPPER", "WORK", "LOWER", "START",
                "PREMOUNT", "POSTMOUNT", "INIT", "RAM_SIZE", "SHARE", "MEMORY_MAX", "MEMORY_HIGH", "PIDS_MAX", "CPU_WEIGHT",
                "CPU_MAX", "IO_WEIGHT", "DISK_MAX", "DEVICES")) {
            assertThat(source).as("variable %s", variable).containsPattern("(?m)^\\.B " + variable + "$");
        }
        assertThat(source).contains("/run/subhost", "/run/netns", "EXIT STATUS", "EXAMPLES", ".SH FILES");
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlay-boot", "overlay-stop", "overlay-go", "overlay-share", "overlay-list", "subhosts",
            "overlay-diskfile", "overlay-service", "overlay-limit"})
    void helpStartsWithUsageAndThePageShowsTheSameOptions(String command) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = Cli.run(List.of(command, "--help"), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String help = out.toString(StandardCharsets.UTF_8);
        assertThat(status).isZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
        assertThat(help).startsWith("Usage: " + command);
        // Each option the help lists is in the page's OPTIONS too (roff writes - as \-).
        String page = Files.readString(MAN_DIR.resolve(command + ".8")).replace("\\-", "-");
        for (String option : List.of("--dry-run", "--grace", "--json", "--timeout", "--help")) {
            if (help.contains(option)) {
                assertThat(page).as("%s in the page of %s", option, command).contains(option);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"overlay-boot", "overlay-stop", "overlay-go", "overlay-share", "overlay-list", "subhosts",
            "overlay-diskfile", "overlay-service", "overlay-limit"})
    void helpsUsageLineIsThePagesSynopsis(String command) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int status = Cli.run(List.of(command, "--help"), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertThat(status).isZero();
        String usage = out.toString(StandardCharsets.UTF_8).lines().findFirst().orElseThrow();
        assertThat(usage).startsWith("Usage: ");
        assertThat(synopsis(Files.readString(MAN_DIR.resolve(command + ".8"))))
                .as("the first form of the SYNOPSIS of %s.8", command).isEqualTo(usage.substring("Usage: ".length()));
    }

    @Test
    void synopsisReadsTheFontMacrosAsRoffSetsThem() {
        String page = String.join("\n", ".SH NAME", "cmd \\- does", ".SH SYNOPSIS", ".B cmd", ".RB [ \\-\\-grace",
                ".IR SECONDS ]", ".I DIR NAME", ".RI [ ARGS ...]]", ".RB { a | b }", ".BI \"x \" y", ".br", ".B cmd",
                ".SH DESCRIPTION");
        assertThat(synopsis(page))
                .isEqualTo("cmd [--grace SECONDS] DIR NAME [ARGS...]] {a|b} x y");
    }

    /**
     * The first form of a page's SYNOPSIS (up to its first {@code .br}) as text: each font
     * macro line is one word; {@code .B} and {@code .I} join their arguments with spaces, the
     * alternating ones ({@code .BR}, {@code .RI}, ...) without; {@code \-} is a hyphen.
     */
    private static String synopsis(String page) {
        List<String> words = new ArrayList<>();
        boolean in = false;
        for (String line : page.lines().toList()) {
            if (line.startsWith(".SH")) {
                in = line.equals(".SH SYNOPSIS");
                continue;
            }
            if (!in) {
                continue;
            }
            if (line.equals(".br")) {
                break;
            }
            Matcher m = Pattern.compile("^\\.([BIR]{1,2})(?: (.*))?$").matcher(line);
            assertThat(m.matches()).as("SYNOPSIS line (%s) is a font macro", line).isTrue();
            List<String> args = new ArrayList<>();
            Matcher arg = Pattern.compile("\"([^\"]*)\"|(\\S+)")
                    .matcher(m.group(2) == null ? "" : m.group(2));
            while (arg.find()) {
                args.add(arg.group(1) != null ? arg.group(1) : arg.group(2));
            }
            words.add(String.join(m.group(1).length() == 1 ? " " : "", args).replace("\\-", "-"));
        }
        return String.join(" ", words);
    }

    private record Rendered(int status, String out, String err) {}

    private static Rendered render(List<String> command) throws IOException, InterruptedException {
        Path errFile = Files.createTempFile("subhost-man-", ".err");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectError(errFile.toFile());
            Map<String, String> env = pb.environment();
            // What a terminal-less reader gets: no pager, a fixed width, no kept escapes.
            env.remove("MAN_KEEP_FORMATTING");
            env.put("MANWIDTH", "80");
            env.put("MANPAGER", "cat");
            env.put("PAGER", "cat");
            Process p = pb.start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
            return new Rendered(p.exitValue(), out, Files.readString(errFile));
        } finally {
            Files.deleteIfExists(errFile);
        }
    }

    private static Optional<Path> onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** docs/man of this checkout, whether the tests run from the module or the top. */
    private static Path findManDir() {
        List<Path> tried = new ArrayList<>();
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolve("docs/man");
            tried.add(candidate);
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("no docs/man directory found; tried " + tried);
    }
}
