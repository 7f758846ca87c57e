package org.subhost.core;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Optional;
import org.subhost.SubhostException;
import org.subhost.linux.Errno;
import org.subhost.linux.Fds;
import org.subhost.linux.Pidfd;
import org.subhost.linux.SocketOptions;
import org.subhost.linux.SyscallException;
import org.subhost.linux.UnixDatagram;

/**
 * The host's end of pid 1's control channel ({@code src/main/c/services.c}): asks the
 * built-in init to start, stop or restart one START service and waits for the state that
 * led to.
 *
 * <p>Example: {@code try (ServiceControl c = ServiceControl.open(pid1).orElseThrow()) {
 * c.request("restart", "rsyslog", Duration.ofSeconds(60)); }} gives {@code running (pid 57,
 * restarts 0)}.
 *
 * <p>The channel is a SOCK_SEQPACKET socketpair that pid 1 made; it keeps the host's end at
 * descriptor {@link #FD}, which no other process of the subhost holds and which has no name.
 * The host takes a copy with pidfd_getfd(2), which the kernel allows only to a process that
 * may ptrace pid 1; pid 1 is not dumpable, so that is the host's root (CAP_SYS_PTRACE), and a
 * process of the subhost only when it kept CAP_SYS_PTRACE (CAPABILITIES=admin or all), which
 * lets it do anything to pid 1 anyway. The copy is checked before use: a SOCK_SEQPACKET socket
 * whose other end pid 1 made (SO_PEERCRED), not whatever an init system as pid 1 holds there.
 *
 * <p>All users of one subhost's channel share the host's end: the caller holds the NAME's lock,
 * so that one request at a time is under way, and each request carries an ID of its own, so
 * that an answer left over from a caller that gave up is skipped.
 */
final class ServiceControl implements AutoCloseable {
    /** Where pid 1 keeps the host's end: its {@code --control-fd}. */
    static final int FD = 7;
    /** The longest record either side sends. */
    private static final int RECORD_LIMIT = 512;
    private static final SecureRandom IDS = new SecureRandom();

    private final int fd;
    private final int pid;

    private ServiceControl(int fd, int pid) {
        this.fd = fd;
        this.pid = pid;
    }

    /**
     * The control channel of {@code pid1}, when it has one: the built-in init with START
     * services. Empty for any other pid 1 (an INIT script's, an init system, START=none, a pid
     * 1 of a version without it).
     *
     * @throws SubhostException when the kernel refuses the copy for another reason than that
     *     pid 1 has no such descriptor
     */
    static Optional<ServiceControl> open(Pidfd pid1) throws SubhostException {
        int copy;
        try {
            copy = pid1.getFd(FD);
        } catch (SyscallException e) {
            if (e.is(Errno.EBADF)) {
                return Optional.empty();
            }
            throw new SubhostException("take the host's end of pid 1's control channel: " + e.getMessage(), e);
        }
        try {
            if (SocketOptions.type(copy) == SocketOptions.SOCK_SEQPACKET
                    && SocketOptions.peerCredentials(copy).pid() == pid1.pid()) {
                return Optional.of(new ServiceControl(copy, pid1.pid()));
            }
        } catch (SyscallException e) {
            // ENOTSOCK: pid 1's descriptor FD is something else; no channel.
        }
        Descriptor.closeQuietly(copy);
        return Optional.empty();
    }

    /**
     * Asks for {@code verb} on {@code service} and waits for the answer.
     *
     * @param verb {@code start}, {@code stop} or {@code restart}
     * @param service a START name
     * @param timeout how long to wait for the answer; pid 1 goes on with the request after it
     * @return the state the request led to, as pid 1 tells it on the status channel ({@code
     *     running (pid 57, restarts 0)}, {@code stopped (restarts 0)}, {@code failed (status 1)})
     * @throws SubhostException when pid 1 refuses (the message is its reason, such as {@code x has
     *     not had its turn in START yet}), ends, or does not answer in time
     */
    String request(String verb, String service, Duration timeout) throws SubhostException {
        if (service.isEmpty() || service.chars().anyMatch(c -> c <= ' ')) {
            throw new IllegalArgumentException("service (" + service + ") must be one word");
        }
        String id = Long.toString(1 + (IDS.nextLong() >>> 2));
        try {
            // Answers to callers before us that gave up waiting are of no use to anyone.
            while (Fds.awaitReadable(fd, Duration.ZERO)) {
                if (UnixDatagram.receive(fd, RECORD_LIMIT).length == 0) {
                    throw new SubhostException("pid 1 (" + pid + ") has ended");
                }
            }
            byte[] request = (id + " " + verb + " " + service).getBytes(StandardCharsets.UTF_8);
            if (request.length > RECORD_LIMIT - 1) {
                throw new IllegalArgumentException("service (" + service + ") is too long for a request");
            }
            UnixDatagram.send(fd, request); // one record of the SOCK_SEQPACKET socket
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || !Fds.awaitReadable(fd, Duration.ofNanos(left))) {
                    throw new SubhostException("no answer from pid 1 (" + pid + ") within " + timeout.toSeconds()
                            + " s; it goes on with the request, and the service's state shows how far it is");
                }
                String answer = new String(UnixDatagram.receive(fd, RECORD_LIMIT), StandardCharsets.UTF_8);
                if (answer.isEmpty()) {
                    throw new SubhostException("pid 1 (" + pid + ") ended before it answered");
                }
                if (!answer.startsWith(id + " ")) {
                    continue; // the answer to a request before ours
                }
                // pid 1 is ours, but a state may quote a unit of the subhost's (a program's name).
                String rest = plain(answer.substring(id.length() + 1));
                if (rest.startsWith("! ")) {
                    throw new SubhostException(rest.substring(2));
                }
                if (!rest.startsWith(service + " ")) {
                    throw new SubhostException("pid 1 (" + pid + ") answered for another service: " + rest);
                }
                return rest.substring(service.length() + 1);
            }
        } catch (SyscallException e) {
            if (e.is(Errno.ECONNRESET) || e.is(Errno.EPIPE)) {
                throw new SubhostException("pid 1 (" + pid + ") has ended", e);
            }
            throw new SubhostException(e.getMessage(), e);
        }
    }

    /** {@code text} with its control characters as {@code \xNN}, so that it cannot move a terminal's cursor. */
    private static String plain(String text) {
        String shown = UnitFile.shown(text);
        return shown.substring(1, shown.length() - 1);
    }

    @Override
    public void close() {
        Descriptor.closeQuietly(fd);
    }
}
