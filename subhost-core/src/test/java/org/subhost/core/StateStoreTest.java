package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.config.RootKind;

/**
 * The store's locks and directories: a waiter whose lock file its holder removed locks the
 * new one; the directories are made private, or narrowed, and a link in their place is
 * refused, whether they are looked at first or made.
 */
class StateStoreTest {
    private static SubhostState record(Path dir) {
        return SubhostState.builder("ex1").log(dir.resolve("log")).live(dir.resolve("live")).rootKind(RootKind.PLAIN)
                .build();
    }

    @Test
    void aWaiterWhoseLockFileWasRemovedLocksTheNewOneAndExcludesTheNext(@TempDir Path dir) throws Exception {
        StateStore store = new StateStore(dir.resolve("state"));
        Path file = dir.resolve("state/.ex1.lock");
        StateStore.NameLock first = store.lock("ex1");
        CompletableFuture<StateStore.NameLock> second = CompletableFuture.supplyAsync(() -> lockQuietly(store));
        assertThatThrownBy(() -> second.get(300, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        // No record of ex1: its holder removes the lock file as it releases it.
        first.close();
        StateStore.NameLock held = second.get(10, TimeUnit.SECONDS);
        assertThat(file).exists();
        CompletableFuture<StateStore.NameLock> third = CompletableFuture.supplyAsync(() -> lockQuietly(store));
        assertThatThrownBy(() -> third.get(300, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        held.close();
        third.get(10, TimeUnit.SECONDS).close();
        assertThat(file).doesNotExist();
    }

    private static StateStore.NameLock lockQuietly(StateStore store) {
        try {
            return store.lock("ex1");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void theDirectoriesAreMadePrivateAndAnOlderOneOpenToOthersIsNarrowed(@TempDir Path dir) throws Exception {
        StateStore store = new StateStore(dir.resolve("state"));
        store.write(record(dir));
        assertThat(Files.getPosixFilePermissions(dir.resolve("state"))).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.getPosixFilePermissions(dir.resolve("state/ex1"))).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.getPosixFilePermissions(dir.resolve("state/ex1/state"))).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(dir.resolve("state/ex1"), PosixFilePermissions.fromString("rwxrwxrwx"));
        store.write(record(dir));
        assertThat(Files.getPosixFilePermissions(dir.resolve("state/ex1"))).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(store.read("ex1")).contains(record(dir));
        assertThat(store.names()).isEqualTo(List.of("ex1"));
    }

    @Test
    void aLinkInPlaceOfAStateDirectoryIsRefused(@TempDir Path dir) throws Exception {
        Path elsewhere = Files.createDirectory(dir.resolve("elsewhere"));
        Files.createDirectory(dir.resolve("state"));
        Files.createSymbolicLink(dir.resolve("state/ex1"), elsewhere);
        StateStore store = new StateStore(dir.resolve("state"));
        assertThatThrownBy(() -> store.write(record(dir))).hasMessage(dir.resolve("state/ex1")
                + ": not a directory (a link or another kind of file); refused: remove it if no subhost runs");
        assertThat(elsewhere).isEmptyDirectory();
        Files.delete(dir.resolve("state/ex1"));
        Files.createSymbolicLink(dir.resolve("root"), elsewhere);
        assertThatThrownBy(() -> new StateStore(dir.resolve("root")).lock("ex1")).hasMessage(dir.resolve("root")
                + ": not a directory (a link or another kind of file); refused: remove it if no subhost runs");
        assertThat(elsewhere).isEmptyDirectory();
    }
}
