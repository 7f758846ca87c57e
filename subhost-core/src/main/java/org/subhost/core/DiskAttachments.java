package org.subhost.core;

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
import org.subhost.linux.Mounts;
import org.subhost.linux.SyscallException;
import org.subhost.linux.disk.LoopBacking;
import org.subhost.linux.disk.LoopDevice;

/**
 * Releases the disk images that {@code !} commands (overlay-diskfile) mounted while a
 * subhost's configuration was read ({@link DiskAttachment}): the boot adopts them as its
 * first step, and the stop, or a boot that fails, releases them.
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
final class DiskAttachments {
    /** How long a release waits for a loop device still in use to come free. */
    static final Duration UNBIND_LIMIT = Duration.ofSeconds(1);

    private DiskAttachments() {}

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
                problems.add("disk image " + a.image() + " on " + a.mountPoint() + ": " + PlanExecutor.reason(e));
            }
        }
        return problems;
    }

    /** Releases one attachment; see the class comment. */
    static void release(DiskAttachment a, Consumer<String> log) throws IOException {
        Optional<MountTable.Entry> top = topmost(MountTable.ofThisThread(), a.mountPoint());
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
        } else if (top.isPresent() && isMountedFrom(MountTable.ofThisThread(), a.mountPoint(), loop)) {
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

    /** The mount on top at {@code mountPoint}: the last that mountinfo lists there. */
    private static Optional<MountTable.Entry> topmost(MountTable table, Path mountPoint) {
        MountTable.Entry top = null;
        for (MountTable.Entry e : table.mounts()) {
            if (e.mountPoint().equals(mountPoint)) {
                top = e;
            }
        }
        return Optional.ofNullable(top);
    }

    private static boolean isMountedFrom(MountTable table, Path mountPoint, String source) {
        return table.mounts().stream().anyMatch(e -> e.mountPoint().equals(mountPoint) && e.source().equals(source));
    }

    /** Whether the loop device reads {@code image}: sysfs names a deleted file with a suffix. */
    private static boolean backsOnto(LoopBacking backing, Path image) {
        String file = backing.file().toString();
        return file.equals(image.toString()) || file.equals(image + " (deleted)");
    }

    /**
     * The first step of a boot whose configuration mounted disk images: it checks that they
     * are still mounted, and its undo releases them (when a later step fails). On success
     * they stay; the state record lists them and the stop releases them.
     *
     * @param attachments what the configuration's {@code !} commands mounted
     */
    record Adopt(List<DiskAttachment> attachments) implements BootStep.OnHost<Void> {
        Adopt {
            attachments = List.copyOf(attachments);
        }

        @Override
        public String describe() {
            return "adopt the disk images mounted for it: " + String.join(", ", attachments.stream()
                    .map(a -> a.image() + " (" + a.loopDevice() + ") on " + a.mountPoint()).toList());
        }

        @Override
        public Void apply(StepInputs in) throws IOException {
            MountTable table = MountTable.ofThisThread();
            for (DiskAttachment a : attachments) {
                if (!isMountedFrom(table, a.mountPoint(), a.loopDevice().toString())) {
                    throw new IOException("disk image " + a.image() + " (" + a.loopDevice() + ") is no longer"
                            + " mounted on " + a.mountPoint());
                }
            }
            return null;
        }

        @Override
        public void undo(Void nothing, StepInputs in) throws IOException {
            List<String> problems = releaseAll(attachments, in.log()::line);
            if (!problems.isEmpty()) {
                throw new IOException(String.join("; ", problems));
            }
        }
    }
}
