package org.subhost.core;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.subhost.linux.Fds;
import org.subhost.linux.SyscallException;

/**
 * A pipe that a command entering a subhost writes its output to, read on the host by a
 * thread of ours: into memory up to a limit ({@code exec}), or on to the LOG file ({@code
 * overlay-stop}'s service stops). So no host file of ours is ever a descriptor of a
 * subhost process: it holds only its end of an anonymous pipe.
 *
 * <p>The reader stops at end of file (every writer closed the pipe), or, once {@link
 * #finish} says that the command ended, as soon as the pipe stays empty for a moment: a
 * daemon that the command left running may hold the pipe open for ever. Past the limit it
 * stops keeping bytes and says so ({@link #overflowed}); the caller decides whether that
 * ends the command.
 */
final class OutputPipe implements AutoCloseable {
    /** How long the pipe may stay empty after the command ended before reading stops. */
    private static final Duration QUIET = Duration.ofMillis(50);
    /** How long {@link #finish} waits for the rest of the output at most. */
    private static final Duration DRAIN = Duration.ofSeconds(2);
    private static final int CHUNK = 65536;

    private final String what;
    private final long limit;
    private final int copyTo;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private final int readEnd;
    private int writeEnd;
    private volatile boolean ended;
    private volatile long endedAt;
    private volatile boolean overflowed;
    private long seen;
    private Thread reader;
    /** What goes to LOG is escaped as the log relay escapes a subhost's output. */
    private final Printable.Output escaper = new Printable.Output();

    private OutputPipe(String what, long limit, int copyTo) throws SyscallException {
        this.what = what;
        this.limit = limit;
        this.copyTo = copyTo;
        int[] pipe = Fds.pipe2(Fds.O_CLOEXEC);
        this.readEnd = pipe[0];
        this.writeEnd = pipe[1];
    }

    /** A pipe whose output is kept in memory, at most {@code limit} bytes. */
    static OutputPipe capture(String what, long limit) throws SyscallException {
        return new OutputPipe(what, limit, -1);
    }

    /** A pipe whose output is appended to {@code fd} (LOG), at most {@code limit} bytes. */
    static OutputPipe copyTo(String what, int fd, long limit) throws SyscallException {
        return new OutputPipe(what, limit, fd);
    }

    /** The end to hand to the command's spawn; ours until {@link #start}. */
    int writeEnd() {
        return writeEnd;
    }

    /** Closes our copy of the write end (the command has its own now) and starts reading. */
    void start() {
        Descriptor.closeQuietly(writeEnd);
        writeEnd = -1;
        reader = Thread.ofPlatform().daemon().name("output of " + what).start(this::read);
    }

    private void read() {
        try {
            copy();
        } finally {
            if (copyTo >= 0) {
                byte[] rest = escaper.escape(new byte[0], 0, true);
                try {
                    if (rest.length > 0) {
                        Fds.write(copyTo, rest);
                    }
                } catch (SyscallException e) {
                    // LOG failed: the rest of a cut character is lost.
                }
            }
        }
    }

    private void copy() {
        try {
            while (true) {
                if (ended && System.nanoTime() - endedAt > DRAIN.toNanos()) {
                    return; // a daemon left behind keeps writing: the rest is not the command's
                }
                if (!Fds.awaitReadable(readEnd, QUIET)) {
                    if (ended) {
                        return; // the command is gone and nothing comes: a daemon holds the pipe
                    }
                    continue;
                }
                byte[] bytes = Fds.read(readEnd, CHUNK);
                if (bytes.length == 0) {
                    return; // end of file: every writer closed it
                }
                long room = Math.max(0, limit - seen);
                seen += bytes.length;
                int keep = (int) Math.min(room, bytes.length);
                if (copyTo >= 0) {
                    byte[] escaped = escaper.escape(bytes, keep, false);
                    if (escaped.length > 0) {
                        Fds.write(copyTo, escaped);
                    }
                } else {
                    kept.write(bytes, 0, keep);
                }
                if (seen > limit) {
                    overflowed = true;
                    if (copyTo < 0) {
                        return; // exec ends the command; its writes then fail with EPIPE
                    }
                }
            }
        } catch (SyscallException e) {
            // The pipe (or LOG) failed: what was read stays.
        }
    }

    /** Whether the command wrote more than the limit. */
    boolean overflowed() {
        return overflowed;
    }

    /** Tells the reader that the command ended, and waits (a little) for the rest of the output. */
    void finish() throws InterruptedException {
        end();
        if (reader != null) {
            reader.join(DRAIN.plusSeconds(1));
        }
    }

    private void end() {
        if (!ended) {
            endedAt = System.nanoTime();
            ended = true;
        }
    }

    /** What was kept, decoded as UTF-8; after {@link #finish}. */
    String text() {
        synchronized (kept) {
            return kept.toString(StandardCharsets.UTF_8);
        }
    }

    @Override
    public void close() {
        end();
        Descriptor.closeQuietly(writeEnd);
        writeEnd = -1;
        if (reader != null) {
            try {
                reader.join(DRAIN.plusSeconds(1));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Descriptor.closeQuietly(readEnd);
    }
}
