package org.subhost.linux;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * A device filter as a cgroup BPF program (BPF_PROG_TYPE_CGROUP_DEVICE): the list of
 * devices that the processes of a cgroup v2 group may open or make, encoded as the
 * instructions that the kernel runs on every such access. Pure: rules in, bytes out
 * ({@link #instructions()}); {@link Bpf#loadDeviceFilter} loads them and {@link
 * Bpf#attach} attaches the program to a group.
 *
 * <p>The kernel calls the program with {@code struct bpf_cgroup_dev_ctx { u32 access_type;
 * u32 major; u32 minor; }}, where {@code access_type} holds the device type
 * (BPF_DEVCG_DEV_BLOCK 1, BPF_DEVCG_DEV_CHAR 2) in its low 16 bits and the access asked
 * for (BPF_DEVCG_ACC_MKNOD 1, _READ 2, _WRITE 4) in its high 16; a result of 1 allows the
 * access, 0 refuses it with EPERM. The program allows an access when one rule has the
 * device's type, matches its numbers (or takes any) and grants every access asked for;
 * otherwise it refuses. So a filter without rules refuses every device.
 *
 * <pre>{@code
 * DeviceFilter f = new DeviceFilter(List.of(new DeviceFilter.Rule('c', 1, 3, DeviceFilter.READ | DeviceFilter.WRITE)));
 * byte[] program = f.instructions();   // 8 bytes per instruction, little-endian
 * }</pre>
 *
 * <p>The layout follows runc's and systemd's device programs: the context's three words in
 * registers first, then for each rule a few compare-and-skip instructions that fall
 * through to "return 1".
 *
 * @param rules the devices allowed, in order (the first that allows decides)
 */
public record DeviceFilter(List<Rule> rules) {
    /** BPF_DEVCG_ACC_MKNOD: making the device node. */
    public static final int MKNOD = 1;
    /** BPF_DEVCG_ACC_READ: opening it for reading. */
    public static final int READ = 2;
    /** BPF_DEVCG_ACC_WRITE: opening it for writing. */
    public static final int WRITE = 4;
    /** A major or minor number that matches any. */
    public static final int ANY = -1;

    // struct bpf_insn opcodes (linux/bpf_common.h, linux/bpf.h).
    private static final int LDX_MEM_W = 0x61; // BPF_LDX | BPF_MEM | BPF_W
    private static final int ALU64_AND_K = 0x57; // BPF_ALU64 | BPF_AND | BPF_K
    private static final int ALU64_RSH_K = 0x77; // BPF_ALU64 | BPF_RSH | BPF_K
    private static final int ALU64_MOV_X = 0xbf; // BPF_ALU64 | BPF_MOV | BPF_X
    private static final int ALU64_MOV_K = 0xb7; // BPF_ALU64 | BPF_MOV | BPF_K
    private static final int JMP_JNE_K = 0x55; // BPF_JMP | BPF_JNE | BPF_K
    private static final int JMP_EXIT = 0x95; // BPF_JMP | BPF_EXIT

    // Registers: R0 the result, R1 the context (then scratch), R2 type, R3 access, R4 major, R5 minor.
    private static final int R0 = 0;
    private static final int R1 = 1;
    private static final int R2 = 2;
    private static final int R3 = 3;
    private static final int R4 = 4;
    private static final int R5 = 5;

    /** Copies the rules. */
    public DeviceFilter {
        rules = List.copyOf(rules);
    }

    // equals and hashCode written out, not the record's own: those are linked at their first
    // call by a bootstrap method whose method handles the start-up cache cannot hold, and a
    // cold overlay-boot generated 6 classes for them (the policy's programs are kept by filter).
    @Override
    public boolean equals(Object other) {
        return other instanceof DeviceFilter o && o.rules.equals(rules);
    }

    @Override
    public int hashCode() {
        return rules.hashCode();
    }

    /**
     * One allowed device, or range of devices.
     *
     * @param type {@code c} for a character device, {@code b} for a block device
     * @param major the major number, or {@link #ANY}
     * @param minor the minor number, or {@link #ANY}
     * @param access the accesses allowed: {@link #MKNOD}, {@link #READ} and {@link #WRITE} or'ed
     */
    public record Rule(char type, int major, int minor, int access) {
        /** Checks the type, the numbers and the access. */
        public Rule {
            if (type != 'c' && type != 'b') {
                throw new IllegalArgumentException("device type (" + type + ") must be c or b");
            }
            if (major < ANY || minor < ANY) {
                throw new IllegalArgumentException("device numbers (" + major + ":" + minor + ") must be -1 (any) or more");
            }
            if (access < 1 || access > (MKNOD | READ | WRITE)) {
                throw new IllegalArgumentException("device access (" + access + ") must be MKNOD, READ and WRITE or'ed");
            }
        }

        /** {@return the rule as a v1 {@code devices.allow} line writes it: {@code c 1:3 rwm}, {@code c 136:* rw}} */
        @Override
        public String toString() {
            return type + " " + (major == ANY ? "*" : Integer.toString(major)) + ":"
                    + (minor == ANY ? "*" : Integer.toString(minor)) + " " + ((access & READ) != 0 ? "r" : "")
                    + ((access & WRITE) != 0 ? "w" : "") + ((access & MKNOD) != 0 ? "m" : "");
        }

        // Written out, as the filter's are (see there).
        @Override
        public boolean equals(Object other) {
            return other instanceof Rule o && o.type == type && o.major == major && o.minor == minor
                    && o.access == access;
        }

        @Override
        public int hashCode() {
            return ((31 * type + major) * 31 + minor) * 31 + access;
        }

        /** The BPF_DEVCG_DEV_* value of the type. */
        int bpfType() {
            return type == 'b' ? 1 : 2;
        }
    }

    /**
     * The program: {@code struct bpf_insn} records of 8 bytes each (opcode, registers,
     * 16-bit offset, 32-bit immediate), little-endian as on x86_64 and aarch64.
     *
     * @return the instructions, as BPF_PROG_LOAD takes them
     */
    public byte[] instructions() {
        List<long[]> program = new ArrayList<>();
        // type = ctx->access_type & 0xffff; access = ctx->access_type >> 16
        program.add(insn(LDX_MEM_W, R2, R1, 0, 0));
        program.add(insn(ALU64_AND_K, R2, 0, 0, 0xffff));
        program.add(insn(LDX_MEM_W, R3, R1, 0, 0));
        program.add(insn(ALU64_RSH_K, R3, 0, 0, 16));
        program.add(insn(LDX_MEM_W, R4, R1, 4, 0));
        program.add(insn(LDX_MEM_W, R5, R1, 8, 0));
        for (Rule rule : rules) {
            List<long[]> checks = new ArrayList<>();
            // Each check jumps past this rule's end ("return 1") to the next rule: its
            // offset is the number of instructions after it up to the end of the rule.
            checks.add(new long[] {JMP_JNE_K, R2, 0, -1, rule.bpfType()});
            if (rule.access() != (MKNOD | READ | WRITE)) {
                // r1 = access & ~allowed; if r1 != 0: an access not granted was asked for
                checks.add(insn(ALU64_MOV_X, R1, R3, 0, 0));
                checks.add(insn(ALU64_AND_K, R1, 0, 0, ~rule.access() & (MKNOD | READ | WRITE)));
                checks.add(new long[] {JMP_JNE_K, R1, 0, -1, 0});
            }
            if (rule.major() != ANY) {
                checks.add(new long[] {JMP_JNE_K, R4, 0, -1, rule.major()});
            }
            if (rule.minor() != ANY) {
                checks.add(new long[] {JMP_JNE_K, R5, 0, -1, rule.minor()});
            }
            int end = checks.size() + 2;
            for (int i = 0; i < checks.size(); i++) {
                long[] check = checks.get(i);
                if (check[3] == -1) {
                    check[3] = end - i - 1;
                }
                program.add(check);
            }
            program.add(insn(ALU64_MOV_K, R0, 0, 0, 1));
            program.add(insn(JMP_EXIT, 0, 0, 0, 0));
        }
        program.add(insn(ALU64_MOV_K, R0, 0, 0, 0));
        program.add(insn(JMP_EXIT, 0, 0, 0, 0));
        ByteArrayOutputStream out = new ByteArrayOutputStream(program.size() * 8);
        for (long[] insn : program) {
            out.write((int) insn[0]);
            out.write((int) (insn[1] | (insn[2] << 4))); // dst_reg in the low nibble, src_reg in the high
            out.write((int) (insn[3] & 0xff));
            out.write((int) ((insn[3] >> 8) & 0xff));
            long imm = insn[4];
            for (int shift = 0; shift < 32; shift += 8) {
                out.write((int) ((imm >> shift) & 0xff));
            }
        }
        return out.toByteArray();
    }

    /** {@return how many instructions {@link #instructions()} has} */
    public int length() {
        return instructions().length / 8;
    }

    private static long[] insn(int code, int dst, int src, int offset, long imm) {
        return new long[] {code, dst, src, offset, imm};
    }

    /** {@return the rules as v1 {@code devices.allow} lines, joined by {@code ; }} */
    @Override
    public String toString() {
        List<String> lines = new ArrayList<>();
        for (Rule r : rules) {
            lines.add(r.toString());
        }
        return "DeviceFilter[" + String.join("; ", lines) + "]";
    }
}
