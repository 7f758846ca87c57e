package org.subhost.core.disk;

/**
 * A disk image that cannot be mounted as asked, with a complete message for the user that
 * names the image as it was given and says what is wrong, such as {@code disk.img: no
 * partition 3 (the MBR table has partitions 1, 2)}. Nothing of the attempt is left mounted
 * or attached.
 */
public final class DiskImageException extends Exception {
    private static final long serialVersionUID = 1L;

    /**
     * An image that cannot be mounted.
     *
     * @param message what is wrong, beginning with the image or the path it concerns
     */
    public DiskImageException(String message) {
        super(message);
    }
}
