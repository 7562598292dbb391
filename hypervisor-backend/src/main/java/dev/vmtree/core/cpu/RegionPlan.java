package dev.vmtree.core.cpu;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The blocks of one guest code page reachable from an entry slot without leaving the page: what
 * {@link RegionCompiler} turns into one method. Made on the machine's thread from the page's bytes
 * (decoding what the interpreter has not decoded yet, into the same decode cache), then immutable,
 * so the compiler may run on another thread.
 *
 * <p>A block is a straight run of instructions from a head to a terminator: a branch, JAL, JALR,
 * the end of the page, the next head, or an instruction translated code does not run (CSRs,
 * atomics, floating point, system instructions, illegal encodings, one straddling the page end),
 * before which the block stops so the interpreter runs it. Heads are the entry, branch and in-page
 * jump targets, fall-through successors of branches, return points after calls, and the
 * instruction after one the interpreter runs. Blocks are taken in discovery order until the
 * estimated bytecode would pass {@link #CODE_BUDGET}; jumps to heads left out exit the region.
 */
record RegionPlan(int entry, long[] decoded, List<Block> blocks) {
    /** Estimated bytecode bytes of all blocks together, kept under HotSpot's 8000-byte HugeMethodLimit. */
    static final int CODE_BUDGET = Integer.getInteger("vmtree.translator.budget", 1500);
    /** Instructions per block at most, so one block always fits a method. */
    static final int MAX_BLOCK = 48;
    static final int SLOTS = MemorySystem.CODE_SLOTS;

    /** How a block ends. */
    enum End {
        /** Falls through to {@code next} (a head, or past the page end). */
        FALL,
        /** Its last instruction is a conditional branch. */
        BRANCH,
        /** Its last instruction is JAL. */
        JAL,
        /** Its last instruction is JALR. */
        JALR,
        /** Stops before the instruction at {@code next}, which the interpreter runs. */
        STOP
    }

    /**
     * One block: its head slot, the slots of its {@code count} instructions, how it ends and the
     * slot after its last instruction (for STOP the slot of the instruction the interpreter runs).
     */
    record Block(int head, int[] slots, End end, int next) {
        int count() {
            return slots.length;
        }
    }

    /** True when translated code runs this operation itself. */
    static boolean supported(int op) {
        return Semantics.ALU[op] != null || Semantics.BRANCH[op] != null || Semantics.LOAD[op] != null
                || Semantics.STORE[op] != null || op == Op.LUI || op == Op.AUIPC || op == Op.JAL || op == Op.JALR
                || op == Op.FENCE;
    }

    /**
     * Where {@link Op#ENTER} goes: the entry alone. A region has one way in, so the loops of the
     * guest stay reducible loops of the method and C2 optimises them (a switch into several heads
     * made them irreducible and cost the loop benchmark 4x); another head the interpreter lands on
     * gets a region of its own.
     */
    int[] heads() {
        return new int[] {entry};
    }

    /**
     * Plans the region entered at {@code entry} of the RAM page {@code page} whose decode cache is
     * {@code code}; fills undecoded slots of {@code code} on the way. Null when the entry's
     * instruction is one translated code does not run.
     */
    static RegionPlan plan(byte[] page, long[] code, int entry) {
        long[] decoded = new long[SLOTS];
        boolean[] isHead = new boolean[SLOTS];
        List<Integer> order = new ArrayList<>();
        ArrayDeque<Integer> work = new ArrayDeque<>();
        isHead[entry] = true;
        work.add(entry);
        while (!work.isEmpty()) {
            int head = work.poll();
            order.add(head);
            for (int s = head, n = 0; s < SLOTS; n++) {
                if (n == MAX_BLOCK) {
                    addHead(isHead, work, s);    // a long straight run continues in another block
                    break;
                }
                long d = decode(page, code, decoded, s);
                int op = Op.op(d);
                int next = s + Op.length(d) / 2;
                if (!supported(op)) {
                    if (op != Op.ILLEGAL && op != Op.UNDECODED) {
                        addHead(isHead, work, next);
                    }
                    break;
                }
                if (Semantics.BRANCH[op] != null) {
                    addHead(isHead, work, next);
                    addHead(isHead, work, s + Op.imm(d) / 2);
                    break;
                }
                if (op == Op.JAL || op == Op.JALR) {
                    if (Op.rd(d) != 32) {
                        addHead(isHead, work, next);  // the return point of a call
                    }
                    if (op == Op.JAL) {
                        addHead(isHead, work, s + Op.imm(d) / 2);
                    }
                    break;
                }
                s = next;
                if (s < SLOTS && isHead[s]) {
                    break;
                }
            }
        }
        List<Block> blocks = new ArrayList<>();
        int estimate = 0;
        for (int head : order) {
            Block b = block(decoded, isHead, head);
            if (b.count() == 0 && head == entry) {
                return null;
            }
            int cost = cost(decoded, b);
            if (estimate + cost > CODE_BUDGET && !blocks.isEmpty()) {
                break;
            }
            estimate += cost;
            blocks.add(b);
        }
        return new RegionPlan(entry, decoded, List.copyOf(blocks));
    }

    private static void addHead(boolean[] isHead, ArrayDeque<Integer> work, int slot) {
        if (slot >= 0 && slot < SLOTS && !isHead[slot]) {
            isHead[slot] = true;
            work.add(slot);
        }
    }

    private static Block block(long[] decoded, boolean[] isHead, int head) {
        int[] slots = new int[16];
        int n = 0;
        int s = head;
        End end;
        while (true) {
            if (s >= SLOTS) {
                end = End.FALL;
                break;
            }
            if (s != head && isHead[s]) {
                end = End.FALL;
                break;
            }
            long d = decoded[s];
            int op = Op.op(d);
            if (!supported(op)) {
                end = End.STOP;
                break;
            }
            if (n == slots.length) {
                slots = Arrays.copyOf(slots, n * 2);
            }
            slots[n++] = s;
            int next = s + Op.length(d) / 2;
            if (Semantics.BRANCH[op] != null || op == Op.JAL || op == Op.JALR) {
                end = Semantics.BRANCH[op] != null ? End.BRANCH : op == Op.JAL ? End.JAL : End.JALR;
                s = next;
                break;
            }
            s = next;
        }
        return new Block(head, Arrays.copyOf(slots, n), end, s);
    }

    /** Rough bytecode size of a block as {@link RegionCompiler} emits it. */
    private static int cost(long[] decoded, Block b) {
        int c = 30;                       // budget check and its exit stub, a jump and its exit stub
        for (int s : b.slots()) {
            int op = Op.op(decoded[s]);
            c += Semantics.LOAD[op] != null || Semantics.STORE[op] != null ? 95 : op == Op.JALR ? 45
                    : Semantics.BRANCH[op] != null ? 24 : 12;
        }
        return c;
    }

    /**
     * The decoded instruction at {@code slot}, from the cache when there, else decoded from the
     * page's bytes (and cached, as the interpreter would). A 4-byte instruction in the last slot
     * straddles the page and is left to the interpreter ({@link Op#UNDECODED}).
     */
    private static long decode(byte[] page, long[] code, long[] decoded, int slot) {
        long d = decoded[slot];
        if (d != 0) {
            return d;
        }
        int low = (short) Hart.I16.get(page, slot * 2) & 0xFFFF;
        if (!Decoder.isLong(low)) {
            d = Decoder.decode16(low);
        } else if (slot == SLOTS - 1) {
            return Op.UNDECODED;
        } else {
            d = Decoder.decode32((int) Hart.I32.get(page, slot * 2));
        }
        decoded[slot] = d;
        if (code[slot] == Op.UNDECODED) {
            code[slot] = d;
        }
        return d;
    }
}
