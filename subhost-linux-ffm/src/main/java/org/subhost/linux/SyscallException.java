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

    /** The refused call's name. */
    private final String call;
    /** The call's arguments, in readable form. */
    private final String arguments;
    /** The errno value. */
    private final int errno;

    /**
     * A refusal of {@code call} with {@code arguments} (already in readable form) and the
     * captured {@code errno}.
     *
     * @param call the call's name, such as {@code mount}
     * @param arguments the call's arguments in readable form
     * @param errno the captured errno
     */
    public SyscallException(String call, String arguments, int errno) {
        this(call, arguments, errno, null);
    }

    /**
     * As {@link #SyscallException(String, String, int)}, with a detail that the kernel or
     * the caller adds after the errno text (a netlink extended acknowledgement, a hint).
     *
     * @param call the call's name, such as {@code mount}
     * @param arguments the call's arguments in readable form
     * @param errno the captured errno
     * @param detail text added after the errno's, or null
     */
    public SyscallException(String call, String arguments, int errno, String detail) {
        super(call + "(" + arguments + "): " + Native.errnoName(errno) + " (" + Native.errnoText(errno) + ")"
                + (detail == null || detail.isEmpty() ? "" : ": " + detail));
        this.call = call;
        this.arguments = arguments;
        this.errno = errno;
    }

    /** {@return the name of the refused call, such as {@code mount}} */
    public String call() {
        return call;
    }

    /** {@return the call's arguments in readable form, as in the message} */
    public String arguments() {
        return arguments;
    }

    /** {@return the errno value the kernel returned} */
    public int errno() {
        return errno;
    }

    /** {@return the errno's text for people, such as {@code No such file or directory}} */
    public String errnoText() {
        return Native.errnoText(errno);
    }

    /**
     * Whether the errno is {@code expected}; for handling an expected refusal by name.
     *
     * @param expected an errno value, such as {@link Errno#EBUSY}
     * @return true if the kernel returned {@code expected}
     */
    public boolean is(int expected) {
        return errno == expected;
    }
}
