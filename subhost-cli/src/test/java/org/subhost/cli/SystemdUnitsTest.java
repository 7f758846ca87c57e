package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code subhosts --units} names each subhost's unit exactly as {@code systemd-escape --path} does. */
class SystemdUnitsTest {
    @ParameterizedTest
    @ValueSource(strings = {"/etc/subhosts.conf", "/opt/mta/mta.conf", "/srv/a b/x-y.conf", "/srv/.hidden/é.conf",
        "/srv//two//slashes/", "/", "/a:b_c/d.e"})
    void theInstanceOfAPathIsSystemdEscapesOwn(String path) throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/systemd-escape")), "systemd-escape is not installed");
        assertThat(SystemdUnits.escapePath(Path.of(path))).isEqualTo(SystemdUnit.escapePath(path));
        assertThat(SystemdUnits.unitOf(Path.of(path))).isEqualTo("subhosts@" + SystemdUnit.escapePath(path) + ".service");
    }
}
