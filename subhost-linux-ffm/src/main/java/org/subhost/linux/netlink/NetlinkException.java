package org.subhost.linux.netlink;

import java.util.Optional;
import org.subhost.linux.SyscallException;

/**
 * The kernel refused an rtnetlink request: its NLMSG_ERROR reply carried an errno, and,
 * where the kernel gives one, an extended acknowledgement that says why in words.
 *
 * <p>The message names the request type, the request in words, the errno and the kernel's
 * text, for example
 * {@code RTM_NEWLINK(veth shtab0 peer eth0): EINVAL (Invalid argument): Attribute failed policy validation}
 * or {@code RTM_SETLINK(shtab0 master shtbr1): ELOOP (Too many levels of symbolic links): Can not enslave a bridge to a bridge}.
 */
public final class NetlinkException extends SyscallException {
    private static final long serialVersionUID = 1L;

    /** The kernel's extended-ack text, or null. */
    private final String kernelMessage;

    NetlinkException(String call, String arguments, int errno, Optional<String> kernelMessage) {
        super(call, arguments, errno, kernelMessage.orElse(null));
        this.kernelMessage = kernelMessage.orElse(null);
    }

    /**
     * {@return the kernel's own explanation (NLMSGERR_ATTR_MSG of the extended ack), where it gave one}
     */
    public Optional<String> kernelMessage() {
        return Optional.ofNullable(kernelMessage);
    }
}
