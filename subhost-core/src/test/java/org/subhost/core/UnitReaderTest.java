package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** START's systemd units as the host side reads them from a subhost's tree (here a directory of the test's). */
class UnitReaderTest {
    private static final Duration LIMIT = Duration.ofSeconds(30);

    @TempDir
    Path root;

    @BeforeEach
    void passwdAndGroup() throws Exception {
        write("etc/passwd", "root:x:0:0:root:/root:/bin/bash\nsyslog:x:104:110::/home/syslog:/usr/sbin/nologin\n");
        write("etc/group", "root:x:0:\nadm:x:4:syslog\nsyslog:x:110:\n");
    }

    private void write(String relative, String text) throws Exception {
        Path file = root.resolve(relative);
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    private UnitReader.Reading read(String name) throws Exception {
        try (SubhostTree tree = SubhostTree.open(root)) {
            return UnitReader.read(tree, name, LIMIT);
        }
    }

    @Test
    void readsDebiansRsyslogUnit() throws Exception {
        write("lib/systemd/system/rsyslog.service", """
                [Unit]
                Description=System Logging Service
                Requires=syslog.socket
                Documentation=man:rsyslogd(8)

                [Service]
                Type=notify
                ExecStart=/usr/sbin/rsyslogd -n -iNONE
                StandardOutput=null
                Restart=on-failure

                # Increase the default a bit in order to allow many simultaneous
                # files to be monitored, we might need a lot of fds.
                LimitNOFILE=16384

                [Install]
                WantedBy=multi-user.target
                Alias=syslog.service
                """);
        UnitReader.Reading r = read("rsyslog");
        assertThat(r.settled()).isEmpty();
        ServiceSpec s = r.spec().orElseThrow();
        assertThat(s.kind()).isEqualTo(ServiceSpec.Kind.UNIT);
        assertThat(s.source()).isEqualTo("/lib/systemd/system/rsyslog.service");
        assertThat(s.type()).isEqualTo(ServiceSpec.Type.NOTIFY);
        assertThat(s.start()).containsExactly(new ExecCommand("/usr/sbin/rsyslogd",
                List.of("/usr/sbin/rsyslogd", "-n", "-iNONE"), false, false));
        assertThat(s.restart()).isEqualTo(ServiceSpec.Restart.ON_FAILURE);
        assertThat(s.startTimeout()).isEqualTo(LIMIT);
        assertThat(r.warnings()).containsExactly("/lib/systemd/system/rsyslog.service:9: rsyslog.service starts"
                + " without what these directives ask, outside the built-in init's subset: StandardOutput= (line 9),"
                + " LimitNOFILE= (line 14)");
    }

    @Test
    void appliesDropInsInTheOrderOfTheirNamesAnEarlierDirectoryHidingALater() throws Exception {
        write("lib/systemd/system/x.service", "[Service]\nExecStart=/bin/x\nUser=syslog\n");
        write("lib/systemd/system/x.service.d/10-env.conf", "[Service]\nEnvironment=A=lib\n");
        write("etc/systemd/system/x.service.d/10-env.conf", "[Service]\nEnvironment=A=etc \"B=two words\"\n");
        write("run/systemd/system/x.service.d/20-start.conf", "[Service]\nExecStart=\nExecStart=/bin/y $B\n");
        UnitReader.Reading r = read("x");
        assertThat(r.warnings()).isEmpty();
        ServiceSpec s = r.spec().orElseThrow();
        assertThat(s.start()).containsExactly(new ExecCommand("/bin/y", List.of("/bin/y", "two", "words"), false,
                false));
        assertThat(s.environment()).containsExactly("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME=/home/syslog", "LOGNAME=syslog", "USER=syslog", "SHELL=/usr/sbin/nologin", "A=etc",
                "B=two words");
        assertThat(s.user()).contains(new ServiceSpec.Credentials("syslog", 104, 110, List.of(4),
                "/home/syslog", "/usr/sbin/nologin"));
    }

    @Test
    void aUnitInEtcHidesTheOneInLib() throws Exception {
        write("lib/systemd/system/x.service", "[Service]\nExecStart=/bin/lib\n");
        write("etc/systemd/system/x.service", "[Service]\nExecStart=/bin/etc\n");
        assertThat(read("x.service").spec().orElseThrow().start().getFirst().program()).isEqualTo("/bin/etc");
    }

    @Test
    void aMaskedUnitFailsWithItsReason() throws Exception {
        write("lib/systemd/system/x.service", "[Service]\nExecStart=/bin/x\n");
        Files.createDirectories(root.resolve("etc/systemd/system"));
        Files.createSymbolicLink(root.resolve("etc/systemd/system/x.service"), Path.of("/dev/null"));
        // The link resolves inside the tree, which has no dev/null: never the host's device.
        UnitReader.Reading r = read("x");
        assertThat(r.spec()).isEmpty();
        assertThat(r.settled()).contains("failed (/etc/systemd/system/x.service: masked (a link to /dev/null or to"
                + " nothing inside the subhost))");
    }

    @Test
    void aMissingUnitFailsNamingWhereItWasLookedFor() throws Exception {
        UnitReader.Reading r = read("nosuch");
        assertThat(r.settled()).contains("failed (no nosuch.service in /etc/systemd/system, /run/systemd/system,"
                + " /lib/systemd/system, /usr/lib/systemd/system, and no /etc/init.d/nosuch)");
    }

    @Test
    void aBadValueFailsTheUnitWithFileAndLine() throws Exception {
        write("lib/systemd/system/x.service", "[Service]\nExecStart=/bin/x\nRestart=sometimes\n");
        UnitReader.Reading r = read("x");
        assertThat(r.settled()).contains("failed (Restart= (sometimes) must be no, on-failure or always)");
        assertThat(r.warnings()).containsExactly("/lib/systemd/system/x.service:3: Restart= (sometimes) must be no,"
                + " on-failure or always");
    }

    @Test
    void aConditionThatDoesNotHoldSkipsTheUnit() throws Exception {
        write("lib/systemd/system/ssh.service", """
                [Unit]
                ConditionPathExists=!/etc/ssh/sshd_not_to_be_run
                [Service]
                ExecStart=/usr/sbin/sshd -D
                """);
        assertThat(read("ssh").spec()).isPresent();
        write("etc/ssh/sshd_not_to_be_run", "");
        assertThat(read("ssh").settled()).contains("skipped (ConditionPathExists=!/etc/ssh/sshd_not_to_be_run does"
                + " not hold, /lib/systemd/system/ssh.service:2)");
    }

    @Test
    void readsEveryDirectiveOfTheSubset() throws Exception {
        write("etc/default/x", "# defaults\nOPTS=\"-v -w\"\nexport HOME2=/h\n");
        write("lib/systemd/system/x.service", """
                [Unit]
                StartLimitBurst=3
                StartLimitIntervalSec=20s
                [Service]
                Type=forking
                EnvironmentFile=-/etc/default/x
                EnvironmentFile=-/etc/default/missing
                ExecStartPre=-/bin/pre
                ExecStart=/usr/sbin/x $OPTS
                ExecStartPost=/bin/post
                ExecReload=/bin/kill -HUP $MAINPID
                ExecStop=/bin/stop
                PIDFile=x.pid
                User=1000
                Group=adm
                SupplementaryGroups=syslog
                WorkingDirectory=-/var/lib/x
                RuntimeDirectory=x x/sub
                RuntimeDirectoryMode=0750
                UMask=0027
                Restart=always
                RestartSec=1min 30s
                TimeoutStartSec=10
                TimeoutStopSec=500ms
                KillMode=mixed
                KillSignal=SIGINT
                RemainAfterExit=no
                NotifyAccess=all
                """);
        UnitReader.Reading r = read("x");
        assertThat(r.warnings()).isEmpty();
        ServiceSpec s = r.spec().orElseThrow();
        assertThat(s.type()).isEqualTo(ServiceSpec.Type.FORKING);
        assertThat(s.startPre()).containsExactly(new ExecCommand("/bin/pre", List.of("/bin/pre"), true, false));
        assertThat(s.start()).containsExactly(new ExecCommand("/usr/sbin/x", List.of("/usr/sbin/x", "-v", "-w"),
                false, false));
        assertThat(s.startPost()).hasSize(1);
        assertThat(s.reload().getFirst().argv()).containsExactly("/bin/kill", "-HUP");
        assertThat(s.stop()).hasSize(1);
        assertThat(s.pidFile()).contains("/run/x.pid");
        assertThat(s.user()).contains(new ServiceSpec.Credentials("1000", 1000, 4, List.of(110), "/root", "/bin/sh"));
        assertThat(s.workingDirectory()).contains("-/var/lib/x");
        assertThat(s.runtimeDirectories()).containsExactly("x", "x/sub");
        assertThat(s.runtimeDirectoryMode()).isEqualTo(0750);
        assertThat(s.umask()).isEqualTo(0027);
        assertThat(s.restart()).isEqualTo(ServiceSpec.Restart.ALWAYS);
        assertThat(s.restartDelay()).isEqualTo(Duration.ofSeconds(90));
        assertThat(s.startLimitBurst()).isEqualTo(3);
        assertThat(s.startLimitInterval()).isEqualTo(Duration.ofSeconds(20));
        assertThat(s.startTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.stopTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(s.killMode()).isEqualTo(ServiceSpec.KillMode.MIXED);
        assertThat(s.killSignal()).isEqualTo(2);
        assertThat(s.remainAfterExit()).isFalse();
        assertThat(s.notifyAccessAll()).isTrue();
        assertThat(s.environment()).contains("OPTS=-v -w", "HOME2=/h", "RUNTIME_DIRECTORY=/run/x:/run/x/sub");
    }

    @Test
    void theTableForPidOneHasEveryFieldInOrder() throws Exception {
        write("lib/systemd/system/x.service", "[Service]\nExecStart=-/bin/x a\n");
        byte[] table = ServiceTable.encode(List.of(read("x"), new UnitReader.Reading("ssh",
                Optional.of(ServiceSpec.initScript("ssh", LIMIT)), Optional.empty(), List.of()),
                new UnitReader.Reading("gone", Optional.empty(), Optional.of("skipped (why)"), List.of())));
        assertThat(new String(table, StandardCharsets.UTF_8).replace('\0', '|')).isEqualTo(
                "subhost-services|1|1|service|1|x|kind|1|unit|source|1|/lib/systemd/system/x.service|type|1|simple|"
                        + "start|4|-|/bin/x|/bin/x|a|"
                        + "env|1|PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|umask|1|22|"
                        + "restart|4|no|100|5|10000|timeout|2|30000|90000|kill|2|control-group|15|remain|1|0|"
                        + "notify|1|main|"
                        + "service|1|ssh|kind|1|initd|source|1|/etc/init.d/ssh|type|1|oneshot|"
                        + "start|5||service|service|ssh|start|stop|5||service|service|ssh|stop|umask|1|22|"
                        + "restart|4|no|100|5|10000|timeout|2|30000|30000|kill|2|none|15|remain|1|1|notify|1|main|"
                        + "service|1|gone|kind|1|unit|source|1|gone.service|settled|1|skipped (why)|");
    }

    private List<UnitReader.Reading> start(List<String> names, boolean preferUnits) throws Exception {
        try (SubhostTree tree = SubhostTree.open(root)) {
            return StartServices.read(tree, names, preferUnits, java.util.Map.of("cron", "/run/crond.pid"), LIMIT);
        }
    }

    @Test
    void startRunsAnInitDScriptWhereThereIsOneAndTheUnitOtherwise() throws Exception {
        write("etc/init.d/ssh", "#!/bin/sh\n");
        write("etc/init.d/cron", "#!/bin/sh\n");
        write("lib/systemd/system/ssh.service", "[Service]\nExecStart=/usr/sbin/sshd -D\n");
        write("lib/systemd/system/rsyslog.service", "[Service]\nType=notify\nExecStart=/usr/sbin/rsyslogd -n\n");
        List<UnitReader.Reading> r = start(List.of("rsyslog", "ssh", "cron", "/etc/rc.local", "nosuch"), false);
        assertThat(r).extracting(x -> x.spec().orElseThrow().kind()).containsExactly(ServiceSpec.Kind.UNIT,
                ServiceSpec.Kind.INIT_D, ServiceSpec.Kind.INIT_D, ServiceSpec.Kind.INIT_D, ServiceSpec.Kind.INIT_D);
        assertThat(r.get(1).spec().orElseThrow().start().getFirst().argv()).containsExactly("service", "ssh", "start");
        assertThat(r.get(2).spec().orElseThrow().pidFile()).contains("/run/crond.pid");
        assertThat(r.get(2).spec().orElseThrow().restart()).isEqualTo(ServiceSpec.Restart.ON_FAILURE);
        assertThat(r.get(3).spec().orElseThrow().start().getFirst().argv()).containsExactly("/etc/rc.local", "start");
        assertThat(r.get(4).warnings()).containsExactly("START: nosuch has no /etc/init.d/nosuch and no nosuch.service"
                + " in /etc/systemd/system, /run/systemd/system, /lib/systemd/system, /usr/lib/systemd/system; it runs"
                + " as service nosuch start");
        assertThat(start(List.of("ssh"), true).getFirst().spec().orElseThrow().kind()).isEqualTo(ServiceSpec.Kind.UNIT);
    }
}
