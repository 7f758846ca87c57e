package org.subhost.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import org.subhost.linux.internal.Downcall;
import org.subhost.linux.internal.Memory;
import org.subhost.linux.internal.Native;

/**
 * What a socket is and who is at its other end: getsockopt(2) at SOL_SOCKET, without policy.
 *
 * <p>Example: a descriptor taken from another process ({@link Pidfd#getFd}) is the end of a
 * socketpair that process made when {@code type(fd) == SOCK_SEQPACKET} and {@code
 * peerCredentials(fd).pid()} is that process.
 */
public final class SocketOptions {
    /** {@code SOCK_STREAM}, as {@link #type} reports it. */
    public static final int SOCK_STREAM = 1;
    /** {@code SOCK_DGRAM}. */
    public static final int SOCK_DGRAM = 2;
    /** {@code SOCK_SEQPACKET}: records kept apart, in order, on a connection. */
    public static final int SOCK_SEQPACKET = 5;

    private static final int SOL_SOCKET = 1;
    private static final int SO_TYPE = 3;
    private static final int SO_PEERCRED = 17;

    // int getsockopt(int fd, int level, int name, void *value, socklen_t *length)
    private static final Downcall GETSOCKOPT = Native.lazyDowncall("getsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));

    private SocketOptions() {}

    /**
     * The credentials the kernel keeps for the other end of a connected AF_UNIX socket: those
     * of the process that connected it, or that made the socketpair, at that time
     * (SO_PEERCRED, unix(7)). The kernel gives the pid as seen from the caller's pid
     * namespace: 0 for a process outside it and below none of it.
     *
     * @param pid the peer's pid, as this process sees it
     * @param uid its user id
     * @param gid its group id
     */
    public record PeerCredentials(int pid, int uid, int gid) {}

    /**
     * The credentials of the other end of {@code fd}: getsockopt(SO_PEERCRED).
     *
     * @param fd a connected AF_UNIX socket
     * @return the peer's pid, uid and gid
     * @throws SyscallException when the kernel refuses (ENOTSOCK: no socket; ENOTCONN)
     */
    public static PeerCredentials peerCredentials(int fd) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment value = get(arena, fd, SO_PEERCRED, 12, "SO_PEERCRED");
            return new PeerCredentials(Memory.getInt(value, 0), Memory.getInt(value, 4), Memory.getInt(value, 8));
        }
    }

    /**
     * The type of the socket {@code fd}: getsockopt(SO_TYPE).
     *
     * @param fd a socket
     * @return {@link #SOCK_STREAM}, {@link #SOCK_DGRAM}, {@link #SOCK_SEQPACKET}, ...
     * @throws SyscallException when the kernel refuses (ENOTSOCK: no socket)
     */
    public static int type(int fd) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            return Memory.getInt(get(arena, fd, SO_TYPE, 4, "SO_TYPE"), 0);
        }
    }

    private static MemorySegment get(Arena arena, int fd, int option, int size, String name)
            throws SyscallException {
        MemorySegment errno = Native.errnoSegment(arena);
        MemorySegment value = arena.allocate(size, 4);
        MemorySegment length = arena.allocate(JAVA_INT);
        Memory.setInt(length, 0, size);
        int rc = (int) GETSOCKOPT.call(errno, fd, SOL_SOCKET, option, Native.address(value), Native.address(length));
        if (rc == -1) {
            throw new SyscallException("getsockopt", "fd " + fd + ", SOL_SOCKET, " + name, Native.errno(errno));
        }
        return value;
    }
}
