package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;
import org.subhost.config.Confinement;
import org.subhost.config.DiskAttachment;
import org.subhost.config.Limits;
import org.subhost.config.RootKind;
import org.subhost.config.Share;

/**
 * The hand-written forms of what every boot and stop parses or formats (a NAME's check, the
 * state record's words, confinement and text, pid 1's start time in /proc/PID/stat) give
 * exactly what the regular expressions, splits and maps they replace gave: each old form is
 * kept here as it was and compared with the new one.
 */
class StateRecordFormsTest {

    @Property
    void aNameIsSafeExactlyWhenTheRegularExpressionSaysSo(
            @ForAll @StringLength(max = 14) @Chars({'a', 'Z', '0', '_', '.', '-', ' ', '/', '\n', 'é'}) String name) {
        assertThat(StateStore.isSafeName(name)).isEqualTo(StateStore.SAFE_NAME.matcher(name).matches());
    }

    @Test
    void theNameRuleAtItsEdges() {
        for (String name : List.of("", "a", "_", "9", ".a", "-a", "a.-_", "abcdefghijkl", "abcdefghijklm", "a/b",
                "a\n", "..", "Ä")) {
            assertThat(StateStore.isSafeName(name)).as(name).isEqualTo(StateStore.SAFE_NAME.matcher(name).matches());
        }
    }

    /** SubhostState.words as it was. */
    private static List<String> oldWords(String s) {
        List<String> out = new ArrayList<>();
        if (s != null) {
            for (String w : s.trim().split(" +")) {
                if (!w.isEmpty()) {
                    out.add(w);
                }
            }
        }
        return out;
    }

    @Property
    void theWordsOfALineAreWhatTheOldSplitGave(
            @ForAll @StringLength(max = 20) @Chars({'a', 'b', ' ', '\t', '=', '\n', '\u0001', '\u2003'}) String line) {
        assertThat(SubhostState.words(line)).isEqualTo(oldWords(line));
    }

    @Property
    void theConfinementsPartsAreWhatTheOldSplitGave(
            @ForAll @StringLength(max = 24) @Chars({'A', 'S', '_', '=', ' ', 'a', '-', '1'}) String line) {
        String text = line.trim();
        assertThat(SubhostState.confinementParts(text)).isEqualTo(List.of(text.split(" (?=[A-Z_]+=)")));
    }

    @Test
    void everyConfinementSurvivesItsLine() {
        for (Confinement c : List.of(Confinement.NONE, Confinement.DEFAULT,
                Confinement.DEFAULT.withCapabilities("admin -sys_ptrace").withSeccomp(false),
                Confinement.NONE.withFiles(true))) {
            String text = c.toString();
            assertThat(SubhostState.confinementParts(text)).isEqualTo(List.of(text.trim().split(" (?=[A-Z_]+=)")));
        }
    }

    /** SubhostState.format as it was: a map of keys in order, then its lines. */
    private static String oldFormat(SubhostState s) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("name", s.name());
        m.put("phase", s.phase().name().toLowerCase(java.util.Locale.ROOT));
        s.pid1().ifPresent(p -> {
            m.put("pid", Integer.toString(p.pid()));
            m.put("starttime", Long.toString(p.startTime()));
        });
        s.config().ifPresent(c -> m.put("config", c.toString()));
        m.put("log", s.log().toString());
        m.put("logoffset", Long.toString(s.logOffset()));
        m.put("live", s.live().toString());
        m.put("root", s.rootKind().name().toLowerCase(java.util.Locale.ROOT));
        m.put("netns", s.netns());
        m.put("links", String.join(" ", s.hostLinks()));
        m.put("ends", String.join(" ", s.cableEnds()));
        m.put("ifup", String.join(" ", s.ifupped()));
        m.putAll(s.cgroups().record());
        m.put("services", String.join(" ", s.services()));
        m.put("started", Long.toString(s.started().toEpochMilli()));
        for (int i = 0; i < s.disks().size(); i++) {
            m.put("disk" + (i + 1), s.disks().get(i).toString());
        }
        m.put("confinement", s.confinement().toString());
        for (int i = 0; i < s.shares().size(); i++) {
            m.put("share" + (i + 1), s.shares().get(i).hostPath() + "\t" + s.shares().get(i).subhostPath());
        }
        m.put("limits", s.limits().toString());
        s.upper().ifPresent(p -> m.put("upper", p.toString()));
        s.program().ifPresent(p -> m.put("program", p.toString()));
        StringBuilder b = new StringBuilder();
        m.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
        return b.toString();
    }

    @Test
    void aRecordsTextIsWhatTheOldFormGave() {
        SubhostState booting = SubhostState.builder("ex1").log(Path.of("/tmp/ex1.log")).live(Path.of("/ex1/live"))
                .rootKind(RootKind.PLAIN).build();
        SubhostState full = SubhostState.builder("mta").phase(SubhostState.Phase.RUNNING)
                .pid1(Optional.of(new ProcessIdentity(4242, 987654))).config(Optional.of(Path.of("/opt/mta/mta.conf")))
                .log(Path.of("/tmp/oly-mta.log")).logOffset(120).live(Path.of("/opt/mta/live"))
                .rootKind(RootKind.OVERLAY).hostLinks(List.of("mta0", "mta0.302"))
                .cableEnds(List.of("eth0", "eth0.302")).ifupped(List.of("mta0"))
                .cgroups(new SubhostGroups(Optional.of(Path.of("/sys/fs/cgroup/unified/mta")), Set.of("pids"),
                        Map.of("memory", Path.of("/sys/fs/cgroup/memory/mta"))))
                .services(List.of("networking", "/etc/init.d/postfix")).started(Instant.ofEpochMilli(1_700_000_000_123L))
                .disks(List.of(new DiskAttachment(Path.of("/mnt/a"), Path.of("/dev/loop3"), Path.of("/img/a")),
                        new DiskAttachment(Path.of("/mnt/b"), Path.of("/dev/loop4"), Path.of("/img/b"))))
                .confinement(Confinement.DEFAULT.withCapabilities("admin -sys_ptrace"))
                .shares(List.of(new Share(Path.of("/srv/a"), Path.of("/a")), new Share(Path.of("/srv/b"), Path.of("/b"))))
                .limits(Limits.DEFAULT).upper(Optional.of(Path.of("/opt/mta/upper")))
                .program(Optional.of(new SdkProgram.FileIdentity(1, 2))).build();
        for (SubhostState state : List.of(booting, full, full.withoutDisks(),
                full.running(new ProcessIdentity(7, 8), List.of("mta0.302")))) {
            assertThat(state.format()).isEqualTo(oldFormat(state));
            assertThat(SubhostState.parse(state.format())).isEqualTo(state);
        }
    }

    /** ProcessIdentity.startTime's reading of /proc/PID/stat as it was. */
    private static OptionalLong oldStartTime(String stat) {
        int close = stat.lastIndexOf(')');
        if (close < 0) {
            return OptionalLong.empty();
        }
        String[] fields = stat.substring(close + 2).trim().split(" ");
        if (fields.length < 20 || fields[0].equals("Z") || fields[0].equals("X")) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseLong(fields[19]));
        } catch (NumberFormatException e) {
            return OptionalLong.empty();
        }
    }

    @Provide
    Arbitrary<String> statLines() {
        Arbitrary<String> field = Arbitraries.oneOf(Arbitraries.longs().between(-5, 99_999_999).map(n -> Long.toString(n)),
                Arbitraries.of("", "-", "x1"));
        Arbitrary<String> state = Arbitraries.of("R", "S", "Z", "X", "D", "");
        Arbitrary<String> comm = Arbitraries.strings().withChars('a', ' ', '(', ')', '\n').ofMaxLength(8);
        return net.jqwik.api.Combinators.combine(Arbitraries.integers().between(1, 99999), comm, state,
                field.list().ofMinSize(15).ofMaxSize(24), Arbitraries.of("", " ", "\n", "  "))
                .as((pid, name, st, rest, end) -> pid + " (" + name + ") " + st + " " + String.join(" ", rest) + end);
    }

    @Property
    void theStartTimeIsWhatTheOldSplitGave(@ForAll("statLines") String stat) {
        assertThat(ProcessIdentity.startTimeOf(stat)).isEqualTo(oldStartTime(stat));
    }

    @Test
    void theStartTimeOfARealStatLineAndOfThisProcess() {
        String stat = "4242 (a) b) c) S 1 4242 4242 0 -1 4194560 150 0 0 0 1 2 0 0 20 0 1 0 987654 1000 20 0 0 0 0 0"
                + " 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";
        assertThat(ProcessIdentity.startTimeOf(stat)).isEqualTo(OptionalLong.of(987654));
        assertThat(ProcessIdentity.startTimeOf(stat.replace(" S ", " Z "))).isEmpty();
        // The one difference: a text that ends at the ')' is no stat line; the old form threw.
        assertThat(ProcessIdentity.startTimeOf("1 (a)")).isEmpty();
        int self = (int) ProcessHandle.current().pid();
        assertThat(ProcessIdentity.of(self)).isPresent();
        assertThat(ProcessIdentity.of(self).get().isAlive()).isTrue();
    }
}
