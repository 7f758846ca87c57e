package org.subhost.core;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The START services in the compact form that pid 1 reads ({@code src/main/c/services.c}):
 * checked on the host side, handed over in a sealed memfd ({@code --services-fd}), so that
 * pid 1 parses no file of the subhost.
 *
 * <p>The form: strings each ended by a NUL byte. A field is its key, the count of its values
 * in decimal, then the values: {@code start\0 4\0 -\0 /usr/sbin/sshd\0 /usr/sbin/sshd\0 -D\0}
 * is {@code ExecStart=-/usr/sbin/sshd -D}, the first value being the prefixes ({@code -}
 * failure ignored, {@code +} run as root), the second the program, the rest argv. Each service
 * starts with {@code service NAME}; the table starts with {@code subhost-services 1}. The
 * values never contain NUL: the unit reader refuses escapes that give one, and names and
 * paths from a .conf or a file cannot hold one.
 *
 * <p>Keys: {@code settled STATE} (not run; pid 1 reports STATE at its turn), {@code kind
 * initd|unit}, {@code source FILE}, {@code type simple|exec|forking|oneshot|notify}, {@code pre}, {@code start},
 * {@code post}, {@code reload}, {@code stop} (one command each, repeated in order), {@code
 * user UID GID GROUPS...}, {@code env NAME=VALUE...}, {@code cwd PATH} ({@code -PATH}: may be
 * missing), {@code rundir MODE NAMES...} (mode in octal), {@code pidfile PATH}, {@code umask
 * OCTAL}, {@code restart no|on-failure|always DELAY-MS BURST INTERVAL-MS}, {@code timeout
 * START-MS STOP-MS}, {@code kill control-group|process|mixed|none SIGNAL}, {@code remain 0|1},
 * {@code notify main|all}.
 */
final class ServiceTable {
    /** The first field of every table, and its version. */
    static final String MAGIC = "subhost-services";
    /** The largest table pid 1 reads; a larger START is refused before the boot. */
    static final int MAX_BYTES = 1 << 20;

    private ServiceTable() {}

    /**
     * The table of {@code readings}, in START order.
     *
     * @param readings what the unit reader (or the init.d rule) gave for each START name
     * @return its bytes
     * @throws IllegalArgumentException when the table would be larger than {@link #MAX_BYTES}
     */
    static byte[] encode(List<UnitReader.Reading> readings) {
        Writer w = new Writer();
        w.field(MAGIC, "1");
        for (UnitReader.Reading r : readings) {
            w.field("service", r.name());
            if (r.settled().isPresent()) {
                // Only a unit's reading is settled before the boot: an init.d script always runs.
                w.field("kind", "unit");
                w.field("source", r.name().endsWith(".service") ? r.name() : r.name() + ".service");
                w.field("settled", r.settled().get());
                continue;
            }
            ServiceSpec s = r.spec().orElseThrow();
            w.field("kind", s.kind() == ServiceSpec.Kind.UNIT ? "unit" : "initd");
            w.field("source", s.source());
            w.field("type", s.type().name().toLowerCase(Locale.ROOT));
            commands(w, "pre", s.startPre());
            commands(w, "start", s.start());
            commands(w, "post", s.startPost());
            commands(w, "reload", s.reload());
            commands(w, "stop", s.stop());
            s.user().ifPresent(c -> {
                List<String> v = new ArrayList<>(List.of(Integer.toString(c.uid()), Integer.toString(c.gid())));
                c.groups().forEach(g -> v.add(Integer.toString(g)));
                w.field("user", v);
            });
            if (s.kind() == ServiceSpec.Kind.UNIT) {
                w.field("env", s.environment());
            }
            s.workingDirectory().ifPresent(d -> w.field("cwd", d));
            if (!s.runtimeDirectories().isEmpty()) {
                List<String> v = new ArrayList<>(List.of(Integer.toOctalString(s.runtimeDirectoryMode())));
                v.addAll(s.runtimeDirectories());
                w.field("rundir", v);
            }
            s.pidFile().ifPresent(p -> w.field("pidfile", p));
            w.field("umask", Integer.toOctalString(s.umask()));
            w.field("restart", List.of(s.restart().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                    Long.toString(s.restartDelay().toMillis()), Integer.toString(s.startLimitBurst()),
                    Long.toString(s.startLimitInterval().toMillis())));
            w.field("timeout", List.of(Long.toString(s.startTimeout().toMillis()),
                    Long.toString(s.stopTimeout().toMillis())));
            w.field("kill", List.of(s.killMode().name().toLowerCase(Locale.ROOT).replace('_', '-'),
                    Integer.toString(s.killSignal())));
            w.field("remain", s.remainAfterExit() ? "1" : "0");
            w.field("notify", s.notifyAccessAll() ? "all" : "main");
        }
        byte[] bytes = w.out.toByteArray();
        if (bytes.length > MAX_BYTES) {
            throw new IllegalArgumentException("the START services' table (" + bytes.length
                    + " bytes) must be at most " + MAX_BYTES + " bytes");
        }
        return bytes;
    }

    private static void commands(Writer w, String key, List<ExecCommand> commands) {
        for (ExecCommand c : commands) {
            List<String> v = new ArrayList<>();
            v.add((c.ignoreFailure() ? "-" : "") + (c.privileged() ? "+" : ""));
            v.add(c.program());
            v.addAll(c.argv());
            w.field(key, v);
        }
    }

    /** Writes fields: key, count, values, each ended by NUL. */
    private static final class Writer {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();

        void field(String key, String value) {
            field(key, List.of(value));
        }

        void field(String key, List<String> values) {
            string(key);
            string(Integer.toString(values.size()));
            values.forEach(this::string);
        }

        private void string(String s) {
            if (s.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("a value of the services' table holds a NUL byte: "
                        + UnitFile.shown(s));
            }
            out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            out.write(0);
        }
    }
}
