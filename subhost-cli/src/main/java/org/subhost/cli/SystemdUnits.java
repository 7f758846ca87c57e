package org.subhost.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The per-subhost systemd unit {@code subhosts@.service}: its instance name for a
 * configuration file, and {@code systemctl start} or {@code stop} of it, for {@code subhosts
 * --units} (which the unit {@code subhosts.service} runs).
 */
final class SystemdUnits {
    /** The template of the unit of one subhost. */
    static final String TEMPLATE = "subhosts@.service";

    private SystemdUnits() {}

    /**
     * The instance name of {@code path}, as {@code systemd-escape --path} makes it
     * (systemd.unit(5), "String Escaping for Inclusion in Unit Names"): slashes at either
     * end and repeated ones dropped, each {@code /} a {@code -}, and every byte other than
     * an ASCII letter, digit, {@code :}, {@code _} or a {@code .} not in first place as
     * {@code \xNN}; the root is {@code -}.
     *
     * @param path an absolute path
     * @return the escaped name
     */
    static String escapePath(Path path) {
        String text = path.normalize().toString();
        while (text.startsWith("/")) {
            text = text.substring(1);
        }
        while (text.endsWith("/")) {
            text = text.substring(0, text.length() - 1);
        }
        if (text.isEmpty()) {
            return "-";
        }
        StringBuilder b = new StringBuilder();
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < bytes.length; i++) {
            int c = bytes[i] & 0xff;
            boolean plain = c < 0x80 && (Character.isLetterOrDigit(c) || c == ':' || c == '_' || c == '.' && i > 0);
            if (c == '/') {
                b.append('-');
            } else if (plain) {
                b.append((char) c);
            } else {
                b.append(String.format("\\x%02x", c));
            }
        }
        return b.toString();
    }

    /** {@return the unit of the subhost of {@code conf}: {@code subhosts@ESCAPED.service}} */
    static String unitOf(Path conf) {
        return "subhosts@" + escapePath(conf) + ".service";
    }

    /**
     * Runs {@code systemctl ACTION UNIT} and waits for it: systemctl returns once the job is
     * done (the subhost booted, or stopped).
     *
     * @return the empty string when it succeeded, else what it printed and its status
     * @throws IOException when systemctl cannot be run
     * @throws InterruptedException when interrupted while waiting for it
     */
    static String systemctl(String action, String unit) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(List.of("systemctl", action, unit)).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) {
            in.transferTo(out);
        }
        int status = p.waitFor();
        if (status == 0) {
            return "";
        }
        String said = out.toString(StandardCharsets.UTF_8).strip();
        return "systemctl " + action + " " + unit + " exited with status " + status + (said.isEmpty() ? "" : ": " + said);
    }
}
