package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The directories kept by inotify answer what a listing at the same moment gives, after
 * any script of names made, removed and renamed (within a directory, between two, into it
 * from outside and out of it), directories removed and made again at the same path, and a
 * directory replaced by another renamed over its path. On directories of the test's own.
 */
class WatchedDirectoriesTest {
    private static Optional<List<String>> sorted(Optional<List<String>> names) {
        return names.map(n -> List.copyOf(new TreeSet<>(n)));
    }

    @Property(tries = 60)
    void answersWhatAListingGivesAfterAnyChanges(
            @ForAll @Size(min = 1, max = 80) List<@IntRange(max = 9999) Integer> script) throws Exception {
        Path top = Files.createTempDirectory("watched-dirs-").toRealPath();
        WatchedDirectories watched = new WatchedDirectories();
        try {
            List<Path> dirs = List.of(top.resolve("d0"), top.resolve("d1"));
            Path outside = Files.createDirectories(top.resolve("outside"));
            for (Path dir : dirs) {
                Files.createDirectories(dir);
                // The first ask of a directory is a plain listing; from the second on it is followed.
                assertThat(sorted(watched.names(dir, 0))).isEqualTo(Optional.of(List.of()));
            }
            for (int v : script) {
                Path dir = dirs.get(v % 2);
                Path other = dirs.get(1 - v % 2);
                String name = "n" + v / 10 % 5;
                Path p = dir.resolve(name);
                switch (v / 2 % 5) {
                    case 0 -> {
                        if (Files.notExists(dir)) {
                            Files.createDirectories(dir);
                        } else if (Files.notExists(p)) {
                            if (v / 50 % 2 == 0) {
                                Files.createDirectory(p);
                            } else {
                                Files.writeString(p, "");
                            }
                        }
                    }
                    case 1 -> {
                        if (Files.isDirectory(dir)) {
                            Files.deleteIfExists(p);
                        }
                    }
                    case 2 -> {
                        // A rename: in the directory, to the other one, out of it, or in from outside.
                        Path to = switch (v / 50 % 3) {
                            case 0 -> dir.resolve("m" + v % 3);
                            case 1 -> other.resolve(name);
                            default -> outside.resolve(name + v);
                        };
                        if (v / 150 % 2 == 1) {
                            Path from = outside.resolve("in" + v);
                            Files.writeString(from, "");
                            if (Files.isDirectory(dir)) {
                                Files.move(from, p, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                            }
                        } else if (Files.exists(p) && Files.isDirectory(to.getParent())) {
                            Files.move(p, to, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                        }
                    }
                    case 3 -> {
                        // The directory removed (and made again later), or replaced by one renamed over it.
                        if (Files.isDirectory(dir)) {
                            delete(dir);
                            if (v / 10 % 2 == 0) {
                                Path fresh = Files.createDirectories(outside.resolve("fresh" + v));
                                Files.writeString(fresh.resolve("f" + v % 4), "");
                                Files.move(fresh, dir);
                            }
                        }
                    }
                    default -> {
                    }
                }
                for (Path d : dirs) {
                    String[] listed = d.toFile().list();
                    Optional<List<String>> expected = listed == null ? Optional.empty()
                            : Optional.of(List.copyOf(new TreeSet<>(List.of(listed))));
                    assertThat(sorted(watched.names(d, 0))).as("%s after %s", d, v).isEqualTo(expected);
                }
            }
            assertThat(watched.kept()).as("directories it follows").isNotEmpty();
        } finally {
            watched.close();
            delete(top);
        }
    }

    private static void delete(Path dir) throws java.io.IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
