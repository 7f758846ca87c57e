package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.subhost.cli.DebianFixtures.shell;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.subhost.testing.HostLeftovers;
import org.subhost.testing.Uid;

/**
 * The mail host of issue 25, as far as this machine allows: a subhost over the Debian tree
 * ({@code .ci/debian-tree}) with postfix (its init.d script) and dovecot (its systemd unit,
 * {@code Type=notify}), one cable whose host end the test moves into a network namespace
 * of its own, with TEST-NET-1 addresses on both ends: a mail sent over the cable to port 25
 * is delivered inside the subhost, dovecot answers on port 143, and the stop leaves
 * nothing. No traffic leaves the two namespaces.
 */
class MailHostKernelTest {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** TEST-NET-1 (RFC 5737): the subhost's end and the test's client end of the cable. */
    private static final String SUBHOST = "192.0.2.2";
    private static final String CLIENT = "192.0.2.1";

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private String name;
    private String client;
    private Path base;
    private String conf;

    @BeforeEach
    void setUp() throws Exception {
        assumeTrue(Uid.isRoot(), "the mail host test needs root (it boots a subhost)");
        Path tree = DebianFixtures.cachedTree("usr/sbin/postfix");
        name = "shm" + Integer.toString(RANDOM.nextInt(1 << 20), 36);
        client = "c" + name;
        base = Files.createTempDirectory("subhost-mail-" + name + "-").toRealPath();
        for (String dir : List.of("root/etc/network", "work", "live")) {
            Files.createDirectories(base.resolve(dir));
        }
        Files.writeString(base.resolve("root/etc/network/interfaces"), "auto lo\niface lo inet loopback\n\n"
                + "auto eth0\niface eth0 inet static\n    address " + SUBHOST + "/24\n");
        // A user of the subhost's own, who gets the mail.
        Files.writeString(base.resolve("root/etc/passwd"), Files.readString(tree.resolve("etc/passwd"))
                + "tester:x:1001:1001::/home/tester:/bin/sh\n");
        Files.writeString(base.resolve("root/etc/group"), Files.readString(tree.resolve("etc/group"))
                + "tester:x:1001:\n");
        Path file = Files.write(base.resolve(name + ".conf"), List.of("BASE=.", "LOWER=" + tree, "CABLES==",
                "START= rsyslog networking postfix dovecot.service", "LOG=" + base.resolve("log")));
        conf = file.toRealPath().toString();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (name == null) {
            return;
        }
        Cli.run(List.of("overlay-stop", "--grace", "2", conf), print(new ByteArrayOutputStream()),
                print(new ByteArrayOutputStream()));
        shell("ip", "netns", "delete", client);
        List<String> left = HostLeftovers.of(name).under(base).find();
        if (left.isEmpty()) {
            shell("rm", "-rf", base.toString());
        }
        assertThat(left).as("what subhost %s left behind", name).isEmpty();
        assertThat(shell("ip", "netns", "list")).doesNotContain(client);
    }

    @Test
    void aMailOverTheCableToPort25IsDeliveredInsideAndDovecotAnswers() throws Exception {
        assertThat(run("overlay-boot", conf)).as("overlay-boot (err: %s; LOG: %s)", err(), log()).isZero();
        assertThat(log()).contains("service postfix started").containsPattern("service dovecot.service running");

        // The cable's host end goes into the test's own namespace, with the client's address.
        shell("ip", "netns", "add", client);
        shell("ip", "link", "set", name + "0", "netns", client);
        shell("ip", "-n", client, "addr", "add", CLIENT + "/24", "dev", name + "0");
        shell("ip", "-n", client, "link", "set", name + "0", "up");

        String smtp = shell("ip", "netns", "exec", client, "timeout", "20", "bash", "-c", String.join("\n",
                "exec 3<>/dev/tcp/" + SUBHOST + "/25",
                "say() { read -r line <&3; echo \"$line\"; printf '%s\\r\\n' \"$1\" >&3; }",
                "say 'HELO client.test'",
                "say 'MAIL FROM:<sender@client.test>'",
                "say 'RCPT TO:<tester@localhost>'",
                "say 'DATA'",
                "say 'Subject: t25 over the cable'",
                "printf '\\r\\nhello\\r\\n.\\r\\n' >&3",
                "read -r line <&3; echo \"$line\"",
                "printf 'QUIT\\r\\n' >&3; read -r line <&3; echo \"$line\""));
        assertThat(smtp).as("the SMTP dialogue").startsWith("220 ").contains("\n250 ", "\n354 ").contains("queued");

        Path mailbox = base.resolve("root/var/mail/tester");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(Files.exists(mailbox) && Files.readString(mailbox).contains("Subject: t25 over the cable"))) {
            assertThat(System.nanoTime()).as("the mail in %s; LOG: %s", mailbox, log()).isLessThan(deadline);
            Thread.sleep(100);
        }
        String imap = shell("ip", "netns", "exec", client, "timeout", "10", "bash", "-c",
                "exec 3<>/dev/tcp/" + SUBHOST + "/143; head -n 1 <&3");
        assertThat(imap).as("dovecot's greeting").startsWith("* OK");

        assertThat(run("overlay-stop", conf)).as("overlay-stop (err: %s)", err()).isZero();
        String log = log();
        int stop = log.indexOf("pid 1 stops the START services in reverse order at its SIGTERM: dovecot.service"
                + " postfix networking rsyslog");
        assertThat(stop).as("LOG: %s", log).isNotNegative();
        assertThat(log.indexOf("service dovecot.service stopped", stop)).as("LOG: %s", log)
                .isLessThan(log.indexOf("service postfix stopping", stop)).isNotNegative();
        assertThat(HostLeftovers.of(name).under(base).find()).isEmpty();
    }

    private String log() throws IOException {
        Path log = base.resolve("log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    private int run(String... args) {
        out.reset();
        err.reset();
        return Cli.run(List.of(args), print(out), print(err));
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private static PrintStream print(ByteArrayOutputStream stream) {
        return new PrintStream(stream, true, StandardCharsets.UTF_8);
    }
}
