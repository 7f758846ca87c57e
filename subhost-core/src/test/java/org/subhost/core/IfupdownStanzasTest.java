package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What an interfaces(5) file says about names, and the stanzas of a configuration with its sourced files. */
class IfupdownStanzasTest {
    @Test
    void readsStanzasAndNamesOfEveryKindOfLine() {
        IfupdownStanzas.Parsed parsed = IfupdownStanzas.parse("""
                # iface commented inet manual
                auto lo eth0
                iface lo inet loopback
                allow-hotplug eth1
                iface eth1 inet \\
                    manual
                  iface   mail0 inet static
                    address 192.0.2.1/24
                source interfaces.d/*
                source-directory more.d
                """);
        assertThat(parsed.stanzas()).containsExactlyInAnyOrder("lo", "eth1", "mail0");
        assertThat(parsed.names()).containsExactlyInAnyOrder("lo", "eth0", "eth1", "mail0");
        assertThat(parsed.sources()).containsExactly("interfaces.d/*");
        assertThat(parsed.sourceDirectories()).containsExactly("more.d");
        assertThat(parsed.sourcesOthers()).isTrue();
        assertThat(IfupdownStanzas.parse("auto eth0\niface eth0 inet manual\n").sourcesOthers()).isFalse();
    }

    @Test
    void followsSourceAndSourceDirectoryLines(@TempDir Path dir) throws IOException {
        Path file = Files.writeString(dir.resolve("interfaces"), """
                iface lo inet loopback
                source interfaces.d/*
                source-directory /nowhere
                source-directory more.d
                source missing
                """);
        Files.createDirectories(dir.resolve("interfaces.d"));
        Files.writeString(dir.resolve("interfaces.d/mail"), "iface mail0 inet manual\n");
        Files.writeString(dir.resolve("interfaces.d/.hidden"), "iface hidden0 inet manual\n");
        Files.createDirectories(dir.resolve("more.d"));
        Files.writeString(dir.resolve("more.d/web"), "iface web0 inet manual\nsource ../interfaces\n");
        Files.writeString(dir.resolve("more.d/skipped.conf"), "iface skipped0 inet manual\n");
        assertThat(IfupdownStanzas.stanzasOf(file)).hasValueSatisfying(names -> assertThat(names)
                .containsExactlyInAnyOrder("lo", "mail0", "web0"));
    }

    @Test
    void anUnreadableConfigurationIsUnknown(@TempDir Path dir) {
        assertThat(IfupdownStanzas.stanzasOf(dir.resolve("interfaces"))).isEmpty();
    }

    @Test
    void aMissingConfigurationIsToldFromAnEmptyOneAndEveryUnreadableKindIsUnknown(@TempDir Path dir)
            throws IOException {
        // Missing (told without reading), a link to nowhere, a directory, a file on the way:
        // all unknown, as the read's failure made them before; an empty file has no stanza.
        Files.createSymbolicLink(dir.resolve("dangling"), dir.resolve("nowhere"));
        Files.createDirectories(dir.resolve("directory"));
        Files.writeString(dir.resolve("empty"), "");
        assertThat(IfupdownStanzas.stanzasOf(dir.resolve("missing"))).isEmpty();
        assertThat(IfupdownStanzas.stanzasOf(dir.resolve("dangling"))).isEmpty();
        assertThat(IfupdownStanzas.stanzasOf(dir.resolve("directory"))).isEmpty();
        assertThat(IfupdownStanzas.stanzasOf(dir.resolve("empty/interfaces"))).isEmpty();
        assertThat(IfupdownStanzas.stanzasOf(dir.resolve("empty"))).hasValueSatisfying(s -> assertThat(s).isEmpty());
    }
}
