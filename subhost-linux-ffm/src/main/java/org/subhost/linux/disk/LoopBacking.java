package org.subhost.linux.disk;

import java.nio.file.Path;

/**
 * What a bound loop device reads from, as {@code /sys/block/loopN/loop/} shows it (like
 * {@code losetup --list}): the backing file, the offset and size limit in it, and the
 * flags.
 *
 * @param file the backing file's path as the kernel gives it (for a file deleted since
 *     attaching, with {@code " (deleted)"} appended)
 * @param offset where the device starts in the file, in bytes
 * @param sizeLimit the device's length in bytes; 0 for up to the end of the file
 * @param autoclear whether the device is detached when its last user closes it
 * @param readOnly whether the device is read-only
 */
public record LoopBacking(Path file, long offset, long sizeLimit, boolean autoclear, boolean readOnly) {}
