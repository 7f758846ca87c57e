package org.subhost.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.subhost.linux.internal.Downcall;
import org.subhost.linux.internal.Native;

/**
 * File system events of watched directories: inotify(7), as {@code inotifywait} reads them.
 *
 * <p>Example: the names that come and go in {@code /srv/subhosts}:
 * <pre>{@code
 * int fd = Inotify.init(Inotify.IN_NONBLOCK | Inotify.IN_CLOEXEC);
 * int wd = Inotify.addWatch(fd, "/srv/subhosts", Inotify.IN_CREATE | Inotify.IN_DELETE | Inotify.IN_ONLYDIR);
 * for (Inotify.Event e : Inotify.read(fd)) { ... e.name() was made or removed ... }
 * }</pre>
 *
 * <p>The kernel queues an event before the system call that caused it returns; a queue
 * that overflowed says so once ({@link #IN_Q_OVERFLOW}, watch -1), and what it lost is lost.
 */
public final class Inotify {
    /** inotify_init1(2): the descriptor's reads do not wait. */
    public static final int IN_NONBLOCK = 04000;
    /** inotify_init1(2): closed on exec. */
    public static final int IN_CLOEXEC = 02000000;
    /** A name moved out of the directory. */
    public static final int IN_MOVED_FROM = 0x40;
    /** A name moved into the directory. */
    public static final int IN_MOVED_TO = 0x80;
    /** A name made in the directory. */
    public static final int IN_CREATE = 0x100;
    /** A name removed from the directory. */
    public static final int IN_DELETE = 0x200;
    /** The watched directory itself was removed. */
    public static final int IN_DELETE_SELF = 0x400;
    /** The watched directory itself was moved. */
    public static final int IN_MOVE_SELF = 0x800;
    /** The file system of the watched directory was unmounted. */
    public static final int IN_UNMOUNT = 0x2000;
    /** The queue overflowed: events were lost. */
    public static final int IN_Q_OVERFLOW = 0x4000;
    /** The watch is gone (removed, or its directory or file system is). */
    public static final int IN_IGNORED = 0x8000;
    /** inotify_add_watch(2): only if the path is a directory. */
    public static final int IN_ONLYDIR = 0x01000000;

    /** The fixed part of struct inotify_event: wd, mask, cookie, len. */
    private static final int HEADER = 16;
    /** How Java decodes file names (as java.io.File's list does), so that names compare equal with its. */
    private static final java.nio.charset.Charset NAMES = java.nio.charset.Charset.forName(
            System.getProperty("sun.jnu.encoding", "UTF-8"), StandardCharsets.UTF_8);
    /** Room for many events at once (each is HEADER plus a name of at most NAME_MAX + 1, padded). */
    private static final int BUFFER = 64 * 1024;

    // int inotify_init1(int flags)
    private static final Downcall INIT1 = Native.lazyDowncall("inotify_init1",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    // int inotify_add_watch(int fd, const char *pathname, uint32_t mask)
    private static final Downcall ADD_WATCH = Native.lazyDowncall("inotify_add_watch",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private Inotify() {}

    /**
     * One event.
     *
     * @param wd the watch it came from; -1 for {@link #IN_Q_OVERFLOW}
     * @param mask what happened (IN_* bits)
     * @param name the name in the watched directory (decoded as Java decodes file names); empty
     *     for an event of the directory itself
     */
    public record Event(int wd, int mask, String name) {}

    /**
     * A new inotify instance: inotify_init1(2).
     *
     * <p>Errnos to expect: EMFILE (too many instances), ENOMEM.
     *
     * @param flags IN_NONBLOCK and IN_CLOEXEC, or 0
     * @return its descriptor
     * @throws SyscallException when the kernel refuses
     */
    public static int init(int flags) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            int rc = (int) INIT1.call(errnoSegment, flags);
            if (rc == -1) {
                throw new SyscallException("inotify_init1", "flags 0" + Integer.toOctalString(flags),
                        Native.errno(errnoSegment));
            }
            return rc;
        }
    }

    /**
     * Watches {@code path} (followed if it is a symbolic link) for the events of {@code mask}:
     * inotify_add_watch(2). The same file watched again gets the same watch, with the new mask.
     *
     * <p>Errnos to expect: ENOENT, ENOTDIR (IN_ONLYDIR), EACCES, ENOSPC (the user's watches
     * are used up).
     *
     * @param fd the inotify instance
     * @param path the file or directory
     * @param mask the events (IN_* bits), with IN_ONLYDIR if it must be a directory
     * @return the watch
     * @throws SyscallException when the kernel refuses
     */
    public static int addWatch(int fd, String path, int mask) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errnoSegment = Native.errnoSegment(arena);
            int rc = (int) ADD_WATCH.call(errnoSegment, fd, Native.address(Native.cString(arena, path)), mask);
            if (rc == -1) {
                throw new SyscallException("inotify_add_watch", "fd " + fd + ", " + path + ", mask 0x"
                        + Integer.toHexString(mask), Native.errno(errnoSegment));
            }
            return rc;
        }
    }

    /**
     * Every event queued on {@code fd}, a descriptor made with IN_NONBLOCK, in the order
     * queued: read(2) until nothing is left.
     *
     * @param fd the inotify instance
     * @return the events; empty when none was queued
     * @throws SyscallException when the kernel refuses (not EAGAIN: that ends the reading)
     */
    public static List<Event> read(int fd) throws SyscallException {
        List<Event> events = new ArrayList<>();
        while (true) {
            // EAGAIN, the end of every reading of a non-blocking queue, is an answer: empty.
            java.util.Optional<byte[]> bytes = Fds.readIfReady(fd, BUFFER);
            if (bytes.isEmpty() || bytes.get().length == 0) {
                return events;
            }
            decode(bytes.get(), events);
        }
    }

    /** Adds the events of {@code bytes}, what one read(2) gave, to {@code events}. */
    private static void decode(byte[] bytes, List<Event> events) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
        while (buffer.remaining() >= HEADER) {
            int wd = buffer.getInt();
            int mask = buffer.getInt();
            buffer.getInt(); // cookie: which MOVED_FROM and MOVED_TO go together; not needed here
            int length = buffer.getInt();
            int start = buffer.position();
            int end = start;
            while (end < start + length && bytes[end] != 0) {
                end++;
            }
            events.add(new Event(wd, mask, new String(bytes, start, end - start, NAMES)));
            buffer.position(start + length);
        }
    }
}
