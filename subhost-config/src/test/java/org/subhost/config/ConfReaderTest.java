package org.subhost.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.subhost.config.ConfFiles.read;
import static org.subhost.config.ConfFiles.real;
import static org.subhost.config.ConfFiles.write;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file format and the variables of docs/spec.md §2, except CABLES and ! commands. */
class ConfReaderTest {
    @TempDir
    Path tmp;
    Path dir;

    @BeforeEach
    void realDirectory() {
        dir = real(tmp);
    }

    @Test
    void appliesEveryDefault() throws Exception {
        Path conf = write(dir, "ex1.conf", "BASE=.");
        SubhostConfig c = read(conf);
        assertThat(c.file()).contains(conf);
        assertThat(c.name()).isEqualTo("ex1");
        assertThat(c.log()).isEqualTo(Path.of("/tmp/oly-ex1.log"));
        assertThat(c.base()).isEqualTo(dir);
        assertThat(c.cables()).isEmpty();
        assertThat(c.cableSpecs()).isEmpty();
        assertThat(c.live()).isEqualTo(dir.resolve("live"));
        assertThat(c.upper()).isEqualTo(dir.resolve("root"));
        assertThat(c.work()).isEqualTo(dir.resolve("work"));
        assertThat(c.lower()).isEqualTo(Path.of("/"));
        assertThat(c.rootKind()).isEqualTo(RootKind.OVERLAY);
        assertThat(c.start()).containsExactly("networking", "ssh");
        assertThat(c.premount()).isEmpty();
        assertThat(c.postmount()).isEmpty();
        assertThat(c.init()).isEmpty();
        assertThat(c.ramSize()).contains("50M");
        assertThat(c.shares()).isEmpty();
    }

    @Test
    void describesTheDefaultsAsDryRunLines() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=."));
        assertThat(c.describe()).containsExactly(
                "NAME=ex1",
                "LOG=/tmp/oly-ex1.log",
                "BASE=" + dir,
                "CABLES=",
                "LIVE=" + dir + "/live",
                "UPPER=" + dir + "/root",
                "WORK=" + dir + "/work",
                "LOWER=/",
                "START=networking ssh",
                "PREMOUNT=",
                "POSTMOUNT=",
                "INIT=",
                "RAM_SIZE=50M",
                "CAPABILITIES=default",
                "SECCOMP=on",
                "CONFINE_FILES=on",
                "MEMORY_MAX=none",
                "MEMORY_HIGH=none",
                "PIDS_MAX=2048",
                "CPU_WEIGHT=100",
                "CPU_MAX=none",
                "IO_WEIGHT=100",
                "DISK_MAX=none",
                "DEVICES=");
    }

    @Test
    void readsEveryVariable() throws Exception {
        Path conf = write(dir, "ex1.conf",
                "NAME=mta",
                "LOG=/var/log/mta.log",
                "BASE=.",
                "CABLES=br0=06:20:03:4E:A6:F2  =.302",
                "LIVE=/srv/mta/live",
                "UPPER=/srv/mta/upper",
                "WORK=/srv/mta/work",
                "LOWER=/srv/os",
                "START=networking  postfix /etc/init.d/spamd",
                "PREMOUNT=/usr/local/bin/pre",
                "POSTMOUNT=/usr/local/bin/post --all",
                "INIT=cat /etc/mta.init",
                "RAM_SIZE=1g",
                "CAPABILITIES=+sys_time, -net_raw",
                "SECCOMP=off",
                "CONFINE_FILES=off",
                "MEMORY_MAX=2g",
                "MEMORY_HIGH=1536M",
                "PIDS_MAX=700",
                "CPU_WEIGHT=300",
                "CPU_MAX=150%",
                "IO_WEIGHT=50",
                "DISK_MAX=10240M",
                "DEVICES=/dev/fuse c:10:200:rw",
                "SHARE=/srv/spool",
                "SHARE=/srv/a:/var/a");
        SubhostConfig c = read(conf);
        assertThat(c.describe()).containsExactly(
                "NAME=mta",
                "LOG=/var/log/mta.log",
                "BASE=" + dir,
                "CABLES=br0=06:20:03:4E:A6:F2  =.302",
                "LIVE=/srv/mta/live",
                "UPPER=/srv/mta/upper",
                "WORK=/srv/mta/work",
                "LOWER=/srv/os",
                "START=networking  postfix /etc/init.d/spamd",
                "PREMOUNT=/usr/local/bin/pre",
                "POSTMOUNT=/usr/local/bin/post --all",
                "INIT=cat /etc/mta.init",
                "RAM_SIZE=1g",
                "CAPABILITIES=default -net_raw +sys_time",
                "SECCOMP=off",
                "CONFINE_FILES=off",
                "MEMORY_MAX=2G",
                "MEMORY_HIGH=1536M",
                "PIDS_MAX=700",
                "CPU_WEIGHT=300",
                "CPU_MAX=150%",
                "IO_WEIGHT=50",
                "DISK_MAX=10G",
                "DEVICES=/dev/fuse c:10:200:rw",
                "SHARE=/srv/spool:/srv/spool",
                "SHARE=/srv/a:/var/a");
        assertThat(c.start()).containsExactly("networking", "postfix", "/etc/init.d/spamd");
        assertThat(c.premount()).contains("/usr/local/bin/pre");
        assertThat(c.postmount()).contains("/usr/local/bin/post --all");
        assertThat(c.init()).contains("cat /etc/mta.init");
        assertThat(c.shares()).containsExactly(
                new Share(Path.of("/srv/spool"), Path.of("/srv/spool")),
                new Share(Path.of("/srv/a"), Path.of("/var/a")));
    }

    @Test
    void firstAssignmentWins() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "NAME=first", "NAME=second", "BASE=/nonexistent"));
        assertThat(c.name()).isEqualTo("first");
        assertThat(c.base()).isEqualTo(dir);
    }

    @Test
    void emptyValueMeansUnsetAndStillCountsAsTheFirstAssignment() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "NAME=", "NAME=second", "START=  ", "RAM_SIZE="));
        assertThat(c.name()).isEqualTo("ex1");
        assertThat(c.start()).containsExactly("networking", "ssh");
        assertThat(c.ramSize()).contains("50M");
    }

    @Test
    void trimsValues() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE= \t. \t", "NAME=  abc\t", "START= ssh \r"));
        assertThat(c.name()).isEqualTo("abc");
        assertThat(c.start()).containsExactly("ssh");
    }

    @Test
    void readsDosLineEnds() throws Exception {
        Path conf = ConfFiles.writeBytes(dir, "ex1.conf", "BASE=.\r\nNAME=dos\r\n".getBytes(StandardCharsets.UTF_8));
        assertThat(read(conf).name()).isEqualTo("dos");
    }

    @Test
    void readsALastLineWithoutLineEnd() throws Exception {
        Path conf = ConfFiles.writeBytes(dir, "ex1.conf", "BASE=.\nNAME=last".getBytes(StandardCharsets.UTF_8));
        assertThat(read(conf).name()).isEqualTo("last");
    }

    @Test
    void ignoresLinesThatAreNoAssignment() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf",
                "# NAME=comment",
                "#NAME=comment",
                "NAME =spacebefore",
                " NAME=indented",
                "name=lowercase",
                "NAMES=other",
                "SOMETHING=else",
                "just text",
                "",
                "BASE=."));
        assertThat(c.name()).isEqualTo("ex1");
    }

    @Test
    void aSpaceBeforeTheEqualsSignIsNoAssignmentEvenForBase() throws Exception {
        Path conf = write(dir, "ex1.conf", "BASE =.");
        assertThatThrownBy(() -> read(conf)).isInstanceOf(ConfigException.class)
                .hasMessage(conf + ": Missing BASE=...");
    }

    @Test
    void rejectsAMissingBaseNamingTheFileWithoutLine() {
        Path conf = write(dir, "ex1.conf", "NAME=x");
        assertThatThrownBy(() -> read(conf))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e).hasMessage(conf + ": Missing BASE=...");
                    assertThat(e.file()).isEqualTo(conf);
                    assertThat(e.line()).isEqualTo(OptionalInt.empty());
                    assertThat(e.variable()).contains("BASE");
                    assertThat(e.reason()).isEqualTo("Missing BASE=...");
                });
    }

    @Test
    void rejectsAnEmptyBase() {
        Path conf = write(dir, "ex1.conf", "BASE=", "BASE=.");
        assertThatThrownBy(() -> read(conf)).hasMessage(conf + ": Missing BASE=...");
    }

    @Test
    void rejectsABaseThatDoesNotExist() {
        Path conf = write(dir, "ex1.conf", "NAME=x", "BASE=nope");
        assertThatThrownBy(() -> read(conf))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e).hasMessage(conf + ":2: BASE (nope) must be an existing directory ("
                            + dir.resolve("nope") + " does not exist)");
                    assertThat(e.line()).isEqualTo(OptionalInt.of(2));
                    assertThat(e.variable()).contains("BASE");
                });
    }

    @Test
    void rejectsABaseThatIsNoDirectory() throws IOException {
        Files.writeString(dir.resolve("plain"), "x");
        Path conf = write(dir, "ex1.conf", "BASE=plain");
        assertThatThrownBy(() -> read(conf)).hasMessage(
                conf + ":1: BASE (plain) must be a directory (" + dir.resolve("plain") + " is not one)");
    }

    @Test
    void resolvesARelativeBaseAgainstTheFilesDirectoryNotTheWorkingDirectory() throws Exception {
        Files.createDirectories(dir.resolve("sub/base"));
        Path conf = write(dir.resolve("sub"), "ex1.conf", "BASE=base");
        assertThat(read(conf).base()).isEqualTo(dir.resolve("sub/base"));
    }

    @Test
    void resolvesBaseToItsRealPath() throws Exception {
        Files.createDirectories(dir.resolve("real/base"));
        Files.createSymbolicLink(dir.resolve("link"), dir.resolve("real"));
        Path conf = write(dir, "ex1.conf", "BASE=link/base/../base");
        assertThat(read(conf).base()).isEqualTo(dir.resolve("real/base"));
    }

    @Test
    void keepsAnAbsoluteBase() throws Exception {
        Files.createDirectories(dir.resolve("elsewhere"));
        Path conf = write(dir.resolve("confs"), "ex1.conf", "BASE=" + dir.resolve("elsewhere"));
        assertThat(read(conf).base()).isEqualTo(dir.resolve("elsewhere"));
    }

    @Test
    void resolvesRelativePathsAgainstBaseAndNormalisesThem() throws Exception {
        Files.createDirectories(dir.resolve("b"));
        Path conf = write(dir, "ex1.conf",
                "BASE=b",
                "LIVE=mnt/live",
                "UPPER=../layers/./upper",
                "WORK=w/",
                "LOWER=os",
                "LOG=logs/boot.log");
        SubhostConfig c = read(conf);
        assertThat(c.live()).isEqualTo(dir.resolve("b/mnt/live"));
        assertThat(c.upper()).isEqualTo(dir.resolve("layers/upper"));
        assertThat(c.work()).isEqualTo(dir.resolve("b/w"));
        assertThat(c.lower()).isEqualTo(dir.resolve("b/os"));
        assertThat(c.log()).isEqualTo(dir.resolve("b/logs/boot.log"));
    }

    @Test
    void normalisesAbsolutePaths() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "LOWER=/srv//os/./x/.."));
        assertThat(c.lower()).isEqualTo(Path.of("/srv/os"));
    }

    @Test
    void logDefaultFollowsName() throws Exception {
        assertThat(read(write(dir, "ex1.conf", "BASE=.", "NAME=web")).log()).isEqualTo(Path.of("/tmp/oly-web.log"));
    }

    @Test
    void rootIsAnOverlayWhenUpperDiffersFromLower() throws Exception {
        assertThat(read(write(dir, "ex1.conf", "BASE=.", "UPPER=u", "LOWER=l")).rootKind())
                .isEqualTo(RootKind.OVERLAY);
    }

    @Test
    void rootIsABindWhenUpperEqualsLowerButNotLive() throws Exception {
        assertThat(read(write(dir, "ex1.conf", "BASE=.", "UPPER=os", "LOWER=os/")).rootKind())
                .isEqualTo(RootKind.BIND);
    }

    @Test
    void rootIsPlainWhenAllThreeAreEqual() throws Exception {
        assertThat(read(write(dir, "ex1.conf", "BASE=.", "UPPER=os", "LOWER=os", "LIVE=" + dir + "/os")).rootKind())
                .isEqualTo(RootKind.PLAIN);
    }

    @Test
    void rejectsAnOverlayWhoseLiveIsUpper() {
        Path conf = write(dir, "ex1.conf", "BASE=.", "UPPER=u", "LIVE=u");
        assertThatThrownBy(() -> read(conf)).hasMessage(conf + ":3: LIVE (" + dir + "/u) must differ from UPPER ("
                + dir + "/u) and LOWER (/) for an overlay root");
    }

    @Test
    void rejectsAnOverlayWhoseLiveIsLowerBlamingLowerWhenLiveIsTheDefault() {
        Path conf = write(dir, "ex1.conf", "BASE=.", "LOWER=live");
        assertThatThrownBy(() -> read(conf))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e).hasMessage(conf + ":2: LIVE (" + dir + "/live) must differ from UPPER ("
                            + dir + "/root) and LOWER (" + dir + "/live) for an overlay root");
                    assertThat(e.variable()).contains("LIVE");
                });
    }

    @Test
    void rejectsAnOverlayWhoseWorkIsInsideUpper() {
        Path conf = write(dir, "ex1.conf", "BASE=.", "WORK=root/work");
        assertThatThrownBy(() -> read(conf)).hasMessage(conf + ":2: WORK (" + dir + "/root/work) must be outside UPPER ("
                + dir + "/root) and not contain it");
    }

    @Test
    void acceptsNameOfTwelveCharacters() throws Exception {
        assertThat(read(write(dir, "ex1.conf", "BASE=.", "NAME=Ab9_.-ab9_.-")).name()).isEqualTo("Ab9_.-ab9_.-");
    }

    @Test
    void rejectsNameLongerThanTwelveCharacters() {
        Path conf = write(dir, "ex1.conf", "BASE=.", "NAME=webmail-frontend");
        assertThatThrownBy(() -> read(conf))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e).hasMessage(conf + ":2: NAME (webmail-frontend) must be at most 12 characters");
                    assertThat(e.line()).hasValue(2);
                    assertThat(e.variable()).contains("NAME");
                });
    }

    @Test
    void rejectsNameWithOtherCharacters() {
        Path conf = write(dir, "ex1.conf", "BASE=.", "NAME=a/b");
        assertThatThrownBy(() -> read(conf))
                .hasMessage(conf + ":2: NAME (a/b) must contain only letters A-Z a-z, digits and _ . -");
        Path space = write(dir, "ex2.conf", "BASE=.", "NAME=a b");
        assertThatThrownBy(() -> read(space))
                .hasMessage(space + ":2: NAME (a b) must contain only letters A-Z a-z, digits and _ . -");
    }

    @Test
    void rejectsNameDotDot() {
        Path conf = write(dir, "ex1.conf", "BASE=.", "NAME=..");
        assertThatThrownBy(() -> read(conf)).hasMessage(conf + ":2: NAME (..) must not be . or ..");
    }

    @Test
    void defaultNameIsTheFileNameWithoutConf() throws Exception {
        assertThat(read(write(dir, "mail.relay.conf", "BASE=.")).name()).isEqualTo("mail.relay");
        assertThat(read(write(dir, "noext", "BASE=.")).name()).isEqualTo("noext");
        assertThat(read(write(dir, "x.conf.bak", "BASE=.")).name()).isEqualTo("x.conf.bak");
    }

    @Test
    void rejectsADefaultNameThatIsTooLongWithoutLine() {
        Path conf = write(dir, "webmail-frontend.conf", "BASE=.");
        assertThatThrownBy(() -> read(conf))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e).hasMessage(conf + ": NAME (webmail-frontend) must be at most 12 characters"
                            + " (NAME defaults to the file's name)");
                    assertThat(e.line()).isEmpty();
                });
    }

    @Test
    void startNoneMeansNoServices() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "START=none"));
        assertThat(c.start()).isEmpty();
        assertThat(c.describe()).contains("START=none");
    }

    @Test
    void startIsAList() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "START=ssh\tcron  /opt/x/rc"));
        assertThat(c.start()).containsExactly("ssh", "cron", "/opt/x/rc");
    }

    @Test
    void rejectsNoneAmongOtherServices() {
        Path conf = write(dir, "ex1.conf", "BASE=.", "START=ssh none");
        assertThatThrownBy(() -> read(conf)).hasMessage(conf + ":2: START (ssh none) must be none alone or a list of services");
    }

    @Test
    void ramSizeNoneMeansNoTmpfs() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "RAM_SIZE=none"));
        assertThat(c.ramSize()).isEmpty();
        assertThat(c.describe()).contains("RAM_SIZE=none");
    }

    @Test
    void acceptRaIsNoByDefaultAndYesWhenAsked() throws Exception {
        assertThat(read(write(dir, "ex1.conf", "BASE=.")).acceptRouterAdvertisements()).isFalse();
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "ACCEPT_RA=yes"));
        assertThat(c.acceptRouterAdvertisements()).isTrue();
        assertThat(c.describe()).contains("ACCEPT_RA=yes");
        assertThat(read(write(dir, "ex1.conf", "BASE=.", "ACCEPT_RA=no")).acceptRouterAdvertisements()).isFalse();
    }

    @Test
    void startPreferIsInitDByDefaultAndUnitWhenAsked() throws Exception {
        SubhostConfig plain = read(write(dir, "ex1.conf", "BASE=."));
        assertThat(plain.preferUnits()).isFalse();
        assertThat(plain.describe()).noneMatch(l -> l.startsWith("START_PREFER") || l.startsWith("SUPERVISE"));
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "START_PREFER=unit"));
        assertThat(c.preferUnits()).isTrue();
        assertThat(c.describe()).contains("START_PREFER=unit");
        Path conf = write(dir, "ex1.conf", "BASE=.", "START_PREFER=systemd");
        assertThatThrownBy(() -> read(conf)).hasMessage(conf + ":2: START_PREFER (systemd) must be init.d or unit");
    }

    @Test
    void initReadyTimeoutIsNinetySecondsUnlessSet() throws Exception {
        assertThat(read(write(dir, "ex1.conf", "BASE=.")).initReadyTimeout()).isEqualTo(Duration.ofSeconds(90));
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "INIT_READY_TIMEOUT=300"));
        assertThat(c.initReadyTimeout()).isEqualTo(Duration.ofSeconds(300));
        assertThat(c.describe()).contains("INIT_READY_TIMEOUT=300");
        Path conf = write(dir, "ex1.conf", "BASE=.", "INIT_READY_TIMEOUT=0");
        assertThatThrownBy(() -> read(conf)).hasMessage(conf + ":2: INIT_READY_TIMEOUT (0) must be a number of seconds"
                + " from 1 to 86400");
    }

    @Test
    void superviseNamesInitDServicesWithTheirPidFiles() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "SUPERVISE= ssh:/run/sshd.pid  cron:/run/crond.pid"));
        assertThat(c.supervise()).containsExactly(Map.entry("ssh", "/run/sshd.pid"), Map.entry("cron", "/run/crond.pid"));
        assertThat(c.describe()).contains("SUPERVISE=ssh:/run/sshd.pid cron:/run/crond.pid");
        Path conf = write(dir, "ex1.conf", "BASE=.", "SUPERVISE=ssh:run/sshd.pid");
        assertThatThrownBy(() -> read(conf)).hasMessage(conf + ":2: SUPERVISE (ssh:run/sshd.pid) must be NAME:PIDFILE,"
                + " PIDFILE an absolute path inside the subhost, such as ssh:/run/sshd.pid");
    }

    @Test
    void rejectsAnAcceptRaOtherThanYesOrNo() {
        Path conf = write(dir, "ex1.conf", "BASE=.", "ACCEPT_RA=1");
        assertThatThrownBy(() -> read(conf)).hasMessage(conf + ":2: ACCEPT_RA (1) must be yes or no");
    }

    @Test
    void acceptsEveryRamSizeForm() throws Exception {
        for (String size : List.of("0", "1024", "512k", "512K", "50m", "50M", "2g", "2G", "10%")) {
            Path conf = write(dir, "ex1.conf", "BASE=.", "RAM_SIZE=" + size);
            assertThat(read(conf).ramSize()).as(size).contains(size);
        }
    }

    @Test
    void rejectsOtherRamSizes() {
        for (String size : List.of("50MB", "-1", "M", "5 M", "1t", "1.5g", "%", "None")) {
            Path conf = write(dir, "ex1.conf", "BASE=.", "", "RAM_SIZE=" + size);
            assertThatThrownBy(() -> read(conf)).as(size).hasMessage(conf + ":3: RAM_SIZE (" + size
                    + ") must be none or a size: digits with an optional k, m, g or % suffix");
        }
    }

    @Test
    void sharesSamePathForm() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "SHARE=/srv/spool/"));
        assertThat(c.shares()).containsExactly(new Share(Path.of("/srv/spool"), Path.of("/srv/spool")));
    }

    @Test
    void sharesRelativeHostPathAgainstBase() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "SHARE=data:/data", "SHARE=spool"));
        assertThat(c.shares()).containsExactly(
                new Share(dir.resolve("data"), Path.of("/data")),
                new Share(dir.resolve("spool"), dir.resolve("spool")));
    }

    @Test
    void sharesRepeatInFileOrderAndSkipEmptyOnes() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "SHARE=/a", "BASE=.", "SHARE=", "SHARE=/b:/c", "SHARE=/a"));
        assertThat(c.describe()).endsWith("SHARE=/a:/a", "SHARE=/b:/c", "SHARE=/a:/a");
    }

    @Test
    void sharesAreNeverCommands() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "SHARE=!touch marker"));
        assertThat(c.shares()).containsExactly(new Share(dir.resolve("!touch marker"), dir.resolve("!touch marker")));
        assertThat(dir.resolve("marker")).doesNotExist();
    }

    @Test
    void skipsAShareOfLowerItself() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "SHARE=/", "SHARE=/:/host", "SHARE=/srv"));
        assertThat(c.shares()).containsExactly(
                new Share(Path.of("/"), Path.of("/host")),
                new Share(Path.of("/srv"), Path.of("/srv")));
        SubhostConfig os = read(write(dir, "ex2.conf", "BASE=.", "LOWER=os", "SHARE=os", "SHARE=/"));
        assertThat(os.shares()).containsExactly(new Share(Path.of("/"), Path.of("/")));
    }

    @Test
    void rejectsARelativeSubhostPath() {
        Path conf = write(dir, "ex1.conf", "BASE=.", "SHARE=/srv/a:var/a");
        assertThatThrownBy(() -> read(conf))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e).hasMessage(conf + ":2: SHARE subhost path (var/a) must be absolute");
                    assertThat(e.variable()).contains("SHARE");
                    assertThat(e.line()).hasValue(2);
                });
    }

    @Test
    void rejectsSharesWithAnEmptyPart() {
        Path noHost = write(dir, "ex1.conf", "BASE=.", "SHARE=/ok", "SHARE=:/x");
        assertThatThrownBy(() -> read(noHost)).hasMessage(noHost + ":3: SHARE (:/x) must be dir or hostdir:subhostdir");
        Path noSubhost = write(dir, "ex2.conf", "BASE=.", "SHARE=/x:");
        assertThatThrownBy(() -> read(noSubhost)).hasMessage(noSubhost + ":2: SHARE (/x:) must be dir or hostdir:subhostdir");
    }

    @Test
    void keepsCommandStringsAsWritten() throws Exception {
        SubhostConfig c = read(write(dir, "ex1.conf", "BASE=.", "INIT=  printf '%s\\n' 'service ssh start'  "));
        assertThat(c.init()).contains("printf '%s\\n' 'service ssh start'");
    }

    @Test
    void rejectsAFileThatDoesNotExist() {
        Path conf = dir.resolve("missing.conf");
        assertThatThrownBy(() -> read(conf))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    assertThat(e).hasMessage(conf + ": cannot be read: no such file");
                    assertThat(e.variable()).isEmpty();
                    assertThat(e.line()).isEmpty();
                });
    }

    @Test
    void rejectsADirectoryAsFile() {
        assertThatThrownBy(() -> read(dir)).isInstanceOf(ConfigException.class).hasMessageStartingWith(dir + ": cannot be read: ");
    }

    @Test
    void rejectsAValueThatIsNotUtf8() {
        byte[] bytes = {'B', 'A', 'S', 'E', '=', '.', '\n', 'N', 'A', 'M', 'E', '=', (byte) 0xff, '\n'};
        Path conf = ConfFiles.writeBytes(dir, "ex1.conf", bytes);
        assertThatThrownBy(() -> read(conf)).hasMessage(conf + ":2: NAME value must be UTF-8 text");
    }

    @Test
    void ignoresBytesThatAreNotUtf8OutsideAssignments() throws Exception {
        byte[] bytes = {'#', (byte) 0xff, (byte) 0xfe, '\n', 'B', 'A', 'S', 'E', '=', '.', '\n'};
        Path conf = ConfFiles.writeBytes(dir, "ex1.conf", bytes);
        assertThat(read(conf).base()).isEqualTo(dir);
    }

    @Test
    void readsNonAsciiPaths() throws Exception {
        Path conf = write(dir, "ex1.conf", "BASE=.", "UPPER=/srv/größe");
        assertThat(read(conf).upper()).isEqualTo(Path.of("/srv/größe"));
    }

    @Test
    void namesTheLocaleWhenTheJvmCannotEncodeAPath() {
        assertThat(Rules.encodingHint("/srv/größe", "ANSI_X3.4-1968"))
                .contains("file names in ANSI_X3.4-1968").contains("LC_ALL=C.UTF-8");
        assertThat(Rules.encodingHint("/srv/größe", "UTF-8")).isEmpty();
        assertThat(Rules.encodingHint("/srv/plain", "ANSI_X3.4-1968")).isEmpty();
    }

    @Test
    void rejectsANulCharacter() {
        Path conf = write(dir, "ex1.conf", "BASE=.", "LOWER=/a\0b");
        assertThatThrownBy(() -> read(conf)).hasMessage(conf + ":2: LOWER value must not contain a NUL character");
    }

    @Test
    void describesAFileBuiltConfigAsReadBack() throws Exception {
        Path conf = write(dir, "ex1.conf", "BASE=.", "CABLES= br0= ", "START=none", "SHARE=x:/y");
        SubhostConfig c = read(conf);
        Path copy = write(dir, "copy.conf", c.describe().toArray(String[]::new));
        SubhostConfig back = read(copy);
        assertThat(back.describe()).isEqualTo(c.describe());
        assertThat(back.toBuilder().file(conf).build()).isEqualTo(c);
    }

    @Test
    void fileIsTheGivenPathForARelativeOne() throws Exception {
        Path conf = write(dir, "ex1.conf", "BASE=.", "NAME=x");
        Path relative = Path.of("").toAbsolutePath().relativize(conf);
        SubhostConfig c = read(relative);
        assertThat(c.file()).isEqualTo(Optional.of(relative));
        assertThat(c.base()).isEqualTo(dir);
    }
}
