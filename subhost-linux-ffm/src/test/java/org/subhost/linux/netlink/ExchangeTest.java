package org.subhost.linux.netlink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.subhost.linux.netlink.Bytes.concat;
import static org.subhost.linux.netlink.Bytes.hex;
import static org.subhost.linux.netlink.Bytes.le32;

import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.subhost.linux.Errno;

/** Matching replies to a request, without a socket. */
class ExchangeTest {
    private static final int NLMSG_ERROR = 2;
    private static final int NLMSG_DONE = 3;
    private static final int NLM_F_MULTI = 2;
    private static final int NLM_F_CAPPED = 0x100;
    private static final int NLM_F_DUMP_INTR = 0x10;

    private static Message ack(int seq, int errno) {
        return new Message(NLMSG_ERROR, NLM_F_CAPPED, seq, 1234,
                concat(le32(-errno), hex("2c000000 1200 0500"), le32(seq), le32(0)));
    }

    @Test
    void repliesBeforeTheAcknowledgementAreKept() throws Exception {
        Exchange exchange = new Exchange(LinkRequests.get("lo"), 5);
        Message reply = new Message(16, 0, 5, 1234, new byte[16]);

        assertThat(exchange.accept(reply)).isFalse();
        assertThat(exchange.accept(ack(5, 0))).isTrue();
        assertThat(exchange.replies()).containsExactly(reply);
    }

    @Test
    void messagesOfAnEarlierRequestAreSkipped() throws Exception {
        Exchange exchange = new Exchange(LinkRequests.get("lo"), 5);

        assertThat(exchange.accept(new Message(16, 0, 4, 1234, new byte[16]))).isFalse();
        assertThat(exchange.accept(ack(4, Errno.ENODEV))).isFalse();
        assertThat(exchange.accept(ack(5, 0))).isTrue();
        assertThat(exchange.replies()).isEmpty();
    }

    @Test
    void refusalBecomesANetlinkExceptionNamingTheRequest() {
        Exchange exchange = new Exchange(LinkRequests.setUp("shtv0", true), 3);

        assertThatThrownBy(() -> exchange.accept(ack(3, Errno.ENODEV)))
                .isInstanceOf(NetlinkException.class)
                .hasMessage("RTM_SETLINK(dev shtv0 up): ENODEV (No such device)")
                .satisfies(e -> assertThat(((NetlinkException) e).errno()).isEqualTo(Errno.ENODEV));
    }

    @Test
    void dumpEndsAtDoneAndNotesAnInterruption() throws Exception {
        Exchange exchange = new Exchange(LinkRequests.dump(), 8);

        assertThat(exchange.accept(new Message(16, NLM_F_MULTI, 8, 1234, new byte[16]))).isFalse();
        assertThat(exchange.interrupted()).isFalse();
        assertThat(exchange.accept(new Message(16, NLM_F_MULTI | NLM_F_DUMP_INTR, 8, 1234, new byte[16]))).isFalse();
        assertThat(exchange.accept(new Message(NLMSG_DONE, NLM_F_MULTI, 8, 1234, le32(0)))).isTrue();
        assertThat(exchange.replies()).hasSize(2);
        assertThat(exchange.interrupted()).isTrue();
    }

    @Test
    void overrunIsADecodingError() {
        Exchange exchange = new Exchange(LinkRequests.dump(), 8);

        assertThatThrownBy(() -> exchange.accept(new Message(4, 0, 8, 0, new byte[0])))
                .isInstanceOf(NetlinkDecodingException.class)
                .hasMessage("NLMSG_OVERRUN in reply to RTM_GETLINK(dump): the kernel lost messages");
    }

    @Test
    void refusalWithTheExpectedErrnoIsAnAnswerNotAnException() throws Exception {
        Exchange exchange = new Exchange(LinkRequests.get("shtv0"), 3, Errno.ENODEV);

        assertThat(exchange.accept(ack(3, Errno.ENODEV))).isTrue();
        assertThat(exchange.refusedAsExpected()).isTrue();
        assertThat(exchange.replies()).isEmpty();
    }

    @Test
    void refusalWithAnotherErrnoStaysTheSameExceptionWhenOneIsExpected() {
        Exchange exchange = new Exchange(LinkRequests.get("shtv0"), 3, Errno.ENODEV);

        assertThatThrownBy(() -> exchange.accept(ack(3, Errno.EPERM)))
                .isInstanceOf(NetlinkException.class)
                .hasMessage("RTM_GETLINK(dev shtv0): EPERM (Operation not permitted)");
        assertThat(exchange.refusedAsExpected()).isFalse();
    }

    @Test
    void anAcknowledgementIsNoRefusalWhenOneIsExpected() throws Exception {
        Exchange exchange = new Exchange(LinkRequests.get("shtv0"), 3, Errno.ENODEV);
        Message reply = new Message(16, 0, 3, 1234, new byte[16]);

        assertThat(exchange.accept(reply)).isFalse();
        assertThat(exchange.accept(ack(3, 0))).isTrue();
        assertThat(exchange.refusedAsExpected()).isFalse();
        assertThat(exchange.replies()).containsExactly(reply);
    }

    @Test
    void errorReplyRecordComparesItsParts() {
        assertThat(new ErrorReply(0, Optional.empty(), OptionalInt.empty()).ok()).isTrue();
    }
}
