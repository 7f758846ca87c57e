package org.subhost.linux.netlink;

import static org.subhost.linux.netlink.RtnlConstants.NLMSGERR_ATTR_MSG;
import static org.subhost.linux.netlink.RtnlConstants.NLMSGERR_ATTR_OFFS;
import static org.subhost.linux.netlink.RtnlConstants.NLMSG_DONE;
import static org.subhost.linux.netlink.RtnlConstants.NLMSG_ERROR;
import static org.subhost.linux.netlink.RtnlConstants.NLMSG_HDRLEN;
import static org.subhost.linux.netlink.RtnlConstants.NLM_F_ACK_TLVS;
import static org.subhost.linux.netlink.RtnlConstants.NLM_F_CAPPED;
import static org.subhost.linux.netlink.RtnlConstants.align;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The status that ends an exchange: an NLMSG_ERROR (an acknowledgement when {@code errno}
 * is 0) or the NLMSG_DONE that ends a dump.
 *
 * <p>NLMSG_ERROR carries {@code struct nlmsgerr}: a negative errno (or 0), then the header
 * of the request it answers, then, unless the kernel set NLM_F_CAPPED, that request's body
 * padded to 4 bytes. When the kernel set NLM_F_ACK_TLVS (the socket has NETLINK_EXT_ACK),
 * extended-ack attributes follow: NLMSGERR_ATTR_MSG, the reason in words, and
 * NLMSGERR_ATTR_OFFS, the offset in the request of the attribute it refused. NLMSG_DONE
 * carries an int status and may carry the same attributes after it.
 *
 * @param errno the errno, positive; 0 for success
 * @param message the kernel's reason, if given
 * @param offset the offset of the offending attribute in the request, if given
 */
record ErrorReply(int errno, Optional<String> message, OptionalInt offset) {

    /**
     * Decodes an NLMSG_ERROR or NLMSG_DONE message.
     *
     * @throws NetlinkDecodingException when it is neither, or its parts do not fit
     */
    static ErrorReply decode(Message reply) throws NetlinkDecodingException {
        byte[] payload = reply.payload();
        ByteBuffer in = ByteBuffer.wrap(payload).order(ByteOrder.nativeOrder());
        if (reply.type() == NLMSG_DONE) {
            // A dump's end may carry no status at all (older kernels' empty NLMSG_DONE).
            int status = payload.length >= 4 ? in.getInt(0) : 0;
            return withAttributes("NLMSG_DONE", reply.flags(), status, payload, Math.min(4, payload.length));
        }
        if (reply.type() != NLMSG_ERROR) {
            throw new NetlinkDecodingException("message type (" + reply.type() + ") must be NLMSG_ERROR ("
                    + NLMSG_ERROR + ") or NLMSG_DONE (" + NLMSG_DONE + ")");
        }
        if (payload.length < 4 + NLMSG_HDRLEN) {
            throw new NetlinkDecodingException("NLMSG_ERROR length (" + payload.length + ") must be at least "
                    + (4 + NLMSG_HDRLEN) + " (struct nlmsgerr)");
        }
        int status = in.getInt(0);
        int echoed = NLMSG_HDRLEN;
        if ((reply.flags() & NLM_F_CAPPED) == 0) {
            long requestLength = Integer.toUnsignedLong(in.getInt(4));
            if (requestLength < NLMSG_HDRLEN || 4 + requestLength > payload.length) {
                throw new NetlinkDecodingException("NLMSG_ERROR: echoed nlmsg_len (" + requestLength
                        + ") must be between " + NLMSG_HDRLEN + " and the " + (payload.length - 4)
                        + " bytes that follow the errno");
            }
            echoed = (int) requestLength;
        }
        int attributesFrom = Math.min(payload.length, 4 + align(echoed));
        return withAttributes("NLMSG_ERROR", reply.flags(), status, payload, attributesFrom);
    }

    private static ErrorReply withAttributes(String where, int flags, int status, byte[] payload, int from)
            throws NetlinkDecodingException {
        if (status > 0 || status < -4095) {
            throw new NetlinkDecodingException(where + " status (" + status + ") must be 0 or a negative errno");
        }
        if ((flags & NLM_F_ACK_TLVS) == 0) {
            return new ErrorReply(-status, Optional.empty(), OptionalInt.empty());
        }
        Attributes attributes = Attributes.parse(where, payload, from, payload.length);
        return new ErrorReply(-status, attributes.string(NLMSGERR_ATTR_MSG).filter(s -> !s.isEmpty()),
                attributes.u32(NLMSGERR_ATTR_OFFS, "NLMSGERR_ATTR_OFFS"));
    }

    /** Whether this reports success. */
    boolean ok() {
        return errno == 0;
    }

    /** The refusal of {@code request}. */
    NetlinkException toException(Request request) {
        return new NetlinkException(request.call(), request.arguments(), errno, message);
    }
}
