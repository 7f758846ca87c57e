package org.subhost.linux.netlink;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static org.subhost.linux.netlink.RtnlConstants.AF_NETLINK;
import static org.subhost.linux.netlink.RtnlConstants.NETLINK_ROUTE;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import org.subhost.linux.Errno;
import org.subhost.linux.SyscallException;
import org.subhost.linux.internal.Downcall;
import org.subhost.linux.internal.Memory;
import org.subhost.linux.internal.Native;

/**
 * The socket system calls of a netlink socket: socket(2), bind(2), setsockopt(2), send(2),
 * recv(2), recvfrom(2) and close(2), without policy. See netlink(7) and rtnetlink(7).
 *
 * <p>Each call opens a confined arena for its buffers and its errno segment and throws a
 * {@link SyscallException} when it returns -1. A send or receive interrupted by a signal
 * (EINTR) is repeated: nothing was sent or received then.
 */
final class NetlinkSocketCalls {
    static final int SOCK_RAW = 3;
    static final int SOCK_CLOEXEC = 02000000;
    static final int MSG_PEEK = 0x02;
    static final int MSG_TRUNC = 0x20;

    /** struct sockaddr_nl { sa_family_t nl_family; unsigned short nl_pad; u32 nl_pid; u32 nl_groups; } */
    static final StructLayout SOCKADDR_NL = MemoryLayout.structLayout(
            JAVA_SHORT.withName("nl_family"), JAVA_SHORT.withName("nl_pad"),
            JAVA_INT.withName("nl_pid"), JAVA_INT.withName("nl_groups"));

    // int socket(int domain, int type, int protocol)
    private static final Downcall SOCKET = Native.lazyDowncall("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    // int bind(int fd, const struct sockaddr *addr, socklen_t len)
    private static final Downcall BIND = Native.lazyDowncall("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    // int setsockopt(int fd, int level, int name, const void *value, socklen_t len)
    private static final Downcall SETSOCKOPT = Native.lazyDowncall("setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    // ssize_t send(int fd, const void *buf, size_t len, int flags)
    private static final Downcall SEND = Native.lazyDowncall("send",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    // ssize_t recv(int fd, void *buf, size_t len, int flags)
    private static final Downcall RECV = Native.lazyDowncall("recv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    // ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen)
    private static final Downcall RECVFROM = Native.lazyDowncall("recvfrom",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
    // int close(int fd)
    private static final Downcall CLOSE = Native.lazyDowncall("close",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private NetlinkSocketCalls() {}

    /** A datagram and the port id of its sender: 0 for the kernel. */
    record Datagram(byte[] bytes, int senderPort) {}

    /**
     * A NETLINK_ROUTE socket in the calling thread's network namespace:
     * {@code socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE)}. SOCK_CLOEXEC keeps it
     * out of programs spawned by any thread of the JVM.
     */
    static int socket() throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Native.errnoSegment(arena);
            int fd = (int) SOCKET.call(errno, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
            if (fd == -1) {
                throw new SyscallException("socket", "AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE",
                        Native.errno(errno));
            }
            return fd;
        }
    }

    /** Binds {@code fd} with port id 0 and no groups: the kernel picks a free port id. */
    static void bind(int fd) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Native.errnoSegment(arena);
            MemorySegment address = arena.allocate(SOCKADDR_NL);
            Memory.setShort(address, 0, (short) AF_NETLINK);
            int rc = (int) BIND.call(errno, fd, Native.address(address), (int) SOCKADDR_NL.byteSize());
            if (rc == -1) {
                throw new SyscallException("bind", "fd " + fd + ", AF_NETLINK port 0", Native.errno(errno));
            }
        }
    }

    /** Sets an int socket option: setsockopt(fd, level, option, &value, 4). */
    static void setIntOption(int fd, int level, String levelName, int option, String optionName, int value)
            throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Native.errnoSegment(arena);
            MemorySegment buffer = arena.allocate(JAVA_INT);
            Memory.setInt(buffer, 0, value);
            int rc = (int) SETSOCKOPT.call(errno, fd, level, option, Native.address(buffer), 4);
            if (rc == -1) {
                throw new SyscallException("setsockopt", "fd " + fd + ", " + levelName + ", " + optionName + ", "
                        + value, Native.errno(errno));
            }
        }
    }

    /** Sends {@code message} to the kernel, the default destination of an unconnected netlink socket. */
    static void send(int fd, byte[] message) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Native.errnoSegment(arena);
            MemorySegment buffer = arena.allocate(message.length);
            MemorySegment.copy(message, 0, buffer, JAVA_BYTE, 0, message.length);
            while (true) {
                long rc = (long) SEND.call(errno, fd, Native.address(buffer), (long) message.length, 0);
                if (rc == -1 && Native.errno(errno) == Errno.EINTR) {
                    continue;
                }
                if (rc == -1) {
                    throw new SyscallException("send", "fd " + fd + ", " + message.length + " bytes",
                            Native.errno(errno));
                }
                // A datagram is sent whole or not at all.
                return;
            }
        }
    }

    /**
     * Waits for the next datagram and returns it whole. Its size is learnt first with
     * MSG_PEEK|MSG_TRUNC (netlink reports the full length then), so that no buffer size has
     * to be guessed: a datagram cut short would lose the rest of a dump.
     */
    static Datagram receive(int fd) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Native.errnoSegment(arena);
            long size;
            while (true) {
                size = (long) RECV.call(errno, fd, Native.address(MemorySegment.NULL), 0L, MSG_PEEK | MSG_TRUNC);
                if (size == -1 && Native.errno(errno) == Errno.EINTR) {
                    continue;
                }
                if (size == -1) {
                    throw new SyscallException("recv", "fd " + fd + ", MSG_PEEK|MSG_TRUNC", Native.errno(errno));
                }
                break;
            }
            MemorySegment buffer = arena.allocate(Math.max(1, size));
            MemorySegment from = arena.allocate(SOCKADDR_NL);
            MemorySegment fromLength = arena.allocate(JAVA_INT);
            Memory.setInt(fromLength, 0, (int) SOCKADDR_NL.byteSize());
            long received;
            while (true) {
                received = (long) RECVFROM.call(errno, fd, Native.address(buffer), buffer.byteSize(), 0,
                        Native.address(from), Native.address(fromLength));
                if (received == -1 && Native.errno(errno) == Errno.EINTR) {
                    continue;
                }
                if (received == -1) {
                    throw new SyscallException("recvfrom", "fd " + fd + ", " + buffer.byteSize() + " bytes",
                            Native.errno(errno));
                }
                break;
            }
            byte[] bytes = buffer.asSlice(0, received).toArray(JAVA_BYTE);
            return new Datagram(bytes, Memory.getInt(from, 4));
        }
    }

    /** Closes {@code fd}: close(2). The descriptor is gone afterwards even when this throws. */
    static void close(int fd) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Native.errnoSegment(arena);
            int rc = (int) CLOSE.call(errno, fd);
            // EINTR: Linux has released the descriptor all the same; retrying could close
            // a descriptor that another thread has opened since.
            if (rc == -1 && Native.errno(errno) != Errno.EINTR) {
                throw new SyscallException("close", "fd " + fd, Native.errno(errno));
            }
        }
    }
}
