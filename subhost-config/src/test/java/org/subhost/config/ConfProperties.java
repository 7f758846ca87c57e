package org.subhost.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Properties of the reader: a configuration written as {@code VAR=value} lines reads back
 * as itself, and no input whatever makes the reader throw anything but ConfigException.
 */
class ConfProperties {
    private static Path dir;

    @BeforeContainer
    static void makeDirectory() throws IOException {
        dir = Files.createTempDirectory("conf-properties").toRealPath();
        Files.createDirectories(dir.resolve("sub"));
        Files.writeString(dir.resolve("plain"), "not a directory");
    }

    @AfterContainer
    static void removeDirectory() throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    @Property(tries = 400, maxDiscardRatio = 10)
    void anyValidConfigurationSurvivesWriteThenRead(
            @ForAll("names") String name,
            @ForAll("paths") Optional<String> log,
            @ForAll("cables") List<CableSpec> cables,
            @ForAll("paths") Optional<String> live,
            @ForAll("paths") Optional<String> upper,
            @ForAll("paths") Optional<String> work,
            @ForAll("paths") Optional<String> lower,
            @ForAll("starts") Optional<List<String>> start,
            @ForAll("commands") List<Optional<String>> commands,
            @ForAll("ramSizes") String ramSize,
            @ForAll("shares") List<Share> shares,
            @ForAll("noise") List<String> noise,
            @ForAll("limits") Limits limits,
            @ForAll("devices") List<DeviceRule> devices,
            @ForAll Random random) throws Exception {
        SubhostConfig model;
        try {
            SubhostConfig.Builder b = SubhostConfig.builder(name, dir).cables(cables).ramSize(ramSize).shares(shares)
                    .premount(commands.get(0)).postmount(commands.get(1)).init(commands.get(2)).limits(limits)
                    .devices(devices);
            log.map(Path::of).ifPresent(b::log);
            live.map(Path::of).ifPresent(b::live);
            upper.map(Path::of).ifPresent(b::upper);
            work.map(Path::of).ifPresent(b::work);
            lower.map(Path::of).ifPresent(b::lower);
            start.ifPresent(b::start);
            model = b.build();
        } catch (IllegalArgumentException e) {
            Assume.that(false); // a VLAN without carrier, a name too long for its cables, LIVE == UPPER
            return;
        }
        Path conf = dir.resolve("roundtrip.conf");
        Files.write(conf, shuffledWithNoise(model.describe(), noise, random), StandardCharsets.UTF_8);

        SubhostConfig read = SubhostConfig.read(conf, "overlay-boot");

        assertThat(read.describe()).isEqualTo(model.describe());
        assertThat(read).isEqualTo(model.toBuilder().file(conf).build());
        assertThat(read.cables()).isEqualTo(model.cables());
    }

    /**
     * The lines in another order (SHARE lines keeping theirs), with lines that are no
     * assignment mixed in, and later assignments that must not count: {@code !false}
     * would fail if it were run.
     */
    private static List<String> shuffledWithNoise(List<String> described, List<String> noise, Random random) {
        List<String> assignments = new ArrayList<>(described.stream().filter(l -> !l.startsWith("SHARE=")).toList());
        Collections.shuffle(assignments, random);
        List<String> lines = new ArrayList<>(assignments);
        int position = 0;
        for (String share : described.stream().filter(l -> l.startsWith("SHARE=")).toList()) {
            position += random.nextInt(lines.size() - position + 1);
            lines.add(position++, share);
        }
        for (String line : noise) {
            lines.add(random.nextInt(lines.size() + 1), line);
        }
        for (String assignment : assignments) {
            if (random.nextBoolean()) {
                lines.add(assignment.substring(0, assignment.indexOf('=') + 1) + "!false");
            }
        }
        return lines;
    }

    @Property(tries = 1000)
    void anyLinesGiveAConfigurationOrAConfigException(@ForAll("lines") List<String> lines, @ForAll boolean withBase)
            throws IOException {
        Path conf = dir.resolve("lines.conf");
        List<String> content = new ArrayList<>(lines);
        if (withBase) {
            content.addFirst("BASE=.");
        }
        Files.write(conf, content, StandardCharsets.UTF_8);
        assertReadsOrRejects(conf);
        // Not vacuous: some inputs get through, others fail on various variables.
        Statistics.coverage(coverage -> {
            coverage.check("configuration").percentage(p -> p > 10);
            coverage.check("CABLES").percentage(p -> p > 1);
            coverage.check("BASE").percentage(p -> p > 1);
        });
    }

    @Property(tries = 1000)
    void anyBytesGiveAConfigurationOrAConfigException(@ForAll byte[] bytes, @ForAll boolean withBase) throws IOException {
        Path conf = dir.resolve("bytes.conf");
        byte[] prefix = withBase ? "BASE=.\n".getBytes(StandardCharsets.US_ASCII) : new byte[0];
        byte[] content = new byte[prefix.length + bytes.length];
        System.arraycopy(prefix, 0, content, 0, prefix.length);
        System.arraycopy(bytes, 0, content, prefix.length, bytes.length);
        Files.write(conf, content);
        assertReadsOrRejects(conf);
    }

    /**
     * Reads with a stand-in for the shell, so that random text is never run: it "prints"
     * the command itself, or fails for some.
     */
    private static void assertReadsOrRejects(Path conf) {
        ValueCommandRunner echo = (command, directory, config, action) -> {
            if (command.hashCode() % 4 == 0) {
                throw new ValueCommandException("failed with exit status 1");
            }
            return command;
        };
        try {
            SubhostConfig c = ConfReader.read(conf, "overlay-boot", echo);
            assertThat(c.describe()).first().asString().startsWith("NAME=");
            assertThat(c.base()).isAbsolute();
            Statistics.collect("configuration");
        } catch (ConfigException e) {
            assertThat(e.file()).isEqualTo(conf);
            assertThat(e.getMessage()).startsWith(conf + ":");
            Statistics.collect(e.variable().orElse("no variable"));
        }
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z').withCharRange('0', '9')
                .withChars("_.-").ofMinLength(1).ofMaxLength(12)
                .filter(n -> !n.startsWith(".") && !n.startsWith("-"));
    }

    @Provide
    Arbitrary<Optional<String>> paths() {
        Arbitrary<String> segment = Arbitraries.strings().withCharRange('a', 'z').withChars("._-é ").ofMinLength(1)
                .ofMaxLength(8).filter(s -> Rules.trim(s).equals(s));
        Arbitrary<String> relative = segment.list().ofMinSize(1).ofMaxSize(3).map(l -> String.join("/", l));
        return Arbitraries.oneOf(relative, relative.map(p -> "/" + p)).optional(0.5);
    }

    @Provide
    Arbitrary<List<CableSpec>> cables() {
        Arbitrary<Optional<String>> bridge = Arbitraries.strings().withCharRange('a', 'z').withCharRange('0', '9')
                .withChars("-_").ofMinLength(1).ofMaxLength(15).optional(0.5);
        Arbitrary<Optional<MacAddress>> mac = Arbitraries.longs().between(1, (1L << 48) - 1)
                .map(v -> v & ~(1L << 40)).filter(v -> v != 0).map(MacAddress::new).optional(0.5);
        Arbitrary<CableSpec> veth = Combinators.combine(bridge, mac).as(CableSpec::veth);
        Arbitrary<CableSpec> vlan = net.jqwik.api.Combinators
                .combine(Arbitraries.integers().between(1, 4095), bridge).as(CableSpec::vlan);
        return Arbitraries.frequencyOf(Tuple.of(3, veth), Tuple.of(1, vlan)).list().ofMaxSize(4);
    }

    @Provide
    Arbitrary<Optional<List<String>>> starts() {
        Arbitrary<String> service = Arbitraries.oneOf(
                Arbitraries.strings().withCharRange('a', 'z').withChars("@-_.").ofMinLength(1).ofMaxLength(10),
                Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1).ofMaxLength(6).map(s -> "/etc/init.d/" + s))
                .filter(s -> !s.equals("none"));
        return service.list().ofMaxSize(3).optional(0.7);
    }

    @Provide
    Arbitrary<List<Optional<String>>> commands() {
        Arbitrary<String> command = Arbitraries.strings().withCharRange(' ', '~').withChars("éß").ofMinLength(1)
                .ofMaxLength(30).filter(s -> Rules.trim(s).equals(s) && !s.isEmpty() && !s.startsWith("!"));
        return command.optional(0.5).list().ofSize(3);
    }

    @Provide
    Arbitrary<String> ramSizes() {
        return Arbitraries.oneOf(Arbitraries.just("none"),
                Combinators.combine(Arbitraries.integers().between(0, 100000),
                        Arbitraries.of("", "k", "K", "m", "M", "g", "G", "%")).as((n, unit) -> n + unit));
    }

    @Provide
    Arbitrary<Limits> limits() {
        Arbitrary<String> size = Arbitraries.oneOf(Arbitraries.just("none"), Combinators.combine(
                Arbitraries.longs().between(1, 1L << 40), Arbitraries.of("", "k", "M", "g", "T")).as((n, unit) -> n + unit)
                );
        Arbitrary<String> pids = Arbitraries.oneOf(Arbitraries.just("none"),
                Arbitraries.longs().between(1, Limits.MAX_PIDS).map(Object::toString));
        Arbitrary<String> weight = Arbitraries.integers().between(1, Limits.MAX_WEIGHT).map(Object::toString);
        Arbitrary<String> percent = Arbitraries.oneOf(Arbitraries.just("none"),
                Arbitraries.integers().between(1, Limits.MAX_CPU_PERCENT).map(p -> p + "%"));
        Arbitrary<String> safeSize = size.filter(text -> {
            try {
                Limits.size("X", text);
                return true;
            } catch (IllegalArgumentException e) {
                return false; // past 8 EiB
            }
        });
        return Combinators.combine(safeSize, safeSize, pids, weight, percent, weight, safeSize)
                .as((memoryMax, memoryHigh, pidsMax, cpuWeight, cpuMax, ioWeight, diskMax) -> Limits.DEFAULT
                        .with("MEMORY_MAX", memoryMax).with("MEMORY_HIGH", memoryHigh).with("PIDS_MAX", pidsMax)
                        .with("CPU_WEIGHT", cpuWeight).with("CPU_MAX", cpuMax).with("IO_WEIGHT", ioWeight)
                        .with("DISK_MAX", diskMax));
    }

    @Provide
    Arbitrary<List<DeviceRule>> devices() {
        Arbitrary<String> number = Arbitraries.oneOf(Arbitraries.just("*"),
                Arbitraries.integers().between(0, 4095).map(Object::toString));
        Arbitrary<String> access = Arbitraries.of("", ":r", ":w", ":m", ":rw", ":wm", ":rm", ":rwm", ":mwr");
        Arbitrary<String> numbers = Combinators.combine(Arbitraries.of("c", "b"), number, number, access)
                .as((type, major, minor, a) -> type + ":" + major + ":" + minor + a);
        Arbitrary<String> node = Combinators.combine(Arbitraries.strings().withCharRange('a', 'z').ofMinLength(1)
                .ofMaxLength(8), access).as((name, a) -> "/dev/" + name + a);
        return Arbitraries.oneOf(numbers, node).map(DeviceRule::parse).list().ofMaxSize(3);
    }

    @Provide
    Arbitrary<List<Share>> shares() {
        Arbitrary<Path> absolute = Arbitraries.strings().withCharRange('a', 'z').withChars("._-").ofMinLength(1)
                .ofMaxLength(6).list().ofMaxSize(3).map(l -> Path.of("/" + String.join("/", l)));
        return Combinators.combine(absolute, absolute).as(Share::new).list().ofMaxSize(3);
    }

    @Provide
    Arbitrary<List<String>> noise() {
        return Arbitraries.of("# NAME=comment", "#BASE=/nonexistent", "NAME =spaced", " LOWER=/indented", "name=lower",
                "FOO=bar", "", "   ", "just words", "SHARES=/x", "START_X=1").list().ofMaxSize(5);
    }

    @Provide
    Arbitrary<List<String>> lines() {
        Arbitrary<String> value = Arbitraries.strings()
                .withChars(" \t\r!:/.=%#-_\0\u000b,;'\"$()é\u2028")
                .withCharRange('a', 'f').withCharRange('0', '9').withCharRange('A', 'Z').ofMaxLength(25);
        Arbitrary<String> variable = Arbitraries.of("BASE", "NAME", "LOG", "CABLES", "LIVE", "UPPER", "WORK", "LOWER",
                "START", "PREMOUNT", "POSTMOUNT", "INIT", "RAM_SIZE", "SHARE", "FOO", "MEMORY_MAX", "PIDS_MAX",
                "CPU_MAX", "DEVICES");
        Arbitrary<String> assignment = Combinators.combine(variable, value).as((v, x) -> v + "=" + x);
        Arbitrary<String> base = Arbitraries.of("BASE=.", "BASE=sub", "BASE=/", "BASE=plain", "BASE=nope", "BASE=..",
                "BASE=!x", "BASE=");
        Arbitrary<String> cable = Arbitraries.of("=", "br0=", "=.1", "=.4096", "=06:20:03:4e:a6:f2", "=ff:ff:ff:ff:ff:ff",
                "x", "=.", "a:b=", "=1:2:3:4:5:6:7").list().ofMaxSize(4).map(l -> "CABLES=" + String.join(" ", l));
        Arbitrary<String> other = Arbitraries.strings().ofMaxLength(30);
        return Arbitraries.frequencyOf(Tuple.of(5, assignment), Tuple.of(2, base), Tuple.of(2, cable), Tuple.of(1, other))
                .list().ofMaxSize(12);
    }
}
