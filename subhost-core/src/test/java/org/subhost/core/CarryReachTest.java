package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.subhost.config.Share;

/**
 * Issue 22: a carry's work, the directories it hides whole, and a registration's look at
 * stopped entries are read from what the JVM keeps of the index ({@link TreeIndex.Marks},
 * {@link Hiding.Groups}) instead of a pass over every entry.
 * How we know they decide the same: the forms before, kept here, give the same lists, in the
 * same order, at every carry and registration of random scripts on a real index (of the
 * test's own directories): registrations that hide various directories whole, carries (of
 * the entry as registered, or of one registered again or stopped since, with or without
 * directories hidden whole by the carry), stops, live shares, BASEs removed (so that
 * registrations forget stopped entries), compactions, and reads by a new JVM.
 */
class CarryReachTest {
    /** {@link Hiding.Carry#work} as it was: a pass over every entry of the index as the carry read it. */
    static Hiding.Carry.Work workAsBefore(SubhostTrees self, TreeIndex.Snapshot now, boolean madeSince) {
        List<SubhostTrees> late = new ArrayList<>();
        List<SubhostTrees> owed = new ArrayList<>();
        List<Path> mine = self.hidden();
        for (SubhostTrees other : now.entries()) {
            if (other.name().equals(self.name())) {
                continue;
            }
            if (other.seq() > self.seq() || other.carried() >= self.seq()) {
                late.add(other);
            }
            // Hidden whole there already (the usual case), or by its own boot.
            if (other.active() && !Hiding.Carry.hiddenByItsOwnBoot(other, self, madeSince)
                    && !mine.stream().allMatch(p -> other.hiddenWhole().stream().anyMatch(p::startsWith))) {
                owed.add(other);
            }
        }
        return new Hiding.Carry.Work(late, owed);
    }

    /**
     * {@link Hiding.Carry#wholeNow} as it was: the names known in each directory from the
     * trees of every entry of the index as read, of the listed ones and of {@code self}.
     */
    static List<Path> wholeNowAsBefore(SubhostTrees self, TreeIndex.Snapshot index, List<SubhostTrees> listed,
            Hiding.Lister lister) {
        List<Path> dirs = Hiding.Carry.wholeCandidates(self);
        Map<Path, java.util.Set<String>> known = new HashMap<>();
        for (Path dir : dirs) {
            known.put(dir, new java.util.HashSet<>());
        }
        List<SubhostTrees> all = new ArrayList<>(index.entries());
        all.addAll(listed);
        all.add(self);
        for (SubhostTrees e : all) {
            for (SubhostTrees.Tree tree : e.trees()) {
                java.util.Set<String> names = known.get(tree.path().getParent());
                if (tree.role() != SubhostTrees.Role.LOWER && names != null) {
                    names.add(tree.path().getFileName().toString());
                }
            }
        }
        List<Path> out = new ArrayList<>();
        for (Path dir : dirs) {
            Optional<List<String>> names = lister.names(dir, known.get(dir).size());
            if (names.isPresent() && !names.get().isEmpty() && names.get().stream()
                    .allMatch(n -> known.get(dir).contains(n) || lister.looksLikeBase(dir.resolve(n)))) {
                out.add(dir);
            }
        }
        return Hiding.outermost(out, List.of());
    }

    /** The stopped entries that a registration looked at before: those of the index as read, in its order. */
    private static List<SubhostTrees> stoppedAsBefore(TreeIndex.Snapshot snapshot) {
        return snapshot.entries().stream().filter(e -> e.phase() == SubhostTrees.Phase.STOPPED).toList();
    }

    @Property(tries = 80)
    void theCarrysWorkWholeDirectoriesAndTheStoppedEntriesAreThoseOfAPassOverEveryEntry(
            @ForAll @Size(min = 1, max = 200) List<@IntRange(max = 99999) Integer> script) throws Exception {
        Path state = Files.createTempDirectory("carry-reach-state-").toRealPath();
        Path bases = Files.createTempDirectory("carry-reach-bases-").toRealPath();
        TreeIndex.forgetReplays();
        try {
            TreeIndex index = new TreeIndex(state, Optional.empty());
            String[] pool = {"a", "b", "c", "d", "e", "f"};
            List<Path> dirs = List.of(bases.resolve("d0"), bases.resolve("d1"), bases);
            // What a registration or a carry hides whole: nothing, a directory of BASEs, the
            // state directory, the LOGs' directory, or some of them.
            List<List<Path>> wholes = List.of(List.of(), List.of(dirs.get(0)), List.of(state),
                    List.of(dirs.get(1), state), List.of(bases), List.of(bases.resolve("logs")),
                    List.of(dirs.get(0), bases.resolve("logs")));
            Map<String, SubhostTrees> registered = new HashMap<>();
            Map<String, SubhostTrees> earlier = new HashMap<>();
            for (int v : script) {
                String name = pool[v / 7 % pool.length];
                Path dir = dirs.get(v / 42 % dirs.size());
                List<Path> whole = wholes.get(v / 126 % wholes.size());
                switch (v % 7) {
                    case 0, 1 -> {
                        Path base = dir.resolve(name);
                        Files.createDirectories(base);
                        Path log = v / 882 % 2 == 1 ? bases.resolve("logs").resolve(name + ".log")
                                : base.resolve("log");
                        List<SubhostTrees> stopped = stoppedAsBefore(index.read());
                        assertThat(index.stoppedEntries()).isEqualTo(stopped);
                        TreeIndex.Snapshot with = index.register(DefaultLayoutTrees.of(name, 0, base, log, List.of()),
                                (self, snapshot) -> self.hidingWhole(whole));
                        SubhostTrees self = with.get(name).orElseThrow();
                        Optional.ofNullable(registered.put(name, self)).ifPresent(e -> earlier.put(name, e));
                    }
                    case 2, 3 -> {
                        // The carry of the entry as registered, or at times of the one before it.
                        SubhostTrees self = v / 882 % 4 == 0 && earlier.containsKey(name) ? earlier.get(name)
                                : registered.get(name);
                        if (self != null) {
                            TreeIndex.Snapshot read = index.read();
                            List<SubhostTrees> listed = v / 3528 % 3 == 0 ? List.of()
                                    : List.of(DefaultLayoutTrees.of(pool[v / 10584 % pool.length], 0,
                                            dirs.get(v / 63504 % dirs.size()).resolve("l"), bases.resolve("l.log"),
                                            List.of()).with(0, SubhostTrees.Phase.LISTED));
                            assertThat(Hiding.Carry.wholeNow(self, index, listed, Hiding.Lister.HOST))
                                    .isEqualTo(wholeNowAsBefore(self, read, listed, Hiding.Lister.HOST));
                            TreeIndex.Reach reach = index.carry(self, v / 3528 % 2 == 0 ? List.of() : whole);
                            for (boolean madeSince : new boolean[] {false, true}) {
                                assertThat(Hiding.Carry.work(self, reach, madeSince))
                                        .isEqualTo(workAsBefore(self, read, madeSince));
                            }
                        }
                    }
                    case 4 -> index.stopped(name);
                    case 5 -> index.update(name, e -> e.withShare(new Share(Path.of("/srv/s" + v % 3), Path.of("/s"))));
                    default -> {
                        if (v / 7 % 3 == 0) {
                            TreeIndex.forgetReplays(); // a JVM that reads the journal whole
                        } else {
                            // A BASE removed: a later registration forgets its entry once stopped.
                            deleteTree(dir.resolve(name));
                        }
                    }
                }
            }
            assertThat(index.stoppedEntries()).isEqualTo(stoppedAsBefore(index.read()));
        } finally {
            TreeIndex.forgetReplays();
            deleteTree(state);
            deleteTree(bases);
        }
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
