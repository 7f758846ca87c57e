package org.subhost.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.subhost.linux.Inotify;
import org.subhost.linux.SyscallException;

/**
 * The host's directories as {@link Hiding.Lister#HOST} lists them, each listed once and
 * then kept up to date by inotify(7) events of the names made, removed and moved in it,
 * so that a boot with thousands of subhosts' BASEs in one directory does not read the
 * directory whole (the kernel's readdir: some 0.45 ms for 2000 entries on ext4).
 *
 * <p>What it answers is what a listing at the time of the call gives: the watch is added
 * before the directory is listed, and the events queued since are applied to the listing
 * in order (each says whether a name is there now, so one that the listing saw already
 * changes nothing), and every event queued before the call is applied before it answers:
 * the kernel queues an event before the system call that caused it returns. A directory
 * is listed again when its watch is gone (the directory removed or moved, its file system
 * unmounted), when the queue overflowed, and when its path now leads to another directory
 * (another inode, or a mount on it: the path is looked at at every call). Without inotify
 * (no instance or watch to be had) it lists each time, as {@link Hiding.Lister#HOST} does;
 * so it does the first time a directory is asked for.
 */
final class WatchedDirectories implements Hiding.Lister {
    /** The one of this JVM: one inotify instance, made at the first use. */
    static final WatchedDirectories HOST = new WatchedDirectories();

    /** What inotify must say of a watched directory. */
    private static final int MASK = Inotify.IN_CREATE | Inotify.IN_DELETE | Inotify.IN_MOVED_FROM
            | Inotify.IN_MOVED_TO | Inotify.IN_DELETE_SELF | Inotify.IN_MOVE_SELF | Inotify.IN_ONLYDIR;
    /** The most directories kept; others are listed each time. */
    private static final int MOST = 256;

    /** A directory as listed and changed by its events since. */
    private static final class Watched {
        final int wd;
        final Object key;
        final Set<String> names;
        boolean stale;

        Watched(int wd, Object key, Set<String> names) {
            this.wd = wd;
            this.key = key;
            this.names = names;
        }
    }

    // Guarded by this.
    private int fd = -1;
    private boolean unavailable;
    private final Map<Path, Watched> byPath = new HashMap<>();
    private final Map<Integer, Watched> byWatch = new HashMap<>();
    private final Set<Path> askedOnce = new HashSet<>();

    @Override
    public synchronized Optional<List<String>> names(Path dir, int most) {
        // A directory asked for once is only listed: a JVM that boots once (the command
        // line's) would pay for the watch and the inotify instance, and use neither.
        if (unavailable || !dir.isAbsolute()) {
            return Hiding.Lister.HOST.names(dir, most);
        }
        if (!byPath.containsKey(dir) && !askedOnce.contains(dir)) {
            if (askedOnce.size() >= 4 * MOST) {
                askedOnce.clear();
            }
            askedOnce.add(dir);
            return Hiding.Lister.HOST.names(dir, most);
        }
        try {
            if (fd < 0) {
                fd = Inotify.init(Inotify.IN_NONBLOCK | Inotify.IN_CLOEXEC);
            }
            drain();
            Optional<Object> key = key(dir);
            if (key.isEmpty()) {
                return Hiding.Lister.HOST.names(dir, most);
            }
            Watched watched = byPath.get(dir);
            if (watched == null || watched.stale || !watched.key.equals(key.get())) {
                watched = watch(dir, key.get());
                if (watched == null) {
                    return Hiding.Lister.HOST.names(dir, most);
                }
            }
            return Optional.of(List.copyOf(watched.names));
        } catch (SyscallException e) {
            // No inotify here (or no watches left): a listing each time, as before.
            unavailable = true;
            return Hiding.Lister.HOST.names(dir, most);
        }
    }

    @Override
    public boolean looksLikeBase(Path path) {
        return Hiding.Lister.HOST.looksLikeBase(path);
    }

    /**
     * Watches {@code dir} (whose file key is {@code key}) and lists it; null when its path
     * led elsewhere meanwhile, or it cannot be listed, or too many are kept.
     */
    private Watched watch(Path dir, Object key) throws SyscallException {
        if (byPath.size() >= MOST && !byPath.containsKey(dir)) {
            return null;
        }
        forget(dir);
        int wd;
        try {
            wd = Inotify.addWatch(fd, dir.toString(), MASK);
        } catch (SyscallException e) {
            if (e.is(org.subhost.linux.Errno.ENOSPC)) {
                throw e;
            }
            return null; // gone, not a directory, not ours to read: listed as before
        }
        // Events of a watch that went before (an inode watched again gets the same number)
        // are applied to the old entry, not to the listing below.
        drain();
        String[] names = dir.toFile().list();
        if (names == null || !key(dir).equals(Optional.of(key))) {
            return null;
        }
        Watched watched = new Watched(wd, key, new HashSet<>(List.of(names)));
        byPath.put(dir, watched);
        byWatch.put(wd, watched);
        // What came after the watch was added, before or after the listing: applied in order.
        drain();
        return watched.stale ? null : watched;
    }

    private void forget(Path dir) {
        Watched old = byPath.remove(dir);
        if (old != null && byWatch.get(old.wd) == old) {
            byWatch.remove(old.wd);
        }
    }

    /** Applies every event queued. */
    private void drain() throws SyscallException {
        for (Inotify.Event e : Inotify.read(fd)) {
            if ((e.mask() & Inotify.IN_Q_OVERFLOW) != 0) {
                byPath.values().forEach(w -> w.stale = true);
                continue;
            }
            Watched watched = byWatch.get(e.wd());
            if (watched == null) {
                continue;
            }
            int mask = e.mask();
            if ((mask & (Inotify.IN_IGNORED | Inotify.IN_DELETE_SELF | Inotify.IN_MOVE_SELF | Inotify.IN_UNMOUNT)) != 0) {
                watched.stale = true;
                if ((mask & Inotify.IN_IGNORED) != 0) {
                    byWatch.remove(e.wd());
                }
            } else if ((mask & (Inotify.IN_CREATE | Inotify.IN_MOVED_TO)) != 0) {
                watched.names.add(e.name());
            } else if ((mask & (Inotify.IN_DELETE | Inotify.IN_MOVED_FROM)) != 0) {
                watched.names.remove(e.name());
            }
        }
    }

    /** The file key (device and inode) of what {@code dir} leads to now, following links as a listing does. */
    private static Optional<Object> key(Path dir) {
        try {
            return Optional.ofNullable(Files.readAttributes(dir, BasicFileAttributes.class).fileKey());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /** Lets go of the inotify instance and what it kept; the next call starts anew. For tests. */
    synchronized void close() {
        Descriptor.closeQuietly(fd);
        fd = -1;
        byPath.clear();
        byWatch.clear();
        askedOnce.clear();
    }

    /** The directories kept now; for tests. */
    synchronized List<Path> kept() {
        return new ArrayList<>(byPath.keySet());
    }
}
