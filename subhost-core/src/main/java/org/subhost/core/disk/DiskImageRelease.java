package org.subhost.core.disk;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.subhost.config.DiskAttachment;
import org.subhost.linux.Errno;
import org.subhost.linux.MountTable;
import org.subhost.linux.Mounts;
import org.subhost.linux.SyscallException;
import org.subhost.linux.disk.LoopBacking;
import org.subhost.linux.disk.LoopDevice;

/**
 * The release of disk images that {@code !} commands (overlay-diskfile, {@link
 * DiskImageMount}) mounted while a subhost's configuration was read ({@link
 * DiskAttachment}): the boot adopts them as its first step, and the stop, a boot that
 * fails, or a reading that nothing boots with, releases them.
 *
 * <p>Releasing one is: unmount its mount point with umount2(2), like {@code umount
 * MOUNTPOINT}, but only while the topmost mount there is still of the recorded loop device
 * (a mount that someone else made there since is left alone); then, if the loop device is
 * still bound to the recorded image (it was made with LO_FLAGS_AUTOCLEAR, so the unmount
 * normally detached it already), LOOP_CLR_FD, like {@code losetup --detach}. Releasing
 * twice does nothing the second time. The mount is in the mount namespace of the process
 * that read the configuration, so this must run on a thread of that namespace (the
 * caller's, never a namespace thread of a subhost); where the mount cannot be seen, it is
 * left and the loop device is only marked to go with its last mount.
 *
 * <p>A mount point still in use (EBUSY: a process has its working directory or a file
 * there) is detached lazily instead (MNT_DETACH), which is logged: it leaves the tree at
 * once and the kernel frees it, and with it the loop device, when its last user is gone.
 */
final class DiskImageRelease {
    /** How long a release waits for a loop device still in use to come free. */
    static final Duration UNBIND_LIMIT = Duration.ofSeconds(1);

    private DiskImageRelease() {}

    /**
     * Releases {@code attachments} in reverse order, on the calling thread.
     *
     * @param log where each action is reported, one line each
     * @return what could not be released, one text each; empty when all went
     */
    static List<String> releaseAll(List<DiskAttachment> attachments, Consumer<String> log) {
        List<String> problems = new ArrayList<>();
        for (int i = attachments.size() - 1; i >= 0; i--) {
            DiskAttachment a = attachments.get(i);
            try {
                release(a, log);
            } catch (IOException e) {
                problems.add("disk image " + a.image() + " on " + a.mountPoint() + ": " + DiskImages.reason(e));
            }
        }
        return problems;
    }

    /** Releases one attachment; see the class comment. */
    static void release(DiskAttachment a, Consumer<String> log) throws IOException {
        Optional<MountTable.Entry> top = MountTable.ofThisThread().topmost(a.mountPoint());
        String loop = a.loopDevice().toString();
        if (top.isPresent() && top.get().source().equals(loop)) {
            log.accept("unmounting disk image " + a.image() + " (" + loop + ") from " + a.mountPoint());
            try {
                Mounts.umount2(a.mountPoint().toString(), Mounts.UMOUNT_NOFOLLOW);
            } catch (SyscallException e) {
                if (!e.is(Errno.EBUSY)) {
                    throw e;
                }
                log.accept(a.mountPoint() + " is busy (" + e.getMessage() + "): detaching it lazily; the kernel"
                        + " frees it and " + loop + " when its last user is gone");
                Mounts.umount2(a.mountPoint().toString(), Mounts.MNT_DETACH | Mounts.UMOUNT_NOFOLLOW);
            }
        } else if (top.isPresent() && MountTable.ofThisThread().isMountedFrom(a.mountPoint(), loop)) {
            throw new IOException(loop + " on " + a.mountPoint() + " is covered by another mount ("
                    + top.get().source() + ", type " + top.get().fsType() + "); unmount that first");
        }
        Optional<LoopBacking> backing = LoopDevice.backing(a.loopDevice());
        if (backing.isPresent() && backsOnto(backing.get(), a.image())) {
            // With LO_FLAGS_AUTOCLEAR the unmount has usually detached it already; this
            // covers a device whose flag was lost, or one still mounted where we cannot see.
            if (LoopDevice.detach(a.loopDevice())) {
                if (awaitUnbound(a.loopDevice(), UNBIND_LIMIT)) {
                    log.accept("detached " + loop + " from " + a.image());
                } else {
                    log.accept(loop + " is still in use: the kernel detaches it from " + a.image()
                            + " when its last user is gone");
                }
            }
        }
    }

    /**
     * Waits at most {@code limit} until {@code device} is bound to nothing. LOOP_CLR_FD on
     * a device still in use only marks it for autoclear; a mount namespace that has just
     * ended (pid 1 killed by a rollback) lets go of its mounts a moment later, in a kernel
     * work queue, and only then the device comes free. Without this wait a second release
     * right after would find it bound and detach it again.
     */
    private static boolean awaitUnbound(Path device, Duration limit) throws IOException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (LoopDevice.backing(device).isPresent()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            LockSupport.parkNanos(1_000_000);
        }
        return true;
    }

    /**
     * Throws unless each of {@code attachments} is still mounted from its loop device (on
     * top or covered), in the calling thread's mount namespace.
     */
    static void requireMounted(List<DiskAttachment> attachments) throws IOException {
        MountTable table = MountTable.ofThisThread();
        for (DiskAttachment a : attachments) {
            if (!table.isMountedFrom(a.mountPoint(), a.loopDevice().toString())) {
                throw new IOException("disk image " + a.image() + " (" + a.loopDevice() + ") is no longer"
                        + " mounted on " + a.mountPoint());
            }
        }
    }

    /** Whether the loop device reads {@code image}: sysfs names a deleted file with a suffix. */
    private static boolean backsOnto(LoopBacking backing, Path image) {
        String file = backing.file().toString();
        return file.equals(image.toString()) || file.equals(image + " (deleted)");
    }
}
