package org.subhost.linux.netlink;

import java.io.IOException;

/**
 * A netlink message could not be parsed: a length that runs past the end of its message,
 * a missing attribute that the kernel always sends, an attribute of the wrong size.
 *
 * <p>The kernel's replies are well formed, so this means a kernel that speaks a different
 * version of a structure or a fault in this library; the message says what was wrong where,
 * for example {@code rtattr length (3) must be at least 4 (at offset 16)}.
 */
public final class NetlinkDecodingException extends IOException {
    private static final long serialVersionUID = 1L;

    NetlinkDecodingException(String message) {
        super(message);
    }
}
