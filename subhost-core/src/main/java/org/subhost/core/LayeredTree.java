package org.subhost.core;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * A subhost's root as its overlay will show it, read from the layers before the overlay is
 * mounted: UPPER over LOWER, each a {@link SubhostTree}, so that every lookup stays inside its
 * layer (openat2 with RESOLVE_IN_ROOT) as the boot's reading of LIVE does. For the
 * preflight, which reads START's units before anything is mounted.
 *
 * <p>Example: UPPER has {@code etc/systemd/system/ssh.service.d/local.conf} and a whiteout at
 * {@code etc/init.d/ssh}; LOWER has {@code etc/init.d/ssh} and {@code
 * lib/systemd/system/ssh.service}. Then {@code etc/init.d/ssh} is not there, and the unit has
 * LOWER's file with UPPER's drop-in.
 *
 * <p>The merge is overlayfs's (Documentation/filesystems/overlayfs.rst), one component at a
 * time: UPPER's entry of a name wins; a whiteout (a character device 0/0) hides LOWER's; a
 * directory is merged with LOWER's directory of the same path unless it is opaque; a
 * symbolic link is followed through the merged view, so that a link in UPPER may lead to a
 * file of LOWER (as a unit enabled inside the subhost does), {@code ..} staying at the root.
 * An opaque directory is known only to a reader with CAP_SYS_ADMIN (its attribute is a
 * trusted one); for another reader LOWER's entries show through it. What the preflight reads
 * here the boot reads again from LIVE, which the kernel merges.
 */
final class LayeredTree implements TreeReader {
    /** As the kernel's limit of links followed in one lookup. */
    private static final int MAX_LINKS = 40;

    private final SubhostTree upper;
    private final SubhostTree lower;

    LayeredTree(SubhostTree upper, SubhostTree lower) {
        this.upper = upper;
        this.lower = lower;
    }

    /**
     * Where a path leads in the merged view.
     *
     * @param layer the layer whose entry it is
     * @param path its path in that layer, with no link in it
     * @param typeName its kind
     * @param lowerBelow for a directory of UPPER: whether LOWER's directory of that path is merged with it
     */
    private record Found(SubhostTree layer, String path, String typeName, boolean lowerBelow) {}

    /** The entry {@code relative} leads to; empty when nothing is there. */
    private Optional<Found> find(String relative, boolean followLast) throws IOException {
        Deque<String> todo = new ArrayDeque<>(split(relative));
        List<String> current = new ArrayList<>();
        Found found = new Found(upper, "", "directory", true);
        boolean lowerVisible = true;
        int links = 0;
        while (!todo.isEmpty()) {
            String name = todo.removeFirst();
            if (name.equals("..")) {
                // Up from a directory of the merged view: walk again from the top, so that the
                // layers' visibility is that of the parent's path.
                if (!current.isEmpty()) {
                    current.removeLast();
                }
                Deque<String> again = new ArrayDeque<>(current);
                again.addAll(todo);
                todo = again;
                current.clear();
                found = new Found(upper, "", "directory", true);
                lowerVisible = true;
                continue;
            }
            String path = join(current, name);
            Optional<SubhostTree.LayerEntry> upperEntry = upper.layerEntry(path);
            SubhostTree layer;
            SubhostTree.LayerEntry entry;
            if (upperEntry.isPresent()) {
                if (upperEntry.get().whiteout()) {
                    return Optional.empty();
                }
                layer = upper;
                entry = upperEntry.get();
            } else if (lowerVisible) {
                Optional<SubhostTree.LayerEntry> lowerEntry = lower.layerEntry(path);
                if (lowerEntry.isEmpty()) {
                    return Optional.empty();
                }
                layer = lower;
                entry = lowerEntry.get();
            } else {
                return Optional.empty();
            }
            boolean last = todo.isEmpty();
            if (entry.linkTarget().isPresent() && (!last || followLast)) {
                if (++links > MAX_LINKS) {
                    throw new IOException(layer.pathOf(path) + ": more than " + MAX_LINKS
                            + " symbolic links in a row (a loop)");
                }
                String target = entry.linkTarget().get();
                Deque<String> next = new ArrayDeque<>(target.startsWith("/") ? List.of() : current);
                next.addAll(split(target));
                next.addAll(todo);
                todo = next;
                current.clear();
                found = new Found(upper, "", "directory", true);
                lowerVisible = true;
                continue;
            }
            boolean directory = entry.typeName().equals("directory");
            if (!last && !directory) {
                return Optional.empty(); // ENOTDIR: nothing is below a file
            }
            if (layer == upper) {
                // LOWER's entries show below a directory of UPPER only where LOWER has a
                // directory there too and UPPER's is not opaque.
                lowerVisible = lowerVisible && directory && !entry.opaque() && lower.layerEntry(path)
                        .filter(e -> e.typeName().equals("directory")).isPresent();
            }
            current.add(name);
            found = new Found(layer, path, entry.typeName(), layer == upper && lowerVisible);
        }
        return Optional.of(found);
    }

    @Override
    public Optional<String> typeName(String relative, boolean follow) throws IOException {
        return find(relative, follow).map(Found::typeName);
    }

    @Override
    public List<String> list(String relative) throws IOException {
        Optional<Found> found = find(relative, true);
        if (found.isEmpty()) {
            return List.of();
        }
        if (!found.get().typeName().equals("directory")) {
            throw new IOException(relative + ": a " + found.get().typeName() + ", not a directory (in "
                    + upper.top() + " over " + lower.top() + ")");
        }
        Found dir = found.get();
        TreeSet<String> names = new TreeSet<>();
        List<String> inUpper = dir.layer() == upper ? upper.list(dir.path()) : List.of();
        for (String name : inUpper) {
            if (!upper.layerEntry(join(dir.path(), name)).map(SubhostTree.LayerEntry::whiteout).orElse(true)) {
                names.add(name);
            }
        }
        if (dir.layer() == lower || dir.lowerBelow()) {
            for (String name : lower.list(dir.path())) {
                if (!inUpper.contains(name)) {
                    names.add(name); // UPPER's entry of the name, a whiteout too, hides LOWER's
                }
            }
        }
        return List.copyOf(names);
    }

    @Override
    public Optional<byte[]> readRegular(String relative, int limit) throws IOException {
        Optional<Found> found = find(relative, true);
        if (found.isEmpty()) {
            return Optional.empty();
        }
        return found.get().layer().readRegular(found.get().path(), limit);
    }

    private static List<String> split(String path) {
        List<String> names = new ArrayList<>();
        for (String name : path.split("/")) {
            if (!name.isEmpty() && !name.equals(".")) {
                names.add(name);
            }
        }
        return names;
    }

    private static String join(List<String> dir, String name) {
        return dir.isEmpty() ? name : String.join("/", dir) + "/" + name;
    }

    private static String join(String dir, String name) {
        return dir.isEmpty() ? name : dir + "/" + name;
    }
}
