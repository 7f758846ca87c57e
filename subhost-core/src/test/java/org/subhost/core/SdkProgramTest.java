package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The program that the SDK runs as pid 1, as an entering process and as the log relay, read
 * from its ELF headers: static, whatever C library built it (musl, or glibc's static archive
 * where musl-gcc is missing). A dynamic one would load its loader, its libraries and {@code
 * /etc/ld.so.preload} from the subhost's root into pid 1 before it is confined.
 */
class SdkProgramTest {
    private static final int PT_DYNAMIC = 2;
    private static final int PT_INTERP = 3;

    @Test
    void fileIdentitiesOfTheSameDeviceAndInodeAreEqualAndHashAlike() {
        SdkProgram.FileIdentity identity = new SdkProgram.FileIdentity(65024, 1234);
        assertThat(SdkProgram.FileIdentity.parse("65024:1234")).isEqualTo(identity).hasSameHashCodeAs(identity);
        assertThat(new SdkProgram.FileIdentity(65025, 1234)).isNotEqualTo(identity);
        assertThat(new SdkProgram.FileIdentity(65024, 1235)).isNotEqualTo(identity);
        assertThat(identity).isNotEqualTo(null).isNotEqualTo("65024:1234");
    }

    @Test
    void subhostInitIsAStaticProgramWithoutAnInterpreter() {
        ByteBuffer elf = ByteBuffer.wrap(SdkProgram.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        assertThat(elf.getInt(0)).as("ELF magic").isEqualTo(0x464c457f);
        assertThat(elf.get(4)).as("ELFCLASS64").isEqualTo((byte) 2);
        long phoff = elf.getLong(0x20);
        int phentsize = Short.toUnsignedInt(elf.getShort(0x36));
        int phnum = Short.toUnsignedInt(elf.getShort(0x38));
        List<Integer> types = new ArrayList<>();
        for (int i = 0; i < phnum; i++) {
            types.add(elf.getInt((int) (phoff + (long) i * phentsize)));
        }
        assertThat(types).as("program header types").isNotEmpty().doesNotContain(PT_INTERP, PT_DYNAMIC);
    }
}
