package org.subhost.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.LifecycleMethodExecutionExceptionHandler;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/**
 * As root, a skipped test fails: the kernel tests of this project skip only when they
 * cannot run (not root), so a skip as root means that something a test needs is missing
 * and the run would otherwise be green without that test. The one exception is a skip
 * whose reason names a {@link KernelFeature} this kernel lacks: it stays a skip and is
 * appended to the file of the system property {@code subhost.test.featureSkips} (by
 * default {@code target/kernel-feature-skips.txt}), which the run's script prints at its
 * end.
 *
 * <p>JUnit finds this extension through {@code META-INF/services} when the configuration
 * parameter {@code junit.jupiter.extensions.autodetection.enabled} is true, as the build
 * sets it for every module. It sees a skip thrown by an assumption in a test, in its
 * {@code @BeforeEach} or in its {@code @BeforeAll}; a test disabled by an annotation is not
 * seen (the project has none).
 */
public final class NoSkipsAsRoot implements TestExecutionExceptionHandler, LifecycleMethodExecutionExceptionHandler {
    private static final Object FILE_LOCK = new Object();
    private static boolean fileCleared;

    private final boolean root;

    /** The extension of this JVM; whether it runs as root is read once, from {@code /proc/self/status}. */
    public NoSkipsAsRoot() {
        this.root = Uid.effective() == 0;
        clearFile();
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable thrown) throws Throwable {
        throw judge(context, thrown);
    }

    @Override
    public void handleBeforeAllMethodExecutionException(ExtensionContext context, Throwable thrown) throws Throwable {
        throw judge(context, thrown);
    }

    @Override
    public void handleBeforeEachMethodExecutionException(ExtensionContext context, Throwable thrown) throws Throwable {
        throw judge(context, thrown);
    }

    /** What to throw instead of {@code thrown}: itself, or a failure when it is a skip as root. */
    private Throwable judge(ExtensionContext context, Throwable thrown) {
        if (!(thrown instanceof TestAbortedException)) {
            return thrown;
        }
        Optional<KernelFeature> feature = KernelFeature.namedIn(thrown.getMessage());
        if (feature.isPresent()) {
            record(context.getUniqueId(), context.getDisplayName(), thrown.getMessage());
            return thrown;
        }
        if (!root) {
            return thrown;
        }
        AssertionFailedError failure = new AssertionFailedError("as root a test may not skip (only for a kernel feature"
                + " that this machine lacks, see org.subhost.testing.KernelFeature); skipped because: "
                + thrown.getMessage());
        failure.initCause(thrown);
        return failure;
    }

    /** The file of this run's skips for missing kernel features. */
    private static Path file() {
        return Path.of(System.getProperty("subhost.test.featureSkips", "target/kernel-feature-skips.txt"));
    }

    /** Empties the file once per JVM, when the first test engine starts: what it lists is this run's. */
    private static void clearFile() {
        synchronized (FILE_LOCK) {
            if (!fileCleared) {
                try {
                    Files.deleteIfExists(file());
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot remove the skips of an earlier run, " + file(), e);
                }
                fileCleared = true;
            }
        }
    }

    /** Appends one line for a skip of a missing kernel feature. */
    private static void record(String uniqueId, String displayName, String reason) {
        Path file = file();
        String test = uniqueId.replaceAll("\\[engine:[^]]*\\]/", "").replaceAll("\\[[a-z-]+:", "").replace("]", "")
                .replace("/", ".");
        synchronized (FILE_LOCK) {
            try {
                Files.createDirectories(file.toAbsolutePath().getParent());
                Files.writeString(file, test + ": " + reason.replace('\n', ' ') + "\n", StandardCharsets.UTF_8,
                        StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the skip of " + displayName + " to " + file, e);
            }
        }
    }
}
