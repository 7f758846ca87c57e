package org.subhost.linux.netlink;

import static org.subhost.linux.netlink.RtnlConstants.IFNAMSIZ;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The kernel's rule for interface names ({@code dev_valid_name} in net/core/dev.c), checked
 * before a request is sent so that a caller's mistake is an IllegalArgumentException rather
 * than an EINVAL from the kernel: not empty, at most 15 bytes (IFNAMSIZ less the NUL), not
 * {@code .} or {@code ..}, and without {@code /}, {@code :}, NUL or white space.
 */
final class InterfaceNames {
    private InterfaceNames() {}

    /**
     * Returns {@code name} if the kernel would accept it.
     *
     * @param role what the name is, for the message, such as {@code interface name} or
     *     {@code peer name}
     * @throws IllegalArgumentException naming the rule it breaks
     */
    static String check(String role, String name) {
        Objects.requireNonNull(name, role);
        if (name.isEmpty()) {
            throw new IllegalArgumentException(role + " () must not be empty");
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > IFNAMSIZ - 1) {
            throw new IllegalArgumentException(role + " (" + name + ") must be at most " + (IFNAMSIZ - 1)
                    + " bytes");
        }
        if (name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException(role + " (" + name + ") must not be . or ..");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            // isspace() in the C locale: space, \t, \n, \v, \f, \r
            if (c == '/' || c == ':' || c == 0 || c == ' ' || (c >= '\t' && c <= '\r')) {
                throw new IllegalArgumentException(role + " (" + name.replace("\0", "\\0")
                        + ") must not contain '/', ':', NUL or white space");
            }
        }
        return name;
    }
}
