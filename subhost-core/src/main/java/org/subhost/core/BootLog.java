package org.subhost.core;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.subhost.linux.WallClock;

/**
 * The subhost's LOG file as the boot and stop write to it: one line per event, prefixed
 * with the local time and {@code overlay-boot[NAME]:}. pid 1 and the init append to the
 * same file through their own descriptors. The time comes from {@link WallClock}, not
 * java.time, whose first use loads the JDK's whole time-zone database (20-27 ms of a cold
 * command).
 *
 * <p>The stream is opened once, before the root is switched, and stays valid afterwards. A
 * LOG that cannot be written does not stop a boot: the line goes to SLF4J instead, with
 * the reason.
 */
final class BootLog implements AutoCloseable {
    /**
     * SLF4J, for a LOG that cannot be written; made on first use, because setting SLF4J up
     * took some 20 ms of a cold {@code overlay-boot} that writes its LOG fine.
     */
    private static final class Slf4j {
        static final Logger LOGGER = LoggerFactory.getLogger(BootLog.class);
    }

    private final String prefix;
    private final Path file;
    private OutputStream out;

    private BootLog(String prefix, Path file, OutputStream out) {
        this.prefix = prefix;
        this.file = file;
        this.out = out;
    }

    /** Opens {@code file} for appending, creating it (and its directory) when missing. */
    static BootLog open(String command, String name, Path file) {
        String prefix = command + "[" + name + "]: ";
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return new BootLog(prefix, file, Files.newOutputStream(file,
                    StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE));
        } catch (IOException e) {
            Slf4j.LOGGER.warn("cannot write LOG {}: {}", file, PlanExecutor.reason(e));
            return new BootLog(prefix, file, null);
        }
    }

    /**
     * What {@code log} holds from byte {@code offset} on (a boot's own lines: LOG is
     * appended to by every boot and stop, and grows without bound). Read from the offset,
     * not whole: the boot reads it while it waits for the init.
     *
     * @throws IOException when LOG cannot be read
     */
    static String readSince(Path log, long offset) throws IOException {
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(log)) {
            long from = Math.min(Math.max(offset, 0), channel.size());
            java.io.InputStream in = java.nio.channels.Channels.newInputStream(channel.position(from));
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Appends one line; when LOG cannot be written, logs it through SLF4J instead. */
    synchronized void line(String text) {
        if (out == null) {
            Slf4j.LOGGER.info("{}{}", prefix, text);
            return;
        }
        try {
            out.write((WallClock.timestamp() + " " + prefix + text + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            Slf4j.LOGGER.warn("cannot write LOG {}: {}", file, PlanExecutor.reason(e));
            out = null;
        }
    }

    @Override
    public synchronized void close() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException e) {
                Slf4j.LOGGER.warn("cannot close LOG {}: {}", file, PlanExecutor.reason(e));
            }
            out = null;
        }
    }
}
