package org.subhost.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The host's own programs with which tests make their fixtures (sfdisk, mkfs.ext4,
 * mksquashfs, ldd), for example:
 *
 * <pre>{@code
 * HostTools.require("sfdisk", "fdisk");
 * HostTools.run(List.of("sfdisk", "--quiet", image.toString()), "label: gpt\n,,L\n");
 * }</pre>
 *
 * <p>A missing program follows the rule of {@link NoSkipsAsRoot}: it skips the test when not
 * root and fails it as root, naming the package to install (the CI runs as root and
 * installs them: see {@code .ci/run}). What a program does to the host is the caller's to
 * undo.
 */
public final class HostTools {
    private HostTools() {}

    /**
     * Makes sure {@code program} is installed in {@code /usr/sbin}, {@code /sbin},
     * {@code /usr/bin} or {@code /bin}: as root a missing one fails the test, otherwise it
     * skips it.
     *
     * @param program the program's file name, such as {@code mkfs.ext4}
     * @param pkg the Debian package that installs it, such as {@code e2fsprogs}
     */
    public static void require(String program, String pkg) {
        for (String dir : List.of("/usr/sbin", "/sbin", "/usr/bin", "/bin")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return;
            }
        }
        if (Uid.isRoot()) {
            Assertions.fail(String.format("%s is missing: apt-get install %s (.ci/run installs it)", program, pkg));
        }
        Assumptions.assumeTrue(false, program + " is missing (package " + pkg + ")");
    }

    /**
     * Runs {@code command} (at most 120 s) with {@code input} on its standard input; it must
     * exit with status 0.
     *
     * @param command the program and its arguments
     * @param input what to write to its standard input, or null for nothing
     * @return its standard output
     * @throws IOException when it cannot be started or its output cannot be read
     * @throws InterruptedException when interrupted while waiting for it
     */
    public static String run(List<String> command, String input) throws IOException, InterruptedException {
        Path errFile = Files.createTempFile("subhost-tool-", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectError(errFile.toFile()).start();
            try (OutputStream in = p.getOutputStream()) {
                if (input != null) {
                    in.write(input.getBytes(StandardCharsets.UTF_8));
                }
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            Assertions.assertTrue(p.waitFor(120, TimeUnit.SECONDS), command + " finished");
            if (p.exitValue() != 0) {
                Assertions.fail(command + " exit status " + p.exitValue() + " (stderr: " + Files.readString(errFile)
                        + ")");
            }
            return out;
        } finally {
            Files.deleteIfExists(errFile);
        }
    }
}
