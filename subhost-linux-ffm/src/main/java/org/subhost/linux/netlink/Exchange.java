package org.subhost.linux.netlink;

import static org.subhost.linux.netlink.RtnlConstants.NLMSG_DONE;
import static org.subhost.linux.netlink.RtnlConstants.NLMSG_ERROR;
import static org.subhost.linux.netlink.RtnlConstants.NLMSG_NOOP;
import static org.subhost.linux.netlink.RtnlConstants.NLMSG_OVERRUN;
import static org.subhost.linux.netlink.RtnlConstants.NLM_F_DUMP_INTR;

import java.util.ArrayList;
import java.util.List;

/**
 * The replies to one request, collected as they arrive: the socket-free half of the
 * send/receive loop, so that matching and error handling can be tested without a kernel.
 *
 * <p>Messages with another sequence number are skipped: they answer an earlier request on
 * the same socket that was abandoned (after an exception). A request with NLM_F_ACK ends at
 * its NLMSG_ERROR, which is an acknowledgement when its errno is 0; a dump ends at
 * NLMSG_DONE. Every other message is a reply (RTM_NEWLINK, RTM_NEWADDR) and kept.
 *
 * <p>A refusal with the errno that the caller expects ({@code ENODEV} when it asks whether a
 * link is there) ends the exchange as an answer ({@link #refusedAsExpected}); no exception is
 * made for it. Any other refusal is a {@link NetlinkException}.
 */
final class Exchange {
    private final Request request;
    private final int seq;
    /** The errno of a refusal that is an answer, not a failure; 0 for none. */
    private final int expectedErrno;
    private final List<Message> replies = new ArrayList<>();
    private boolean interrupted;
    private boolean complete;
    private boolean refusedAsExpected;

    Exchange(Request request, int seq) {
        this(request, seq, 0);
    }

    /** An exchange that ends without an exception when the kernel refuses with {@code expectedErrno}. */
    Exchange(Request request, int seq, int expectedErrno) {
        this.request = request;
        this.seq = seq;
        this.expectedErrno = expectedErrno;
    }

    /**
     * Takes the next received message.
     *
     * @return whether the exchange is complete
     * @throws NetlinkException when the kernel refused the request
     * @throws NetlinkDecodingException when the kernel reports lost messages or an error
     *     reply is malformed
     */
    boolean accept(Message message) throws NetlinkException, NetlinkDecodingException {
        if (complete) {
            throw new IllegalStateException("exchange for " + request + " is already complete");
        }
        if (message.seq() != seq) {
            return false;
        }
        switch (message.type()) {
            case NLMSG_NOOP -> {
                return false;
            }
            case NLMSG_OVERRUN -> throw new NetlinkDecodingException(
                    "NLMSG_OVERRUN in reply to " + request + ": the kernel lost messages");
            case NLMSG_ERROR, NLMSG_DONE -> {
                ErrorReply status = ErrorReply.decode(message);
                if (!status.ok()) {
                    if (expectedErrno == 0 || status.errno() != expectedErrno) {
                        throw status.toException(request);
                    }
                    refusedAsExpected = true;
                }
                complete = true;
                return true;
            }
            default -> {
                if ((message.flags() & NLM_F_DUMP_INTR) != 0) {
                    interrupted = true;
                }
                replies.add(message);
                return false;
            }
        }
    }

    /** The replies so far, in the order received. */
    List<Message> replies() {
        return List.copyOf(replies);
    }

    /** Whether the kernel refused the request with the errno the caller expects. */
    boolean refusedAsExpected() {
        return refusedAsExpected;
    }

    /**
     * Whether the kernel marked a part of the dump with NLM_F_DUMP_INTR: the list changed
     * while it was being read, so the result may be inconsistent and should be read again.
     */
    boolean interrupted() {
        return interrupted;
    }
}
