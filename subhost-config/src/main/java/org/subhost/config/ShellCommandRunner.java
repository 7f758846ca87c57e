package org.subhost.config;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@code VAR=!command} commands as the old tool did, {@code /bin/sh -c command}, with
 * a time limit, and gives the first line of their standard output.
 *
 * <p>Each command runs in a session (and so a process group) of its own, made by
 * util-linux {@code setsid}: Java cannot start a child in a new process group, and a
 * command that runs too long must be killed with everything it started, including
 * background processes that were re-parented when their shell exited. On a timeout every
 * process of that session gets SIGKILL, repeatedly until none is left. A process that
 * left the session itself (a daemon that called setsid) is deliberately left alone.
 *
 * <p>Standard input is {@code /dev/null} (the reader is often run without a terminal, and
 * a test harness's input must not be eaten); standard error is ours, so the command's
 * complaints reach the user. As with the shell's {@code $(...)}, the command is done when
 * it has exited and its output is closed; both must happen within the time limit.
 */
final class ShellCommandRunner implements ValueCommandRunner {
    /** The logger, made on first use: setting up SLF4J costs a cold CLI a few milliseconds. */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(ShellCommandRunner.class);
    }

    /** A longer first line is refused rather than cut: it would be a wrong value. */
    static final int MAX_LINE_BYTES = 64 * 1024;

    private static final List<Path> SETSID = List.of(Path.of("/usr/bin/setsid"), Path.of("/bin/setsid"));
    private static final Duration KILL_PATIENCE = Duration.ofSeconds(5);

    private final Duration timeout;
    private final DiskAttachmentReport attachments;

    /** A runner that kills commands running longer than {@code timeout}. */
    ShellCommandRunner(Duration timeout) {
        this(timeout, null);
    }

    /**
     * A runner that kills commands running longer than {@code timeout} and names the file of
     * {@code attachments} (null for none) to them in {@link
     * DiskAttachmentReport#ENVIRONMENT_VARIABLE}, the file where they report the disk images
     * they mount; the first command makes it.
     */
    ShellCommandRunner(Duration timeout, DiskAttachmentReport attachments) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("command timeout (" + timeout + ") must be positive");
        }
        this.timeout = timeout;
        this.attachments = attachments;
    }

    @Override
    public String firstLine(String command, Path workingDirectory, Path config, String action)
            throws ValueCommandException {
        ProcessBuilder builder = new ProcessBuilder(setsid(), "/bin/sh", "-c", command)
                .directory(workingDirectory.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        Map<String, String> environment = builder.environment();
        environment.put("CONFIG", config.toString());
        environment.put("ACTION", action);
        if (attachments != null) {
            try {
                environment.put(DiskAttachmentReport.ENVIRONMENT_VARIABLE, attachments.file().toString());
            } catch (IOException e) {
                throw new ValueCommandException("could not be run: cannot make a temporary file for the disk"
                        + " attachments of ! commands: " + e.getMessage());
            }
        } else {
            // An outer reading's file is not ours to report into.
            environment.remove(DiskAttachmentReport.ENVIRONMENT_VARIABLE);
        }
        // The shell trusts an inherited PWD that names its directory; ours names the JVM's.
        environment.put("PWD", workingDirectory.toString());
        Process process;
        Set<String> pipesBefore = ourPipes();
        try {
            process = builder.start();
        } catch (IOException | IllegalArgumentException e) {
            throw new ValueCommandException("could not be run: " + e.getMessage());
        }
        // At once: a short command may be gone within a millisecond, background children and all.
        Set<String> pipe = outputPipe(process.pid(), pipesBefore);
        Log.LOG.debug("running value command ({}) as pid {} in {}", command, process.pid(), workingDirectory);
        CompletableFuture<Output> output = readOutput(process.getInputStream());
        Output result = awaitOutput(process, output, pipe);
        int status = process.exitValue();
        if (status != 0) {
            throw new ValueCommandException("failed with exit status " + status);
        }
        return firstLineOf(result);
    }

    /** The program that starts the shell in a session of its own. */
    private static String setsid() throws ValueCommandException {
        for (Path candidate : SETSID) {
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new ValueCommandException("could not be run: setsid (util-linux) is missing from "
                + SETSID.get(0) + " and " + SETSID.get(1));
    }

    /** Waits for exit and end of output within the time limit; kills the session otherwise. */
    private Output awaitOutput(Process process, CompletableFuture<Output> output, Set<String> pipe)
            throws ValueCommandException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            if (process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                Output result = output.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
                // The JDK closes its end of the pipe when the process exits, so end of output
                // there does not prove that nothing else writes to it: look for a process of
                // the session that still holds the pipe, as $(...) would wait for it.
                while (!pipe.isEmpty() && holdsPipe(sessionMembers(process.pid()), pipe)) {
                    if (System.nanoTime() > deadline) {
                        throw new TimeoutException();
                    }
                    Thread.sleep(10);
                }
                return result;
            }
        } catch (TimeoutException e) {
            // Exited, but something it started still holds the output open: $(...) would wait.
        } catch (ExecutionException e) {
            killSession(process);
            throw new ValueCommandException("output could not be read: " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            killSession(process);
            Thread.currentThread().interrupt();
            throw new ValueCommandException("was interrupted and killed");
        }
        killSession(process);
        throw new ValueCommandException("ran longer than " + format(timeout) + " and was killed");
    }

    private static String firstLineOf(Output output) throws ValueCommandException {
        if (output.totalBytes() == 0) {
            throw new ValueCommandException("printed nothing");
        }
        if (output.firstLine().length > MAX_LINE_BYTES) {
            throw new ValueCommandException("printed a first line longer than " + MAX_LINE_BYTES + " bytes");
        }
        String line;
        try {
            line = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(output.firstLine())).toString();
        } catch (CharacterCodingException e) {
            throw new ValueCommandException("printed a first line that is not valid UTF-8");
        }
        if (Rules.trim(line).isEmpty()) {
            throw new ValueCommandException("printed an empty first line");
        }
        return line;
    }

    /** What a command printed: its first line (at most one byte too long) and the count. */
    private record Output(byte[] firstLine, long totalBytes) {}

    /** Reads the whole output on a thread of its own, keeping the first line. */
    private static CompletableFuture<Output> readOutput(InputStream in) {
        CompletableFuture<Output> result = new CompletableFuture<>();
        Thread.ofPlatform().daemon().name("subhost-value-command-output").start(() -> {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            boolean lineComplete = false;
            long total = 0;
            byte[] buffer = new byte[8192];
            try (in) {
                // Read to the end even after the first line, so that the writer never blocks.
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    total += n;
                    for (int i = 0; i < n && !lineComplete; i++) {
                        if (buffer[i] == '\n') {
                            lineComplete = true;
                        } else if (line.size() <= MAX_LINE_BYTES) {
                            line.write(buffer[i]);
                        }
                    }
                }
                result.complete(new Output(line.toByteArray(), total));
            } catch (IOException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /**
     * Kills every process of the session that {@code process} leads (its pid is the
     * session id, as setsid made it) and waits until none is left but zombies.
     */
    private static void killSession(Process process) {
        long session = process.pid();
        boolean interrupted = false;
        long deadline = System.nanoTime() + KILL_PATIENCE.toNanos();
        process.destroyForcibly();
        List<ProcessHandle> members = sessionMembers(session);
        while (!members.isEmpty() && System.nanoTime() < deadline) {
            members.forEach(ProcessHandle::destroyForcibly);
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                interrupted = true;
            }
            members = sessionMembers(session);
        }
        if (!members.isEmpty()) {
            Log.LOG.warn("value command session {}: processes {} survived SIGKILL", session,
                    members.stream().map(ProcessHandle::pid).toList());
        }
        try {
            process.waitFor(KILL_PATIENCE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            interrupted = true;
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The live (not zombie) processes of session {@code session}, from /proc/PID/stat. */
    private static List<ProcessHandle> sessionMembers(long session) {
        List<ProcessHandle> members = new ArrayList<>();
        long self = ProcessHandle.current().pid();
        try (DirectoryStream<Path> processes = Files.newDirectoryStream(Path.of("/proc"), ShellCommandRunner::isPid)) {
            for (Path dir : processes) {
                String stat;
                try {
                    // ISO-8859-1: the command name in parentheses may be any bytes.
                    stat = new String(Files.readAllBytes(dir.resolve("stat")), StandardCharsets.ISO_8859_1);
                } catch (IOException e) {
                    continue; // gone meanwhile
                }
                // After "pid (comm) ": state ppid pgrp session ...
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                long pid = Long.parseLong(dir.getFileName().toString());
                boolean dead = fields[0].equals("Z") || fields[0].equals("X");
                if (Long.parseLong(fields[3]) == session && !dead && pid != self) {
                    ProcessHandle.of(pid).ifPresent(members::add);
                }
            }
        } catch (IOException e) {
            Log.LOG.warn("cannot list /proc to kill value command session {}: {}", session, e.toString());
        }
        return members;
    }

    /** The pipe on standard output of process {@code pid}, as /proc names it ({@code pipe:[N]}), if readable. */
    private static Set<String> outputPipe(long pid, Set<String> pipesBefore) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "fd", "1")).toString();
            return target.startsWith("pipe:") ? Set.of(target) : Set.of();
        } catch (IOException e) {
            // It has exited already, and its children may hold the pipe: it is the one that
            // start() made, our end of which is a pipe this process did not have before
            // (stdin is /dev/null and stderr inherited, so start() made no other).
            Set<String> made = new HashSet<>(ourPipes());
            made.removeAll(pipesBefore);
            if (made.isEmpty()) {
                // Our end is gone too: the JDK drains and closes the output of a process that
                // exited. The pipe is then the new one on the standard output of what is left
                // of the session (the command's background children).
                for (ProcessHandle member : sessionMembers(pid)) {
                    try {
                        String target = Files.readSymbolicLink(Path.of("/proc", Long.toString(member.pid()), "fd", "1"))
                                .toString();
                        if (target.startsWith("pipe:") && !pipesBefore.contains(target)) {
                            made.add(target);
                        }
                    } catch (IOException gone) {
                        // ended meanwhile
                    }
                }
            }
            return made;
        }
    }

    /** The pipes this process has open, as {@code pipe:[INODE]}. */
    private static Set<String> ourPipes() {
        Set<String> pipes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("pipe:")) {
                        pipes.add(target);
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException e) {
            // No /proc: nothing to compare; the command's own descriptor is read instead.
        }
        return pipes;
    }

    /** Whether one of {@code processes} has one of {@code pipes} open on any descriptor. */
    private static boolean holdsPipe(List<ProcessHandle> processes, Set<String> pipes) {
        for (ProcessHandle p : processes) {
            try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(p.pid()), "fd"))) {
                for (Path fd : fds) {
                    try {
                        if (pipes.contains(Files.readSymbolicLink(fd).toString())) {
                            return true;
                        }
                    } catch (IOException e) {
                        // closed meanwhile
                    }
                }
            } catch (IOException e) {
                // gone meanwhile
            }
        }
        return false;
    }

    private static boolean isPid(Path path) {
        String name = path.getFileName().toString();
        return !name.isEmpty() && name.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    /** {@code 30 s} or {@code 200 ms}: how a user would write the limit. */
    static String format(Duration duration) {
        return duration.toMillis() % 1000 == 0 ? duration.toSeconds() + " s" : duration.toMillis() + " ms";
    }
}
