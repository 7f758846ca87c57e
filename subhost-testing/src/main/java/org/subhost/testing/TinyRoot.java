package org.subhost.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tiny root tree for tests, built from the host's own programs and the libraries they
 * need (as {@code ldd} lists them): enough for a subhost's pid 1 and a shell, and little
 * else, so that a test can tell the subhost's tree from the host's. For example
 * {@code TinyRoot.build(base.resolve("tree"), List.of("sh", "cat", "sleep"))}.
 *
 * <p>A program found in neither {@code /bin} nor {@code /usr/bin} is left out; the tree
 * also gets the directories a subhost mounts on ({@code proc}, {@code sys}, {@code dev},
 * {@code run}, {@code tmp}) and {@code etc}, {@code root}. Deleting it is the caller's.
 */
public final class TinyRoot {
    private static final Pattern LIBRARY = Pattern.compile("(/\\S+) \\(0x");

    private TinyRoot() {}

    /**
     * Builds the tree in {@code dir} (made when missing).
     *
     * @param dir where the tree goes
     * @param programs the file names of the programs to copy, such as {@code sh}
     * @return {@code dir}
     * @throws IOException when a file cannot be read or written
     * @throws InterruptedException when interrupted while {@code ldd} runs
     */
    public static Path build(Path dir, List<String> programs) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        // A merged-/usr host has /bin, /lib, /lib64 as links into /usr: the tree gets the same links.
        for (String top : new String[] {"bin", "sbin", "lib", "lib32", "lib64", "libx32"}) {
            Path link = Path.of("/", top);
            if (Files.isSymbolicLink(link) && !Files.exists(dir.resolve(top), LinkOption.NOFOLLOW_LINKS)) {
                Path to = Files.readSymbolicLink(link);
                Files.createDirectories(dir.resolve(top).resolveSibling(to));
                Files.createSymbolicLink(dir.resolve(top), to);
            }
        }
        Set<Path> files = new LinkedHashSet<>();
        for (String program : programs) {
            Path p = Path.of("/bin", program);
            if (!Files.exists(p)) {
                p = Path.of("/usr/bin", program);
            }
            if (!Files.exists(p)) {
                continue;
            }
            files.add(p.toRealPath());
            files.add(p);
            Matcher m = LIBRARY.matcher(HostTools.run(List.of("ldd", p.toRealPath().toString()), null));
            while (m.find()) {
                Path lib = Path.of(m.group(1));
                files.add(lib);
                files.add(lib.toRealPath());
            }
        }
        for (Path f : files) {
            Path target = dir.resolve(f.toString().substring(1));
            Files.createDirectories(target.getParent());
            if (Files.isSymbolicLink(f)) {
                if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                    Files.createSymbolicLink(target, Files.readSymbolicLink(f));
                }
            } else {
                Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.COPY_ATTRIBUTES);
            }
        }
        for (String d : new String[] {"proc", "sys", "dev", "run", "tmp", "etc", "root"}) {
            Files.createDirectories(dir.resolve(d));
        }
        return dir;
    }
}
