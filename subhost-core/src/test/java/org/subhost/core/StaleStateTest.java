package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.NotRunningException;
import org.subhost.Subhost;
import org.subhost.SubhostStatus;
import org.subhost.Subhosts;
import org.subhost.config.SubhostConfig;

/**
 * State records that no longer describe a running subhost, on the real kernel: one whose
 * pid 1 is dead, and one whose pid now belongs to an unrelated process (a {@code sleep}
 * the test started, recorded with a wrong start time). Neither is taken for a running
 * subhost, the unrelated process is never signalled, and a new boot of the NAME clears the
 * record and boots.
 */
class StaleStateTest {
    private static final Path STATE_ROOT = Path.of("/run/subhost");

    private final Subhosts subhosts = Subhosts.linux();
    private final StateStore store = new StateStore(STATE_ROOT);
    private String name;
    private Path base;
    private SubhostConfig config;
    private Process sleep;

    @BeforeEach
    void setUp() throws Exception {
        KernelFixture.requireRoot();
        name = KernelFixture.uniqueName();
        base = KernelFixture.base(name);
        config = SubhostConfig.builder(name, base).start("none").log(base.resolve("log")).build();
        sleep = new ProcessBuilder("sleep", "30").start();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (name == null) {
            return;
        }
        try {
            subhosts.stop(config, Duration.ofSeconds(2));
        } catch (NotRunningException e) {
            // nothing ran, or the test stopped it
        }
        sleep.destroyForcibly().waitFor();
        KernelFixture.assertNothingLeft(name, base);
        KernelFixture.deleteTree(base);
    }

    /** Writes a record of {@code config}'s subhost as running with pid 1 {@code pid1}. */
    private void record(ProcessIdentity pid1) throws Exception {
        store.write(BootPlanner.planned(config, SubhostGroups.NONE).running(pid1, List.of()));
    }

    private List<String> listed() {
        return subhosts.list().stream().map(SubhostStatus::name).toList();
    }

    @Test
    void recordOfADeadPid1NamesNoRunningSubhostAndANewBootClearsIt() throws Exception {
        ProcessIdentity dead = ProcessIdentity.of((int) sleep.pid()).orElseThrow();
        sleep.destroyForcibly().waitFor();
        record(dead);

        assertThat(store.read(name)).isPresent();
        assertThat(subhosts.find(name)).isEmpty();
        assertThat(listed()).doesNotContain(name);

        Subhost s = subhosts.boot(config);
        assertThat(s.pid()).isNotEqualTo(dead.pid());
        assertThat(subhosts.find(name)).isPresent();
        assertThat(listed()).contains(name);
        assertThat(store.read(name).orElseThrow().pid1().orElseThrow().isAlive()).isTrue();
        s.stop(Duration.ofSeconds(2));
        KernelFixture.assertNothingLeft(name, base);
    }

    @Test
    void stopOfARecordWhosePidWasReusedSignalsNothing() throws Exception {
        ProcessIdentity unrelated = ProcessIdentity.of((int) sleep.pid()).orElseThrow();
        record(new ProcessIdentity(unrelated.pid(), unrelated.startTime() + 1));

        assertThat(subhosts.find(name)).isEmpty();
        assertThat(listed()).doesNotContain(name);
        assertThatThrownBy(() -> subhosts.stop(config, Duration.ofSeconds(1)))
                .isInstanceOf(NotRunningException.class).hasMessage(name + " is not running");

        assertThat(sleep.isAlive()).as("the unrelated sleep (pid %d)", unrelated.pid()).isTrue();
        assertThat(ProcessIdentity.of(unrelated.pid())).contains(unrelated);
        assertThat(store.read(name)).as("the stale record").isEmpty();
    }

    @Test
    void bootOverARecordWhosePidWasReusedSignalsNothingAndBoots() throws Exception {
        ProcessIdentity unrelated = ProcessIdentity.of((int) sleep.pid()).orElseThrow();
        record(new ProcessIdentity(unrelated.pid(), unrelated.startTime() + 1));

        Subhost s = subhosts.boot(config);
        assertThat(s.pid()).isNotEqualTo(unrelated.pid());
        assertThat(sleep.isAlive()).as("the unrelated sleep (pid %d)", unrelated.pid()).isTrue();
        s.stop(Duration.ofSeconds(2));
        assertThat(sleep.isAlive()).as("the unrelated sleep after the stop").isTrue();
        KernelFixture.assertNothingLeft(name, base);
    }
}
