package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.SubhostException;
import org.subhost.config.RootKind;
import org.subhost.config.SubhostConfig;
import org.subhost.linux.Fds;
import org.subhost.linux.netlink.RtNetlink;

/**
 * How the steps of a plan hand their results on ({@link Slot}, {@link BootResults}): the
 * plan refuses a step that reads what no step before it makes, the executor hands each
 * undo and release its own apply's result, and a result made on the namespace thread
 * reaches a step alongside. With steps of the test's own, which touch nothing of the
 * host; no root needed (the namespace thread unshares only CLONE_FS).
 */
class BootResultsTest {
    @TempDir
    Path tmp;

    /** What the test's steps did, in order: "apply a", "undo a (A)", "release a (A)". */
    private final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    private final Slot<SubhostState> running = new Slot<>("the state record of the running subhost");
    private BootLog log;
    private RtNetlink links;
    private BootServices services;

    @BeforeEach
    void openServices() throws Exception {
        log = BootLog.open("overlay-boot", "t", tmp.resolve("log"));
        links = RtNetlink.open();
        services = new BootServices(log, new StateStore(tmp.resolve("state")), links);
    }

    @AfterEach
    void closeServices() throws Exception {
        links.close();
        log.close();
    }

    /**
     * A step of the test's: {@code body} makes its result from its inputs; apply, undo and
     * release are written to {@link #calls} with the result they had.
     */
    private final class TestStep<R> implements BootStep<R> {
        private final String name;
        private final Place place;
        private final Function<StepInputs, R> body;
        private Optional<Slot<R>> produces = Optional.empty();
        private List<Slot<?>> consumes = List.of();
        private List<Slot<?>> awaits = List.of();

        TestStep(String name, Place place, Function<StepInputs, R> body) {
            this.name = name;
            this.place = place;
            this.body = body;
        }

        TestStep<R> produces(Slot<R> slot) {
            produces = Optional.of(slot);
            return this;
        }

        TestStep<R> consumes(Slot<?>... slots) {
            consumes = List.of(slots);
            return this;
        }

        TestStep<R> awaits(Slot<?>... slots) {
            awaits = List.of(slots);
            return this;
        }

        @Override
        public String describe() {
            return name;
        }

        @Override
        public Place place() {
            return place;
        }

        @Override
        public Optional<Slot<R>> produces() {
            return produces;
        }

        @Override
        public List<Slot<?>> consumes() {
            return consumes;
        }

        @Override
        public List<Slot<?>> awaits() {
            return awaits;
        }

        @Override
        public R apply(StepInputs in) {
            calls.add("apply " + name);
            return body.apply(in);
        }

        @Override
        public void undo(R result, StepInputs in) {
            calls.add("undo " + name + " (" + result + ")");
        }

        @Override
        public void release(R result) {
            calls.add("release " + name + " (" + result + ")");
        }
    }

    private <R> TestStep<R> host(String name, Function<StepInputs, R> body) {
        return new TestStep<>(name, BootStep.Place.HOST, body);
    }

    private <R> TestStep<R> namespace(String name, Function<StepInputs, R> body) {
        return new TestStep<>(name, BootStep.Place.NAMESPACE, body);
    }

    /** The last step of every test plan: the record of the running subhost, which a boot gives back. */
    private TestStep<SubhostState> record() {
        return host("record", in -> SubhostState.builder("t").log(tmp.resolve("log")).live(tmp)
                .rootKind(RootKind.PLAIN).build()).produces(running);
    }

    private SubhostState apply(BootStep<?>... steps) throws SubhostException {
        return new PlanExecutor(PlanExecutor.NO_FAULTS).apply(new BootPlan("t", List.of(steps), running), services);
    }

    @Test
    void aPlanRefusesAStepThatReadsWhatNoEarlierStepProduces() {
        Slot<String> made = new Slot<>("what make made");
        assertThatThrownBy(() -> new BootPlan("t", List.of(host("read", in -> in.get(made)).consumes(made),
                host("make", in -> "A").produces(made), record()), running))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("plan (t): step 1 (read) reads what make made, which no step that ends before it produces");
        assertThatThrownBy(() -> new BootPlan("t", List.of(host("read", in -> in.get(made)).consumes(made), record()),
                running))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("plan (t): step 1 (read) reads what make made, which no step that ends before it produces");
    }

    @Test
    void aNamespaceStepCannotReadWhatAStepAlongsideProducesSinceTheyRunAtTheSameTime() {
        Slot<String> made = new Slot<>("what make made");
        assertThatThrownBy(() -> new BootPlan("t", List.of(
                new BootStep.Alongside<>(host("make", in -> "A").produces(made)),
                namespace("read", in -> in.get(made)).consumes(made), record()), running))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("plan (t): step 2 (read) reads what make made, which no step that ends before it produces");
    }

    @Test
    void aStepWaitsOnlyForAStepOfTheOtherThreadRunningAlongsideIt() {
        Slot<String> made = new Slot<>("what make made");
        assertThatThrownBy(() -> new BootPlan("t", List.of(host("make", in -> "A").produces(made),
                host("wait", in -> "B").awaits(made), record()), running))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("plan (t): step 2 (wait) waits for what make made, which no step of the other thread "
                        + "running alongside it produces");
        assertThatThrownBy(() -> new BootPlan("t", List.of(host("make", in -> "A").produces(made),
                namespace("wait", in -> "B").awaits(made), record()), running))
                .as("a host step before the namespace thread starts: read it, don't wait for it")
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("plan (t): step 2 (wait) waits for what make made, which no step of the other thread "
                        + "running alongside it produces");
        assertThatThrownBy(() -> new BootPlan("t", List.of(new BootStep.Alongside<>(host("other", in -> "C")),
                namespace("make", in -> "A").produces(made), namespace("wait", in -> "B").awaits(made), record()),
                running))
                .as("a step of its own thread")
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("plan (t): step 3 (wait) waits for what make made, which no step of the other thread "
                        + "running alongside it produces");
        new BootPlan("t", List.of(new BootStep.Alongside<>(host("wait", in -> "B").awaits(made)),
                namespace("make", in -> "A").produces(made), record()), running);
        new BootPlan("t", List.of(new BootStep.Alongside<>(host("make", in -> "A").produces(made)),
                namespace("wait", in -> "B").awaits(made), record()), running);
    }

    @Test
    void aPlanRefusesWaitsOfTheTwoThreadsForEachOther() {
        Slot<String> netns = new Slot<>("what the namespace thread made");
        Slot<String> relay = new Slot<>("what the caller's thread made");
        // The caller's thread waits at step 1 for step 4, which comes after the namespace
        // thread's wait at step 3 for step 2, which comes after step 1: neither goes on.
        assertThatThrownBy(() -> new BootPlan("t", List.of(
                new BootStep.Alongside<>(host("wait for netns", in -> "B").awaits(netns)),
                new BootStep.Alongside<>(host("make relay", in -> "R").produces(relay)),
                namespace("wait for relay", in -> "W").awaits(relay),
                namespace("make netns", in -> "N").produces(netns), record()), running))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("plan (t): step 3 (wait for relay) waits for what the caller's thread made, which step 2"
                        + " makes only after step 1 has waited for what the namespace thread made, which step 4 makes"
                        + " after it");
        // The same waits with the namespace thread's making first: both go on.
        new BootPlan("t", List.of(
                new BootStep.Alongside<>(host("wait for netns", in -> "B").awaits(netns)),
                new BootStep.Alongside<>(host("make relay", in -> "R").produces(relay)),
                namespace("make netns", in -> "N").produces(netns),
                namespace("wait for relay", in -> "W").awaits(relay), record()), running);
    }

    @Test
    void aResultIsProducedByOneStepAndWhole() {
        Slot<String> made = new Slot<>("what make made");
        assertThatThrownBy(() -> new BootPlan("t", List.of(host("make", in -> "A").produces(made),
                host("make again", in -> "B").produces(made), record()), running))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("plan (t): step 2 (make again) produces what make made, which step 1 produces too");
        Slot<Integer> length = made.part("its length", String::length);
        assertThatThrownBy(() -> new BootPlan("t", List.of(host("make", in -> "A").produces(made),
                host("measure", in -> 1).produces(length), record()), running))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("plan (t): step 2 (measure) produces its length, a part of what make made, which is "
                        + "produced whole");
        assertThatThrownBy(() -> new BootPlan("t", List.of(host("make", in -> "A").produces(made)), running))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("plan (t): no step produces the state record of the running subhost");
    }

    @Test
    void aStepReadsThePartOfAResultThatItDeclares() throws Exception {
        Slot<String> made = new Slot<>("what make made");
        Slot<Integer> length = made.part("its length", String::length);
        List<Integer> read = new ArrayList<>();

        apply(host("make", in -> "ABC").produces(made), host("measure", in -> read.add(in.get(length))).consumes(length),
                record());

        assertThat(read).containsExactly(3);
    }

    @Test
    void aStepCannotReadAResultThatItDoesNotDeclare() {
        Slot<String> made = new Slot<>("what make made");

        assertThatThrownBy(() -> apply(host("make", in -> "A").produces(made), host("peek", in -> in.get(made)),
                record()))
                .isInstanceOf(SubhostException.class)
                .hasMessage("boot t: step 2 (peek) failed: step (peek) reads what make made, which it does not declare");
        assertThat(calls).containsExactly("apply make", "apply peek", "undo make (A)", "release make (A)");
    }

    @Test
    void rollbackHandsEachUndoItsOwnApplysResultAndReleasesEveryResultAfterTheUndos() {
        Slot<String> a = new Slot<>("a");
        Slot<String> b = new Slot<>("b");
        PlanExecutor failsAtFour = new PlanExecutor((index, step) -> {
            if (index == 4) {
                throw new IllegalStateException("injected fault");
            }
        });
        BootPlan plan = new BootPlan("t", List.of(host("make a", in -> "A").produces(a),
                host("make b from a", in -> in.get(a) + "B").consumes(a).produces(b),
                host("read b", in -> in.get(b).length()).consumes(b), record()), running);

        assertThatThrownBy(() -> failsAtFour.apply(plan, services)).isInstanceOf(SubhostException.class)
                .hasMessage("boot t: step 4 (record) failed: injected fault");

        assertThat(calls).containsExactly("apply make a", "apply make b from a", "apply read b",
                "undo read b (2)", "undo make b from a (AB)", "undo make a (A)",
                "release read b (2)", "release make b from a (AB)", "release make a (A)");
    }

    @Test
    void aBootThatSucceedsReleasesEveryResultAndGivesTheRunningRecordBack() throws Exception {
        Slot<String> a = new Slot<>("a");

        SubhostState state = apply(host("make a", in -> "A").produces(a), record());

        assertThat(state.name()).isEqualTo("t");
        assertThat(calls).containsExactly("apply make a", "apply record", "release record (" + state + ")",
                "release make a (A)");
    }

    @Test
    void aResultOfTheNamespaceThreadReachesTheStepAlongsideThatWaitsForIt() throws Exception {
        Slot<String> made = new Slot<>("what the namespace thread made");
        Slot<String> handed = new Slot<>("what the caller's thread has");

        apply(new BootStep.Alongside<>(host("wait", in -> await(in, made)).awaits(made).produces(handed)),
                namespace("make", in -> "made on " + Thread.currentThread().getName()).produces(made),
                host("read", in -> calls.add("read " + in.get(handed))).consumes(handed), record());

        assertThat(calls).contains("read made on boot t");
    }

    @Test
    void aStepAlongsideStopsWaitingWhenTheNamespaceThreadFailedWithoutTheResult() {
        Slot<String> made = new Slot<>("what the namespace thread made");
        // The namespace step fails only once the step alongside waits: else the step alongside
        // might not start at all, being stopped before it by the failure.
        CountDownLatch waiting = new CountDownLatch(1);

        assertThatThrownBy(() -> apply(new BootStep.Alongside<>(host("wait", in -> {
            waiting.countDown();
            return await(in, made);
        }).awaits(made)),
                namespace("fail", in -> {
                    awaitQuietly(waiting);
                    throw new IllegalStateException("no namespace today");
                }),
                namespace("make", in -> "A").produces(made), record()))
                .isInstanceOf(SubhostException.class)
                .hasMessage("boot t: step 2 (fail) failed: no namespace today");
        assertThat(calls).containsExactlyInAnyOrder("apply wait", "apply fail");
    }

    @Test
    void aResultOfTheCallersThreadReachesTheNamespaceStepThatWaitsForIt() throws Exception {
        Slot<String> made = new Slot<>("what the caller's thread made");
        Slot<String> handed = new Slot<>("what the namespace thread has");

        apply(new BootStep.Alongside<>(host("make", in -> "made on " + Thread.currentThread().getName()).produces(made)),
                namespace("wait", in -> await(in, made)).awaits(made).produces(handed),
                namespace("read", in -> calls.add("read " + in.get(handed))).consumes(handed), record());

        assertThat(calls).contains("read made on " + Thread.currentThread().getName());
    }

    /**
     * The caller's thread fails while the namespace thread waits for what it would have made:
     * the wait ends at once (not at its limit), the failure of the caller's step is the one
     * named, and what both threads applied is undone.
     */
    @Test
    void aNamespaceStepStopsWaitingWhenTheCallersThreadFailedWithoutTheResult() {
        Slot<String> made = new Slot<>("what the caller's thread made");
        CountDownLatch waiting = new CountDownLatch(1);
        long[] waited = new long[1];

        assertThatThrownBy(() -> apply(
                new BootStep.Alongside<>(host("fail", in -> {
                    awaitQuietly(waiting);
                    throw new IllegalStateException("no relay today");
                })),
                new BootStep.Alongside<>(host("make", in -> "A").produces(made)),
                namespace("mount", in -> "M"),
                namespace("wait", in -> {
                    waiting.countDown();
                    long start = System.nanoTime();
                    try {
                        return in.await(made, Duration.ofSeconds(60)).orElseThrow(
                                () -> new IllegalStateException("not made: the boot failed elsewhere"));
                    } catch (InterruptedException | TimeoutException e) {
                        throw new IllegalStateException(e);
                    } finally {
                        waited[0] = System.nanoTime() - start;
                    }
                }).awaits(made),
                namespace("spawn", in -> "S"), record()))
                .isInstanceOf(SubhostException.class)
                .hasMessage("boot t: step 1 (fail) failed: no relay today");
        // "wait" got nothing and failed as a consequence; "make" and "spawn" never ran; "mount" was undone.
        assertThat(calls).containsExactlyInAnyOrder("apply fail", "apply mount", "apply wait", "undo mount (M)",
                "release mount (M)");
        assertThat(Duration.ofNanos(waited[0])).as("the wait ended with the caller's thread, not at its limit")
                .isLessThan(Duration.ofSeconds(60));
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    /** What {@code in} gives for {@code slot}, or "nothing" when its thread ended without it. */
    private static String await(StepInputs in, Slot<String> slot) {
        try {
            return in.await(slot, Duration.ofSeconds(10)).orElseThrow(() -> new IllegalStateException("not made"));
        } catch (InterruptedException | TimeoutException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aResultIsReadOnlyOnceProducedAndWaitedForAtMostTheLimit() throws Exception {
        Slot<String> made = new Slot<>("what make made");
        Slot<String> other = new Slot<>("what nobody makes");
        BootResults results = new BootResults(List.of(made));

        assertThatThrownBy(() -> results.get(made)).isInstanceOf(IllegalStateException.class)
                .hasMessage("the result what make made was read before a step produced it");
        assertThatThrownBy(() -> results.await(made, Duration.ofMillis(10))).isInstanceOf(TimeoutException.class);
        assertThatThrownBy(() -> results.get(other)).isInstanceOf(IllegalStateException.class)
                .hasMessage("the result what nobody makes is produced by no step of the plan");
        results.put(made, "A");
        assertThat(results.get(made)).isEqualTo("A");
        assertThat(results.await(made, Duration.ZERO)).contains("A");
        assertThatThrownBy(() -> results.put(made, "B")).isInstanceOf(IllegalStateException.class)
                .hasMessage("the result what make made was produced twice");

        BootResults abandoned = new BootResults(List.of(made));
        abandoned.abandon(made);
        assertThat(abandoned.await(made, Duration.ZERO)).isEmpty();
    }

    @Test
    void aDescriptorIsClosedOnceHoweverOftenItIsClosed() throws Exception {
        Descriptor devNull = new Descriptor(Fds.open("/dev/null", Fds.O_RDONLY | Fds.O_CLOEXEC));
        devNull.close();
        // A file opened now may get the same number: a second close must leave it open.
        int reused = Fds.open("/dev/null", Fds.O_RDONLY | Fds.O_CLOEXEC);
        try {
            devNull.close();
            assertThat(Path.of("/proc/self/fd/" + reused)).exists();
        } finally {
            Fds.close(reused);
        }
        assertThat(devNull.isOpen()).isFalse();
        assertThatThrownBy(devNull::fd).isInstanceOf(IllegalStateException.class)
                .hasMessage("descriptor used after it was closed");
    }

    @Test
    void thePlansOfTheBootPlannerPassTheirOwnCheck() throws Exception {
        SubhostConfig.Builder builder = SubhostConfig.builder("ex1", tmp).cables("= =.7 =").start("a b");
        HostFacts facts = new HostFacts(Optional.of(Path.of("/sys/fs/cgroup")), true, Optional.of(Path.of("/sbin/ifup")));
        for (SubhostConfig config : List.of(builder.build(), builder.premount("/usr/local/bin/pre").build(),
                builder.premount(Optional.empty()).postmount("/usr/local/bin/post").init("echo exec /sbin/init").build(),
                SubhostConfig.builder("ex1", tmp).live(tmp).upper(tmp).lower(tmp).start("none").build())) {
            BootPlan plan = BootPlanner.plan(config, facts);
            assertThat(plan.steps()).as("the plan of %s", config).isNotEmpty();
            assertThat(plan.steps().getLast().describe()).startsWith("release pid 1");
        }
    }
}
