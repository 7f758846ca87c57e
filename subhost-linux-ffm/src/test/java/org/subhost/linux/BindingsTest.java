package org.subhost.linux;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.subhost.linux.internal.Downcall;

/**
 * The bindings make their downcall handles on first use; {@link Bindings#linkAll()} makes
 * every one, so that a misspelt or missing C function shows here and not at a user's
 * first call of it.
 */
class BindingsTest {
    @Test
    void everyBindingLinksAgainstTheCLibrary() {
        int count = Bindings.linkAll();
        assertThat(count).as("downcall handles of the module").isGreaterThanOrEqualTo(50);
        assertThat(Downcall.all()).hasSize(count)
                .extracting(Downcall::name)
                .contains("mount", "umount2", "open", "close", "unshare", "setns", "posix_spawn", "socket", "syscall",
                        "strerrorname_np");
    }
}
