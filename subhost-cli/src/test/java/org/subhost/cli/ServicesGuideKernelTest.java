package org.subhost.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.subhost.testing.HostLeftovers;
import org.subhost.testing.Uid;

/**
 * docs/guide/services.md, the walkthrough of the two classic setups, run as written: every
 * fenced {@code sh} block of the page, in order, in one {@code sh -e} (the first command that
 * fails fails the test), so that the guide and what the commands do cannot drift apart.
 *
 * <p>The blocks run in a mount and a network namespace that the test makes ({@code
 * unshare}): a tmpfs on {@code /srv} holds the subhosts' directories, an overlay on {@code
 * /etc} takes the ifupdown stanza, and the cables' host ends, the NAT and the routes are in
 * the test's network namespace alone. What cannot run as written is marked in the page and
 * replaced here: a {@code sh internet} block (apt from a mirror) by LOWER pointed at the
 * cached Debian 12 tree ({@code .ci/debian-tree}), which has those packages; a {@code sh nat}
 * block runs only when the host has {@code nft} (inside the test's namespace); a host
 * without ifupdown gets a stand-in {@code ifup}/{@code ifdown} (an overlay on {@code
 * /usr/sbin}, in that mount namespace) that applies the stanza's address. A {@code text}
 * block, output that the page shows, must be what the commands printed. The commands are
 * this checkout's, from this JVM's class path.
 */
class ServicesGuideKernelTest {
    private static final Path GUIDE = DebianFixtures.CHECKOUT.resolve("docs/guide/services.md");
    private static final Pattern BLOCK = Pattern.compile("(?m)^```(sh[^\\n]*|text)\\n(.*?)^```$", Pattern.DOTALL);
    private static final List<String> COMMANDS = List.of("overlay-boot", "overlay-go", "overlay-stop", "overlay-list",
            "overlay-service");

    @TempDir
    Path tmp;

    /** A fenced block of the guide: its kind ({@code sh}, {@code sh internet}, ...) and text. */
    record Block(String kind, String text) {}

    static List<Block> blocks(String markdown) {
        List<Block> blocks = new ArrayList<>();
        Matcher m = BLOCK.matcher(markdown);
        while (m.find()) {
            blocks.add(new Block(m.group(1).strip(), m.group(2)));
        }
        return blocks;
    }

    @Test
    void theGuidesBlocksAreRunOrMarked() throws IOException {
        List<Block> blocks = blocks(Files.readString(GUIDE));
        assertThat(blocks).extracting(Block::kind).containsOnly("sh", "sh internet", "sh nat", "text");
        assertThat(blocks).filteredOn(b -> b.kind().equals("sh internet")).singleElement()
                .extracting(Block::text).asString().contains("apt-get install");
        assertThat(blocks).filteredOn(b -> b.kind().equals("sh")).extracting(Block::text).asString()
                .contains("overlay-boot /srv/mini/mini.conf", "overlay-stop /srv/mini/mini.conf",
                        "overlay-boot /srv/mta/mta.conf", "overlay-go mta service ssh status",
                        "overlay-stop /srv/mta/mta.conf", "/etc/network/interfaces.d/mta0");
    }

    @Test
    void theMinimalSubhostAndTheMailHostRunAsWritten() throws Exception {
        assumeTrue(Uid.isRoot(), "the guide's commands need root (they boot subhosts)");
        assertThat(HostLeftovers.of("mini", "mta").find()).as("subhosts mini or mta of someone else's").isEmpty();
        // The guide leaves LOG at its default (and LOG.1, LOG_MAX's other half, beside it).
        List<Path> logs = List.of(Path.of("/tmp/oly-mini.log"), Path.of("/tmp/oly-mini.log.1"),
                Path.of("/tmp/oly-mta.log"), Path.of("/tmp/oly-mta.log.1"));
        assertThat(logs).as("someone else's LOG of mini or mta").allMatch(Files::notExists);
        Path tree = DebianFixtures.debianTree(Files.createDirectories(tmp.resolve("fixtures")));
        List<Block> blocks = blocks(Files.readString(GUIDE));

        Path bin = Files.createDirectories(tmp.resolve("bin"));
        for (String command : COMMANDS) {
            executable(bin.resolve(command), "#!/bin/sh\nexec '" + Path.of(System.getProperty("java.home"), "bin", "java")
                    + "' --enable-native-access=ALL-UNNAMED -cp '" + System.getProperty("java.class.path")
                    + "' org.subhost.cli.Cli " + command + " \"$@\"\n");
        }
        Path sbin = Files.createDirectories(tmp.resolve("sbin-upper"));
        executable(sbin.resolve("ifup"), """
                #!/bin/sh
                # A stand-in for ifupdown's ifup on a host without it: the stanza's address, and up.
                a=$(sed -n 's/^[[:space:]]*address[[:space:]]*//p' /etc/network/interfaces.d/"$1" | head -n 1)
                ip addr add "$a" dev "$1" && ip link set "$1" up
                """);
        executable(sbin.resolve("ifdown"), "#!/bin/sh\nip link set \"$1\" down 2>/dev/null; exit 0\n");

        StringBuilder script = new StringBuilder("""
                set -e
                mount -t tmpfs subhost-guide /srv
                mkdir -p "$T/etc-upper" "$T/etc-work" "$T/sbin-work"
                mount -t overlay overlay -o lowerdir=/etc,upperdir="$T/etc-upper",workdir="$T/etc-work" /etc
                if ! [ -x /usr/sbin/ifup ] && ! [ -x /sbin/ifup ]; then
                  mount -t overlay overlay -o lowerdir=/usr/sbin,upperdir="$T/sbin-upper",workdir="$T/sbin-work" /usr/sbin
                  # As ifupdown's package ships it.
                  [ -e /etc/network/interfaces ] || { mkdir -p /etc/network;
                    echo 'source /etc/network/interfaces.d/*' > /etc/network/interfaces; }
                fi
                ip link set lo up
                PATH="$T/bin:$PATH"
                cleanup() {
                  overlay-stop /srv/mta/mta.conf >/dev/null 2>&1 || true
                  overlay-stop /srv/mini/mini.conf >/dev/null 2>&1 || true
                }
                trap cleanup EXIT
                set -x
                """);
        int n = 0;
        for (Block block : blocks) {
            n++;
            switch (block.kind()) {
                case "sh" -> script.append("echo '@@block ").append(n).append("@@'\n").append(block.text());
                case "sh internet" -> script.append("echo '@@block ").append(n).append(" (internet: the Debian tree)@@'\n")
                        .append("echo 'LOWER=").append(tree).append("' >> /srv/mta/mta.conf\n");
                case "sh nat" -> script.append("echo '@@block ").append(n).append(" (nat)@@'\n")
                        .append("if command -v nft >/dev/null; then\n").append(block.text()).append("fi\n");
                default -> { } // output shown, not run
            }
        }
        script.append("set +x\necho '@@done@@'\n");
        Path file = Files.writeString(tmp.resolve("guide.sh"), script);

        Path output = tmp.resolve("guide.out");
        ProcessBuilder pb = new ProcessBuilder("unshare", "--mount", "--net", "--propagation", "private", "sh", file.toString())
                .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .redirectOutput(output.toFile());
        pb.environment().put("T", tmp.toString());
        Process p = pb.start();
        boolean ended = p.waitFor(10, TimeUnit.MINUTES);
        if (!ended) {
            p.destroyForcibly().waitFor();
        }
        String out = Files.readString(output, StandardCharsets.UTF_8);
        try {
            assertThat(ended).as("the guide's commands ended within 10 minutes: %s", out).isTrue();
            assertThat(p.exitValue()).as("the guide's commands, as written: %s", out).isZero();
            assertThat(out).contains("@@done@@");
            assertThat(out).containsPattern("\nmini booted: pid 1 is [0-9]+; LOG /tmp/oly-mini.log; services: none;"
                    + " no warnings\n").contains("\nmini stopped\n");
            String mta = out.substring(out.indexOf("+ overlay-boot /srv/mta/mta.conf\n"));
            assertThat(mta).containsPattern("\nmta booted: pid 1 is [0-9]+; LOG /tmp/oly-mta.log; services: rsyslog"
                    + " running \\(pid [0-9]+, restarts 0\\), networking started, ssh started, postfix started,"
                    + " dovecot started; 1 warning\n");
            assertThat(mta).contains("\"services\":[{\"name\":\"rsyslog\",\"state\":\"running (pid ")
                    .doesNotContain("\"phase\":\"failed\"");
            assertThat(mta).as("the host end, by ifup").containsPattern("\nmta0@?\\S* +UP +10\\.10\\.10\\.1/24");
            assertThat(mta).as("postfix over the cable").containsPattern("\n220 \\S+ ESMTP Postfix");
            assertThat(mta).contains("\nsshd is running.\n", "\nmta stopped\n");
            // What the page shows as output is what the commands print.
            for (Block shown : blocks.stream().filter(b -> b.kind().equals("text")).toList()) {
                assertThat(out).contains(shown.text());
            }
        } finally {
            for (Path log : logs) {
                Files.deleteIfExists(log);
            }
            assertThat(HostLeftovers.of("mini", "mta").under(tmp).find()).as("what the guide's subhosts left behind")
                    .isEmpty();
        }
    }

    private static void executable(Path file, String text) throws IOException {
        Files.writeString(file, text);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
