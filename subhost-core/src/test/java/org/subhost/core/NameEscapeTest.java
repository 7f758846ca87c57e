package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.config.SubhostConfig;

/**
 * The state store and {@code Subhosts.find} given NAMEs that could leave the state
 * directory, hide in it or take a lock file's place: each call is refused before any file
 * is touched (a directory beside the state directory keeps its files), and a record
 * planted beside the state directory is never found through {@code ../NAME}.
 */
class NameEscapeTest {
    private static final String RULE = ") must be 1 to 12 characters of A-Z a-z 0-9 _ . - and not start with . or -";
    private static final List<String> BAD = List.of("..", ".", "a/b", "../victim", "../../victim", ".x.lock",
            ".hidden", "-a", "--all", "a\nb", "a\0b", "", "x".repeat(300));

    @TempDir
    Path dir;

    @Test
    void storeRefusesEveryBadNameBeforeTouchingAFile() throws Exception {
        Path root = dir.resolve("state");
        StateStore store = new StateStore(root);
        // What a store that let ../victim or an absolute path through would overwrite or remove.
        Path victim = Files.createDirectories(dir.resolve("victim"));
        Files.writeString(victim.resolve("state"), "not a record");
        Files.writeString(victim.resolve("state.tmp"), "not a record");
        List<String> names = new java.util.ArrayList<>(BAD);
        names.add(victim.toString());
        for (String name : names) {
            String message = "NAME (" + name.replace("\n", "\\x0a").replace("\0", "\\x00") + RULE;
            assertThatThrownBy(() -> store.lock(name)).as("lock(%s)", name)
                    .isInstanceOf(IllegalArgumentException.class).hasMessage(message);
            assertThatThrownBy(() -> store.read(name)).as("read(%s)", name).hasMessage(message);
            assertThatThrownBy(() -> store.remove(name)).as("remove(%s)", name).hasMessage(message);
            assertThatThrownBy(() -> store.write(recordOf(name))).as("write(%s)", name).hasMessage(message);
        }
        assertThat(tree(dir)).as("files after the refused calls").containsExactly("victim", "victim/state",
                "victim/state.tmp");
        assertThat(Files.readString(victim.resolve("state"))).isEqualTo("not a record");
    }

    @Test
    void storeTakesAGoodNameAndRemovesItsLockFile() throws Exception {
        Path root = dir.resolve("state");
        StateStore store = new StateStore(root);
        try (StateStore.NameLock lock = store.lock("a.b-c_9")) {
            store.write(recordOf("a.b-c_9"));
            assertThat(tree(dir)).containsExactly("state", "state/.a.b-c_9.lock", "state/a.b-c_9", "state/a.b-c_9/state");
            store.remove("a.b-c_9");
        }
        assertThat(tree(dir)).containsExactly("state");
    }

    @Test
    void findNeverReadsARecordOutsideTheStateDirectory() throws Exception {
        Path root = Files.createDirectories(dir.resolve("state"));
        // A record of this very JVM as pid 1 (alive, with its true start time) beside the state directory.
        ProcessIdentity self = ProcessIdentity.of((int) ProcessHandle.current().pid()).orElseThrow();
        Path outside = Files.createDirectories(dir.resolve("x"));
        Files.writeString(outside.resolve("state"), recordOf("x").running(self, List.of()).format());
        LinuxSubhosts subhosts = LinuxSubhosts.create(root);

        assertThat(subhosts.find("../x")).as("find(../x)").isEmpty();
        assertThat(subhosts.find(dir.resolve("x").toString())).as("find(absolute path)").isEmpty();

        // The same record inside the state directory is found: the refusal above is the NAME's.
        Files.createDirectories(root.resolve("x"));
        Files.copy(outside.resolve("state"), root.resolve("x/state"));
        assertThat(subhosts.find("x")).as("find(x)").isPresent();
    }

    /** A record as a boot of a minimal subhost {@code name} would write first; {@code name} is not checked here. */
    private SubhostState recordOf(String name) throws IOException {
        Path base = Files.createDirectories(dir.resolve("base"));
        SubhostState planned = BootPlanner.planned(SubhostConfig.builder("ok", base).start("none").build(), SubhostGroups.NONE);
        Files.delete(base);
        return SubhostState.builder(name).phase(planned.phase()).pid1(planned.pid1()).config(planned.config())
                .log(planned.log()).logOffset(planned.logOffset()).live(planned.live()).rootKind(planned.rootKind())
                .netns(name).hostLinks(planned.hostLinks()).cableEnds(planned.cableEnds()).ifupped(planned.ifupped())
                .cgroup(planned.cgroup()).services(planned.services()).started(planned.started()).build();
    }

    /** Every path under {@code top}, relative to it, sorted. */
    private static List<String> tree(Path top) throws IOException {
        try (Stream<Path> all = Files.walk(top)) {
            return all.filter(p -> !p.equals(top)).map(p -> top.relativize(p).toString()).sorted().toList();
        }
    }
}
