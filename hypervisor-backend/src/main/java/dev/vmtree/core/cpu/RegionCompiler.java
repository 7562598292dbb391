package dev.vmtree.core.cpu;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_boolean;
import static java.lang.constant.ConstantDescs.CD_byte;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;

import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a {@link RegionPlan} into JVM bytecode, one hidden class per region implementing
 * {@link Translated}, loaded without {@code STRONG} so it is unloaded once its region is dropped.
 *
 * <p>The method keeps the guest registers the region uses in locals, loaded on entry and stored
 * back on every exit. Each block head subtracts the block's instruction count from the budget and
 * exits first if the budget cannot cover the whole block (QEMU icount's rule); the interpreter then
 * steps up to the check point. Instructions are the calls into {@link Semantics} the interpreter
 * makes; loads and stores probe the software TLB inline and call {@link Mmu#loadSlow} /
 * {@link Mmu#storeSlow} on a miss, which return a status: on a trap (or a store that asks for a
 * fresh fetch) the region returns with the count of the instructions that ran, the trapping one
 * included, exactly as the interpreter counts. Jumps to heads of the region go straight there; JALR
 * continues at the entry when it targets it; anything else exits with
 * the pc. The method has one entry, the plan's: see {@link RegionPlan#heads}.
 */
final class RegionCompiler {
    private RegionCompiler() {}

    /** HotSpot does not compile methods longer than this (HugeMethodLimit). */
    static final int HUGE_METHOD_LIMIT = 8000;

    private static final ClassDesc CD_HART = ClassDesc.of("dev.vmtree.core.cpu.Hart");
    private static final ClassDesc CD_TLB = ClassDesc.of("dev.vmtree.core.cpu.Tlb");
    private static final ClassDesc CD_MMU = ClassDesc.of("dev.vmtree.core.cpu.Mmu");
    private static final ClassDesc CD_SEMANTICS = ClassDesc.of("dev.vmtree.core.cpu.Semantics");
    private static final ClassDesc CD_TRANSLATED = ClassDesc.of("dev.vmtree.core.cpu.Translated");
    private static final ClassDesc CD_LONGS = CD_long.arrayType();
    private static final ClassDesc CD_BYTES = CD_byte.arrayType();
    private static final MethodTypeDesc MT_RUN =
            MethodTypeDesc.of(CD_int, CD_HART, CD_long, CD_int, CD_int, CD_int);
    private static final MethodTypeDesc MT_ALU = MethodTypeDesc.of(CD_long, CD_long, CD_long);
    private static final MethodTypeDesc MT_BRANCH = MethodTypeDesc.of(CD_boolean, CD_long, CD_long);
    private static final MethodTypeDesc MT_PROBE = MethodTypeDesc.of(CD_BYTES, CD_TLB, CD_long, CD_int);
    private static final MethodTypeDesc MT_LOAD = MethodTypeDesc.of(CD_long, CD_BYTES, CD_int);
    private static final MethodTypeDesc MT_STORE = MethodTypeDesc.of(CD_void, CD_BYTES, CD_int, CD_long);
    private static final MethodTypeDesc MT_LOAD_SLOW =
            MethodTypeDesc.of(CD_boolean, CD_HART, CD_long, CD_long, CD_long, CD_int);
    private static final MethodTypeDesc MT_STORE_SLOW =
            MethodTypeDesc.of(CD_boolean, CD_HART, CD_int, CD_long, CD_long, CD_long, CD_long, CD_int);

    // locals of run(Hart h, long base, int slot, int left, int max)
    private static final int H = 1, BASE = 2, SLOT = 4, LEFT = 5, MAX = 6;
    private static final int X = 7, T = 8, VA = 9, PAGE = 11, EXIT_PC = 12, REG0 = 12;

    private static final MethodHandles.Lookup LOOKUP = MethodHandles.lookup();
    private static final ClassFile CLASS_FILE = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(
            ClassHierarchyResolver.defaultResolver().orElse(
                    ClassHierarchyResolver.ofClassLoading(RegionCompiler.class.getClassLoader()))));

    /** A compiled region: its code and its size, for the statistics. */
    record Compiled(Translated code, int bytecodeBytes) {}

    /** Regions compiled by this JVM, by content: another machine (or a restore) running the same code reuses them. */
    private static final int CACHE_MAX = 4096;
    private static final java.util.LinkedHashMap<Key, Compiled> CACHE = new java.util.LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Key, Compiled> eldest) {
            return size() > CACHE_MAX;
        }
    };

    /**
     * A plan's content: everything the generated code depends on (the blocks and their decoded
     * instructions), nothing it does not (the physical page, the machine).
     */
    record Key(long[] content, int hash) {
        static Key of(RegionPlan plan) {
            int n = 2;
            for (RegionPlan.Block b : plan.blocks()) {
                n += 4 + b.count();
            }
            long[] c = new long[n];
            int i = 0;
            c[i++] = plan.entry();
            c[i++] = plan.blocks().size();
            for (RegionPlan.Block b : plan.blocks()) {
                c[i++] = b.head();
                c[i++] = b.count();
                c[i++] = b.end().ordinal();
                c[i++] = b.next();
                for (int s : b.slots()) {
                    c[i++] = plan.decoded()[s];
                }
            }
            return new Key(c, java.util.Arrays.hashCode(c));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.hash == hash && java.util.Arrays.equals(k.content, content);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** The compiled code of an equal plan made before in this JVM, or null. */
    static Compiled cached(Key key) {
        synchronized (CACHE) {
            return CACHE.get(key);
        }
    }

    /** Compiles the plan whose key is {@code key} (or takes it from the cache) and remembers it. */
    static Compiled compileCached(Key key, RegionPlan plan) {
        synchronized (CACHE) {
            Compiled c = CACHE.get(key);
            if (c != null) {
                return c;
            }
        }
        Compiled c = compile(plan);
        synchronized (CACHE) {
            CACHE.put(key, c);
        }
        return c;
    }

    /** Compiles and loads a plan; blocks are dropped from the end until the method fits. */
    static Compiled compile(RegionPlan plan) {
        List<RegionPlan.Block> blocks = plan.blocks();
        while (true) {
            byte[] bytes = generate(plan, blocks);
            int length = codeLength(bytes);
            if (length < HUGE_METHOD_LIMIT || blocks.size() == 1) {
                if (length >= HUGE_METHOD_LIMIT) {
                    throw new IllegalStateException("one block compiles to " + length + " bytes");
                }
                return new Compiled(load(bytes), length);
            }
            blocks = blocks.subList(0, blocks.size() * 3 / 4);
        }
    }

    private static Translated load(byte[] bytes) {
        try {
            MethodHandles.Lookup hidden = LOOKUP.defineHiddenClass(bytes, true);
            return (Translated) hidden.findConstructor(hidden.lookupClass(), MethodType.methodType(void.class)).invoke();
        } catch (Throwable e) {
            throw new IllegalStateException("translated region failed to load: " + e, e);
        }
    }

    private static int codeLength(byte[] bytes) {
        return CLASS_FILE.parse(bytes).methods().stream()
                .filter(m -> m.methodName().equalsString("run"))
                .findFirst().orElseThrow()
                .findAttribute(java.lang.classfile.Attributes.code()).map(CodeAttribute::codeLength).orElseThrow();
    }

    static byte[] generate(RegionPlan plan, List<RegionPlan.Block> blocks) {
        ClassDesc self = ClassDesc.of("dev.vmtree.core.cpu.TranslatedRegion");
        return CLASS_FILE.build(self, cb -> {
            cb.withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SYNTHETIC);
            cb.withInterfaceSymbols(CD_TRANSLATED);
            cb.withMethodBody("<init>", MethodTypeDesc.of(CD_void), ClassFile.ACC_PUBLIC,
                    b -> b.aload(0).invokespecial(CD_Object, "<init>", MethodTypeDesc.of(CD_void)).return_());
            cb.withMethodBody("run", MT_RUN, ClassFile.ACC_PUBLIC | ClassFile.ACC_FINAL,
                    b -> new Emitter(plan, blocks, b).emit());
        });
    }

    /** Emits the body of one region's method. */
    private static final class Emitter {
        final RegionPlan plan;
        final long[] dec;
        final List<RegionPlan.Block> blocks;
        final CodeBuilder b;
        final Map<Integer, Label> heads = new HashMap<>();
        /** Exit stubs by pc offset from the page base. */
        final Map<Long, Label> exits = new HashMap<>();
        final boolean[] used = new boolean[33];
        final boolean[] written = new boolean[33];
        Label exit, trapExit, dispatch, dispatchMiss;

        Emitter(RegionPlan plan, List<RegionPlan.Block> blocks, CodeBuilder b) {
            this.plan = plan;
            this.dec = plan.decoded();
            this.blocks = blocks;
            this.b = b;
        }

        static int reg(int r) {
            return REG0 + 2 * r;         // x1 -> 14, ..., x31 -> 74
        }

        void emit() {
            for (RegionPlan.Block blk : blocks) {
                heads.put(blk.head(), b.newLabel());
                for (int s : blk.slots()) {
                    long d = dec[s];
                    int op = Op.op(d);
                    boolean reads2 = (Semantics.ALU[op] != null && !Semantics.IMMEDIATE[op])
                            || Semantics.BRANCH[op] != null || Semantics.STORE[op] != null;
                    boolean reads1 = op != Op.LUI && op != Op.AUIPC && op != Op.JAL && op != Op.FENCE;
                    boolean writes = op != Op.FENCE && Semantics.BRANCH[op] == null && Semantics.STORE[op] == null;
                    if (reads1) {
                        used[Op.rs1(d)] = true;
                    }
                    if (reads2) {
                        used[Op.rs2(d)] = true;
                    }
                    if (writes && Op.rd(d) != 32) {
                        used[Op.rd(d)] = true;
                        written[Op.rd(d)] = true;
                    }
                }
            }
            exit = b.newLabel();
            trapExit = b.newLabel();
            dispatch = b.newLabel();
            dispatchMiss = b.newLabel();
            // prologue: the register file and the TLB into locals
            b.aload(H).getfield(CD_HART, "x", CD_LONGS).astore(X);
            b.aload(H).getfield(CD_HART, "tlb", CD_TLB).astore(T);
            for (int r = 1; r < 32; r++) {
                if (used[r]) {
                    b.aload(X).loadConstant(r).laload().lstore(reg(r));
                }
            }
            b.lconst_0().lstore(EXIT_PC);
            b.labelBinding(dispatch);
            b.iload(SLOT).loadConstant(plan.entry()).if_icmpne(dispatchMiss).goto_(heads.get(plan.entry()));
            for (int i = 0; i < blocks.size(); i++) {
                block(blocks.get(i), i + 1 < blocks.size() ? blocks.get(i + 1).head() : -1);
            }
            // a slot that is not a head: nothing ran
            b.labelBinding(dispatchMiss);
            b.lload(BASE).iload(SLOT).iconst_1().ishl().i2l().ladd().lstore(EXIT_PC).goto_(exit);
            for (Map.Entry<Long, Label> e : exits.entrySet()) {
                b.labelBinding(e.getValue());
                b.lload(BASE).loadConstant(e.getKey()).ladd().lstore(EXIT_PC).goto_(exit);
            }
            b.labelBinding(trapExit);
            b.aload(H).getfield(CD_HART, "pc", CD_long).lstore(EXIT_PC);
            b.labelBinding(exit);
            for (int r = 1; r < 32; r++) {
                if (written[r]) {
                    b.aload(X).loadConstant(r).lload(reg(r)).lastore();
                }
            }
            b.aload(H).lload(EXIT_PC).putfield(CD_HART, "pc", CD_long);
            b.iload(LEFT).ireturn();
        }

        /** The label that continues at {@code slot}: a head of this region, else an exit there. */
        Label target(int slot) {
            Label l = slot >= 0 && slot < RegionPlan.SLOTS ? heads.get(slot) : null;
            return l != null ? l : exitAt(2L * slot);
        }

        Label exitAt(long offset) {
            return exits.computeIfAbsent(offset, k -> b.newLabel());
        }

        void jump(int slot, int nextHead) {
            if (slot != nextHead || heads.get(slot) == null) {
                b.goto_(target(slot));
            }
        }

        void readReg(int r) {
            if (r == 0) {
                b.lconst_0();
            } else {
                b.lload(reg(r));
            }
        }

        void block(RegionPlan.Block blk, int nextHead) {
            b.labelBinding(heads.get(blk.head()));
            int n = blk.count();
            if (n == 0) {
                b.goto_(exitAt(2L * blk.head()));
                return;
            }
            b.iload(LEFT).loadConstant(n).if_icmplt(exitAt(2L * blk.head()));
            b.iinc(LEFT, -n);
            int[] slots = blk.slots();
            for (int k = 0; k < n; k++) {
                instruction(slots[k], dec[slots[k]], n - k - 1, k == n - 1 ? blk : null, nextHead);
            }
            switch (blk.end()) {
                case FALL -> jump(blk.next(), nextHead);
                case STOP -> b.goto_(exitAt(2L * blk.next()));
                default -> { } // the terminator instruction jumped
            }
        }

        /** Pushes the step count the slow paths expect: steps done in the slice including this one. */
        void stepsDone(int after) {
            b.iload(MAX).iload(LEFT).isub();
            if (after != 0) {
                b.loadConstant(after).isub();
            }
        }

        /** On a slow path that returned true: give back the block's untaken steps and leave with h.pc. */
        void trapped(int after) {
            Label go = b.newLabel();
            b.ifeq(go);
            if (after != 0) {
                b.iinc(LEFT, after);
            }
            b.goto_(trapExit);
            b.labelBinding(go);
        }

        void instruction(int s, long d, int after, RegionPlan.Block last, int nextHead) {
            int op = Op.op(d);
            int rd = Op.rd(d), rs1 = Op.rs1(d), rs2 = Op.rs2(d);
            long imm = d >> 32;
            long pc = 2L * s;                       // offset from base
            if (Semantics.ALU[op] != null) {
                if (rd == 32) {
                    return;                          // no effects beyond its result
                }
                readReg(rs1);
                if (Semantics.IMMEDIATE[op]) {
                    b.loadConstant(imm);
                } else {
                    readReg(rs2);
                }
                b.invokestatic(CD_SEMANTICS, Semantics.ALU[op], MT_ALU).lstore(reg(rd));
                return;
            }
            if (Semantics.LOAD[op] != null) {
                int size = Semantics.size(op);
                Label slow = b.newLabel(), done = b.newLabel();
                readReg(rs1);
                b.loadConstant(imm).ladd().lstore(VA);
                b.aload(T).lload(VA).loadConstant(size).invokestatic(CD_SEMANTICS, "readable", MT_PROBE).astore(PAGE);
                b.aload(PAGE).ifnull(slow);
                b.aload(PAGE).lload(VA).l2i().loadConstant(0xFFF).iand()
                        .invokestatic(CD_SEMANTICS, Semantics.LOAD[op], MT_LOAD);
                if (rd == 32) {
                    b.pop2();
                } else {
                    b.lstore(reg(rd));
                }
                b.goto_(done);
                b.labelBinding(slow);
                b.aload(H).loadConstant(d).lload(VA).lload(BASE).loadConstant(pc).ladd();
                stepsDone(after);
                b.invokestatic(CD_MMU, "loadSlow", MT_LOAD_SLOW);
                trapped(after);
                if (rd != 32) {
                    b.aload(X).loadConstant(rd).laload().lstore(reg(rd));
                }
                b.labelBinding(done);
                return;
            }
            if (Semantics.STORE[op] != null) {
                int size = Semantics.size(op);
                Label slow = b.newLabel(), done = b.newLabel();
                readReg(rs1);
                b.loadConstant(imm).ladd().lstore(VA);
                b.aload(T).lload(VA).loadConstant(size).invokestatic(CD_SEMANTICS, "writable", MT_PROBE).astore(PAGE);
                b.aload(PAGE).ifnull(slow);
                b.aload(PAGE).lload(VA).l2i().loadConstant(0xFFF).iand();
                readReg(rs2);
                b.invokestatic(CD_SEMANTICS, Semantics.STORE[op], MT_STORE);
                b.goto_(done);
                b.labelBinding(slow);
                b.aload(H).loadConstant(size).lload(VA);
                readReg(rs2);
                b.lload(BASE).loadConstant(pc).ladd().loadConstant(d);
                stepsDone(after);
                b.invokestatic(CD_MMU, "storeSlow", MT_STORE_SLOW);
                trapped(after);
                b.labelBinding(done);
                return;
            }
            int length = Op.length(d);
            switch (op) {
                case Op.FENCE -> { }
                case Op.LUI -> {
                    if (rd != 32) {
                        b.loadConstant(imm).lstore(reg(rd));
                    }
                }
                case Op.AUIPC -> {
                    if (rd != 32) {
                        b.lload(BASE).loadConstant(pc + imm).ladd().lstore(reg(rd));
                    }
                }
                case Op.JAL -> {
                    if (rd != 32) {
                        b.lload(BASE).loadConstant(pc + length).ladd().lstore(reg(rd));
                    }
                    long target = pc + imm;
                    if (target >= 0 && target < 4096) {
                        jump((int) (target >>> 1), nextHead);
                    } else {
                        b.goto_(exitAt(target));
                    }
                }
                case Op.JALR -> {
                    readReg(rs1);
                    b.loadConstant(imm).ladd().loadConstant(-2L).land().lstore(EXIT_PC);
                    if (rd != 32) {
                        b.lload(BASE).loadConstant(pc + length).ladd().lstore(reg(rd));
                    }
                    // stays on the page: continue at the head it names, if the region has it
                    b.lload(EXIT_PC).lload(BASE).lxor().loadConstant(12).lushr().lconst_0().lcmp().ifne(exit);
                    b.lload(EXIT_PC).l2i().loadConstant(0xFFF).iand().iconst_1().iushr().istore(SLOT);
                    b.goto_(dispatch);
                }
                default -> {
                    if (Semantics.BRANCH[op] == null) {
                        throw new IllegalStateException("operation " + op + " is not translated");
                    }
                    readReg(rs1);
                    readReg(rs2);
                    b.invokestatic(CD_SEMANTICS, Semantics.BRANCH[op], MT_BRANCH);
                    long target = pc + imm;
                    Label taken = target >= 0 && target < 4096 ? target((int) (target >>> 1)) : exitAt(target);
                    b.ifne(taken);
                    jump(s + length / 2, nextHead);
                }
            }
        }
    }
}
