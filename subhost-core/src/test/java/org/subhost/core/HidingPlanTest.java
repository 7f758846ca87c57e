package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;
import org.subhost.config.Share;
import org.subhost.config.SubhostConfig;

/**
 * What a subhost hides of the others, planned without root: each other subhost's BASE and
 * what lies outside it (LOG, its rotated file), a directory that holds nothing but
 * subhosts' trees hidden whole, the state directory and HIDE; and where the subhost's
 * root and shares show each path. The plan a boot makes from the index as its JVM keeps it
 * grouped is the plain plan over every entry, after any sequence of changes.
 */
class HidingPlanTest {
    private static final Path STATE = Path.of("/run/subhost");

    private static SubhostTrees trees(String name, Path base, Path log, List<Share> shares) {
        return DefaultLayoutTrees.of(name, 1, base, log, shares);
    }

    /** A lister of made-up directories. */
    private static Hiding.Lister lister(Map<Path, List<String>> dirs) {
        return (dir, most) -> Optional.ofNullable(dirs.get(dir));
    }

    @Test
    void hidesEachOthersBaseAndWhatLiesOutsideItButNotItsOwn() {
        SubhostTrees ex1 = trees("ex1", Path.of("/ex1"), Path.of("/tmp/oly-ex1.log"), List.of());
        SubhostTrees mta = trees("mta", Path.of("/opt/mta"), Path.of("/tmp/oly-mta.log"), List.of());
        Hiding.Plan plan = Hiding.plan(ex1, List.of(mta), STATE, List.of(Path.of("/root")),
                lister(Map.of(Path.of("/opt"), List.of("mta", "google"), Path.of("/tmp"), List.of("x"))));
        assertThat(plan.whole()).containsExactly(Path.of("/root"), STATE);
        assertThat(plan.paths()).containsExactly(Path.of("/opt/mta"), Path.of("/tmp/oly-mta.log"),
                Path.of("/tmp/oly-mta.log.1"));
    }

    @Test
    void aDirectoryOfNothingButSubhostsTreesIsHiddenWhole() {
        Path dir = Path.of("/srv/subhosts");
        SubhostTrees a = trees("a", dir.resolve("a"), dir.resolve("a/log"), List.of());
        SubhostTrees b = trees("b", dir.resolve("b"), dir.resolve("b/log"), List.of());
        SubhostTrees stopped = trees("c", dir.resolve("c"), dir.resolve("c/log"), List.of())
                .with(1, SubhostTrees.Phase.STOPPED);
        Hiding.Plan plan = Hiding.plan(a, List.of(b, stopped), STATE, List.of(),
                lister(Map.of(dir, List.of("a", "b", "c"))));
        assertThat(plan.whole()).containsExactly(STATE, dir);
        assertThat(plan.paths()).isEmpty();

        Hiding.Plan withAStranger = Hiding.plan(a, List.of(b, stopped), STATE, List.of(),
                lister(Map.of(dir, List.of("a", "b", "c", "notes.txt"))));
        assertThat(withAStranger.whole()).containsExactly(STATE);

        assertThat(Hiding.plan(a, List.of(), STATE, List.of(), lister(Map.of(dir, List.of("a")))).whole())
                .as("the first there hides it too: those booted there later need not enter it")
                .containsExactly(STATE, dir);
        assertThat(withAStranger.paths()).as("nothing of a stopped one by itself").containsExactly(dir.resolve("b"));

        Hiding.Lister booting = new Hiding.Lister() {
            @Override
            public Optional<List<String>> names(Path d, int most) {
                return Optional.of(List.of("a", "b", "d"));
            }

            @Override
            public boolean looksLikeBase(Path path) {
                return path.equals(dir.resolve("d"));
            }
        };
        assertThat(Hiding.plan(a, List.of(b), STATE, List.of(), booting).whole())
                .as("d, laid out as a BASE, is a subhost that boots at the same time").containsExactly(STATE, dir);
    }

    @Test
    void aPathShowsBelowLowerOnItsDeviceAndBelowEachShareAtItsTarget() {
        SubhostTrees self = trees("ex1", Path.of("/ex1"), Path.of("/ex1/log"),
                List.of(new Share(Path.of("/opt"), Path.of("/mnt/opt"))));
        Hiding.View view = Hiding.View.of(self);
        assertThat(view.images(Path.of("/opt/mta"), null)).containsExactly(Path.of("/opt/mta"), Path.of("/mnt/opt/mta"));
        assertThat(view.images(Path.of("/"), null)).as("never the root itself").isEmpty();
        assertThat(view.sharesOnly(self.shares()).images(Path.of("/opt/mta"), null))
                .containsExactly(Path.of("/mnt/opt/mta"));
        SubhostTrees ownTree = new SubhostTrees("t", 1, SubhostTrees.Phase.ACTIVE,
                List.of(new SubhostTrees.Tree(SubhostTrees.Role.LOWER, Path.of("/srv/debian"), 0)), List.of(), List.of());
        assertThat(Hiding.View.of(ownTree).images(Path.of("/opt/mta"), null)).as("a LOWER of its own").isEmpty();
    }

    @Test
    void keepsOnlyTheOutermostPaths() {
        assertThat(Hiding.outermost(List.of(Path.of("/a/b"), Path.of("/a"), Path.of("/ab"), Path.of("/c/d")),
                List.of(Path.of("/c")))).containsExactly(Path.of("/a"), Path.of("/ab"));
    }

    @Test
    void anEntryReadsBackFromItsLineWithPathsOfAnyCharacter() throws Exception {
        Path base = Path.of("/srv/a b/tab\there/new\nline%25");
        SubhostTrees entry = trees("ex1", base, base.resolve("log"), List.of(new Share(Path.of("/srv/x:y"),
                Path.of("/mnt/z"))));
        entry = entry.hidingWhole(List.of(Path.of("/srv/all")));
        String line = entry.format();
        assertThat(line).doesNotContain("\n").contains("BASE=/srv/a b/tab%09here/new%0aline%2525");
        assertThat(SubhostTrees.parse(line)).isEqualTo(entry);
    }

    @Test
    void theTreesOfAConfigurationAreThoseOfItsRootKind() throws Exception {
        Path base = java.nio.file.Files.createTempDirectory("hiding-plan-").toRealPath();
        try {
            SubhostConfig overlay = SubhostConfig.builder("ex1", base).log(Path.of("/var/log/ex1.log")).build();
            SubhostTrees t = SubhostTrees.of(overlay);
            assertThat(t.hidden()).containsExactly(base, Path.of("/var/log/ex1.log"), Path.of("/var/log/ex1.log.1"));
            assertThat(t.written()).extracting(SubhostTrees.Written::what).containsExactly(
                    "the LIVE of subhost ex1", "the UPPER of subhost ex1", "the WORK of subhost ex1");
            SubhostConfig plain = SubhostConfig.builder("ex1", base).live(base).upper(base).lower(base).build();
            assertThat(SubhostTrees.of(plain).written()).extracting(SubhostTrees.Written::what)
                    .containsExactly("the LIVE of subhost ex1");
        } finally {
            java.nio.file.Files.delete(base);
        }
    }
    @Test
    void aShareSourceInAnotherSubhostsWorkOrLiveOrBelowItsShareIsRefusedNamingWhichAndWhy() throws Exception {
        Path base = java.nio.file.Files.createTempDirectory("hiding-plan-").toRealPath();
        try {
            SubhostConfig mta = SubhostConfig.builder("mta", base)
                    .addShare(new Share(Path.of("/srv/mail"), Path.of("/var/mail"))).build();
            List<SubhostTrees.Written> written = SubhostTrees.of(mta).written();
            String why = ", where root inside that subhost can write: it could swap %s for a symbolic link or another"
                    + " directory between two boots; share a directory that no subhost writes";
            for (String layer : List.of("work", "live")) {
                Path source = base.resolve(layer + "/x");
                assertThatThrownBy(() -> ShareSource.checkWritten(source, written)).hasMessage("SHARE " + source
                        + " refused: it lies in " + base.resolve(layer) + ", the " + layer.toUpperCase()
                        + " of subhost mta" + why.formatted(source));
            }
            Path below = Path.of("/srv/mail/spool");
            assertThatThrownBy(() -> ShareSource.checkWritten(below, written)).hasMessage("SHARE " + below
                    + " refused: it lies in /srv/mail, shared with subhost mta at /var/mail" + why.formatted(below));
            ShareSource.checkWritten(Path.of("/srv/mail"), written); // the same directory shared again
            ShareSource.checkWritten(base.resolve("other"), written);
        } finally {
            java.nio.file.Files.delete(base);
        }
    }

    /** {@link Hiding#outermost} as it was written first: each path compared with every one kept. */
    private static List<Path> outermostByComparison(List<Path> paths, List<Path> covered) {
        List<Path> out = new java.util.ArrayList<>();
        for (Path p : new java.util.TreeSet<>(paths)) {
            if (covered.stream().noneMatch(p::startsWith) && out.stream().noneMatch(p::startsWith)) {
                out.add(p);
            }
        }
        return out;
    }

    @Property(tries = 300)
    void outermostIsWhatComparingEachPathWithEveryOtherGives(
            @ForAll @Size(max = 12) List<@IntRange(max = 63) Integer> paths,
            @ForAll @Size(max = 3) List<@IntRange(max = 63) Integer> covered) {
        // Paths of a few names (a, b, a-b: one sorts between /a and /a/b), at depths 1 to 3, and /.
        java.util.function.IntFunction<Path> path = n -> {
            String[] names = {"a", "b", "a-b", "ab"};
            Path p = Path.of("/");
            for (int depth = 0; depth < 1 + n % 4 && n > 0; depth++, n /= 4) {
                p = p.resolve(names[n % 4]);
            }
            return p;
        };
        List<Path> ps = paths.stream().map(path::apply).toList();
        List<Path> cs = covered.stream().map(path::apply).toList();
        assertThat(Hiding.outermost(ps, cs)).isEqualTo(outermostByComparison(ps, cs));
    }

    /**
     * A boot's plan from the index as grouped by its JVM equals the plain plan over every
     * other entry and the listed ones, at each registration of a script of registrations (in
     * three directories, LOG inside BASE or beside it, BASE made or not), stops, live shares,
     * files of strangers put in a directory and reads by a new JVM; the journal is compacted
     * and stopped entries forgotten along the way. On a state directory of the test's own.
     */
    @Property(tries = 60)
    void theIncrementalPlanIsThePlainPlanAfterAnyChanges(
            @ForAll @Size(min = 1, max = 120) List<@IntRange(max = 9999) Integer> script) throws Exception {
        Path state = java.nio.file.Files.createTempDirectory("hiding-plan-state-").toRealPath();
        Path bases = java.nio.file.Files.createTempDirectory("hiding-plan-bases-").toRealPath();
        TreeIndex.forgetReplays();
        try {
            TreeIndex index = new TreeIndex(state, Optional.empty());
            String[] pool = {"a", "b", "c", "d"};
            List<Path> dirs = List.of(bases.resolve("d0"), bases.resolve("d1"), bases);
            for (Path dir : dirs) {
                java.nio.file.Files.createDirectories(dir);
            }
            for (int v : script) {
                String name = pool[v / 5 % pool.length];
                Path dir = dirs.get(v / 20 % dirs.size());
                switch (v % 5) {
                    case 0, 1 -> {
                        Path base = dir.resolve(name);
                        if (v / 60 % 2 == 1) {
                            for (String layer : List.of("root", "work", "live")) {
                                java.nio.file.Files.createDirectories(base.resolve(layer));
                            }
                        }
                        Path log = v / 120 % 2 == 1 ? bases.resolve("logs").resolve(name + ".log") : base.resolve("log");
                        List<SubhostTrees> listed = v / 240 % 3 == 0 ? List.of()
                                : List.of(trees(pool[v / 720 % pool.length], dirs.get(v / 2880 % 3).resolve("l"),
                                        bases.resolve("l.log"), List.of()).with(0, SubhostTrees.Phase.LISTED));
                        List<Path> hide = v / 240 % 3 == 2 ? List.of(bases.resolve("d1")) : List.of();
                        index.register(trees(name, base, log, List.of()), (self, with, before, replaced) -> {
                            Hiding.Plan plain = Hiding.plan(self, Hiding.Known.others(self.name(), with.get(), listed), STATE,
                                    hide, Hiding.Lister.HOST);
                            assertThat(Hiding.plan(self, before, replaced, listed, STATE, hide, Hiding.Lister.HOST))
                                    .isEqualTo(plain);
                            return self.hidingWhole(plain.whole());
                        });
                    }
                    case 2 -> index.stopped(name);
                    case 3 -> index.update(name, e -> e.withShare(new Share(Path.of("/srv/s" + v % 7), Path.of("/s"))));
                    default -> {
                        if (v / 5 % 2 == 0) {
                            TreeIndex.forgetReplays(); // a JVM that reads the journal whole
                        } else {
                            java.nio.file.Files.writeString(dir.resolve("stranger" + v % 3), "");
                        }
                    }
                }
            }
        } finally {
            TreeIndex.forgetReplays();
            for (Path dir : List.of(state, bases)) {
                try (var walk = java.nio.file.Files.walk(dir)) {
                    for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        java.nio.file.Files.deleteIfExists(p);
                    }
                }
            }
        }
    }
}
