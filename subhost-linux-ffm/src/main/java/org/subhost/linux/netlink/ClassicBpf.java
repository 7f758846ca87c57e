package org.subhost.linux.netlink;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A classic BPF program ({@code struct sock_filter} instructions, linux/filter.h), such as
 * {@link RtNetlink#addIngressFilter} attaches to a link. Written with a {@link Builder}
 * whose jumps name labels, so that no offset is counted by hand.
 *
 * <p>Example: drop IPv6 frames, pass the others.
 * <pre>{@code
 * ClassicBpf program = ClassicBpf.builder()
 *         .loadHalf(12).jumpIf(0x86dd, "drop", "pass")
 *         .label("drop").ret(2)
 *         .label("pass").ret(-1)
 *         .build();
 * }</pre>
 *
 * @param instructions the program, at most 4096 instructions
 */
public record ClassicBpf(List<Instruction> instructions) {
    /** BPF_MAXINSNS of linux/bpf_common.h. */
    public static final int MAX_INSTRUCTIONS = 4096;

    // linux/bpf_common.h
    static final int LD = 0x00;
    static final int LDX = 0x01;
    static final int ST = 0x02;
    static final int ALU = 0x04;
    static final int JMP = 0x05;
    static final int RET = 0x06;
    static final int MISC = 0x07;
    static final int W = 0x00;
    static final int H = 0x08;
    static final int B = 0x10;
    static final int IMM = 0x00;
    static final int ABS = 0x20;
    static final int IND = 0x40;
    static final int MEM = 0x60;
    static final int ADD = 0x00;
    static final int AND = 0x50;
    static final int LSH = 0x60;
    static final int JA = 0x00;
    static final int JEQ = 0x10;
    static final int K = 0x00;
    static final int X = 0x08;
    static final int TAX = 0x00;
    static final int TXA = 0x80;

    /**
     * One {@code struct sock_filter}.
     *
     * @param code the operation
     * @param jt the jump forward when true, 0 to 255
     * @param jf the jump forward when false, 0 to 255
     * @param k the constant
     */
    public record Instruction(int code, int jt, int jf, int k) {
        /** Checks the ranges of the fields. */
        public Instruction {
            if (code < 0 || code > 0xffff || jt < 0 || jt > 255 || jf < 0 || jf > 255) {
                throw new IllegalArgumentException("instruction (code " + code + ", jt " + jt + ", jf " + jf
                        + ") has a field out of range");
            }
        }
    }

    /** Copies and checks the program. */
    public ClassicBpf {
        instructions = List.copyOf(instructions);
        if (instructions.isEmpty() || instructions.size() > MAX_INSTRUCTIONS) {
            throw new IllegalArgumentException("a classic BPF program has 1 to " + MAX_INSTRUCTIONS
                    + " instructions, not " + instructions.size());
        }
    }

    /** {@return a builder of an empty program} */
    public static Builder builder() {
        return new Builder();
    }

    /** The instructions as the kernel reads them: 8 bytes each, in the machine's byte order. */
    byte[] bytes() {
        ByteBuffer b = ByteBuffer.allocate(8 * instructions.size()).order(ByteOrder.nativeOrder());
        for (Instruction i : instructions) {
            b.putShort((short) i.code()).put((byte) i.jt()).put((byte) i.jf()).putInt(i.k());
        }
        return b.array();
    }

    /** Writes a program instruction by instruction; jumps go forward to labels. */
    public static final class Builder {
        private record Pending(int code, String whenTrue, String whenFalse, int k) {}

        private final List<Pending> code = new ArrayList<>();
        private final Map<String, Integer> labels = new HashMap<>();

        private Builder() {}

        private Builder add(int op, String whenTrue, String whenFalse, int k) {
            code.add(new Pending(op, whenTrue, whenFalse, k));
            return this;
        }

        /**
         * Names the next instruction.
         *
         * @param name the label, used once
         * @return this builder
         */
        public Builder label(String name) {
            if (labels.putIfAbsent(Objects.requireNonNull(name, "name"), code.size()) != null) {
                throw new IllegalArgumentException("label " + name + " is given twice");
            }
            return this;
        }

        /**
         * A = the 16-bit word at {@code offset} of the packet, in network byte order.
         *
         * @param offset the byte offset
         * @return this builder
         */
        public Builder loadHalf(int offset) {
            return add(LD | H | ABS, null, null, offset);
        }

        /**
         * A = the 16-bit word at X + {@code offset} of the packet.
         *
         * @param offset the byte offset from X
         * @return this builder
         */
        public Builder loadHalfAtX(int offset) {
            return add(LD | H | IND, null, null, offset);
        }

        /**
         * A = the byte at X + {@code offset} of the packet.
         *
         * @param offset the byte offset from X
         * @return this builder
         */
        public Builder loadByteAtX(int offset) {
            return add(LD | B | IND, null, null, offset);
        }

        /**
         * X = {@code value}.
         *
         * @param value the constant
         * @return this builder
         */
        public Builder loadX(int value) {
            return add(LDX | W | IMM, null, null, value);
        }

        /**
         * A = scratch word {@code slot} (0 to 15).
         *
         * @param slot the scratch word
         * @return this builder
         */
        public Builder loadScratch(int slot) {
            return add(LD | W | MEM, null, null, slot(slot));
        }

        /**
         * Scratch word {@code slot} (0 to 15) = A.
         *
         * @param slot the scratch word
         * @return this builder
         */
        public Builder store(int slot) {
            return add(ST, null, null, slot(slot));
        }

        /**
         * A += {@code value}.
         *
         * @param value the constant
         * @return this builder
         */
        public Builder add(int value) {
            return add(ALU | ADD | K, null, null, value);
        }

        /** {@return this builder, after A += X} */
        public Builder addX() {
            return add(ALU | ADD | X, null, null, 0);
        }

        /**
         * A &amp;= {@code value}.
         *
         * @param value the mask
         * @return this builder
         */
        public Builder and(int value) {
            return add(ALU | AND | K, null, null, value);
        }

        /**
         * A &lt;&lt;= {@code bits}.
         *
         * @param bits the shift
         * @return this builder
         */
        public Builder shiftLeft(int bits) {
            return add(ALU | LSH | K, null, null, bits);
        }

        /** {@return this builder, after X = A} */
        public Builder toX() {
            return add(MISC | TAX, null, null, 0);
        }

        /** {@return this builder, after A = X} */
        public Builder fromX() {
            return add(MISC | TXA, null, null, 0);
        }

        /**
         * Goes on at {@code whenEqual} when A == {@code value}, else at {@code otherwise};
         * null for either: the next instruction.
         *
         * @param value the constant
         * @param whenEqual the label when equal, or null
         * @param otherwise the label when not, or null
         * @return this builder
         */
        public Builder jumpIf(int value, String whenEqual, String otherwise) {
            return add(JMP | JEQ | K, whenEqual, otherwise, value);
        }

        /**
         * Goes on at {@code label}.
         *
         * @param label where
         * @return this builder
         */
        public Builder jump(String label) {
            return add(JMP | JA, Objects.requireNonNull(label, "label"), null, 0);
        }

        /**
         * Ends the program with {@code value}.
         *
         * @param value what the program returns
         * @return this builder
         */
        public Builder ret(int value) {
            return add(RET | K, null, null, value);
        }

        /**
         * The program, with every label resolved.
         *
         * @return the program
         * @throws IllegalArgumentException when a label is missing, lies behind its jump, or
         *     lies too far ahead (255 instructions for a conditional jump)
         */
        public ClassicBpf build() {
            List<Instruction> out = new ArrayList<>();
            for (int at = 0; at < code.size(); at++) {
                Pending p = code.get(at);
                if (p.code() == (JMP | JA)) {
                    out.add(new Instruction(p.code(), 0, 0, offset(at, p.whenTrue(), Integer.MAX_VALUE)));
                } else {
                    out.add(new Instruction(p.code(), offset(at, p.whenTrue(), 255), offset(at, p.whenFalse(), 255),
                            p.k()));
                }
            }
            return new ClassicBpf(out);
        }

        private int offset(int at, String label, int max) {
            if (label == null) {
                return 0;
            }
            Integer target = labels.get(label);
            if (target == null) {
                throw new IllegalArgumentException("label " + label + " is missing");
            }
            int offset = target - at - 1;
            if (offset < 0 || offset > max) {
                throw new IllegalArgumentException("label " + label + " is " + offset + " instructions from its jump;"
                        + " a jump goes 0 to " + max + " forward");
            }
            return offset;
        }

        private static int slot(int slot) {
            if (slot < 0 || slot > 15) {
                throw new IllegalArgumentException("scratch word (" + slot + ") must be 0 to 15");
            }
            return slot;
        }
    }
}
