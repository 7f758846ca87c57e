package org.subhost.linux.disk;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Pattern;
import org.subhost.linux.Errno;
import org.subhost.linux.Fds;
import org.subhost.linux.SyscallException;
import org.subhost.linux.internal.Memory;

/**
 * A loop device bound to (a region of) an image file, so that the region can be mounted as
 * a block device: the loop ioctls of loop(4), like {@code losetup --find --show --offset
 * OFFSET --sizelimit SIZE [--read-only] IMAGE}.
 *
 * <p>Example, partition 2 of an image, mounted and then left to the kernel:
 * <pre>{@code
 * try (LoopDevice loop = LoopDevice.attach(image, part.offsetBytes(), part.sizeBytes(), false)) {
 *     Mounts.mount(loop.path().toString(), "/ex1/mnt", "ext4", 0, null);
 * }   // closed: the mount holds the device now; unmounting it detaches the device
 * }</pre>
 *
 * <p>How it is attached: a free device number from {@code /dev/loop-control}
 * (LOOP_CTL_GET_FREE, which makes the device when none is free), then LOOP_CONFIGURE on
 * {@code /dev/loopN} with the image's descriptor, offset, size limit and flags in one call
 * (Linux 5.8 and later); where the kernel does not know LOOP_CONFIGURE (ENOTTY, EINVAL),
 * LOOP_SET_FD and then LOOP_SET_STATUS64. Another process may take the same free number
 * between the two calls: the kernel then answers EBUSY and we ask for another number.
 *
 * <p>Every device gets LO_FLAGS_AUTOCLEAR: the kernel detaches it when its last user is
 * gone, which is the last mount of it once our descriptor is closed ({@link #close}); so an
 * unmount is all it takes to release it, and a device that was never mounted goes as soon
 * as it is closed. A read-only device (LO_FLAGS_READ_ONLY, with the image opened read-only)
 * is for an image that may not be written and for read-only formats.
 *
 * <p>Loop devices are global, not per mount namespace: a device attached here is seen from
 * every namespace of the host.
 */
public final class LoopDevice implements AutoCloseable {
    /** loop(4): the device refuses writes. */
    public static final int LO_FLAGS_READ_ONLY = 1;
    /** loop(4): the device is detached when its last user closes it. */
    public static final int LO_FLAGS_AUTOCLEAR = 4;

    private static final long LOOP_SET_FD = 0x4C00;
    private static final long LOOP_CLR_FD = 0x4C01;
    private static final long LOOP_SET_STATUS64 = 0x4C04;
    private static final long LOOP_CONFIGURE = 0x4C0A;
    private static final long LOOP_CTL_GET_FREE = 0x4C82;

    // struct loop_info64 (linux/loop.h): 232 bytes.
    private static final long LOOP_INFO64_SIZE = 232;
    private static final long LO_OFFSET = 24;
    private static final long LO_SIZELIMIT = 32;
    private static final long LO_FLAGS = 52;
    private static final long LO_FILE_NAME = 56;
    private static final int LO_NAME_SIZE = 64;
    // struct loop_config { __u32 fd; __u32 block_size; struct loop_info64 info; __u64 __reserved[8]; }: 304 bytes.
    private static final long LOOP_CONFIG_SIZE = 8 + LOOP_INFO64_SIZE + 64;
    private static final long CONFIG_INFO = 8;

    /** How often a free device number is asked for when others take it first. */
    private static final int ATTEMPTS = 16;
    private static final Pattern LOOP_NAME = Pattern.compile("loop[0-9]+");

    private final int number;
    private final boolean readOnly;
    private int fd;

    private LoopDevice(int number, int fd, boolean readOnly) {
        this.number = number;
        this.fd = fd;
        this.readOnly = readOnly;
    }

    /**
     * Binds a free loop device to {@code sizeLimit} bytes of {@code image} from {@code
     * offset}, with LO_FLAGS_AUTOCLEAR. The caller owns the returned device's descriptor
     * and closes it (after mounting the device, or to give it up).
     *
     * @param image the image file
     * @param offset where the device starts in the image, in bytes (a multiple of 512)
     * @param sizeLimit the device's length in bytes; 0 for up to the end of the image
     * @param readOnly whether the image is opened, and the device made, read-only
     * @return the bound device, open
     * @throws SyscallException when the kernel refuses (EACCES or EROFS opening an image that
     *     may not be written; ENOENT without {@code /dev/loop-control} or the loop driver)
     */
    public static LoopDevice attach(Path image, long offset, long sizeLimit, boolean readOnly)
            throws SyscallException {
        if (offset < 0 || sizeLimit < 0) {
            throw new IllegalArgumentException("loop offset (" + offset + ") and size limit (" + sizeLimit
                    + ") must not be negative");
        }
        int flags = LO_FLAGS_AUTOCLEAR | (readOnly ? LO_FLAGS_READ_ONLY : 0);
        int imageFd = Fds.open(image.toString(), (readOnly ? Fds.O_RDONLY : Fds.O_RDWR) | Fds.O_CLOEXEC);
        try {
            int control = Fds.open("/dev/loop-control", Fds.O_RDWR | Fds.O_CLOEXEC);
            try {
                SyscallException busy = null;
                for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
                    int number = Ioctl.call(control, LOOP_CTL_GET_FREE, 0, "/dev/loop-control, LOOP_CTL_GET_FREE");
                    String device = "/dev/loop" + number;
                    int deviceFd = Fds.open(device, Fds.O_RDWR | Fds.O_CLOEXEC);
                    try {
                        configure(device, deviceFd, imageFd, image, offset, sizeLimit, flags);
                        return new LoopDevice(number, deviceFd, readOnly);
                    } catch (SyscallException e) {
                        closeQuietly(deviceFd);
                        if (!e.is(Errno.EBUSY)) {
                            throw e;
                        }
                        busy = e; // taken by another process since LOOP_CTL_GET_FREE: ask again
                    }
                }
                throw busy;
            } finally {
                closeQuietly(control);
            }
        } finally {
            closeQuietly(imageFd);
        }
    }

    /** LOOP_CONFIGURE, or LOOP_SET_FD and LOOP_SET_STATUS64 on a kernel older than 5.8. */
    private static void configure(String device, int deviceFd, int imageFd, Path image, long offset, long sizeLimit,
            int flags) throws SyscallException {
        String what = device + ", " + image + ", offset " + offset + ", size limit " + sizeLimit;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment config = arena.allocate(LOOP_CONFIG_SIZE, 8);
            Memory.setInt(config, 0, imageFd);
            fillInfo(config.asSlice(CONFIG_INFO, LOOP_INFO64_SIZE), image, offset, sizeLimit, flags);
            try {
                Ioctl.call(deviceFd, LOOP_CONFIGURE, config, what + ", LOOP_CONFIGURE");
                return;
            } catch (SyscallException e) {
                if (!e.is(Errno.ENOTTY) && !e.is(Errno.EINVAL)) {
                    throw e;
                }
            }
            Ioctl.call(deviceFd, LOOP_SET_FD, imageFd, what + ", LOOP_SET_FD");
            MemorySegment info = arena.allocate(LOOP_INFO64_SIZE, 8);
            // The read-only flag cannot be set by status; LOOP_SET_FD took it from the image's open mode.
            fillInfo(info, image, offset, sizeLimit, flags & ~LO_FLAGS_READ_ONLY);
            try {
                Ioctl.call(deviceFd, LOOP_SET_STATUS64, info, what + ", LOOP_SET_STATUS64");
            } catch (SyscallException e) {
                try {
                    Ioctl.call(deviceFd, LOOP_CLR_FD, 0, device + ", LOOP_CLR_FD");
                } catch (SyscallException undo) {
                    e.addSuppressed(undo);
                }
                throw e;
            }
        }
    }

    private static void fillInfo(MemorySegment info, Path image, long offset, long sizeLimit, int flags) {
        Memory.setLong(info, LO_OFFSET, offset);
        Memory.setLong(info, LO_SIZELIMIT, sizeLimit);
        Memory.setInt(info, LO_FLAGS, flags);
        // lo_file_name is informational (losetup shows it); the kernel keeps 63 bytes and a NUL.
        byte[] name = image.toString().getBytes(StandardCharsets.UTF_8);
        MemorySegment.copy(name, 0, info, JAVA_BYTE, LO_FILE_NAME, Math.min(name.length, LO_NAME_SIZE - 1));
    }

    /** {@return the device node, such as {@code /dev/loop3}} */
    public Path path() {
        return Path.of("/dev/loop" + number);
    }

    /** {@return the device's number N of {@code /dev/loopN}} */
    public int number() {
        return number;
    }

    /** {@return whether the device is read-only} */
    public boolean readOnly() {
        return readOnly;
    }

    /**
     * Unbinds the device from its image and closes our descriptor: LOOP_CLR_FD, like {@code
     * losetup --detach}. The kernel (since 5.x) only marks the device for detaching
     * (LO_FLAGS_AUTOCLEAR) and unbinds it when its last user closes it, which is at once
     * when nobody but us holds it, and with the last unmount when it is mounted.
     *
     * @throws SyscallException when the kernel refuses
     */
    public void detach() throws SyscallException {
        if (fd < 0) {
            throw new IllegalStateException("loop device (" + path() + ") is closed");
        }
        try {
            Ioctl.call(fd, LOOP_CLR_FD, 0, path() + ", LOOP_CLR_FD");
        } finally {
            close();
        }
    }

    /**
     * Closes our descriptor of the device. With LO_FLAGS_AUTOCLEAR, a device that nobody
     * else uses (not mounted) is detached by the kernel then.
     */
    @Override
    public void close() {
        if (fd >= 0) {
            closeQuietly(fd);
            fd = -1;
        }
    }

    /**
     * Unbinds the loop device at {@code device} from its file: LOOP_CLR_FD, like {@code
     * losetup --detach DEVICE}. A device still in use (mounted) is only marked for
     * LO_FLAGS_AUTOCLEAR and goes with its last user.
     *
     * @param device the device node, such as {@code /dev/loop3}
     * @return false when the device was bound to nothing (ENXIO) or does not exist
     * @throws SyscallException when the kernel refuses otherwise
     */
    public static boolean detach(Path device) throws SyscallException {
        int deviceFd;
        try {
            deviceFd = Fds.open(device.toString(), Fds.O_RDONLY | Fds.O_CLOEXEC);
        } catch (SyscallException e) {
            if (e.is(Errno.ENOENT) || e.is(Errno.ENXIO)) {
                return false;
            }
            throw e;
        }
        try {
            Ioctl.call(deviceFd, LOOP_CLR_FD, 0, device + ", LOOP_CLR_FD");
            return true;
        } catch (SyscallException e) {
            if (e.is(Errno.ENXIO)) {
                return false;
            }
            throw e;
        } finally {
            closeQuietly(deviceFd);
        }
    }

    /**
     * What the loop device at {@code device} ({@code /dev/loopN}) is bound to, from {@code
     * /sys/block/loopN/loop/}; empty when it is bound to nothing or is no loop device.
     *
     * @param device the device node, such as {@code /dev/loop3}
     * @return its backing file, offset and size limit
     * @throws IOException when sysfs cannot be read
     */
    public static Optional<LoopBacking> backing(Path device) throws IOException {
        Path name = device.getFileName();
        if (name == null || !LOOP_NAME.matcher(name.toString()).matches()) {
            return Optional.empty();
        }
        Path block = Path.of("/sys/block", name.toString());
        Path loop = block.resolve("loop");
        try {
            String file = Files.readString(loop.resolve("backing_file"), StandardCharsets.UTF_8);
            return Optional.of(new LoopBacking(Path.of(chomp(file)),
                    Long.parseLong(chomp(Files.readString(loop.resolve("offset")))),
                    Long.parseLong(chomp(Files.readString(loop.resolve("sizelimit")))),
                    chomp(Files.readString(loop.resolve("autoclear"))).equals("1"),
                    chomp(Files.readString(block.resolve("ro"))).equals("1")));
        } catch (NoSuchFileException e) {
            return Optional.empty(); // not bound (no loop/ directory), or no such device
        } catch (NumberFormatException e) {
            throw new IOException(loop + ": unreadable offset or size limit (" + e.getMessage() + ")", e);
        }
    }

    private static String chomp(String s) {
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }

    private static void closeQuietly(int fd) {
        try {
            Fds.close(fd);
        } catch (SyscallException e) {
            // close(2) fails only for a bad descriptor; nothing is left to release.
        }
    }
}
