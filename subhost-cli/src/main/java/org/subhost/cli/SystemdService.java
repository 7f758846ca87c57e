package org.subhost.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.subhost.ProgressListener;
import org.subhost.linux.Fds;
import org.subhost.linux.SyscallException;
import org.subhost.linux.UnixDatagram;

/**
 * What a command run by systemd as a unit's ExecStart or ExecStop tells systemd: the
 * readiness protocol of sd_notify(3) when {@code NOTIFY_SOCKET} is set (a unit of
 * Type=notify), and priorities on the lines written to standard error when it is the
 * journal's stream ({@code JOURNAL_STREAM}, systemd.exec(5)).
 *
 * <p>Notifications are datagrams of {@code VAR=value} lines sent to the socket that
 * {@code NOTIFY_SOCKET} names (a path, or an abstract name when it starts with {@code @}):
 * {@code STATUS=} as the boot goes, then {@code READY=1} with {@code MAINPID=} the subhost's
 * pid 1 in one datagram, so that systemd takes pid 1 as the unit's main process before
 * overlay-boot exits. With the default NotifyAccess=main, systemd takes them only from
 * the main process: overlay-boot's JVM, which its launcher execs.
 *
 * <p>Journal lines: journald reads a line that starts with {@code <N>} as one of priority
 * N (sd-daemon(3)): 6 (info) for the steps, 4 (warning), 3 (error). Outside systemd
 * neither is done, and nothing changes.
 */
final class SystemdService implements ProgressListener {
    /** syslog priorities, as sd-daemon(3) names them. */
    static final int ERR = 3;
    static final int WARNING = 4;
    static final int INFO = 6;

    private final Optional<String> notifySocket;
    private final boolean journal;
    private final String prefix;
    private final PrintStream err;
    private boolean notifyFailed;
    /** The socket connected to NOTIFY_SOCKET, once opened; it lives as long as the command. */
    private int notifyFd = -1;

    private SystemdService(Optional<String> notifySocket, boolean journal, String prefix, PrintStream err) {
        this.notifySocket = notifySocket;
        this.journal = journal;
        this.prefix = prefix;
        this.err = err;
    }

    /**
     * What {@code env} asks of the command {@code command} on subhost {@code name}.
     *
     * @param err standard error, which is the journal's stream when JOURNAL_STREAM names it
     */
    static SystemdService of(Map<String, String> env, String command, String name, PrintStream err) {
        String socket = env.get("NOTIFY_SOCKET");
        Optional<String> notify = socket == null || socket.isEmpty() || !(socket.startsWith("/") || socket.startsWith("@"))
                ? Optional.empty() : Optional.of(socket);
        return new SystemdService(notify, isJournalStream(env.get("JOURNAL_STREAM")), command + "[" + name + "]: ", err);
    }

    /**
     * Whether standard error is the stream that {@code JOURNAL_STREAM} ({@code DEVICE:INODE}
     * in decimal) names: systemd sets it for the service's own output, and a command whose
     * standard error was redirected elsewhere must not write priorities into a file.
     */
    static boolean isJournalStream(String value) {
        if (value == null || !value.matches("\\d+:\\d+")) {
            return false;
        }
        try {
            Map<String, Object> attributes = Files.readAttributes(Path.of("/proc/self/fd/2"), "unix:dev,ino");
            String stderr = Long.toUnsignedString((Long) attributes.get("dev")) + ":" + attributes.get("ino");
            return stderr.equals(value);
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /** Whether systemd waits for this command's notifications. */
    boolean notifies() {
        return notifySocket.isPresent();
    }

    /** Whether standard error goes to the journal. */
    boolean journal() {
        return journal;
    }

    @Override
    public void line(Severity severity, String text) {
        if (journal) {
            int priority = switch (severity) {
                case INFO -> INFO;
                case WARNING -> WARNING;
                case ERROR -> ERR;
            };
            err.println("<" + priority + ">" + prefix + text);
        }
        status(text);
    }

    /** {@code STATUS=text}: the one line {@code systemctl status} shows. */
    void status(String text) {
        notify("STATUS=" + text.replace('\n', ' '));
    }

    /**
     * {@code READY=1} with {@code MAINPID=pid1}: the subhost runs, and its pid 1 is the
     * unit's main process from now on.
     */
    void ready(int pid1, String status) {
        notify("READY=1\nSTATUS=" + status.replace('\n', ' ') + "\nMAINPID=" + pid1);
    }

    /** An informative line for the end of the command: with priority 6 for the journal, as it is otherwise. */
    String infoLine(String line) {
        return journal ? "<" + INFO + ">" + line : line;
    }

    /** A warning's line: with priority 4 for the journal, as it is otherwise. */
    String warningLine(String line) {
        return journal ? "<" + WARNING + ">" + line : line;
    }

    /** A line for the end of the command: with a priority for the journal, as it is otherwise. */
    String errorLine(String line) {
        return journal ? "<" + ERR + ">" + line : line;
    }

    /**
     * Sends one notification, on a socket connected to NOTIFY_SOCKET at the first: the
     * boot's later lines come from its namespace thread, which has the subhost's root by
     * then, where the path would name another file or none. A failure is said once on
     * standard error and does not stop the boot: systemd then times the start out and says
     * so itself.
     */
    private synchronized void notify(String message) {
        if (notifySocket.isEmpty() || notifyFailed) {
            return;
        }
        try {
            if (notifyFd < 0) {
                int fd = UnixDatagram.socket();
                try {
                    UnixDatagram.connect(fd, notifySocket.get());
                } catch (SyscallException | RuntimeException e) {
                    Fds.close(fd);
                    throw e;
                }
                notifyFd = fd;
            }
            UnixDatagram.send(notifyFd, message.getBytes(StandardCharsets.UTF_8));
        } catch (SyscallException | RuntimeException e) {
            notifyFailed = true;
            err.println(errorLine(prefix + "cannot notify systemd at NOTIFY_SOCKET " + notifySocket.get() + ": "
                    + e.getMessage()));
        }
    }

    /** Connects to NOTIFY_SOCKET now, on the calling thread, when systemd waits for notifications. */
    SystemdService connect() {
        notify("STATUS=starting");
        return this;
    }
}
