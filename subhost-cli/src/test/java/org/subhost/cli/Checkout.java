package org.subhost.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the checkout is, whether the tests run from the module or from the top. */
final class Checkout {
    private Checkout() {}

    /** The nearest directory upwards that has {@code bin/lib/launcher.sh}. */
    static Path checkoutDir() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve("bin/lib/launcher.sh"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no checkout (bin/lib/launcher.sh) above " + Path.of("").toAbsolutePath());
    }
}
