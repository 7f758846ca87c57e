package org.subhost.linux;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The credentials of this process as the kernel reports them in {@code /proc/self/status}
 * (proc(5), credentials(7)). Example: {@code Credentials.isRoot()} before attaching a loop
 * device, so that a user without root hears what is needed rather than an EACCES.
 *
 * <p>Only a question asked before the work: the kernel still checks every call itself.
 */
public final class Credentials {
    private Credentials() {}

    /**
     * Whether this process's effective user id is 0: the second field of the {@code Uid:}
     * line of {@code /proc/self/status}.
     *
     * @return true when it is; false otherwise, and when there is no {@code /proc}
     */
    public static boolean isRoot() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("Uid:")) {
                    return line.split("\\s+")[2].equals("0");
                }
            }
        } catch (IOException e) {
            // No /proc: assume not root; the kernel would refuse anyway.
        }
        return false;
    }

    /**
     * This process's effective user id, as the owner of {@code /proc/self} (the kernel gives
     * a process's directory its effective uid): by a stat of its descriptor, lighter than
     * Java's attribute views, which run interpreted in a short command.
     *
     * @return the effective user id
     * @throws IOException when there is no {@code /proc} (a thread whose root was switched,
     *     before the new root has its own)
     */
    public static int effectiveUid() throws IOException {
        int self;
        try {
            self = Fds.open("/proc/self", Fds.O_PATH | Fds.O_CLOEXEC);
        } catch (SyscallException e) {
            throw new IOException("/proc/self: " + e.errnoText(), e);
        }
        try {
            return AtFiles.fstat(self).uid();
        } finally {
            try {
                Fds.close(self);
            } catch (SyscallException e) {
                // A descriptor of our own, opened just now: nothing to do.
            }
        }
    }
}
