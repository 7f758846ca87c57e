package org.subhost.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.CharRange;
import org.junit.jupiter.api.Test;
import org.subhost.SubhostException;

/**
 * What the host prints of what a subhost wrote or named is one line and acts on no
 * terminal: control characters, C1 controls, U+2028 and U+2029 are escaped.
 */
class PrintableTest {
    @Test
    void escapesLineBreaksAndTerminalControlsInAName() {
        assertThat(Printable.of("/x\n<0>forged")).isEqualTo("/x\\x0a<0>forged");
        assertThat(Printable.of("a\rb\tc\u001b]0;title\u0007d\u007f")).isEqualTo("a\\x0db\\x09c\\x1b]0;title\\x07d\\x7f");
        assertThat(Printable.of("c1:\u0085\u009b31m")).isEqualTo("c1:\\u0085\\u009b31m");
        assertThat(Printable.of("js\u2028line\u2029para")).isEqualTo("js\\u2028line\\u2029para");
    }

    @Test
    void keepsLettersOfEveryScriptAndWholeSurrogatePairsButNotLoneHalves() {
        String text = "größe/日本/\uD83D\uDE00/\\x41";
        assertThat(Printable.of(text)).isSameAs(text);
        assertThat(Printable.of("a\uD83Db")).isEqualTo("a\\ud83db");
        assertThat(Printable.of("a\uDE00b")).isEqualTo("a\\ude00b");
    }

    @Test
    void aSubhostExceptionIsOneLine() {
        assertThat(new SubhostException("stop ex1: control group /sys/fs/cgroup/ex1/x\n<0>y: EBUSY").getMessage())
                .isEqualTo("stop ex1: control group /sys/fs/cgroup/ex1/x\\x0a<0>y: EBUSY");
    }

    @Test
    void outputKeepsItsLinesAndEscapesTheRestAsTheLogRelayDoes() {
        Printable.Output out = new Printable.Output();
        byte[] bytes = "ok\tline\n\u001b[2Jnext\r\n\u0085\u2028é\n".getBytes(StandardCharsets.UTF_8);
        assertThat(new String(out.escape(bytes, bytes.length, true), StandardCharsets.UTF_8))
                .isEqualTo("ok\tline\n\\x1b[2Jnext\\x0d\n\\u0085\\u2028é\n");
    }

    @Test
    void outputWaitsForTheRestOfACutCharacterAndEscapesBytesThatAreNoUtf8() {
        Printable.Output out = new Printable.Output();
        byte[] e = "é".getBytes(StandardCharsets.UTF_8);
        assertThat(out.escape(new byte[] {'a', e[0]}, 2, false)).isEqualTo(new byte[] {'a'});
        assertThat(new String(out.escape(new byte[] {e[1], (byte) 0xff, (byte) 0xc0, (byte) 0x80}, 4, false),
                StandardCharsets.UTF_8)).isEqualTo("é\\xff\\xc0\\x80");
        assertThat(new String(out.escape(new byte[] {(byte) 0xe2, (byte) 0x80}, 2, false), StandardCharsets.UTF_8))
                .isEmpty();
        assertThat(new String(out.escape(new byte[0], 0, true), StandardCharsets.UTF_8)).isEqualTo("\\xe2\\x80");
    }

    /** Printable's escapes as they were, by String.format. */
    @Property
    void anEscapeIsWhatStringFormatGave(@ForAll @CharRange(from = 0, to = 0xffff) char c) {
        if (c < 0x100) {
            assertThat(Printable.hex("\\x", c, 2)).isEqualTo(String.format("\\x%02x", (int) c));
        }
        assertThat(Printable.hex("\\u", c, 4)).isEqualTo(String.format("\\u%04x", (int) c));
    }
}
