package org.subhost.linux;

import java.io.IOException;
import org.subhost.linux.internal.Native;

/**
 * The kernel refused a system call.
 *
 * <p>The message names the call, its arguments as a person would write them (paths,
 * interface names, flags by name) and the errno by name and text, for example
 * {@code mount(overlay on /opt/mta/live): EINVAL (Invalid argument)}.
 * {@link #errno()} gives the number for callers that handle an expected error by name,
 * such as {@link Errno#EBUSY}.
 */
public class SyscallException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final String arguments;
    private final int errno;

    /**
     * A refusal of {@code call} with {@code arguments} (already in readable form) and the
     * captured {@code errno}.
     */
    public SyscallException(String call, String arguments, int errno) {
        this(call, arguments, errno, null);
    }

    /**
     * As {@link #SyscallException(String, String, int)}, with a detail that the kernel or
     * the caller adds after the errno text (a netlink extended acknowledgement, a hint).
     */
    public SyscallException(String call, String arguments, int errno, String detail) {
        super(call + "(" + arguments + "): " + Native.errnoName(errno) + " (" + Native.errnoText(errno) + ")"
                + (detail == null || detail.isEmpty() ? "" : ": " + detail));
        this.call = call;
        this.arguments = arguments;
        this.errno = errno;
    }

    /** The name of the refused call, such as {@code mount}. */
    public String call() {
        return call;
    }

    /** The call's arguments in readable form, as in the message. */
    public String arguments() {
        return arguments;
    }

    /** The errno value the kernel returned. */
    public int errno() {
        return errno;
    }

    /** Whether the errno is {@code expected}; for handling an expected refusal by name. */
    public boolean is(int expected) {
        return errno == expected;
    }
}
