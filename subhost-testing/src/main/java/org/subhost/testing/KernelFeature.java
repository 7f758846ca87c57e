package org.subhost.testing;

import java.util.Arrays;
import java.util.Optional;
import org.opentest4j.TestAbortedException;

/**
 * A kernel feature that a test may find missing on a machine, the one reason for which a
 * test may skip when it runs as root. The reason of such a skip begins with {@code "this
 * kernel lacks "} and the feature's description, so that {@link NoSkipsAsRoot} lets it
 * through and lists it at the end of the run, for example {@code this kernel lacks 802.1Q
 * VLANs (CONFIG_VLAN_8021Q): RTM_NEWLINK(...): EOPNOTSUPP}.
 *
 * <p>A test decides whether the feature is there by trying it on something of its own
 * (a VLAN on a veth of a namespace it made, say), never by the kernel's version or a file
 * that could be missing for another reason.
 */
public enum KernelFeature {
    /** Tagged links on a carrier ({@code ip link add link ETH name ETH.302 type vlan id 302}). */
    VLAN_8021Q("802.1Q VLANs", "CONFIG_VLAN_8021Q"),
    /** Links of kind {@code dummy}. */
    DUMMY_LINKS("dummy links", "CONFIG_DUMMY"),
    /** The kernel's own partition devices of a loop device ({@code LO_FLAGS_PARTSCAN}, {@code /dev/loopNpM}). */
    LOOP_PARTITION_SCAN("partition scanning of loop devices", "LO_FLAGS_PARTSCAN"),
    /**
     * Project quotas of ext4 ({@code mount -o prjquota} of a filesystem made with {@code
     * mkfs.ext4 -O quota,project}), which need the kernel's quota support.
     */
    PROJECT_QUOTAS("project quotas of ext4", "CONFIG_QUOTA, CONFIG_QFMT_V2");

    /** How the reason of a skip for a missing feature begins. */
    static final String PREFIX = "this kernel lacks ";

    private final String description;
    private final String option;

    KernelFeature(String description, String option) {
        this.description = description;
        this.option = option;
    }

    /**
     * The reason of a skip for this feature: {@code this kernel lacks DESCRIPTION (OPTION): EVIDENCE}.
     *
     * @param evidence what the test tried and what the kernel answered
     * @return the reason
     */
    public String reason(String evidence) {
        return PREFIX + description + " (" + option + "): " + evidence;
    }

    /**
     * Skips the calling test when the feature is not {@code present}, with {@link
     * #reason(String)} as its reason; {@code evidence} says what the test tried and what
     * the kernel answered.
     *
     * @param present whether the test found the feature
     * @param evidence what the test tried and what the kernel answered
     * @throws TestAbortedException when the feature is missing
     */
    public void assumePresent(boolean present, String evidence) {
        if (!present) {
            throw new TestAbortedException(reason(evidence));
        }
    }

    /** The feature that the reason of a skip names, if it names one as {@link #reason(String)} writes it. */
    static Optional<KernelFeature> namedIn(String reason) {
        if (reason == null) {
            return Optional.empty();
        }
        String r = reason.startsWith("Assumption failed: ") ? reason.substring("Assumption failed: ".length()) : reason;
        return Arrays.stream(values()).filter(f -> r.startsWith(PREFIX + f.description + " (" + f.option + "): "))
                .findFirst();
    }
}
