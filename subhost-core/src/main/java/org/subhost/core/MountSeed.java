package org.subhost.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.subhost.linux.Errno;
import org.subhost.linux.Fds;
import org.subhost.linux.MountStatus;
import org.subhost.linux.Mounts;
import org.subhost.linux.Namespaces;
import org.subhost.linux.NamespaceThread;
import org.subhost.linux.SyscallException;

/**
 * The mount namespace that a boot's own is copied from: a copy of the host's without the
 * network namespaces' mounts under {@code /run/netns}, kept by the JVM while boots follow
 * one another, so that a boot copies a table whose size does not grow with the number of
 * subhosts running (each of them has its {@code /run/netns/NAME} in the host's table).
 *
 * <p>What a boot sees stays exactly the host's: before each boot, on its namespace thread
 * and still in the host's mount namespace, the host's mounts outside {@code /run/netns}
 * are listed (listmount(2), then statmount(2) for each: its unique id, parent, mount
 * point, per-mount attributes and propagation) and compared with the list taken when the
 * seed was copied. Any mount made, removed, moved or changed on the host since (a mount of
 * the admin's, a remount read-only) makes the boot copy a new seed from the host, as every
 * boot did before; unique mount ids are never reused, so a mount replaced by another at
 * the same place differs too. Mounts under {@code /run/netns} are the only ones left out:
 * a boot does not use them, except through a SHARE that shows {@code /run/netns}, whose
 * boot copies the host's whole table ({@link OverlayFs.NewMountNamespace}).
 *
 * <p>Who holds it: this class, by a descriptor of the namespace (nothing runs in it), at
 * most one seed at a time. When it goes: when a boot finds the host's mounts changed (the
 * new seed replaces it), when {@link #drop} is called before this SDK unmounts a disk image
 * on the host (a seed's copy of the mount would keep its loop device busy), and {@link
 * #IDLE} after the last boot that used it, so that a filesystem the admin unmounted on the
 * host is not kept alive by a copy in the seed for long. A seed made while the host's
 * mounts changed (listed again after the copy) serves only the boot that made it. Only
 * boots whose namespace thread starts in the process's own mount namespace use a seed; a
 * boot from another (made by the caller's code) copies that one whole, as before; so do
 * the first boot of a JVM and a boot while fewer than {@link #SEED_FROM} names are under
 * {@code /run/netns}.
 */
final class MountSeed {
    /**
     * From how many names under {@code /run/netns} a boot copies the seed: below, it copies
     * the host's table whole, which then costs less than listing and comparing the host's
     * mounts (on a 2-core VM, about 10 microseconds per name copied, made private and
     * detached, against 0.4 ms for the comparison).
     */
    static final int SEED_FROM = 32;

    /** How long a seed is kept after the last boot that used it. */
    static final long IDLE_MILLIS = 10_000;

    /** The mount point of iproute2's named network namespaces, whose mounts the seed leaves out. */
    private static final String RUN_NETNS = "/run/netns";
    private static final String THREAD_MOUNT_NS = "/proc/thread-self/ns/mnt";

    private static final Object LOCK = new Object();
    // Guarded by LOCK.
    private static Seed current;
    private static ScheduledThreadPoolExecutor expiry;
    private static boolean expiryPending;
    private static long copies;
    /** Whether no boot of this JVM has copied a mount namespace yet. */
    private static final java.util.concurrent.atomic.AtomicBoolean FIRST_BOOT =
            new java.util.concurrent.atomic.AtomicBoolean(true);
    /**
     * A test seam: keep seeds for boots from any mount namespace, not only the process's
     * own, so that a test can change "the host's" mounts in a namespace of its own.
     */
    static volatile boolean anyNamespace;

    private MountSeed() {}

    /**
     * The host's mounts outside {@code /run/netns}, each as statmount(2) reports it, in the
     * order of their unique ids.
     */
    record HostMounts(List<MountStatus> mounts) {
        /**
         * The mounts of the calling thread's mount namespace outside {@code /run/netns};
         * empty when the kernel lacks listmount(2) or statmount(2) (before Linux 6.8), or
         * {@code /run/netns} went away while it was listed: then no seed is kept. A name
         * mounted under {@code /run/netns} while the mounts are listed is left out by its
         * parent; a mount that went away meanwhile is not listed.
         */
        static Optional<HostMounts> read() throws SyscallException {
            try {
                return read(RunNetns.list());
            } catch (SyscallException e) {
                if (e.is(Errno.ENOENT) || e.is(Errno.ENOSYS)) {
                    return Optional.empty();
                }
                throw e;
            }
        }

        /** As {@link #read()}, with what is under {@code /run/netns} listed already. */
        static Optional<HostMounts> read(RunNetns netns) throws SyscallException {
            try {
                long[] left = netns.ids();
                long[] all = Mounts.listMounts(Mounts.LSMT_ROOT);
                List<MountStatus> mounts = new ArrayList<>(Math.max(16, all.length - left.length));
                for (long id : all) {
                    if (Arrays.binarySearch(left, id) >= 0) {
                        continue;
                    }
                    MountStatus status;
                    try {
                        status = Mounts.statMount(id);
                    } catch (SyscallException e) {
                        if (e.is(Errno.ENOENT)) {
                            continue; // unmounted since it was listed
                        }
                        throw e;
                    }
                    if (Arrays.binarySearch(left, status.parentId()) < 0) {
                        mounts.add(status);
                    }
                }
                return Optional.of(new HostMounts(List.copyOf(mounts)));
            } catch (SyscallException e) {
                if (e.is(Errno.ENOENT) || e.is(Errno.ENOSYS)) {
                    return Optional.empty();
                }
                throw e;
            }
        }
    }

    /**
     * The mounts that the seed leaves out: the topmost mount on {@code /run/netns} and
     * every mount below it (a network namespace's name each), sorted; none when {@code
     * /run/netns} is no mount point.
     *
     * @param ids their unique ids, sorted
     * @param names how many are below {@code /run/netns}
     */
    record RunNetns(long[] ids, int names) {
        /** Lists them: statx of {@code /run/netns}, then listmount(2) below it. */
        static RunNetns list() throws SyscallException {
            OptionalLong top;
            try {
                top = Mounts.isMountRoot(RUN_NETNS).orElse(false) ? Mounts.uniqueMountId(RUN_NETNS)
                        : OptionalLong.empty();
            } catch (SyscallException e) {
                if (!e.is(Errno.ENOENT)) {
                    throw e;
                }
                top = OptionalLong.empty();
            }
            if (top.isEmpty()) {
                return new RunNetns(new long[0], 0);
            }
            long[] below = Mounts.listMounts(top.getAsLong());
            long[] ids = Arrays.copyOf(below, below.length + 1);
            ids[below.length] = top.getAsLong();
            Arrays.sort(ids);
            return new RunNetns(ids, below.length);
        }
    }

    /** A seed namespace: its descriptor, the host's mounts it was copied from, and its users. */
    private static final class Seed {
        final int fd;
        final HostMounts copiedFrom;
        // Guarded by LOCK.
        int users;
        boolean retired;
        long lastUse;

        Seed(int fd, HostMounts copiedFrom) {
            this.fd = fd;
            this.copiedFrom = copiedFrom;
        }
    }

    /**
     * Moves the calling namespace thread, which is in the host's mount namespace, into a
     * new mount namespace of its own with every mount private: a copy of the seed's, which
     * is first copied from the host's when there is none or the host's mounts have changed.
     * Like unshare(CLONE_NEWNS) and a recursive MS_PRIVATE on "/", without the host's
     * {@code /run/netns} entries.
     *
     * <p>The first boot of a JVM copies the host's namespace whole, as before, and keeps no
     * seed: a JVM that boots once (the command line's) would only pay for one.
     *
     * @return whether the copy is the seed's; false: the current namespace's, whole
     * @throws IOException when a system call is refused
     */
    static boolean enterCopy() throws IOException {
        if (!NamespaceThread.isCurrentThread()) {
            throw new IllegalStateException("a mount namespace copied from the seed is for a namespace thread only");
        }
        // The first boot first, so that it does nothing that the boot did not do before.
        // Booted from a mount namespace of the caller's own (a test's stand-in for the host,
        // say): a seed of it could outlive it, with its mounts; it is copied whole.
        if (FIRST_BOOT.compareAndSet(true, false) || !anyNamespace && !inTheProcesssMountNamespace()) {
            Namespaces.unshare(Namespaces.CLONE_NEWNS);
            Mounts.makeRprivate("/");
            return false;
        }
        Optional<HostMounts> host;
        try {
            RunNetns netns = RunNetns.list();
            if (netns.names() < SEED_FROM) {
                // A few names: copying them costs less than comparing the host's mounts.
                Namespaces.unshare(Namespaces.CLONE_NEWNS);
                Mounts.makeRprivate("/");
                return false;
            }
            host = HostMounts.read(netns);
        } catch (SyscallException e) {
            if (!e.is(Errno.ENOENT) && !e.is(Errno.ENOSYS)) {
                throw e;
            }
            host = Optional.empty();
        }
        Seed seed = host.map(MountSeed::acquire).orElse(null);
        if (seed == null) {
            seed = copyFromHost(host);
        }
        try {
            Namespaces.setns(seed.fd, Namespaces.CLONE_NEWNS);
        } finally {
            release(seed);
        }
        Namespaces.unshare(Namespaces.CLONE_NEWNS);
        // The seed's mounts are private already; this keeps the rule of every new
        // namespace of ours, whatever the seed became.
        Mounts.makeRprivate("/");
        return true;
    }

    /** Whether the calling thread is in the mount namespace of the process (of its first thread). */
    private static boolean inTheProcesssMountNamespace() throws IOException {
        return Files.readSymbolicLink(Path.of(THREAD_MOUNT_NS)).equals(Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")));
    }

    /** The current seed with one more user, if it was copied from mounts equal to {@code host}. */
    private static Seed acquire(HostMounts host) {
        synchronized (LOCK) {
            if (current == null || !current.copiedFrom.equals(host)) {
                return null;
            }
            current.users++;
            return current;
        }
    }

    /**
     * A new seed, with the caller as its one user: the host's mount namespace copied, every
     * mount made private, {@code /run/netns} detached with everything below it. It replaces
     * the current seed when the host's mounts, listed again after the copy, are those
     * listed before it ({@code before}); else it serves the caller alone.
     */
    private static Seed copyFromHost(Optional<HostMounts> before) throws IOException {
        int hostNs = Fds.open(THREAD_MOUNT_NS, Fds.O_RDONLY | Fds.O_CLOEXEC);
        try {
            Namespaces.unshare(Namespaces.CLONE_NEWNS);
            Mounts.makeRprivate("/");
            detachRunNetns();
            Seed seed = new Seed(Fds.open(THREAD_MOUNT_NS, Fds.O_RDONLY | Fds.O_CLOEXEC), before.orElse(null));
            seed.users = 1;
            try {
                Namespaces.setns(hostNs, Namespaces.CLONE_NEWNS);
                Optional<HostMounts> after = HostMounts.read();
                synchronized (LOCK) {
                    copies++;
                    if (before.isPresent() && before.equals(after)) {
                        retire(current);
                        current = seed;
                    } else {
                        seed.retired = true;
                    }
                }
            } catch (IOException | RuntimeException | Error e) {
                Descriptor.closeQuietly(seed.fd);
                throw e;
            }
            return seed;
        } finally {
            Descriptor.closeQuietly(hostNs);
        }
    }

    /** Detaches every mount stacked on {@code /run/netns}, with the network namespaces below them. */
    private static void detachRunNetns() throws SyscallException {
        while (true) {
            try {
                if (!Mounts.isMountRoot(RUN_NETNS).orElse(false)) {
                    return;
                }
            } catch (SyscallException e) {
                if (e.is(Errno.ENOENT)) {
                    return;
                }
                throw e;
            }
            Mounts.umount2(RUN_NETNS, Mounts.MNT_DETACH);
        }
    }

    /** One user less; a retired seed goes with its last user. */
    private static void release(Seed seed) {
        synchronized (LOCK) {
            seed.users--;
            seed.lastUse = System.nanoTime();
            closeIfUnused(seed);
        }
    }

    /** Marks {@code seed} as replaced; it goes now, or with its last user. Under LOCK. */
    private static void retire(Seed seed) {
        if (seed != null) {
            seed.retired = true;
            closeIfUnused(seed);
        }
    }

    /** Under LOCK. */
    private static void closeIfUnused(Seed seed) {
        if (seed.retired && seed.users == 0) {
            // Closing the last reference destroys the namespace, with its copies of mounts.
            Descriptor.closeQuietly(seed.fd);
        }
    }

    /**
     * Lets go of the seed, so that it holds no copy of a host mount that is about to be
     * unmounted (a disk image's, whose loop device would stay busy). The next boot copies a
     * new one.
     */
    static void drop() {
        synchronized (LOCK) {
            retire(current);
            current = null;
        }
    }

    /**
     * Arranges for the seed to go {@link #IDLE_MILLIS} after its last use. Called on a
     * boot's calling thread when the boot has ended (never on a namespace thread, whose
     * namespaces a thread started there would share): the timer's thread is a daemon that
     * ends when idle itself.
     */
    static void expireWhenIdle() {
        if (NamespaceThread.isCurrentThread()) {
            return;
        }
        synchronized (LOCK) {
            if (current == null || expiryPending) {
                return;
            }
            if (expiry == null) {
                expiry = new ScheduledThreadPoolExecutor(1, task -> Thread.ofPlatform().daemon(true)
                        .name("subhost mount seed expiry").unstarted(task));
                expiry.setKeepAliveTime(1, TimeUnit.SECONDS);
                expiry.allowCoreThreadTimeOut(true);
            }
            expiryPending = true;
            expiry.schedule(MountSeed::expireIfIdle, IDLE_MILLIS, TimeUnit.MILLISECONDS);
        }
    }

    private static void expireIfIdle() {
        synchronized (LOCK) {
            expiryPending = false;
            if (current == null) {
                return;
            }
            long idle = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - current.lastUse);
            if (current.users == 0 && idle >= IDLE_MILLIS) {
                drop();
                return;
            }
            expiryPending = true;
            expiry.schedule(MountSeed::expireIfIdle, Math.max(1, IDLE_MILLIS - idle), TimeUnit.MILLISECONDS);
        }
    }

    /** How many seeds were copied from the host's mount namespace so far; for tests. */
    static long copiesFromHost() {
        synchronized (LOCK) {
            return copies;
        }
    }

    /** Whether a seed is kept now; for tests. */
    static boolean isHeld() {
        synchronized (LOCK) {
            return current != null;
        }
    }

    /** The path that the seed leaves out, for a SHARE's check. */
    static Path runNetnsPath() {
        return Path.of(RUN_NETNS);
    }
}
