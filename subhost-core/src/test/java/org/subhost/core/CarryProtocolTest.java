package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 22: the carry's rule ({@link Hiding.Carry#work}, {@link
 * Hiding.Carry#hiddenByItsOwnBoot}) skips a running subhost only where that subhost's own
 * boot hides the new trees. How we know: every order in which two boots' events can come,
 * each boot's events in their own order, is played on a real index ({@link TreeIndex} on a
 * directory of the test's own, so no root is needed), with the hides as sets of paths, and
 * after each order each subhost hides every path of the other that exists. A boot's events:
 * <ul>
 *   <li>R, "register the trees": notes which of its paths are missing, appends its line,
 *       plans from the index with it in ({@link Hiding#plan});
 *   <li>L, the boot makes its LOG and LOG.1 (when there were none before: a first boot), after R;
 *   <li>H, the hide step: hides what the plan says, where it is there now;
 *   <li>P, pid 1's record: others' carries can enter it from now on;
 *   <li>C, the carry: {@link TreeIndex#carry} and what {@link Hiding.Carry#work} says, the
 *       hides made at once (a real carry makes them later, when more is there, and reads
 *       the records later, when more have pid 1: so it hides at least what the model does).
 * </ul>
 * R comes first, L and H in either order, then P, then C. A boot of the version before
 * this rule (its carry writes no line) enters every active subhost with pid 1 and hides in
 * itself those registered after it, as that version did.
 */
class CarryProtocolTest {
    private static final List<String> NAMES = List.of("x", "a");

    private Path state;
    private Path bases;
    private Path logs;
    private TreeIndex index;
    /** How plans list directories: by default never (so nothing is hidden whole but the state directory). */
    private Hiding.Lister lister = (dir, most) -> Optional.empty();
    /** Whether each LOG lies in its BASE (the benchmark's layout), else in a directory beside a file of the host's. */
    private boolean logsInBase;

    @BeforeEach
    void makeDirectories() throws IOException {
        state = Files.createTempDirectory("carry-state-").toRealPath();
        bases = Files.createTempDirectory("carry-bases-").toRealPath();
        logs = Files.createTempDirectory("carry-logs-").toRealPath();
        index = new TreeIndex(state, Optional.empty());
        for (String name : NAMES) {
            Files.createDirectories(bases.resolve(name));
        }
        Files.writeString(logs.resolve("neighbour.txt"), "");
    }

    @AfterEach
    void removeDirectories() throws IOException {
        TreeIndex.forgetReplays();
        for (Path dir : List.of(state, bases, logs)) {
            try (var walk = Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** One boot: its NAME, whether its LOG is there before it registers, whether it is of the version before. */
    private record Boot(String name, boolean logThere, boolean older) {
        List<Character> events() {
            return logThere ? List.of('R', 'H', 'P', 'C') : List.of('R', 'L', 'H', 'P', 'C');
        }
    }

    /** What each boot has done so far, and what each subhost hides. */
    private final class World {
        final Map<String, SubhostTrees> registered = new HashMap<>();
        final Map<String, List<Path>> missing = new HashMap<>();
        final Map<String, Hiding.Plan> plans = new HashMap<>();
        final Set<String> recorded = new HashSet<>();
        final Map<String, Set<Path>> hidden = new HashMap<>();
        /** The subhosts each carry owed its trees to (entered, when they had pid 1). */
        final Map<String, List<String>> entered = new HashMap<>();
        final List<String> trace = new ArrayList<>();

        SubhostTrees trees(Boot boot) {
            Path base = bases.resolve(boot.name());
            return DefaultLayoutTrees.of(boot.name(), 0, base, log(boot.name()), List.of());
        }

        /** Whether {@code p} is hidden in {@code in}: it, or a directory it lies in, was hidden there. */
        boolean hiddenIn(String in, Path p) {
            Set<Path> there = hidden.getOrDefault(in, Set.of());
            for (Path q = p; q != null; q = q.getParent()) {
                if (there.contains(q)) {
                    return true;
                }
            }
            return false;
        }

        void hide(String in, List<Path> paths) {
            for (Path p : paths) {
                if (Files.exists(p)) {
                    hidden.computeIfAbsent(in, k -> new HashSet<>()).add(p);
                }
            }
        }

        void play(Boot boot, char event) throws IOException {
            trace.add((event == 'M' ? STRANGER : boot.name()) + event);
            String name = boot.name();
            switch (event) {
                case 'R' -> {
                    SubhostTrees planned = trees(boot);
                    missing.put(name, Hiding.Known.missing(planned.hidden()));
                    TreeIndex.Snapshot with = index.register(planned, (self, snapshot) -> {
                        Hiding.Plan plan = Hiding.plan(self, snapshot.others(name), state, List.of(), lister);
                        plans.put(name, plan);
                        return self.hidingWhole(plan.whole());
                    });
                    registered.put(name, with.get(name).orElseThrow());
                }
                case 'L' -> makeLog(name);
                case 'H' -> hide(name, plans.get(name).all());
                case 'M' -> makeBase(bases.resolve(STRANGER));
                case 'P' -> recorded.add(name);
                default -> carry(boot);
            }
        }

        void carry(Boot boot) throws IOException {
            SubhostTrees self = registered.get(boot.name());
            List<SubhostTrees> late = new ArrayList<>();
            List<SubhostTrees> owed = new ArrayList<>();
            if (boot.older()) {
                for (SubhostTrees other : index.read().others(boot.name())) {
                    if (other.seq() > self.seq()) {
                        late.add(other);
                    }
                    if (other.active()) {
                        owed.add(other);
                    }
                }
            } else {
                // As Hiding.Carry: the directories it hides whole now, said in its line, hidden in its own entry.
                List<Path> whole = Hiding.Carry.wholeNow(self, index, List.of(), lister);
                assertThat(whole).as("the directories of the pass over every entry")
                        .isEqualTo(CarryReachTest.wholeNowAsBefore(self, index.read(), List.of(), lister));
                TreeIndex.Snapshot read = index.read();
                TreeIndex.Reach reach = index.carry(self, whole);
                List<Path> before = missing.get(boot.name());
                boolean madeSince = Hiding.Known.missing(before).size() < before.size();
                Hiding.Carry.Work work = Hiding.Carry.work(self, reach, madeSince);
                assertThat(work).as("the work of the pass over every entry")
                        .isEqualTo(CarryReachTest.workAsBefore(self, read, madeSince));
                hide(boot.name(), whole);
                late.addAll(work.late());
                owed.addAll(work.owed());
                entered.computeIfAbsent(boot.name(), k -> new ArrayList<>())
                        .addAll(work.owed().stream().map(SubhostTrees::name).toList());
            }
            for (SubhostTrees other : late) {
                hide(boot.name(), other.hidden());
            }
            for (SubhostTrees other : owed) {
                if (recorded.contains(other.name())) {
                    hide(other.name(), self.hidden());
                }
            }
        }
    }

    /** The LOG of {@code name}. */
    private Path log(String name) {
        return logsInBase ? bases.resolve(name).resolve("log") : logs.resolve(name + ".log");
    }

    /** What a boot makes of {@code name}'s LOG: LOG, and LOG.1, which it opens for the relay's rotation. */
    private void makeLog(String name) throws IOException {
        Path log = log(name);
        Files.writeString(log, "");
        Files.writeString(LogFile.rotated(log), "");
    }

    /** A BASE as the benchmark and the tests make it: root, work and live in it. */
    private static void makeBase(Path base) throws IOException {
        for (String layer : List.of("root", "work", "live")) {
            Files.createDirectories(base.resolve(layer));
        }
    }

    /** The directory beside the two BASEs that is made a BASE (M) while they boot, else a stranger's. */
    private static final String STRANGER = "z";

    /** Every merge of {@code first} and {@code second} that keeps each one's order. */
    private static List<List<Integer>> merges(int first, int second) {
        List<List<Integer>> out = new ArrayList<>();
        merge(first, second, new ArrayList<>(), out);
        return out;
    }

    private static void merge(int first, int second, List<Integer> prefix, List<List<Integer>> out) {
        if (first == 0 && second == 0) {
            out.add(List.copyOf(prefix));
            return;
        }
        for (int who = 0; who < 2; who++) {
            int left = who == 0 ? first : second;
            if (left > 0) {
                prefix.add(who);
                merge(who == 0 ? first - 1 : first, who == 1 ? second - 1 : second, prefix, out);
                prefix.removeLast();
            }
        }
    }

    /** {@code boot}'s events, with L and H swapped when {@code swap} (and there is an L). */
    private static List<Character> order(Boot boot, boolean swap) {
        List<Character> events = new ArrayList<>(boot.events());
        if (swap && events.contains('L')) {
            events.set(1, 'H');
            events.set(2, 'L');
        }
        return events;
    }

    /** Plays every order of the two boots from a fresh index; the orders after which a path is shown. */
    private List<String> failures(Boot x, Boot a) throws IOException {
        return failures(x, a, false);
    }

    /**
     * As {@link #failures(Boot, Boot)}; with {@code stranger}, {@code bases/z} is there
     * half-made (a directory with nothing in it) when the play starts, and made a BASE (M)
     * at each place in each order in turn.
     */
    private List<String> failures(Boot x, Boot a, boolean stranger) throws IOException {
        List<String> failures = new ArrayList<>();
        for (boolean swapX : List.of(false, true)) {
            for (boolean swapA : List.of(false, true)) {
                if ((swapX && x.logThere()) || (swapA && a.logThere())) {
                    continue;
                }
                List<Character> xs = order(x, swapX);
                List<Character> as = order(a, swapA);
                List<List<Integer>> plays = new ArrayList<>();
                for (List<Integer> merge : merges(xs.size(), as.size())) {
                    for (int at = 0; at <= (stranger ? merge.size() : -1); at++) {
                        List<Integer> withM = new ArrayList<>(merge);
                        withM.add(at, 2);
                        plays.add(withM);
                    }
                    if (!stranger) {
                        plays.add(merge);
                    }
                }
                for (List<Integer> merge : plays) {
                    Files.deleteIfExists(state.resolve(TreeIndex.FILE));
                    if (stranger) {
                        KernelFixture.deleteTree(bases.resolve(STRANGER));
                        Files.createDirectories(bases.resolve(STRANGER));
                    }
                    TreeIndex.forgetReplays();
                    for (Boot b : List.of(x, a)) {
                        Path log = log(b.name());
                        Files.deleteIfExists(log);
                        Files.deleteIfExists(LogFile.rotated(log));
                        if (b.logThere()) {
                            makeLog(b.name());
                        }
                    }
                    World world = new World();
                    int i = 0;
                    int j = 0;
                    for (int who : merge) {
                        if (who == 0) {
                            world.play(x, xs.get(i++));
                        } else if (who == 1) {
                            world.play(a, as.get(j++));
                        } else {
                            world.play(x, 'M');
                        }
                    }
                    for (Boot in : List.of(x, a)) {
                        Boot other = in == x ? a : x;
                        for (Path p : world.registered.get(other.name()).hidden()) {
                            if (Files.exists(p) && !world.hiddenIn(in.name(), p)) {
                                failures.add(String.join(" ", world.trace) + ": " + p + " shown in " + in.name());
                            }
                        }
                    }
                }
            }
        }
        return failures;
    }

    @Test
    void inEveryOrderOfTwoBootsEachHidesTheOthersTrees() throws Exception {
        int played = 0;
        for (boolean xLog : List.of(true, false)) {
            for (boolean aLog : List.of(true, false)) {
                Boot x = new Boot("x", xLog, false);
                Boot a = new Boot("a", aLog, false);
                assertThat(failures(x, a)).as("LOG there before: x %s, a %s", xLog, aLog).isEmpty();
                played++;
            }
        }
        assertThat(played).isEqualTo(4);
    }

    @Test
    void withABootOfTheVersionBeforeNothingIsShownThatTwoBootsOfThatVersionHid() throws Exception {
        // That version left a gap, which this one closes (the test above): a LOG made
        // after a later boot's hide step, whose carry came before the later one's pid 1.
        List<String> before = new ArrayList<>();
        for (boolean xLog : List.of(true, false)) {
            for (boolean aLog : List.of(true, false)) {
                before.addAll(failures(new Boot("x", xLog, true), new Boot("a", aLog, true)));
            }
        }
        assertThat(before).as("the version before").isNotEmpty()
                .allMatch(f -> f.matches(".*\\.log(\\.1)? shown in [xa]"));
        for (boolean xOlder : List.of(true, false)) {
            for (boolean xLog : List.of(true, false)) {
                for (boolean aLog : List.of(true, false)) {
                    Boot x = new Boot("x", xLog, xOlder);
                    Boot a = new Boot("a", aLog, !xOlder);
                    List<String> mixed = failures(x, a).stream().map(this::withoutDirectories).toList();
                    assertThat(mixed).as("x older %s; LOG there before: x %s, a %s", xOlder, xLog, aLog)
                            .isSubsetOf(before.stream().map(this::withoutDirectories).toList());
                }
            }
        }
    }

    private String withoutDirectories(String failure) {
        return failure.replace(logs.toString(), "LOGS").replace(bases.toString(), "BASES");
    }

    @Test
    void theCarryEntersFewerSubhostsThanRunWhenTheyBootTogether() throws Exception {
        // The point of the rule: x registered, then a, then x's carry read a's line, then
        // a's carry: a enters nothing, and x hid a itself.
        Boot x = new Boot("x", true, false);
        Boot a = new Boot("a", true, false);
        makeLog("x");
        makeLog("a");
        World world = new World();
        for (String step : List.of("xR", "xH", "aR", "aH", "xP", "xC", "aP")) {
            world.play(step.charAt(0) == 'x' ? x : a, step.charAt(1));
        }
        SubhostTrees self = world.registered.get("a");
        Hiding.Carry.Work work = Hiding.Carry.work(self, index.carry(self, List.of()), false);

        assertThat(work.owed()).as("entered by a's carry").isEmpty();
        assertThat(world.hidden.get("x")).as("hidden in x by its own carry")
                .contains(bases.resolve("a"), logs.resolve("a.log"));
    }

    /**
     * Issue 22, 100 at once: a carry hides its BASE's directory whole when, by then, it holds
     * only subhosts' trees, though its registration found a BASE still being made there (z),
     * and says so in its line; a later boot's carry then skips it. How we know that this skip
     * hides as much: in every order of two boots of the benchmark's layout (LOGs in their
     * BASEs, all three BASEs in one directory), with z made at each place of each order,
     * each subhost hides every path of the other; the later trees lie in the directory, and
     * a directory hidden whole hides whatever is made in it later. (A LOG in its BASE is
     * no path of its own to hide, so whether a boot makes it, L, changes nothing here: the
     * two boots' LOGs are there before.)
     */
    @Test
    void inEveryOrderWithABaseBeingMadeBesideEachHidesTheOthersTrees() throws Exception {
        useTheBenchmarksLayout();
        Boot x = new Boot("x", true, false);
        Boot a = new Boot("a", true, false);
        assertThat(x.events()).containsExactly('R', 'H', 'P', 'C');
        assertThat(failures(x, a, true)).isEmpty();
    }

    @Test
    void aCarryHidesItsDirectoryWholeOnceTheBaseBesideIsMadeAndALaterBootEntersNothing() throws Exception {
        useTheBenchmarksLayout();
        Boot x = new Boot("x", true, false);
        Boot a = new Boot("a", true, false);
        makeLog("x");
        makeLog("a");
        Files.createDirectories(bases.resolve(STRANGER)); // half-made when x registers
        World world = new World();
        for (String step : List.of("xR", "xH", "zM", "xP", "xC", "aR", "aH", "aP", "aC")) {
            world.play(step.charAt(0) == 'a' ? a : x, step.charAt(1));
        }

        assertThat(world.registered.get("x").hiddenWhole()).as("x's registration, z half-made").doesNotContain(bases);
        assertThat(index.read().get("x").orElseThrow().hiddenWhole()).as("x's carry's line").contains(bases);
        assertThat(world.hidden.get("x")).as("hidden in x by its carry").contains(bases);
        assertThat(world.entered.get("a")).as("entered by a's carry").isEmpty();
    }

    @Test
    void aCarryDoesNotHideItsDirectoryWholeWhileAStrangersDirectoryIsThere() throws Exception {
        useTheBenchmarksLayout();
        Boot x = new Boot("x", true, false);
        Boot a = new Boot("a", true, false);
        makeLog("x");
        makeLog("a");
        Files.createDirectories(bases.resolve(STRANGER)); // never made a BASE: someone else's
        World world = new World();
        for (String step : List.of("xR", "xH", "xP", "xC", "aR", "aH", "aP", "aC")) {
            world.play(step.charAt(0) == 'a' ? a : x, step.charAt(1));
        }

        assertThat(index.read().get("x").orElseThrow().hiddenWhole()).doesNotContain(bases);
        assertThat(world.hidden.get("x")).as("what x hides").doesNotContain(bases).contains(bases.resolve("a"));
        assertThat(world.entered.get("a")).as("entered by a's carry").containsExactly("x");
    }

    /** LOGs in their BASEs, BASEs made (root, work, live), plans that list directories. */
    private void useTheBenchmarksLayout() throws IOException {
        logsInBase = true;
        lister = Hiding.Lister.HOST;
        for (String name : NAMES) {
            makeBase(bases.resolve(name));
        }
    }
}
