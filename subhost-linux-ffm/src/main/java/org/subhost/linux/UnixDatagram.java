package org.subhost.linux;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import org.subhost.linux.internal.Downcall;
import org.subhost.linux.internal.Memory;
import org.subhost.linux.internal.Native;

/**
 * AF_UNIX datagram sockets (unix(7)): socket(2), bind(2), connect(2), send(2), sendto(2) and recv(2), without
 * policy; what systemd's notification socket ({@code NOTIFY_SOCKET}) takes.
 *
 * <p>A socket address is a path, or, when it starts with {@code @}, a name in the abstract
 * namespace: the kernel takes a {@code sun_path} whose first byte is 0 as an abstract name
 * of the bytes that follow, exactly as many as the address length says (no terminating 0),
 * and such a name belongs to the network namespace of the socket, not to a file system.
 */
public final class UnixDatagram {
    private static final int AF_UNIX = 1;
    private static final int SOCK_DGRAM = 2;
    private static final int SOCK_CLOEXEC = 02000000;
    /** sun_path's size in struct sockaddr_un { sa_family_t sun_family; char sun_path[108]; }. */
    private static final int SUN_PATH = 108;
    private static final int SUN_PATH_OFFSET = 2;

    // int socket(int domain, int type, int protocol)
    private static final Downcall SOCKET = Native.lazyDowncall("socket",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    // int bind(int fd, const struct sockaddr *addr, socklen_t len)
    private static final Downcall BIND = Native.lazyDowncall("bind",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    // ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to, socklen_t tolen)
    private static final Downcall SENDTO = Native.lazyDowncall("sendto",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    // int connect(int fd, const struct sockaddr *addr, socklen_t len)
    private static final Downcall CONNECT = Native.lazyDowncall("connect",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    // ssize_t send(int fd, const void *buf, size_t len, int flags)
    private static final Downcall SEND = Native.lazyDowncall("send",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    // ssize_t recv(int fd, void *buf, size_t len, int flags)
    private static final Downcall RECV = Native.lazyDowncall("recv",
            FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));

    private UnixDatagram() {}

    /**
     * A new unbound datagram socket: {@code socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC, 0)};
     * close it with {@link Fds#close}.
     *
     * @return its descriptor
     * @throws SyscallException when the kernel refuses
     */
    public static int socket() throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Native.errnoSegment(arena);
            int fd = (int) SOCKET.call(errno, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
            if (fd == -1) {
                throw new SyscallException("socket", "AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC, 0", Native.errno(errno));
            }
            return fd;
        }
    }

    /**
     * Binds {@code fd} to {@code address} (a path, or {@code @NAME} for an abstract name).
     *
     * @param fd the socket
     * @param address where it receives
     * @throws SyscallException when the kernel refuses (EADDRINUSE: taken already)
     */
    public static void bind(int fd, String address) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Native.errnoSegment(arena);
            MemorySegment sockaddr = arena.allocate(SUN_PATH_OFFSET + SUN_PATH);
            int length = sockaddr(sockaddr, address);
            int rc = (int) BIND.call(errno, fd, Native.address(sockaddr), length);
            if (rc == -1) {
                throw new SyscallException("bind", "fd " + fd + ", AF_UNIX " + address, Native.errno(errno));
            }
        }
    }

    /**
     * Connects {@code fd} to {@code address}: the kernel resolves a path now, in the
     * calling thread's root and mount namespace (an abstract name in its network
     * namespace), and later sends with {@link #send} go there from any thread, whatever
     * root or namespace it has entered since.
     *
     * @param fd the socket
     * @param address the receiver's address: a path, or {@code @NAME} for an abstract name
     * @throws SyscallException when the kernel refuses (ENOENT or ECONNREFUSED: nobody
     *     listens at that address)
     */
    public static void connect(int fd, String address) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Native.errnoSegment(arena);
            MemorySegment sockaddr = arena.allocate(SUN_PATH_OFFSET + SUN_PATH);
            int length = sockaddr(sockaddr, address);
            int rc = (int) CONNECT.call(errno, fd, Native.address(sockaddr), length);
            if (rc == -1) {
                throw new SyscallException("connect", "fd " + fd + ", AF_UNIX " + address, Native.errno(errno));
            }
        }
    }

    /**
     * Sends {@code message} as one datagram on the connected socket {@code fd}; repeated
     * when a signal interrupts it.
     *
     * @param fd a socket {@link #connect}ed before
     * @param message the datagram's bytes
     * @throws SyscallException when the kernel refuses (ECONNREFUSED: the receiver is gone)
     */
    public static void send(int fd, byte[] message) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Native.errnoSegment(arena);
            MemorySegment buffer = arena.allocate(Math.max(1, message.length));
            MemorySegment.copy(message, 0, buffer, JAVA_BYTE, 0, message.length);
            while (true) {
                long rc = (long) SEND.call(errno, fd, Native.address(buffer), (long) message.length, 0);
                if (rc >= 0) {
                    return;
                }
                int error = Native.errno(errno);
                if (error != Errno.EINTR) {
                    throw new SyscallException("send", "fd " + fd + ", " + message.length + " bytes", error);
                }
            }
        }
    }

    /**
     * Sends {@code message} as one datagram to {@code address}; repeated when a signal
     * interrupts it (EINTR: nothing was sent).
     *
     * @param fd the socket
     * @param address the receiver's address: a path, or {@code @NAME} for an abstract name
     * @param message the datagram's bytes
     * @throws SyscallException when the kernel refuses (ENOENT or ECONNREFUSED: nobody
     *     listens at that address)
     */
    public static void sendTo(int fd, String address, byte[] message) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Native.errnoSegment(arena);
            MemorySegment sockaddr = arena.allocate(SUN_PATH_OFFSET + SUN_PATH);
            int length = sockaddr(sockaddr, address);
            MemorySegment buffer = arena.allocate(Math.max(1, message.length));
            MemorySegment.copy(message, 0, buffer, JAVA_BYTE, 0, message.length);
            while (true) {
                long rc = (long) SENDTO.call(errno, fd, Native.address(buffer), (long) message.length, 0,
                        Native.address(sockaddr), length);
                if (rc >= 0) {
                    return;
                }
                int error = Native.errno(errno);
                if (error != Errno.EINTR) {
                    throw new SyscallException("sendto", "fd " + fd + ", AF_UNIX " + address + ", "
                            + message.length + " bytes", error);
                }
            }
        }
    }

    /**
     * Receives one datagram of at most {@code max} bytes, waiting for it (use {@link
     * Fds#awaitReadable} first to wait with a limit); a longer one is cut.
     *
     * @param fd the bound socket
     * @param max the most bytes to take
     * @return its bytes
     * @throws SyscallException when the kernel refuses
     */
    public static byte[] receive(int fd, int max) throws SyscallException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment errno = Native.errnoSegment(arena);
            MemorySegment buffer = arena.allocate(max);
            while (true) {
                long rc = (long) RECV.call(errno, fd, Native.address(buffer), (long) max, 0);
                if (rc >= 0) {
                    byte[] bytes = new byte[(int) rc];
                    MemorySegment.copy(buffer, JAVA_BYTE, 0, bytes, 0, bytes.length);
                    return bytes;
                }
                int error = Native.errno(errno);
                if (error != Errno.EINTR) {
                    throw new SyscallException("recv", "fd " + fd, error);
                }
            }
        }
    }

    /** Fills a sockaddr_un for {@code address} and returns the length to pass with it. */
    private static int sockaddr(MemorySegment sockaddr, String address) {
        boolean abstractName = address.startsWith("@");
        byte[] path = (abstractName ? address.substring(1) : address).getBytes(StandardCharsets.UTF_8);
        // A path needs its terminating 0 within sun_path; an abstract name has a leading 0 instead.
        if (address.isEmpty() || path.length + 1 > SUN_PATH) {
            throw new IllegalArgumentException("AF_UNIX address (" + address + ") must have 1 to " + (SUN_PATH - 1)
                    + " bytes");
        }
        Memory.setShort(sockaddr, 0, (short) AF_UNIX);
        int start = SUN_PATH_OFFSET + (abstractName ? 1 : 0);
        MemorySegment.copy(path, 0, sockaddr, JAVA_BYTE, start, path.length);
        // An abstract name's length is exact; a path's counts its terminating 0 (set by allocate).
        return start + path.length + (abstractName ? 0 : 1);
    }
}
