package org.subhost.linux.disk;

/**
 * One partition of a disk image, as its partition table describes it: where its bytes are
 * in the image file, ready for a loop device's offset and size limit.
 *
 * <p>Example: partition 2 of an image that {@code sfdisk} gave an MBR table,
 * {@code Partition[index=2, offsetBytes=9437184, sizeBytes=8388608, type=0x83]}.
 *
 * <p>Numbers follow the kernel's (and {@code /dev/sdaN}'s): MBR primary partitions 1 to 4 by
 * their slot, logical partitions from 5 in the order of their chain; GPT partitions by
 * their slot in the entry array, from 1. Empty slots have no partition but keep their
 * number.
 *
 * @param index the partition's number, from 1
 * @param offsetBytes where it starts, in bytes from the start of the image
 * @param sizeBytes its length in bytes
 * @param type the type as the table gives it: {@code 0x83} for MBR, the type GUID such as
 *     {@code 0fc63daf-8483-4772-8e79-3d69d8477de4} for GPT
 */
public record Partition(int index, long offsetBytes, long sizeBytes, String type) {

    /** Checks that the numbers can describe a partition. */
    public Partition {
        if (index < 1) {
            throw new IllegalArgumentException("partition index (" + index + ") must be at least 1");
        }
        if (offsetBytes < 0 || sizeBytes <= 0) {
            throw new IllegalArgumentException("partition " + index + " (offset " + offsetBytes + ", size "
                    + sizeBytes + ") must have a non-negative offset and a positive size");
        }
        java.util.Objects.requireNonNull(type, "type");
    }
}
