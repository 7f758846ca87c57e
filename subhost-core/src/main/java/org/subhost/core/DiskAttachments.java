package org.subhost.core;

import java.io.IOException;
import java.util.List;
import org.subhost.config.DiskAttachment;
import org.subhost.core.disk.DiskImages;

/**
 * The boot's side of the disk images that {@code !} commands (overlay-diskfile) mounted
 * while a subhost's configuration was read ({@link DiskAttachment}): the boot adopts them as
 * its first step ({@link Adopt}). Mounting and releasing them is {@link DiskImages}'s.
 */
final class DiskAttachments {
    private DiskAttachments() {}

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
            DiskImages.requireMounted(attachments);
            return null;
        }

        @Override
        public void undo(Void nothing, StepInputs in) throws IOException {
            // The mount seed may hold copies of these mounts, which would keep the loop devices busy.
            MountSeed.drop();
            List<String> problems = DiskImages.releaseAll(attachments, in.log()::line);
            if (!problems.isEmpty()) {
                throw new IOException(String.join("; ", problems));
            }
        }
    }
}
