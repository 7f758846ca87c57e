package org.subhost.linux.netlink;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Objects;
import java.util.stream.Stream;
import org.subhost.linux.Errno;
import org.subhost.linux.Fds;
import org.subhost.linux.Mounts;
import org.subhost.linux.NamespaceRequest;
import org.subhost.linux.NamespaceThread;
import org.subhost.linux.Namespaces;
import org.subhost.linux.SyscallException;

/**
 * Named network namespaces as iproute2 keeps them: a namespace is held alive by a bind
 * mount of its namespace file on {@code /run/netns/NAME}, so that {@code ip netns list},
 * {@code ip netns exec NAME} and {@code ip -n NAME} see the ones made here and the other
 * way round.
 *
 * <p>Example: the namespace of the subhost {@code mta}, and a socket in it:
 * <pre>{@code
 * NamedNetns.create("mta");                      // ip netns add mta; ip -n mta link set lo up
 * try (RtNetlink mta = RtNetlink.openIn(NamedNetns.path("mta"))) {
 *     mta.links();                               // ip -n mta link
 * }
 * NamedNetns.delete("mta");                      // ip netns delete mta
 * }</pre>
 *
 * <p>The mounts are made in the mount namespace of the calling thread, normally the
 * host's; {@code /run/netns} is made a shared mount point (as iproute2 does), so that the
 * bind mounts also reach mount namespaces copied from it later, and an unmount in one of
 * them reaches the others. A name is a single file name: not empty, at most 255 bytes, not
 * {@code .} or {@code ..}, without {@code /} or NUL, so that it cannot point outside
 * {@code /run/netns}. Whether a name is taken is left to the kernel (EEXIST).
 */
public final class NamedNetns {
    /** Where iproute2 keeps named network namespaces (NETNS_RUN_DIR). */
    public static final Path RUN_NETNS = Path.of("/run/netns");

    private static final int NAME_MAX = 255;

    private NamedNetns() {}

    /**
     * The namespace file {@code /run/netns/NAME}, for {@link RtNetlink#openIn(Path)} and
     * {@code NamespaceRequest.enterNetns}.
     *
     * @param name the namespace's name
     * @return the path
     * @throws IllegalArgumentException when the name is not a single file name
     */
    public static Path path(String name) {
        return RUN_NETNS.resolve(checkName(name));
    }

    /**
     * Creates the network namespace {@code name}, like {@code ip netns add NAME} followed by
     * {@code ip -n NAME link set lo up}.
     *
     * <p>Steps, as in iproute2: create {@code /run/netns} (mode 0755) if missing; make it a
     * shared mount point, bind-mounting it on itself first when it is none (the only mount
     * this SDK makes in the host's mount namespace); create the empty file {@code
     * /run/netns/NAME} (O_EXCL: EEXIST when the name is taken); then on a fresh platform
     * thread unshare(CLONE_NEWNET), bind-mount that thread's {@code
     * /proc/thread-self/ns/net} on the file, and bring {@code lo} up with a socket inside
     * the new namespace. When a step after the file's creation fails, the mount and the file
     * are removed again.
     *
     * @param name the namespace's name, a single file name
     * @throws IllegalArgumentException when the name is not a single file name
     * @throws SyscallException when a step is refused, such as EEXIST from open(2)
     */
    public static void create(String name) throws IOException {
        createNamed(name, path -> NamespaceThread.run("netns " + name,
                NamespaceRequest.builder().unshare(Namespaces.CLONE_NEWNET).build(), () -> {
                    nameThisThreadsNamespace(path);
                    return null;
                }));
    }

    /**
     * Creates the network namespace {@code name} for the calling thread and leaves the
     * thread in it: as {@link #create}, but the thread's own unshare(CLONE_NEWNET) makes
     * it, with no thread started for it (starting and ending one took a millisecond or two
     * each on a two-core VM).
     *
     * <p>Only on a {@link NamespaceThread}, whose namespaces are its own to change for good,
     * and before that thread leaves the host's mount namespace: the name's bind mount on
     * {@code /run/netns/NAME} is made in the thread's mount namespace, and the host must
     * see it.
     *
     * @param name the namespace's name, a single file name
     * @throws IllegalArgumentException when the name is not a single file name
     * @throws IllegalStateException when the caller is no {@link NamespaceThread}
     * @throws SyscallException when a step is refused, such as EEXIST from open(2); the
     *     thread may then be in the new namespace already, without a name for it
     */
    public static void createForThisThread(String name) throws IOException {
        if (!NamespaceThread.isCurrentThread()) {
            throw new IllegalStateException("createForThisThread(" + name + ") must run on a NamespaceThread:"
                    + " it moves the calling thread into the new network namespace for good");
        }
        createNamed(name, path -> {
            Namespaces.unshare(Namespaces.CLONE_NEWNET);
            nameThisThreadsNamespace(path);
        });
    }

    /** What makes the namespace and binds it on {@code /run/netns/NAME}, given that path. */
    private interface Maker {
        void make(Path path) throws IOException;
    }

    /**
     * The steps around making a named namespace, as in iproute2: {@code /run/netns} made
     * and shared, the empty file {@code /run/netns/NAME} created (O_EXCL), then {@code
     * maker}; when that fails, the mount and the file are removed again.
     */
    private static void createNamed(String name, Maker maker) throws IOException {
        Path path = path(name);
        makeRunDirectoryShared();
        int fd = Fds.open(path.toString(), Fds.O_RDONLY | Fds.O_CREAT | Fds.O_EXCL | Fds.O_CLOEXEC, 0);
        Fds.close(fd);
        try {
            maker.make(path);
        } catch (IOException | RuntimeException | Error e) {
            try {
                remove(path);
            } catch (IOException | RuntimeException cleanup) {
                e.addSuppressed(cleanup);
            }
            throw e;
        }
    }

    /** Binds the calling thread's network namespace on {@code path} and brings its {@code lo} up. */
    private static void nameThisThreadsNamespace(Path path) throws IOException {
        // thread-self: this thread's namespace; /proc/self would name the main thread's,
        // which is the host's.
        Mounts.bind("/proc/thread-self/ns/net", path.toString(), false);
        try (RtNetlink inside = RtNetlink.open()) {
            inside.setUp("lo");
        }
    }

    /**
     * Opens the namespace file of {@code name} for setns(2), {@link RtNetlink#openIn(int)} or
     * {@link RtNetlink#addVeth}'s peer namespace: open(2) with O_RDONLY|O_CLOEXEC. The
     * descriptor keeps the namespace alive until closed, even after {@link #delete}; the
     * caller closes it ({@code Fds.close}).
     *
     * @param name the namespace's name
     * @return the descriptor, owned by the caller
     * @throws SyscallException when the file cannot be opened, such as ENOENT
     */
    public static int open(String name) throws SyscallException {
        return Fds.open(path(name).toString(), Fds.O_RDONLY | Fds.O_CLOEXEC);
    }

    /**
     * Whether {@code /run/netns/NAME} exists, as {@code ip netns list} would show it. A file
     * left without its mount by a crash also counts: {@link #delete} removes it.
     *
     * @param name the namespace's name
     * @return true if the file exists
     */
    public static boolean exists(String name) {
        return Files.exists(path(name));
    }

    /**
     * Removes the name, like {@code ip netns delete NAME}: umount2(2) with MNT_DETACH on
     * {@code /run/netns/NAME}, then unlink. The namespace itself goes away when nothing
     * else holds it: no process in it, no open descriptor, no other bind mount. A file
     * that is no mount point (EINVAL) is removed all the same.
     *
     * @param name the namespace's name
     * @throws SyscallException when umount2 is refused, such as ENOENT (no such name)
     */
    public static void delete(String name) throws IOException {
        Path path = path(name);
        remove(path);
    }

    /**
     * The names in {@code /run/netns}, sorted, like {@code ip netns list}; empty when the
     * directory does not exist.
     *
     * @return the names
     * @throws IOException when {@code /run/netns} cannot be read
     */
    public static List<String> list() throws IOException {
        try (Stream<Path> entries = Files.list(RUN_NETNS)) {
            return entries.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }

    static String checkName(String name) {
        Objects.requireNonNull(name, "netns name");
        if (name.isEmpty()) {
            throw new IllegalArgumentException("netns name () must not be empty");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("netns name (" + name + ") must not be . or ..");
        }
        if (name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("netns name (" + name.replace("\0", "\\0")
                    + ") must not contain '/' or NUL");
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > NAME_MAX) {
            throw new IllegalArgumentException("netns name (" + name.substring(0, 16) + "...) must be at most "
                    + NAME_MAX + " bytes, not " + bytes);
        }
        return name;
    }

    private static void makeRunDirectory() throws IOException {
        try {
            Files.createDirectory(RUN_NETNS, PosixFilePermissions.asFileAttribute(
                    PosixFilePermissions.fromString("rwxr-xr-x")));
        } catch (FileAlreadyExistsException e) {
            // made by iproute2 or an earlier create: fine
        }
    }

    /**
     * Makes {@code /run/netns} a shared mount, and first a directory when it is none: only
     * then, on ENOENT of the mount, since it is there at every boot but the first, and a
     * mkdir that finds it costs a refusal of its own.
     */
    private static void makeRunDirectoryShared() throws IOException {
        String dir = RUN_NETNS.toString();
        try {
            // Not MS_REC, as iproute2 has it: that walks every namespace's mount below
            // /run/netns, one per running subhost, under the kernel's lock of all mount
            // namespaces, at each boot. What must be shared is /run/netns itself, so that a
            // new name's mount and its unmount propagate; the names below it were made
            // shared when they were mounted under it.
            Mounts.mount(null, dir, null, Mounts.MS_SHARED, null);
        } catch (SyscallException e) {
            if (e.is(Errno.ENOENT)) {
                makeRunDirectory();
            } else if (!e.is(Errno.EINVAL)) {
                throw e;
            }
            // EINVAL (or made just now): /run/netns is no mount point yet. Propagation is a
            // property of mounts, so make it one by binding it on itself, then share it.
            Mounts.bind(dir, dir, true);
            Mounts.mount(null, dir, null, Mounts.MS_SHARED | Mounts.MS_REC, null);
        }
    }

    private static void remove(Path path) throws IOException {
        try {
            Mounts.umount2(path.toString(), Mounts.MNT_DETACH);
        } catch (SyscallException e) {
            if (!e.is(Errno.EINVAL)) {
                throw e;
            }
            // EINVAL: not a mount point, a file left by a failed create; remove it anyway.
        }
        Files.delete(path);
    }
}
