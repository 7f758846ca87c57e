package org.subhost.core;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
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
 * @param trees the index of subhost trees, in the state directory
 */
record BootServices(BootLog log, StateStore store, RtNetlink hostLinks, TreeIndex trees) {
    /** Checks that each is there. */
    BootServices {
        requireNonNull(log, "log");
        requireNonNull(store, "store");
        requireNonNull(hostLinks, "hostLinks");
        requireNonNull(trees, "trees");
    }

    /** The services with the index in the state directory, reading no list of subhosts. */
    BootServices(BootLog log, StateStore store, RtNetlink hostLinks) {
        this(log, store, hostLinks, new TreeIndex(store.root(), Optional.empty()));
    }
}
