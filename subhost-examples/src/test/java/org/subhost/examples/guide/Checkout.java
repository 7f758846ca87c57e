package org.subhost.examples.guide;

import java.nio.file.Files;
import java.nio.file.Path;

/** The top directory of this checkout, whether the tests run from the module or the top. */
public final class Checkout {
    private Checkout() {}

    /** {@return the checkout's top directory: the nearest above the working directory with docs and subhost-examples} */
    public static Path root() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("docs")) && Files.isDirectory(dir.resolve("subhost-examples"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no checkout (docs and subhost-examples) above " + Path.of("").toAbsolutePath());
    }
}
