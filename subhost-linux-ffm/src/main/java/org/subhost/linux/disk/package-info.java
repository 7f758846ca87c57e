/**
 * Disk images: partition tables, filesystem signatures and loop devices, so that a
 * filesystem inside an image file can be mounted.
 *
 * <p>Main types: {@link org.subhost.linux.disk.PartitionTable} (MBR and GPT, read in Java)
 * with its {@link org.subhost.linux.disk.Partition}s, {@link
 * org.subhost.linux.disk.FilesystemType} (the superblock probe), {@link
 * org.subhost.linux.disk.LoopDevice} (the loop ioctls, with {@link
 * org.subhost.linux.disk.LoopBacking} read from sysfs) and {@link
 * org.subhost.linux.disk.DiskFormatException} for images that cannot be used as asked.
 * Like the rest of this module it holds no policy: which image to mount where is the
 * caller's decision.
 */
package org.subhost.linux.disk;
