package org.subhost.core;

import static java.util.Objects.requireNonNull;

import org.subhost.linux.netlink.RtNetlink;

/**
 * What every step of one boot may use besides the results of earlier steps: LOG, the
 * state store, and a netlink socket opened in the host's network namespace before any
 * setns. Their owner ({@link LinuxSubhosts}) opens them before the plan is applied and
 * closes them after it; the steps never close them.
 *
 * @param log the LOG lines of the boot
 * @param store the state records
 * @param hostLinks rtnetlink in the host's network namespace, for the cables' host ends
 */
record BootServices(BootLog log, StateStore store, RtNetlink hostLinks) {
    /** Checks that each is there. */
    BootServices {
        requireNonNull(log, "log");
        requireNonNull(store, "store");
        requireNonNull(hostLinks, "hostLinks");
    }
}
