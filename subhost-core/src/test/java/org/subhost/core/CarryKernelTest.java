package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.ExecResult;
import org.subhost.Subhost;
import org.subhost.SubhostException;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;

/**
 * Issue 22: of two subhosts, the later one's trees are hidden in the earlier one by the
 * earlier one's carry when that carry read the later one's registration, else by the later
 * one's carry ({@link Hiding.Carry}), so that a boot no longer enters every running
 * subhost. Whatever the order of the two boots' registrations and carries (a boot is held
 * between the two by a PREMOUNT that waits), each subhost finds the other's BASE empty and
 * its LOG unopenable, from inside. The BASEs lie in directories that hold other things too
 * and the LOGs beside a file of the host's, so that nothing is hidden whole: each hide is
 * one of the pair's.
 */
class CarryKernelTest {
    private static final Duration TEN_SECONDS = Duration.ofSeconds(10);

    private final Subhosts subhosts = Subhosts.linux();
    private final List<SubhostConfig> made = new ArrayList<>();
    private final List<Path> dirs = new ArrayList<>();
    private final ExecutorService pool = Executors.newCachedThreadPool();
    private Path logs;
    private Path gate;

    @BeforeEach
    void root() throws IOException {
        KernelFixture.requireRoot();
        logs = dir("logs");
        Files.writeString(logs.resolve("neighbour.txt"), "the host's\n");
        gate = dir("gate");
    }

    @AfterEach
    void tearDown() throws Exception {
        // Whatever a failed test left waiting goes on, and is stopped below.
        for (SubhostConfig c : made) {
            Files.writeString(gate.resolve(c.name() + ".go"), "");
        }
        pool.shutdown();
        pool.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
        for (SubhostConfig c : made) {
            KernelFixture.stopAndCheckNothingLeft(subhosts, c, c.name(), c.base());
        }
        for (Path dir : dirs) {
            KernelFixture.deleteTree(dir);
        }
    }

    private Path dir(String what) throws IOException {
        Path dir = Files.createTempDirectory("subhost-test-" + what + "-").toRealPath();
        dirs.add(dir);
        return dir;
    }

    /**
     * A subhost with LOWER / in a base of its own, a secret in UPPER, and its LOG beside the
     * others' (there already, as after an earlier boot, when {@code logThere}: else its boot
     * makes it after registering, so that its own carry enters the others); held before
     * its root is mounted, after its registration, until {@link #release} when {@code held}.
     */
    private SubhostConfig subhost(boolean logThere, boolean held) throws IOException {
        String name = KernelFixture.uniqueName();
        Path base = KernelFixture.base(name);
        SubhostConfig.Builder b = SubhostConfig.builder(name, base).start("none").ramSize("none")
                .log(logs.resolve(name + ".log"));
        if (held) {
            Path paused = gate.resolve(name + ".paused");
            Path go = gate.resolve(name + ".go");
            b.premount("touch " + paused + "; while [ ! -e " + go + " ]; do sleep 0.01; done; :");
        }
        SubhostConfig config = b.build();
        made.add(config);
        Files.writeString(config.upper().resolve("secret"), name + "'s\n");
        if (logThere) {
            // As an earlier boot leaves them: LOG, and LOG.1, which the boot opens for the relay's rotation.
            Files.writeString(config.log(), "");
            Files.writeString(LogFile.rotated(config.log()), "");
        }
        return config;
    }

    /** Boots {@code config} on a thread of its own; returns once it waits in its PREMOUNT. */
    private Future<Subhost> bootHeld(SubhostConfig config) throws Exception {
        Future<Subhost> boot = pool.submit(() -> subhosts.boot(config));
        Path paused = gate.resolve(config.name() + ".paused");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!Files.exists(paused)) {
            if (boot.isDone()) {
                boot.get(); // its failure
            }
            assertThat(System.nanoTime()).as("%s waits in its PREMOUNT", config.name()).isLessThan(deadline);
            Thread.sleep(5);
        }
        return boot;
    }

    /** Lets the held boot of {@code config} go on, and waits until it has booted. */
    private Subhost release(SubhostConfig config, Future<Subhost> boot) throws Exception {
        Files.writeString(gate.resolve(config.name() + ".go"), "");
        return boot.get(30, java.util.concurrent.TimeUnit.SECONDS);
    }

    /** Runs {@code script} in {@code s}: its standard output, then its standard error. */
    private static String sh(Subhost s, String script) throws SubhostException {
        ExecResult r = s.exec(List.of("/bin/sh", "-c", script), TEN_SECONDS);
        return r.stdout() + r.stderr();
    }

    /** What {@code inside} shows of {@code other}'s BASE, UPPER and LOG: nothing. */
    private static void assertHidden(Subhost inside, SubhostConfig other) throws SubhostException {
        assertThat(sh(inside, "ls -A " + other.base() + "; cat " + other.upper() + "/secret; cat " + other.log()))
                .as("%s's trees seen from %s", other.name(), inside.name())
                .isEqualTo("cat: " + other.upper() + "/secret: No such file or directory\n"
                        + "cat: " + other.log() + ": Permission denied\n");
    }

    /** Both ways, and the host's file beside the LOGs still readable. */
    private void assertEachHidesTheOther(Subhost a, SubhostConfig ac, Subhost b, SubhostConfig bc)
            throws SubhostException {
        assertHidden(a, bc);
        assertHidden(b, ac);
        assertThat(sh(a, "cat " + logs + "/neighbour.txt")).isEqualTo("the host's\n");
    }

    /** The index's entry of {@code name} now. */
    private static SubhostTrees entry(String name) throws IOException {
        return new TreeIndex(Path.of("/run/subhost"), Optional.empty()).read().get(name).orElseThrow();
    }

    /** The line numbers of the carry lines of {@code first} and {@code second}: which carry came first. */
    private static List<Integer> carryLines(SubhostTrees first, SubhostTrees second) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/run/subhost").resolve(TreeIndex.FILE));
        List<Integer> at = new ArrayList<>();
        for (SubhostTrees e : List.of(first, second)) {
            String prefix = "name=" + e.name() + "\tseq=";
            int i = 0;
            while (i < lines.size() && !(lines.get(i).startsWith(prefix) && lines.get(i).endsWith("\tphase=active"))) {
                i++;
            }
            at.add(i);
        }
        return at;
    }

    @Test
    void aSubhostBootedAfterTheEarliersCarryHidesItselfThere() throws Exception {
        SubhostConfig earlier = subhost(true, false);
        Subhost x = subhosts.boot(earlier);
        SubhostConfig later = subhost(true, false);
        Subhost a = subhosts.boot(later);

        assertThat(entry(earlier.name()).carried()).as("the earlier carry read only up to itself")
                .isLessThan(entry(later.name()).seq());
        assertEachHidesTheOther(x, earlier, a, later);
    }

    @Test
    void aSubhostRegisteredBeforeTheEarliersCarryIsHiddenByThatCarry() throws Exception {
        SubhostConfig earlier = subhost(true, true);
        Future<Subhost> xBoot = bootHeld(earlier);
        SubhostConfig later = subhost(true, true);
        Future<Subhost> aBoot = bootHeld(later);
        Subhost x = release(earlier, xBoot);
        Subhost a = release(later, aBoot);

        SubhostTrees xe = entry(earlier.name());
        SubhostTrees ae = entry(later.name());
        assertThat(xe.carried()).as("the earlier carry read the later registration").isGreaterThanOrEqualTo(ae.seq());
        List<Integer> at = carryLines(xe, ae);
        assertThat(at.get(0)).as("the earlier carried first").isLessThan(at.get(1));
        assertEachHidesTheOther(x, earlier, a, later);
    }

    @Test
    void logsThatTheBootsMakeAreHiddenBothWaysAsWell() throws Exception {
        // The LOGs are new: each boot makes its own after registering, so that the later
        // one's carry hides its own in the earlier one too (CarryProtocolTest has the case
        // where the earlier carry came before the LOG was made).
        SubhostConfig earlier = subhost(false, true);
        Future<Subhost> xBoot = bootHeld(earlier);
        SubhostConfig later = subhost(false, true);
        Future<Subhost> aBoot = bootHeld(later);
        Subhost x = release(earlier, xBoot);
        Subhost a = release(later, aBoot);

        assertThat(entry(earlier.name()).carried()).isGreaterThanOrEqualTo(entry(later.name()).seq());
        assertEachHidesTheOther(x, earlier, a, later);
    }

    @Test
    void aSubhostThatCarriedWhileTheEarlierWasStillBootingIsHiddenByTheEarliersCarry() throws Exception {
        SubhostConfig earlier = subhost(true, true);
        Future<Subhost> xBoot = bootHeld(earlier);
        SubhostConfig later = subhost(true, false);
        Subhost a = subhosts.boot(later);
        Subhost x = release(earlier, xBoot);

        SubhostTrees xe = entry(earlier.name());
        SubhostTrees ae = entry(later.name());
        assertThat(xe.seq()).as("registered first").isLessThan(ae.seq());
        List<Integer> at = carryLines(xe, ae);
        assertThat(at.get(1)).as("the later carried first").isLessThan(at.get(0));
        assertEachHidesTheOther(x, earlier, a, later);
    }

    @Test
    void aSubhostBootedAgainUnderItsNameWithOtherTreesIsHiddenThereToo() throws Exception {
        SubhostConfig earlier = subhost(true, false);
        Subhost x = subhosts.boot(earlier);
        SubhostConfig later = subhost(true, false);
        subhosts.boot(later);
        SubhostTrees first = entry(later.name());
        subhosts.stop(later, Duration.ofSeconds(2));
        // The same NAME, another BASE and LOG: what the first boot hid in x covers none of it.
        SubhostConfig again = SubhostConfig.builder(later.name(), KernelFixture.base(later.name())).start("none")
                .ramSize("none").log(logs.resolve(later.name() + "-again.log")).build();
        made.add(made.indexOf(later), again); // stopped first
        Files.writeString(again.upper().resolve("secret"), "again's\n");
        Files.writeString(again.log(), "");
        Files.writeString(LogFile.rotated(again.log()), "");
        Subhost a = subhosts.boot(again);

        SubhostTrees second = entry(later.name());
        assertThat(second.seq()).isGreaterThan(first.carried());
        assertThat(second.carried()).as("a carry of its own").isGreaterThanOrEqualTo(second.seq());
        assertEachHidesTheOther(x, earlier, a, again);
    }

    /**
     * A subhost of the benchmark's layout (BASE in {@code bases}, LOG in BASE, a secret in
     * UPPER), with {@code premount} as its PREMOUNT when not null.
     */
    private SubhostConfig inOneDirectory(Path bases, String premount) throws IOException {
        String name = KernelFixture.uniqueName();
        Path base = bases.resolve(name);
        for (String layer : List.of("root", "work", "live")) {
            Files.createDirectories(base.resolve(layer));
        }
        SubhostConfig.Builder b = SubhostConfig.builder(name, base).start("none").ramSize("none")
                .log(base.resolve("log"));
        if (premount != null) {
            b.premount(premount);
        }
        SubhostConfig config = b.build();
        made.add(config);
        Files.writeString(config.upper().resolve("secret"), name + "'s\n");
        return config;
    }

    @Test
    void aBootThatFoundABaseBeingMadeBesideItsOwnHidesTheDirectoryWholeAtItsCarry() throws Exception {
        // Issue 22, 100 at once: x registers while z, beside its BASE, is half-made (as when
        // many are made and booted at once), so its plan hides each path; z is made before
        // x's carry (by x's PREMOUNT, which runs between the two), so x's carry hides the
        // directory whole, and a subhost booted there later (a) skips x: what x shows of it
        // is what the whole hide shows, nothing, and of what is made there later, nothing.
        Path bases = dir("bases");
        Path z = Files.createDirectories(bases.resolve("z"));
        SubhostConfig xc = inOneDirectory(bases, "mkdir " + z.resolve("root") + " " + z.resolve("work") + " "
                + z.resolve("live") + "; :");
        Subhost x = subhosts.boot(xc);
        SubhostConfig ac = inOneDirectory(bases, null);
        Subhost a = subhosts.boot(ac);
        Files.writeString(bases.resolve("made-later.txt"), "the host's\n");

        List<String> lines = Files.readAllLines(Path.of("/run/subhost").resolve(TreeIndex.FILE));
        assertThat(lines).as("x's registration did not hide the directory whole; its carry did")
                .anyMatch(l -> l.startsWith("name=" + xc.name() + "\tseq=") && l.contains("\tBASE=")
                        && !l.contains("\thidden=" + bases + "\t") && !l.endsWith("\thidden=" + bases))
                .anyMatch(l -> l.startsWith("name=" + xc.name() + "\tseq=") && l.contains("\tphase=active\thidden=")
                        && l.endsWith("\thidden=" + bases));
        assertThat(entry(xc.name()).hiddenWhole()).contains(bases);
        assertThat(sh(x, "ls -A " + bases + "; cat " + ac.upper() + "/secret; cat " + ac.log() + "; cat " + bases
                + "/made-later.txt"))
                .as("%s seen from %s", bases, xc.name())
                .isEqualTo("cat: " + ac.upper() + "/secret: No such file or directory\n"
                        + "cat: " + ac.log() + ": No such file or directory\n"
                        + "cat: " + bases + "/made-later.txt: No such file or directory\n");
        assertThat(sh(a, "ls -A " + bases + "; cat " + xc.upper() + "/secret"))
                .as("%s seen from %s", bases, ac.name())
                .isEqualTo("cat: " + xc.upper() + "/secret: No such file or directory\n");
        assertThat(Files.readString(xc.log())).contains("hid " + bases + " whole from " + xc.name()
                + ": it holds only subhosts' trees now");
    }
}
