/**
 * Disk images mounted for a subhost: the one owner of attaching an image (or a partition
 * of it) to a loop device, mounting its filesystem, and releasing both again. Door: {@link
 * org.subhost.core.disk.DiskImages}, with {@link org.subhost.core.disk.DiskImageException}
 * for an image that cannot be mounted as asked. The mount rules are those of {@code
 * overlay-diskfile}'s manual page ({@link org.subhost.core.disk.DiskImageMount}); the
 * release is what a stop, a failed boot or a dry run does ({@link
 * org.subhost.core.disk.DiskImageRelease}).
 *
 * <p>Exported to {@code org.subhost.cli} only, whose {@code overlay-diskfile} mounts the
 * images; see {@link org.subhost.core.disk.DiskImages} for why it is not API.
 */
package org.subhost.core.disk;
