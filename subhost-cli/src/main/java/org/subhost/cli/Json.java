package org.subhost.cli;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A small JSON writer for the few values the CLI prints (RFC 8259): strings, numbers,
 * booleans, null (an empty Optional), lists and maps with string keys, in the order given.
 */
final class Json {
    private Json() {}

    /** The JSON text of {@code value}. */
    static String write(Object value) {
        StringBuilder b = new StringBuilder();
        write(value, b);
        return b.toString();
    }

    private static void write(Object value, StringBuilder b) {
        switch (value) {
            case null -> b.append("null");
            case Optional<?> o -> write(o.orElse(null), b);
            case String s -> string(s, b);
            case Number n -> b.append(n);
            case Boolean bool -> b.append(bool);
            case Map<?, ?> m -> {
                b.append('{');
                boolean first = true;
                for (Map.Entry<?, ?> e : m.entrySet()) {
                    if (!first) {
                        b.append(',');
                    }
                    first = false;
                    string(String.valueOf(e.getKey()), b);
                    b.append(':');
                    write(e.getValue(), b);
                }
                b.append('}');
            }
            case List<?> l -> {
                b.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) {
                        b.append(',');
                    }
                    write(l.get(i), b);
                }
                b.append(']');
            }
            default -> string(value.toString(), b);
        }
    }

    private static void string(String s, StringBuilder b) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    // Besides what RFC 8259 requires: DEL and the C1 controls, which a terminal
                    // may obey; U+2028 and U+2029, line breaks to JavaScript; a lone surrogate,
                    // which is no character. A subhost names some of what is printed here.
                    boolean pair = Character.isHighSurrogate(c) && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1));
                    if (c < 0x20 || c >= 0x7f && c <= 0x9f || c == '\u2028' || c == '\u2029'
                            || Character.isSurrogate(c) && !pair) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else if (pair) {
                        b.append(c).append(s.charAt(++i));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
