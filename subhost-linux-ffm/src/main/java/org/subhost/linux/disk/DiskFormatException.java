package org.subhost.linux.disk;

import java.io.IOException;

/**
 * A disk image whose contents cannot be used as asked: no partition table, a partition
 * table that breaks its format's rules (a GPT header whose CRC does not match), no
 * partition of the number asked for, or no filesystem that we recognise.
 *
 * <p>The message is for people and names what was found, such as {@code no partition 3 (the
 * MBR table has partitions 1, 2)}; the caller puts the image's name in front.
 */
public final class DiskFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    /**
     * A problem described by {@code message}.
     *
     * @param message what is wrong, naming the image and where
     */
    public DiskFormatException(String message) {
        super(message);
    }
}
