package org.subhost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.subhost.config.ConfFiles.read;
import static org.subhost.config.ConfFiles.real;
import static org.subhost.config.ConfFiles.write;

import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The limit variables (MEMORY_MAX ... DISK_MAX): values, defaults, file lines and the builder. */
class LimitsTest {
    @TempDir
    Path tmp;
    Path dir;

    @BeforeEach
    void realDirectory() {
        dir = real(tmp);
    }

    @Test
    void theDefaultLimitsOnlyTheProcesses() {
        Limits d = Limits.DEFAULT;
        assertThat(d.pidsMax()).hasValue(Limits.DEFAULT_PIDS_MAX);
        assertThat(d.memoryMax()).isEmpty();
        assertThat(d.memoryHigh()).isEmpty();
        assertThat(d.cpuWeight()).isEqualTo(100);
        assertThat(d.cpuMaxPercent()).isEmpty();
        assertThat(d.ioWeight()).isEqualTo(100);
        assertThat(d.diskMax()).isEmpty();
        assertThat(d.assignments()).containsExactly("MEMORY_MAX=none", "MEMORY_HIGH=none", "PIDS_MAX=2048",
                "CPU_WEIGHT=100", "CPU_MAX=none", "IO_WEIGHT=100", "DISK_MAX=none");
        assertThat(Limits.VARIABLES.stream().filter(v -> !d.isKernelDefault(v))).containsExactly("PIDS_MAX");
    }

    @Test
    void readsSizesInPowersOf1024InEitherCase() {
        assertThat(Limits.size("MEMORY_MAX", "512M")).hasValue(512L << 20);
        assertThat(Limits.size("MEMORY_MAX", "512m")).hasValue(512L << 20);
        assertThat(Limits.size("MEMORY_MAX", "3k")).hasValue(3072);
        assertThat(Limits.size("MEMORY_MAX", "2G")).hasValue(2L << 30);
        assertThat(Limits.size("DISK_MAX", "1T")).hasValue(1L << 40);
        assertThat(Limits.size("DISK_MAX", "1000")).hasValue(1000);
        assertThat(Limits.size("DISK_MAX", "none")).isEmpty();
    }

    @Test
    void writesSizesInTheirShortestExactForm() {
        assertThat(Limits.DEFAULT.with("MEMORY_MAX", "1024m").text("MEMORY_MAX")).isEqualTo("1G");
        assertThat(Limits.DEFAULT.with("MEMORY_MAX", "1536M").text("MEMORY_MAX")).isEqualTo("1536M");
        assertThat(Limits.DEFAULT.with("MEMORY_MAX", "1000").text("MEMORY_MAX")).isEqualTo("1000");
        assertThat(Limits.sizeText(5L << 40)).isEqualTo("5T");
        assertThat(Limits.sizeText(1L << 50)).isEqualTo("1024T");
    }

    @Test
    void everyValueReadsBackFromItsText() {
        Limits l = Limits.DEFAULT.with("MEMORY_MAX", "2G").with("MEMORY_HIGH", "1536M").with("PIDS_MAX", "none")
                .with("CPU_WEIGHT", "300").with("CPU_MAX", "150%").with("IO_WEIGHT", "50").with("DISK_MAX", "10G");
        assertThat(l.toString()).isEqualTo("MEMORY_MAX=2G MEMORY_HIGH=1536M PIDS_MAX=none CPU_WEIGHT=300 CPU_MAX=150%"
                + " IO_WEIGHT=50 DISK_MAX=10G");
        assertThat(Limits.parse(l.toString())).isEqualTo(l);
        assertThat(Limits.parse("")).isEqualTo(Limits.DEFAULT);
        assertThat(l.cpuMaxPercent()).hasValue(150);
        assertThat(l.pidsMax()).isEmpty();
    }

    @Test
    void rejectsBadValuesNamingTheVariableAndTheRule() {
        assertThatThrownBy(() -> Limits.DEFAULT.with("MEMORY_MAX", "12X")).hasMessage(
                "MEMORY_MAX (12X) must be none or a size: bytes, or a number with K, M, G or T");
        assertThatThrownBy(() -> Limits.DEFAULT.with("MEMORY_MAX", "1.5G")).hasMessage(
                "MEMORY_MAX (1.5G) must be none or a size: bytes, or a number with K, M, G or T");
        assertThatThrownBy(() -> Limits.DEFAULT.with("DISK_MAX", "0")).hasMessage(
                "DISK_MAX (0) must be more than 0 (none for no limit)");
        assertThatThrownBy(() -> Limits.DEFAULT.with("MEMORY_HIGH", "9000000T")).hasMessage(
                "MEMORY_HIGH (9000000T) must be none or a size: bytes, or a number with K, M, G or T below 8 EiB");
        assertThatThrownBy(() -> Limits.DEFAULT.with("PIDS_MAX", "0")).hasMessage(
                "PIDS_MAX (0) must be none or a number from 1 to 4194304");
        assertThatThrownBy(() -> Limits.DEFAULT.with("PIDS_MAX", "-1")).hasMessage(
                "PIDS_MAX (-1) must be none or a number from 1 to 4194304");
        assertThatThrownBy(() -> Limits.DEFAULT.with("CPU_WEIGHT", "10001")).hasMessage(
                "CPU_WEIGHT (10001) must be a number from 1 to 10000 (default 100)");
        assertThatThrownBy(() -> Limits.DEFAULT.with("IO_WEIGHT", "none")).hasMessage(
                "IO_WEIGHT (none) must be a number from 1 to 10000 (default 100)");
        assertThatThrownBy(() -> Limits.DEFAULT.with("CPU_MAX", "1.5")).hasMessage(
                "CPU_MAX (1.5) must be none or a percentage of one CPU from 1% to 102400% (150% for one and a half CPUs)");
        assertThatThrownBy(() -> Limits.DEFAULT.with("CPU_MAX", "0%")).hasMessage(
                "CPU_MAX (0%) must be none or a percentage of one CPU from 1% to 102400% (150% for one and a half CPUs)");
        assertThatThrownBy(() -> Limits.DEFAULT.with("SWAP_MAX", "1G")).hasMessage(
                "limit (SWAP_MAX) is not known; the limits are MEMORY_MAX, MEMORY_HIGH, PIDS_MAX, CPU_WEIGHT, CPU_MAX,"
                        + " IO_WEIGHT, DISK_MAX");
    }

    @Test
    void typedSettersCheckAsTheTextDoes() {
        assertThat(Limits.DEFAULT.withMemoryMax(OptionalLong.of(1 << 20)).text("MEMORY_MAX")).isEqualTo("1M");
        assertThat(Limits.DEFAULT.withCpuMax(OptionalInt.of(50)).text("CPU_MAX")).isEqualTo("50%");
        assertThatThrownBy(() -> Limits.DEFAULT.withPidsMax(OptionalLong.of(5_000_000))).hasMessage(
                "PIDS_MAX (5000000) must be none or a number from 1 to 4194304");
        assertThatThrownBy(() -> Limits.DEFAULT.withMemoryMax(OptionalLong.of(0))).hasMessage(
                "MEMORY_MAX (0) must be more than 0 (none for no limit)");
        assertThatThrownBy(() -> Limits.DEFAULT.withIoWeight(0)).hasMessage(
                "IO_WEIGHT (0) must be a number from 1 to 10000 (default 100)");
    }

    @Test
    void readsEveryLimitFromAFile() throws Exception {
        SubhostConfig c = read(write(dir, "mta.conf", "BASE=.", "MEMORY_MAX=1G", "MEMORY_HIGH=768M", "PIDS_MAX=500",
                "CPU_WEIGHT=300", "CPU_MAX=150%", "IO_WEIGHT=200", "DISK_MAX=20G"));
        assertThat(c.limits().toString()).isEqualTo("MEMORY_MAX=1G MEMORY_HIGH=768M PIDS_MAX=500 CPU_WEIGHT=300"
                + " CPU_MAX=150% IO_WEIGHT=200 DISK_MAX=20G");
        assertThat(c.describe()).containsSubsequence("CONFINE_FILES=on", "MEMORY_MAX=1G", "MEMORY_HIGH=768M",
                "PIDS_MAX=500", "CPU_WEIGHT=300", "CPU_MAX=150%", "IO_WEIGHT=200", "DISK_MAX=20G", "DEVICES=");
    }

    @Test
    void anEmptyValueKeepsTheDefault() throws Exception {
        SubhostConfig c = read(write(dir, "mta.conf", "BASE=.", "PIDS_MAX=", "CPU_WEIGHT= "));
        assertThat(c.limits()).isEqualTo(Limits.DEFAULT);
    }

    @Test
    void aCommandMayGiveALimit() throws Exception {
        SubhostConfig c = read(write(dir, "mta.conf", "BASE=.", "PIDS_MAX=!echo 300"));
        assertThat(c.limits().pidsMax()).hasValue(300);
    }

    @Test
    void rejectsABadLimitWithFileAndLine() {
        Path conf = write(dir, "mta.conf", "BASE=.", "# limits", "MEMORY_MAX=lots");
        assertThatThrownBy(() -> read(conf)).isInstanceOf(ConfigException.class).hasMessage(conf
                + ":3: MEMORY_MAX (lots) must be none or a size: bytes, or a number with K, M, G or T");
        Path pids = write(dir, "pids.conf", "BASE=.", "PIDS_MAX=unlimited");
        assertThatThrownBy(() -> read(pids)).hasMessage(pids + ":2: PIDS_MAX (unlimited) must be none or a number"
                + " from 1 to 4194304");
    }

    @Test
    void theBuilderTakesTheSameLimits() {
        SubhostConfig c = SubhostConfig.builder("mta", dir).limit("MEMORY_MAX", "512M").limit("PIDS_MAX", "none")
                .build();
        assertThat(c.limits().memoryMax()).hasValue(512L << 20);
        assertThat(c.limits().pidsMax()).isEmpty();
        assertThat(c.toBuilder().build()).isEqualTo(c);
        assertThat(c.toBuilder().limits(Limits.DEFAULT).build().limits()).isEqualTo(Limits.DEFAULT);
        assertThatThrownBy(() -> SubhostConfig.builder("mta", dir).limit("CPU_MAX", "2 CPUs")).hasMessageStartingWith(
                "CPU_MAX (2 CPUs) must be none or a percentage of one CPU");
    }
}
