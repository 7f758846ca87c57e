package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.config.Share;

/**
 * The index of subhost trees as a journal: what its lines replay to is what the index said
 * when it was rewritten whole at each change, read whole or from where this JVM stopped;
 * a line still being written is not read; a compaction keeps every active entry and every
 * stopped one whose BASE exists; writers from many threads at once lose nothing. On a
 * state directory of the test's own (no root needed).
 */
class TreeIndexTest {
    private Path state;
    private Path bases;
    private TreeIndex index;

    @BeforeEach
    void makeDirectories() throws IOException {
        state = Files.createTempDirectory("tree-index-state-").toRealPath();
        bases = Files.createTempDirectory("tree-index-bases-").toRealPath();
        index = new TreeIndex(state, Optional.empty());
    }

    @AfterEach
    void removeDirectories() throws IOException {
        TreeIndex.forgetReplays();
        for (Path dir : List.of(state, bases)) {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** The trees of a subhost with BASE {@code bases/name} (made when {@code make}), LOWER / and LOG in BASE. */
    private SubhostTrees trees(String name, boolean make) throws IOException {
        Path base = bases.resolve(name);
        if (make) {
            Files.createDirectories(base);
        }
        return new SubhostTrees(name, 0, SubhostTrees.Phase.ACTIVE, List.of(
                new SubhostTrees.Tree(SubhostTrees.Role.BASE, base, 0),
                new SubhostTrees.Tree(SubhostTrees.Role.LIVE, base.resolve("live"), 0),
                new SubhostTrees.Tree(SubhostTrees.Role.UPPER, base.resolve("root"), 0),
                new SubhostTrees.Tree(SubhostTrees.Role.WORK, base.resolve("work"), 0),
                new SubhostTrees.Tree(SubhostTrees.Role.LOWER, Path.of("/"), 2049),
                new SubhostTrees.Tree(SubhostTrees.Role.LOG, base.resolve("log"), 0),
                new SubhostTrees.Tree(SubhostTrees.Role.LOG_ROTATED, base.resolve("log.1"), 0)), List.of(), List.of());
    }

    /** Registers {@code entry}, recording that it hides {@code bases} whole, as a boot's plan would. */
    private TreeIndex.Snapshot register(SubhostTrees entry) throws IOException {
        return index.register(entry, (self, with) -> self.hidingWhole(List.of(bases)));
    }

    private List<String> fileLines() throws IOException {
        return Files.readAllLines(state.resolve(TreeIndex.FILE));
    }

    /** What a JVM that never read the index reads. */
    private TreeIndex.Snapshot cold() throws IOException {
        TreeIndex.forgetReplays();
        return index.read();
    }

    @Test
    void theJournalReplaysToWhatTheWholeFileSaidAtEachChange() throws Exception {
        // The index as it was when every change rewrote it whole: a list in the order
        // registered, a registration replacing its NAME's line at the end, a stop or a
        // share changing the line in place.
        Map<String, SubhostTrees> whole = new LinkedHashMap<>();
        long next = 1;
        Share share = new Share(Path.of("/srv/mail"), Path.of("/var/mail"));
        List<String> script = List.of("+a", "+b", "ca", "+c", "-b", "sa", "+b", "cb", "-a", "ca", "-a", "+d", "-zz",
                "-c", "+c", "ua", "cc");
        for (String step : script) {
            String name = step.substring(1);
            switch (step.charAt(0)) {
                case '+' -> {
                    register(trees(name, true));
                    whole.remove(name);
                    whole.put(name, trees(name, true).with(next++, SubhostTrees.Phase.ACTIVE)
                            .hidingWhole(List.of(bases)));
                }
                case '-' -> {
                    index.stopped(name);
                    whole.computeIfPresent(name, (n, e) -> e.with(e.seq(), SubhostTrees.Phase.STOPPED));
                }
                case 'c' -> {
                    // How far its carry read: a line for an active entry only.
                    index.carry(name, whole.get(name).seq());
                    long through = next - 1;
                    whole.computeIfPresent(name, (n, e) -> e.active() ? e.carried(through) : e);
                }
                case 's' -> {
                    // A live share's line is the whole entry: how far its carry read is
                    // no longer known (the share hid what it shows; later boots enter).
                    index.update(name, e -> e.withShare(share));
                    whole.computeIfPresent(name, (n, e) -> e.withShare(share).carried(SubhostTrees.NOT_KNOWN));
                }
                default -> {
                    index.update(name, e -> e.withoutShare(share));
                    whole.computeIfPresent(name, (n, e) -> e.withoutShare(share).carried(SubhostTrees.NOT_KNOWN));
                }
            }
            assertThat(index.read().entries()).as("after %s, read on from where this JVM stopped", step)
                    .containsExactlyElementsOf(whole.values());
        }
        TreeIndex.Snapshot cold = cold();
        assertThat(cold.entries()).as("read whole").containsExactlyElementsOf(whole.values());
        assertThat(cold.next()).isEqualTo(next);
        assertThat(fileLines()).as("one line per change: a stop is a line of its own; no carry of a stopped one")
                .hasSize(1 + script.size() - 1)
                .contains("name=b\tseq=0\tphase=stopped");
    }

    /** {@code name}'s trees as a boot registers them. */
    private SubhostTrees booting(String name) throws IOException {
        return trees(name, true);
    }

    @Test
    void aCarrysLineSaysHowFarItReadOfItsOwnEntryOnly() throws Exception {
        register(booting("a"));
        register(booting("b"));

        TreeIndex.Snapshot read = index.carry("a", 1);

        assertThat(read.entries()).as("as read, before its line").extracting(SubhostTrees::name, SubhostTrees::carried)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("a", SubhostTrees.NOT_KNOWN),
                        org.assertj.core.groups.Tuple.tuple("b", SubhostTrees.NOT_KNOWN));
        assertThat(fileLines().getLast()).isEqualTo("name=a\tseq=2\tphase=active");
        assertThat(index.read().get("a").orElseThrow().carried()).as("read on").isEqualTo(2);
        assertThat(cold().get("a").orElseThrow().carried()).as("read whole").isEqualTo(2);
        assertThat(cold().get("b").orElseThrow().carried()).isEqualTo(SubhostTrees.NOT_KNOWN);
        assertThat(cold().get("a").orElseThrow()).as("nothing else of it changed")
                .isEqualTo(booting("a").with(1, SubhostTrees.Phase.ACTIVE).hidingWhole(List.of(bases)).carried(2));

        // A stale number (an earlier boot of the NAME) and a stopped entry get no line.
        index.carry("a", 7);
        index.stopped("b");
        index.carry("b", 2);
        assertThat(fileLines()).hasSize(5).doesNotContain("name=b\tseq=2\tphase=active");
    }

    @Test
    void aNameBootedAgainStartsWithoutACarryAndAnEarlierBootsLineIsNotItsOwn() throws Exception {
        register(booting("a"));
        register(booting("b"));
        index.carry("a", 1);
        index.stopped("a");
        assertThat(index.read().get("a").orElseThrow().carried()).as("kept while stopped").isEqualTo(2);

        register(booting("a"));
        // The first boot's line once more: it read up to 2, below the new number.
        Files.writeString(state.resolve(TreeIndex.FILE), "name=a\tseq=2\tphase=active\n", StandardOpenOption.APPEND);

        SubhostTrees again = cold().get("a").orElseThrow();
        assertThat(again.seq()).isEqualTo(3);
        assertThat(again.carried()).isEqualTo(SubhostTrees.NOT_KNOWN);
        assertThat(index.read().get("a").orElseThrow().carried()).isEqualTo(SubhostTrees.NOT_KNOWN);
        index.carry("a", 3);
        assertThat(cold().get("a").orElseThrow().carried()).isEqualTo(3);
    }

    @Test
    void aCompactionKeepsHowFarEachCarryRead() throws Exception {
        register(booting("a"));
        register(booting("b"));
        index.carry("a", 1);
        index.carry("b", 2);
        register(booting("c"));
        for (int round = 0; round < 100; round++) {
            register(trees("t", true)); // until a compaction wrote the index anew
        }

        List<String> lines = fileLines();
        assertThat(lines).as("compacted").hasSizeLessThan(100);
        int a = lines.indexOf(booting("a").with(1, SubhostTrees.Phase.ACTIVE).hidingWhole(List.of(bases)).format());
        assertThat(lines.get(a + 1)).as("a's carry after its line").isEqualTo("name=a\tseq=2\tphase=active");
        TreeIndex.Snapshot cold = cold();
        assertThat(cold.entries()).extracting(SubhostTrees::name, SubhostTrees::carried).containsExactly(
                org.assertj.core.groups.Tuple.tuple("a", 2L), org.assertj.core.groups.Tuple.tuple("b", 2L),
                org.assertj.core.groups.Tuple.tuple("c", SubhostTrees.NOT_KNOWN),
                org.assertj.core.groups.Tuple.tuple("t", SubhostTrees.NOT_KNOWN));
        assertThat(cold).isEqualTo(index.read());
    }

    @Test
    void aCarrysLineSaysTheDirectoriesItHidWholeAndTheEntryHidesThemFromThen() throws Exception {
        index.register(booting("a"), (self, with) -> self.hidingWhole(List.of(state))); // bases not whole
        register(booting("b"));

        index.carry("a", 1, List.of(bases));

        assertThat(fileLines().getLast()).isEqualTo("name=a\tseq=2\tphase=active\thidden=" + bases);
        assertThat(index.read().get("a").orElseThrow().hiddenWhole()).as("read on").containsExactly(state, bases);
        assertThat(cold().get("a").orElseThrow().hiddenWhole()).as("read whole").containsExactly(state, bases);
        assertThat(cold().get("a").orElseThrow().carried()).isEqualTo(2);
        assertThat(cold().get("b").orElseThrow().hiddenWhole()).as("b's own").containsExactly(bases);

        // Said once more (a directory it hid at its registration), it is not there twice;
        // a stale number says nothing of the entry.
        index.carry("a", 1, List.of(state));
        index.carry("a", 7, List.of(bases.resolve("b")));
        assertThat(cold().get("a").orElseThrow().hiddenWhole()).containsExactly(state, bases);

        for (int round = 0; round < 100; round++) {
            register(trees("t", true)); // until a compaction wrote the index anew
        }
        assertThat(fileLines()).as("compacted").hasSizeLessThan(100);
        assertThat(cold().get("a").orElseThrow().hiddenWhole()).as("after a compaction").containsExactly(state, bases);
        assertThat(cold()).isEqualTo(index.read());
    }

    @Test
    void theVersionWithCarriesReadsTheDirectoriesOfACarrysLineAsNothing() throws Exception {
        index.register(booting("a"), (self, with) -> self.hidingWhole(List.of(state)));
        register(booting("b"));
        index.carry("a", 1, List.of(bases));

        // That version's replay of a carry's line: the number only (so its later boots enter a, as before).
        Map<String, SubhostTrees> entries = new LinkedHashMap<>();
        for (String line : fileLines().subList(1, fileLines().size())) {
            SubhostTrees e = SubhostTrees.parse(line);
            SubhostTrees now = entries.get(e.name());
            if (e.trees().isEmpty() && e.phase() == SubhostTrees.Phase.ACTIVE) {
                if (now != null && now.active() && e.seq() >= now.seq()) {
                    entries.put(e.name(), now.carried(e.seq()));
                }
                continue;
            }
            entries.put(e.name(), e);
        }
        assertThat(entries.get("a").hiddenWhole()).containsExactly(state);
        assertThat(entries.get("a").carried()).isEqualTo(2);
        assertThat(asTheVersionBefore()).extracting(SubhostTrees::hiddenWhole)
                .containsExactly(List.of(state), List.of(bases));
    }

    /**
     * The journal as the version before this one replays it: the same grammar, and a line
     * without paths applies its phase to NAME's entry when its number is 0 or the entry's.
     */
    private List<SubhostTrees> asTheVersionBefore() throws IOException {
        Map<String, SubhostTrees> entries = new LinkedHashMap<>();
        for (String line : fileLines().subList(1, fileLines().size())) {
            SubhostTrees e = SubhostTrees.parse(line);
            SubhostTrees now = entries.get(e.name());
            if (e.trees().isEmpty()) {
                if (now != null && (e.seq() == 0 || e.seq() == now.seq())) {
                    if (e.phase() == SubhostTrees.Phase.LISTED) {
                        entries.remove(e.name());
                    } else {
                        entries.put(e.name(), now.with(now.seq(), e.phase()));
                    }
                }
                continue;
            }
            if (now != null && now.seq() != e.seq()) {
                entries.remove(e.name());
            }
            entries.put(e.name(), e);
        }
        return List.copyOf(entries.values());
    }

    @Test
    void theVersionBeforeReadsTheCarriesLinesAsNothing() throws Exception {
        register(booting("a"));
        index.carry("a", 1); // read up to itself: "a is active", to the version before
        register(booting("b"));
        register(booting("c"));
        index.carry("b", 2); // read up to 3: no entry of b has that number
        index.stopped("c");
        for (int round = 0; round < 100; round++) {
            register(trees("t", true)); // and a compaction, which keeps the carries
        }
        index.carry("t", index.read().get("t").orElseThrow().seq());

        assertThat(fileLines()).contains("name=a\tseq=1\tphase=active", "name=b\tseq=3\tphase=active");
        assertThat(asTheVersionBefore()).containsExactlyElementsOf(
                index.read().entries().stream().map(e -> e.carried(SubhostTrees.NOT_KNOWN)).toList());
        assertThat(SubhostTrees.parse(booting("a").with(1, SubhostTrees.Phase.ACTIVE).carried(7).format()).carried())
                .as("the entry's line does not say it").isEqualTo(SubhostTrees.NOT_KNOWN);
    }

    @Test
    void aLastLineWithoutItsLineEndIsNotReadUntilItIsWhole() throws Exception {
        register(trees("a", true));
        assertThat(index.read().entries()).extracting(SubhostTrees::name).containsExactly("a");
        String line = trees("b", true).with(7, SubhostTrees.Phase.ACTIVE).format();
        Path file = state.resolve(TreeIndex.FILE);
        Files.writeString(file, line.substring(0, 30), StandardOpenOption.APPEND);

        assertThat(index.read().entries()).extracting(SubhostTrees::name).as("read on").containsExactly("a");
        assertThat(cold().entries()).extracting(SubhostTrees::name).as("read whole").containsExactly("a");

        Files.writeString(file, line.substring(30) + "\n", StandardOpenOption.APPEND);
        assertThat(index.read().entries()).extracting(SubhostTrees::name).as("once whole").containsExactly("a", "b");
    }

    @Test
    void aWriterAfterALineWhoseWriteFailedWritesANewFileWithoutIt() throws Exception {
        register(trees("a", true));
        Path file = state.resolve(TreeIndex.FILE);
        Files.writeString(file, "name=torn\tseq=5\tphase=act", StandardOpenOption.APPEND);

        index.stopped("a");
        register(trees("b", true));

        assertThat(fileLines()).noneMatch(l -> l.contains("torn"));
        assertThat(cold().entries()).extracting(SubhostTrees::name, SubhostTrees::phase).containsExactly(
                org.assertj.core.groups.Tuple.tuple("a", SubhostTrees.Phase.STOPPED),
                org.assertj.core.groups.Tuple.tuple("b", SubhostTrees.Phase.ACTIVE));
    }

    @Test
    void aCompactionKeepsEveryActiveEntryAndEveryStoppedOneWhoseBaseExists() throws Exception {
        for (int i = 0; i < 40; i++) {
            register(trees("s" + i, true));
        }
        for (int i = 0; i < 40; i += 2) {
            index.stopped("s" + i); // s0, s2, ... stopped; of those, s0, s4, ... keep their BASE
            if (i % 4 == 2) {
                Files.delete(bases.resolve("s" + i));
            }
        }
        // Boots of the same few: each line replaces one, until they outnumber the entries.
        for (int round = 0; round < 200; round++) {
            register(trees("t" + round % 3, true));
        }

        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            if (i % 2 == 1 || i % 4 == 0) {
                expected.add("s" + i);
            }
        }
        expected.addAll(List.of("t0", "t1", "t2"));
        TreeIndex.Snapshot warm = index.read();
        assertThat(warm.entries()).extracting(SubhostTrees::name).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(warm.entries()).filteredOn(e -> !e.active()).extracting(SubhostTrees::name)
                .as("stopped, BASE still there").containsExactlyInAnyOrder("s0", "s4", "s8", "s12", "s16", "s20",
                        "s24", "s28", "s32", "s36");
        assertThat(cold()).isEqualTo(warm);
        assertThat(fileLines().size()).as("compacted: far fewer lines than written")
                .isLessThan(2 * warm.entries().size() + 66);
    }

    @Test
    void aStoppedSubhostStillCountsForADirectoryHiddenWholeAfterACompaction() throws Exception {
        // b stopped, BASE still there: its directory in bases/ holds only subhosts' trees,
        // so that the next subhost there hides bases/ whole, with b's BASE in it.
        SubhostTrees a = trees("a", true);
        register(a);
        register(trees("b", true));
        index.stopped("b");
        for (int round = 0; round < 100; round++) {
            register(trees("a", true)); // until a compaction wrote the index anew
        }
        assertThat(fileLines()).as("compacted").hasSizeLessThan(100).contains(trees("b", true).with(2,
                SubhostTrees.Phase.STOPPED).hidingWhole(List.of(bases)).format());
        SubhostTrees c = trees("c", true);
        TreeIndex.Snapshot now = cold();
        Hiding.Plan plan = Hiding.plan(c, now.others("c"), state, List.of(), Hiding.Lister.HOST);
        assertThat(plan.whole()).containsExactlyInAnyOrder(state, bases);

        Hiding.Plan without = Hiding.plan(c, now.others("b"), state, List.of(), Hiding.Lister.HOST);
        assertThat(without.whole()).as("b forgotten: bases/b is nothing known").containsExactly(state);
    }

    @Test
    void aStoppedSubhostWhoseBaseIsGoneIsForgottenByLaterRegistrations() throws Exception {
        register(trees("a", true));
        register(trees("b", true));
        index.stopped("b");
        Files.delete(bases.resolve("b"));

        register(trees("c", true));

        assertThat(index.read().entries()).extracting(SubhostTrees::name).containsExactly("a", "c");
        assertThat(fileLines()).contains("name=b\tseq=2\tphase=listed");
        assertThat(cold().entries()).extracting(SubhostTrees::name).containsExactly("a", "c");
    }

    @Test
    void anIndexRenamedOverByAnotherWriterIsReadWhole() throws Exception {
        register(trees("a", true));
        index.read();
        Path file = state.resolve(TreeIndex.FILE);
        // As another process's compaction (or an older SDK's rewrite) leaves it.
        Path other = state.resolve("other");
        Files.writeString(other, "# subhost trees (docs/architecture.md), next=9 kept=0\n"
                + trees("z", true).with(8, SubhostTrees.Phase.ACTIVE).format() + "\n");
        Files.setPosixFilePermissions(other, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        Files.move(other, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);

        assertThat(index.read().entries()).extracting(SubhostTrees::name).containsExactly("z");
        assertThat(register(trees("a", true)).get("a").orElseThrow().seq()).isEqualTo(9);
    }

    @Test
    void theIndexOfAnEarlierVersionIsReadUntilTheFirstWriteTakesItIntoTheJournal() throws Exception {
        String legacy = "# subhost trees (docs/architecture.md), next=12 kept=1\n"
                + trees("old", true).with(10, SubhostTrees.Phase.ACTIVE).format() + "\n"
                + trees("gone", false).with(9, SubhostTrees.Phase.STOPPED).format() + "\n"
                + trees("kept", true).with(11, SubhostTrees.Phase.STOPPED).format() + "\n";
        Path file = Files.writeString(state.resolve(TreeIndex.LEGACY), legacy);
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));

        assertThat(index.read().entries()).extracting(SubhostTrees::name).containsExactly("old", "gone", "kept");
        assertThat(Files.exists(state.resolve(TreeIndex.FILE))).isFalse();

        index.stopped("old");
        assertThat(cold().entries()).extracting(SubhostTrees::name, SubhostTrees::phase).as("without gone's BASE")
                .containsExactly(org.assertj.core.groups.Tuple.tuple("old", SubhostTrees.Phase.STOPPED),
                        org.assertj.core.groups.Tuple.tuple("kept", SubhostTrees.Phase.STOPPED));
        assertThat(register(trees("new", true)).get("new").orElseThrow().seq()).isEqualTo(12);
        assertThat(Files.readString(file)).as("left as it was").isEqualTo(legacy);
    }

    @Test
    void anIndexThatOthersMayWriteIsNeitherReadNorWritten() throws Exception {
        register(trees("a", true));
        Path file = state.resolve(TreeIndex.FILE);
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
        String refused = file + ": not a regular file of ours that only we may write; refused: remove it (it is made"
                + " again at the next boot)";
        org.assertj.core.api.Assertions.assertThatThrownBy(index::read).hasMessage(refused);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> index.stopped("a")).hasMessage(refused);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> register(trees("b", true))).hasMessage(refused);
        assertThat(Files.readString(file, StandardCharsets.UTF_8)).doesNotContain("name=b").doesNotContain("stopped");
    }

    /** Registers and stops NAME-0 to NAME-9 in turn, 60 times: {@code STATE BASES PREFIX}, as another process. */
    static final class Writer {
        public static void main(String[] args) throws Exception {
            TreeIndexTest test = new TreeIndexTest();
            test.state = Path.of(args[0]);
            test.bases = Path.of(args[1]);
            test.index = new TreeIndex(test.state, Optional.empty());
            test.writeSixty(args[2]);
        }
    }

    /** 60 registrations of PREFIX-0 to PREFIX-9 in turn, every third one stopped, with a read after each. */
    private void writeSixty(String prefix) throws IOException {
        for (int i = 0; i < 60; i++) {
            String name = prefix + "-" + i % 10;
            register(trees(name, true));
            if (i % 3 == 0) {
                index.stopped(name);
            }
            index.read();
        }
    }

    @Test
    void registrationsAndStopsFromOtherProcessesAtTheSameTimeLoseNothing() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<Process> others = new ArrayList<>();
        for (String prefix : List.of("x", "y")) {
            others.add(new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                    System.getProperty("java.class.path"), Writer.class.getName(), state.toString(), bases.toString(),
                    prefix).redirectErrorStream(true).start());
        }
        writeSixty("w");
        for (Process p : others) {
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.waitFor()).as(output).isZero();
        }
        TreeIndex.Snapshot warm = index.read();
        assertThat(warm.entries()).hasSize(30);
        for (String prefix : List.of("w", "x", "y")) {
            for (int i = 50; i < 60; i++) {
                String name = prefix + "-" + i % 10;
                assertThat(warm.get(name).orElseThrow().phase()).as(name)
                        .isEqualTo(i % 3 == 0 ? SubhostTrees.Phase.STOPPED : SubhostTrees.Phase.ACTIVE);
            }
        }
        assertThat(warm.entries()).extracting(SubhostTrees::seq).doesNotHaveDuplicates().isSorted();
        assertThat(warm.next()).isEqualTo(3 * 60 + 1);
        assertThat(cold()).isEqualTo(warm);
    }

    @Test
    void registrationsAndStopsFromManyThreadsAtOnceLoseNothing() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 40; i++) {
                        String name = "p" + thread + "-" + i % 10;
                        register(trees(name, true));
                        if (i % 3 == 0) {
                            index.stopped(name);
                        }
                        index.read();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        TreeIndex.Snapshot warm = index.read();
        assertThat(warm.entries()).hasSize(80);
        for (int t = 0; t < 8; t++) {
            for (int i = 30; i < 40; i++) {
                // The last step of each name: registered at i, stopped when i % 3 == 0.
                String name = "p" + t + "-" + i % 10;
                assertThat(warm.get(name).orElseThrow().phase()).as(name)
                        .isEqualTo(i % 3 == 0 ? SubhostTrees.Phase.STOPPED : SubhostTrees.Phase.ACTIVE);
            }
        }
        assertThat(warm.entries()).extracting(SubhostTrees::seq).doesNotHaveDuplicates().isSorted();
        assertThat(warm.next()).isEqualTo(8 * 40 + 1);
        assertThat(cold()).isEqualTo(warm);
    }

    /** One change of the index by one thread, and what it returned (null for a stop). */
    private record Change(char kind, String name, TreeIndex.Snapshot returned) {}

    /** Registers, carries and (every second name) stops {@code name}, as a boot and its stop do. */
    private List<Change> bootCarryStop(TreeIndex on, String name) throws IOException {
        List<Change> done = new ArrayList<>();
        TreeIndex.Snapshot registered = on.register(trees(name, true), (self, with) -> self.hidingWhole(List.of(bases)));
        done.add(new Change('+', name, registered));
        done.add(new Change('c', name, on.carry(name, registered.get(name).orElseThrow().seq())));
        if (name.hashCode() % 2 == 0) {
            on.stopped(name);
            done.add(new Change('-', name, null));
        }
        return done;
    }

    @Test
    void registrationsCarriesAndStopsFromVirtualAndPlatformThreadsAtOnceGiveWhatTheSameChangesOneByOneGive()
            throws Exception {
        List<Change> concurrent = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int t = 0; t < 96; t++) {
            String name = (t % 3 == 0 ? "p" : "v") + t;
            Runnable boot = () -> {
                try {
                    concurrent.addAll(bootCarryStop(index, name));
                } catch (Throwable e) {
                    failures.add(e);
                }
            };
            threads.add(t % 3 == 0 ? Thread.ofPlatform().start(boot) : Thread.ofVirtual().start(boot));
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(failures).isEmpty();
        // The order the lines were written in, which the same changes made one by one follow.
        List<Change> order = new ArrayList<>();
        for (String line : fileLines().subList(1, fileLines().size())) {
            SubhostTrees e = SubhostTrees.parse(line);
            char kind = !e.trees().isEmpty() ? '+' : e.phase() == SubhostTrees.Phase.ACTIVE ? 'c' : '-';
            order.add(concurrent.stream().filter(c -> c.kind() == kind && c.name().equals(e.name())).findFirst()
                    .orElseThrow());
        }
        assertThat(order).as("a line for each change").hasSameSizeAs(concurrent);
        Path serialState = Files.createTempDirectory("tree-index-serial-").toRealPath();
        try {
            TreeIndex serial = new TreeIndex(serialState, Optional.empty());
            for (Change c : order) {
                TreeIndex.Snapshot returned = switch (c.kind()) {
                    case '+' -> serial.register(trees(c.name(), true), (self, with) -> self.hidingWhole(List.of(bases)));
                    case 'c' -> serial.carry(c.name(), serial.read().get(c.name()).orElseThrow().seq());
                    default -> {
                        serial.stopped(c.name());
                        yield null;
                    }
                };
                assertThat(c.returned()).as("what %s %s was given", c.kind(), c.name()).isEqualTo(returned);
            }
            assertThat(Files.readString(serialState.resolve(TreeIndex.FILE)))
                    .isEqualTo(Files.readString(state.resolve(TreeIndex.FILE)));
            assertThat(cold()).isEqualTo(serial.read());
        } finally {
            try (var walk = Files.walk(serialState)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /**
     * A thread, started by {@code builder}, that registers "held" and keeps the index's lock
     * in that registration until {@code release}; returned once it holds the lock.
     */
    private Thread holdingTheLockUntil(Thread.Builder builder, java.util.concurrent.CountDownLatch release)
            throws InterruptedException {
        java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
        Thread holder = builder.start(() -> {
            try {
                index.register(trees("held", true), (self, with) -> {
                    holding.countDown();
                    try {
                        release.await();
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                    return self;
                });
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        holding.await();
        return holder;
    }

    /** Waits (at most 10 s) until each of {@code threads} waits, parked. */
    private static void untilWaiting(List<Thread> threads) throws InterruptedException {
        long end = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < end
                && !threads.stream().allMatch(t -> t.getState() == Thread.State.WAITING)) {
            Thread.sleep(10);
        }
    }

    @Test
    void theThreadsOfOneJvmThatWaitForTheLockHaveTheirWorkRunInOneHoldAndNoneWaitsInFlock() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Thread holder = holdingTheLockUntil(Thread.ofPlatform(), release);
        Map<String, Thread> ranOn = new java.util.concurrent.ConcurrentHashMap<>();
        List<Thread> waiting = new ArrayList<>();
        for (int t = 0; t < 24; t++) {
            String name = "q" + t;
            Runnable boot = () -> {
                try {
                    index.register(trees(name, true), (self, with) -> {
                        ranOn.put(name, Thread.currentThread());
                        return self;
                    });
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            };
            waiting.add(t % 2 == 0 ? Thread.ofVirtual().start(boot) : Thread.ofPlatform().start(boot));
        }
        untilWaiting(waiting);
        List<String> inFlock = Thread.getAllStackTraces().entrySet().stream()
                .filter(e -> java.util.Arrays.stream(e.getValue())
                        .anyMatch(f -> f.getClassName().equals("org.subhost.linux.Flock")))
                .map(e -> e.getKey().getName()).toList();
        assertThat(inFlock).as("threads of this JVM waiting in flock(2) while one holds the lock").isEmpty();
        release.countDown();
        holder.join();
        for (Thread t : waiting) {
            t.join();
        }
        assertThat(ranOn).hasSize(24);
        assertThat(new java.util.HashSet<>(ranOn.values())).as("the threads the queued work ran on").hasSize(1);
        assertThat(index.read().entries()).hasSize(25);
    }

    @Test
    void aFailureOfOneQueuedWorkReachesItsCallerAloneAndTheOthersAreWritten() throws Exception {
        java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
        Thread holder = holdingTheLockUntil(Thread.ofVirtual(), release);
        Map<String, Object> outcome = new java.util.concurrent.ConcurrentHashMap<>();
        List<Thread> waiting = new ArrayList<>();
        for (int t = 0; t < 12; t++) {
            String name = "f" + t;
            boolean fails = t == 5;
            Runnable boot = () -> {
                try {
                    TreeIndex.Snapshot s = index.register(trees(name, true), (self, with) -> {
                        if (fails) {
                            throw new IllegalArgumentException(name + ": refused by its plan");
                        }
                        return self;
                    });
                    outcome.put(name, s.get(name).orElseThrow().name());
                } catch (IOException | RuntimeException e) {
                    outcome.put(name, e);
                }
            };
            waiting.add(t % 2 == 0 ? Thread.ofVirtual().start(boot) : Thread.ofPlatform().start(boot));
        }
        untilWaiting(waiting);
        release.countDown();
        holder.join();
        for (Thread t : waiting) {
            t.join();
        }
        for (int t = 0; t < 12; t++) {
            String name = "f" + t;
            if (t == 5) {
                assertThat(outcome.get(name)).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.THROWABLE)
                        .isInstanceOf(IllegalArgumentException.class).hasMessage("f5: refused by its plan");
            } else {
                assertThat(outcome.get(name)).as(name).isEqualTo(name);
            }
        }
        assertThat(index.read().entries()).extracting(SubhostTrees::name).hasSize(12).doesNotContain("f5");
        assertThat(fileLines()).noneMatch(l -> l.startsWith("name=f5\t"));
    }

    @Test
    void anotherProcessHoldingTheLockStillHoldsOffEveryThreadOfThisJvmAndThisJvmsHoldHoldsItOff() throws Exception {
        Path lock = state.resolve(".trees.lock");
        // While this JVM holds it (in a registration's work), another process cannot take it.
        int[] exit = new int[1];
        register(trees("first", true));
        index.register(trees("mine", true), (self, with) -> {
            try {
                exit[0] = new ProcessBuilder("flock", "--nonblock", lock.toString(), "true").start().waitFor();
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return self;
        });
        assertThat(exit[0]).as("flock --nonblock by another process while this JVM holds the lock").isEqualTo(1);
        // While another process holds it, no thread of this JVM writes.
        Process other = new ProcessBuilder("flock", lock.toString(), "sh", "-c", "echo held; exec cat").start();
        List<String> before;
        try {
            assertThat(new java.io.BufferedReader(new java.io.InputStreamReader(other.getInputStream(),
                    StandardCharsets.UTF_8)).readLine()).isEqualTo("held");
            before = fileLines();
            List<Thread> writers = new ArrayList<>();
            for (int t = 0; t < 8; t++) {
                String name = "o" + t;
                Runnable boot = () -> {
                    try {
                        register(trees(name, true));
                        index.stopped(name);
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                };
                writers.add(t % 2 == 0 ? Thread.ofVirtual().start(boot) : Thread.ofPlatform().start(boot));
            }
            Thread.sleep(300);
            assertThat(writers).as("writers while another process holds the lock").allMatch(Thread::isAlive);
            assertThat(fileLines()).isEqualTo(before);
            other.getOutputStream().close();
            assertThat(other.waitFor()).isZero();
            for (Thread t : writers) {
                t.join();
            }
        } finally {
            other.destroy();
        }
        assertThat(index.read().entries()).hasSize(10);
        assertThat(fileLines()).hasSize(before.size() + 16);
    }

    @Test
    void theLockIsReleasedWhenTheWorkIsDoneEvenWhileACopyOfItsDescriptorIsOpen() throws Exception {
        Path lock = state.resolve(".trees.lock");
        int[] copy = {-1};
        // A copy as a process forked by another thread at that moment holds it until its exec.
        index.register(trees("a", true), (self, with) -> {
            try (var fds = Files.list(Path.of("/proc/self/fd"))) {
                for (Path fd : fds.toList()) {
                    try {
                        if (Files.readSymbolicLink(fd).equals(lock)) {
                            copy[0] = org.subhost.linux.Fds.dup(Integer.parseInt(fd.getFileName().toString()));
                        }
                    } catch (IOException e) {
                        // closed meanwhile: not the lock's
                    }
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return self;
        });
        assertThat(copy[0]).as("the lock's descriptor, found").isNotNegative();
        try {
            assertThat(new ProcessBuilder("flock", "--nonblock", lock.toString(), "true").start().waitFor())
                    .as("flock --nonblock by another process once the registration returned").isZero();
        } finally {
            org.subhost.linux.Fds.close(copy[0]);
        }
    }
}
