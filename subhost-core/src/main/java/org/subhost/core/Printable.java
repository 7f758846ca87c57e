package org.subhost.core;

/**
 * Text that a subhost wrote or named, made safe to print on one line of the host's output:
 * LOG, standard error (the journal's, under systemd), an error message, a terminal.
 *
 * <p>Example: pid 1's program renamed inside to {@code "x\n<0>forged"} prints as {@code
 * x\x0a<0>forged}, one line: a line break would start a line of the subhost's choosing
 * (which the journal takes as an emergency for its {@code <0>}), and an escape sequence
 * would act on the administrator's terminal.
 *
 * <p>Escaped: the C0 controls and DEL as {@code \xNN} (line breaks and tabs among them),
 * the C1 controls (U+0080 to U+009F, which some terminals obey as escape sequences), the
 * line and paragraph separators U+2028 and U+2029 (line breaks to JavaScript and some
 * log viewers) and lone surrogates (no character) as a backslash, u and four hex
 * digits. Everything else is kept, other languages' letters included; a backslash is kept as it is, so that an
 * escaped text is not always told apart from one that spelt the escape out: this is for
 * people to read, not to be parsed back.
 */
public final class Printable {
    private Printable() {}

    /**
     * {@return {@code text} with what the class comment lists escaped; {@code text} itself
     * when nothing is}
     *
     * @param text what a subhost wrote or named, or a message that holds it
     */
    public static String of(String text) {
        StringBuilder out = null;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            String escape = escape(text, i);
            if (escape != null && out == null) {
                out = new StringBuilder(text.length() + 16).append(text, 0, i);
            }
            if (out != null) {
                if (escape != null) {
                    out.append(escape);
                } else {
                    out.append(c);
                }
            }
            if (escape == null && Character.isHighSurrogate(c) && i + 1 < text.length()
                    && Character.isLowSurrogate(text.charAt(i + 1))) {
                // A pair is one character: its second half is kept with it.
                i++;
                if (out != null) {
                    out.append(text.charAt(i));
                }
            }
        }
        return out == null ? text : out.toString();
    }

    /** {@return the escape of {@code text.charAt(i)}, or null when it is printed as it is} */
    private static String escape(String text, int i) {
        char c = text.charAt(i);
        if (c < 0x20 || c == 0x7f) {
            return hex("\\x", c, 2);
        }
        if (c >= 0x80 && c <= 0x9f || c == '\u2028' || c == '\u2029') {
            return hex("\\u", c, 4);
        }
        if (Character.isHighSurrogate(c)) {
            return i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1)) ? null : hex("\\u", c, 4);
        }
        if (Character.isLowSurrogate(c)) {
            // Reached only alone: the half after a high surrogate is taken with it.
            return hex("\\u", c, 4);
        }
        return null;
    }

    private static final char[] HEX_DIGITS = "0123456789abcdef".toCharArray();

    /**
     * {@code lead} and {@code value} in {@code digits} lower-case hex digits: what {@code
     * String.format("\\x%02x")} and {@code "\\u%04x"} give, without a Formatter, which a
     * boot's LOG lines would otherwise set up (interpreted) for each escaped character.
     */
    static String hex(String lead, int value, int digits) {
        char[] out = new char[lead.length() + digits];
        lead.getChars(0, lead.length(), out, 0);
        for (int k = out.length - 1, v = value; k >= lead.length(); k--, v >>>= 4) {
            out[k] = HEX_DIGITS[v & 0xf];
        }
        return new String(out);
    }

    /**
     * A subhost's output as LOG keeps it, escaped as the log relay escapes it ({@code
     * relay.c}): line breaks and tabs stay, so that the output keeps its lines; every other
     * control character, the C1 controls, U+2028 and U+2029 are escaped as in {@link #of},
     * and every byte that is not UTF-8 as {@code \xNN}. Bytes come in pieces, as a pipe
     * gives them: a character cut in two waits for its rest.
     */
    static final class Output {
        private final java.io.ByteArrayOutputStream pending = new java.io.ByteArrayOutputStream();

        /**
         * The escaped form of what came so far, after {@code bytes}; with {@code end}, a cut
         * character at the end is escaped byte by byte instead of waiting.
         */
        byte[] escape(byte[] bytes, int length, boolean end) {
            pending.write(bytes, 0, length);
            byte[] in = pending.toByteArray();
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(in.length + 16);
            int i = 0;
            while (i < in.length) {
                int[] code = new int[1];
                int n = utf8Length(in, i, code);
                if (n == 0 && !end) {
                    break;
                }
                if (n <= 0) {
                    ascii(out, hex("\\x", in[i] & 0xff, 2));
                    i++;
                } else if (code[0] < 0x20 && code[0] != '\n' && code[0] != '\t' || code[0] == 0x7f) {
                    ascii(out, hex("\\x", code[0], 2));
                    i++;
                } else if (code[0] >= 0x80 && code[0] <= 0x9f || code[0] == 0x2028 || code[0] == 0x2029) {
                    ascii(out, hex("\\u", code[0], 4));
                    i += n;
                } else {
                    out.write(in, i, n);
                    i += n;
                }
            }
            pending.reset();
            pending.write(in, i, in.length - i);
            return out.toByteArray();
        }

        private static void ascii(java.io.ByteArrayOutputStream out, String text) {
            out.writeBytes(text.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }

        /**
         * The length of the UTF-8 character at {@code in[i]}: 1 to 4, its value in {@code
         * code[0]}; 0 when the bytes end inside it; -1 when they are no UTF-8 (overlong
         * forms, surrogates and values past U+10FFFF included).
         */
        private static int utf8Length(byte[] in, int i, int[] code) {
            int c = in[i] & 0xff;
            int length;
            int min;
            if (c < 0x80) {
                code[0] = c;
                return 1;
            } else if (c >= 0xc2 && c <= 0xdf) {
                length = 2;
                min = 0x80;
                code[0] = c & 0x1f;
            } else if (c >= 0xe0 && c <= 0xef) {
                length = 3;
                min = 0x800;
                code[0] = c & 0x0f;
            } else if (c >= 0xf0 && c <= 0xf4) {
                length = 4;
                min = 0x10000;
                code[0] = c & 0x07;
            } else {
                return -1;
            }
            for (int k = 1; k < length; k++) {
                if (i + k >= in.length) {
                    return 0;
                }
                int next = in[i + k] & 0xff;
                if ((next & 0xc0) != 0x80) {
                    return -1;
                }
                code[0] = code[0] << 6 | next & 0x3f;
            }
            if (code[0] < min || code[0] > 0x10ffff || code[0] >= 0xd800 && code[0] <= 0xdfff) {
                return -1;
            }
            return length;
        }
    }
}
