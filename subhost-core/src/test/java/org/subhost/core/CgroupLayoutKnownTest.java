package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * A JVM that boots many subhosts reads the control groups' layout once for what {@code
 * /proc/self/cgroup} and the v2 parent's {@code cgroup.controllers} say, and reads it again
 * as soon as either says something else, or when a hierarchy was not found.
 */
class CgroupLayoutKnownTest {
    private static final Optional<Path> V2 = Optional.of(Path.of("/sys/fs/cgroup/unified"));
    private static final String HYBRID = "12:memory:/\n11:pids:/user.slice\n4:cpu,cpuacct:/\n1:name=systemd:/\n0::/\n";

    /** Where hierarchies are, as the host says, with each question counted. */
    private static final class Mounts implements Function<Set<String>, Optional<Path>> {
        final List<Set<String>> asked = new ArrayList<>();
        boolean pidsMounted = true;

        @Override
        public Optional<Path> apply(Set<String> controllers) {
            asked.add(controllers);
            if (controllers.contains("pids") && !pidsMounted) {
                return Optional.empty();
            }
            return Optional.of(Path.of("/sys/fs/cgroup").resolve(String.join(",", controllers)));
        }
    }

    private static CgroupLayout fresh(Optional<Path> v2, String procSelfCgroup, String controllers, Mounts mounts) {
        return CgroupLayout.read(v2, Optional.empty(), procSelfCgroup, mounts,
                group -> CgroupLayout.controllerWords(controllers));
    }

    @Test
    void theSameTextsGiveTheLayoutReadBeforeWithoutLookingAgain() {
        CgroupLayout.Known known = new CgroupLayout.Known();
        Mounts mounts = new Mounts();
        CgroupLayout first = known.layout(V2, Optional.empty(), HYBRID, "\n", mounts);
        assertThat(first).isEqualTo(fresh(V2, HYBRID, "\n", new Mounts()));
        assertThat(mounts.asked).hasSize(3);

        assertThat(known.layout(V2, Optional.empty(), new String(HYBRID), "\n", mounts)).isSameAs(first);
        assertThat(mounts.asked).hasSize(3);
    }

    @Test
    void aProcessMovedToAnotherGroupOrAControllerEnabledIsReadAgain() {
        CgroupLayout.Known known = new CgroupLayout.Known();
        Mounts mounts = new Mounts();
        CgroupLayout first = known.layout(V2, Optional.empty(), HYBRID, "", mounts);
        String moved = HYBRID.replace("12:memory:/\n", "12:memory:/system.slice\n");
        CgroupLayout after = known.layout(V2, Optional.empty(), moved, "", mounts);
        assertThat(after).isEqualTo(fresh(V2, moved, "", new Mounts())).isNotEqualTo(first);
        assertThat(after.v1Hierarchy("memory").orElseThrow().ownGroup()).isEqualTo(Path.of("/system.slice"));

        CgroupLayout enabled = known.layout(V2, Optional.empty(), moved, "memory pids\n", mounts);
        assertThat(enabled.v2Controllers()).containsExactlyInAnyOrder("memory", "pids");
        assertThat(enabled).isEqualTo(fresh(V2, moved, "memory pids\n", new Mounts()));

        CgroupLayout unified = known.layout(Optional.of(Path.of("/sys/fs/cgroup")), Optional.empty(), moved,
                "memory pids\n", mounts);
        assertThat(unified.v2Root()).contains(Path.of("/sys/fs/cgroup"));
        CgroupLayout inUnit = known.layout(V2, Optional.of(Path.of("system.slice/x.service")), moved, "memory pids\n",
                mounts);
        assertThat(inUnit.unitGroup()).contains(Path.of("system.slice/x.service"));
        assertThat(known.layout(V2, Optional.empty(), HYBRID, "", mounts)).isEqualTo(first);
    }

    @Test
    void aLayoutWithAHierarchyNotFoundIsReadAgainNextTime() {
        CgroupLayout.Known known = new CgroupLayout.Known();
        Mounts mounts = new Mounts();
        mounts.pidsMounted = false;
        CgroupLayout without = known.layout(V2, Optional.empty(), HYBRID, "", mounts);
        assertThat(without.offers("pids")).isFalse();
        int asked = mounts.asked.size();

        mounts.pidsMounted = true;
        CgroupLayout with = known.layout(V2, Optional.empty(), HYBRID, "", mounts);
        assertThat(mounts.asked.size()).isGreaterThan(asked);
        assertThat(with.offers("pids")).isTrue();
        assertThat(with).isEqualTo(fresh(V2, HYBRID, "", new Mounts()));
    }

    @Test
    void thisHostsProbeIsWhatAReadingOfItsFilesGives() {
        Optional<Path> v2 = HostFacts.findCgroup2();
        CgroupLayout probed = CgroupLayout.probe(v2, Optional.empty());
        assertThat(CgroupLayout.probe(v2, Optional.empty())).isEqualTo(probed);
        // The way it was read before the layout was kept: all of it again, every time.
        assertThat(probed).isEqualTo(CgroupLayout.read(v2, Optional.empty(), CgroupLayout.procSelfCgroup(),
                c -> CgroupLayout.probe(v2, Optional.empty()).v1().stream()
                        .filter(h -> h.controllers().equals(c)).map(CgroupLayout.Hierarchy::mount).findFirst(),
                CgroupLayout::readControllers));
    }
}
