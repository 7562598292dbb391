package dev.vmtree.core.cpu;

import static dev.vmtree.core.Asm.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.Asm;
import dev.vmtree.core.Machine;
import dev.vmtree.core.StopReason;
import dev.vmtree.core.TestMachines;
import java.util.function.Consumer;
import java.util.function.LongBinaryOperator;
import org.junit.jupiter.api.Test;

class InstructionTest {
    private static final long[] VALUES = {0, 1, -1, 7, -8, 0x7FFF_FFFFL, 0x8000_0000L, Long.MIN_VALUE, Long.MAX_VALUE,
        0x1234_5678_9ABC_DEF0L, -0x1234_5678L, 63, 64, 33};

    private static Machine runProgram(Consumer<Asm> p) {
        Machine m = TestMachines.bare(p);
        assertThat(TestMachines.run(m).reason()).isEqualTo(StopReason.SHUTDOWN);
        return m;
    }

    /** Runs rd = op(rs1, rs2) over every pair of VALUES and compares with the Java model. */
    private static void checkRegReg(String name, java.util.function.IntConsumer unused, RegOp emit, LongBinaryOperator model) {
        for (long a : VALUES) {
            for (long b : VALUES) {
                Machine m = runProgram(asm -> {
                    asm.li(A0, a).li(A1, b);
                    emit.emit(asm);
                });
                assertThat(m.hart(0).reg(A2)).as("%s(%x, %x)", name, a, b).isEqualTo(model.applyAsLong(a, b));
            }
        }
    }

    interface RegOp {
        void emit(Asm a);
    }

    private static void rr(String name, int f7, int f3, LongBinaryOperator model) {
        checkRegReg(name, null, a -> a.op(f7, f3, A2, A0, A1), model);
    }

    private static void rr32(String name, int f7, int f3, LongBinaryOperator model) {
        checkRegReg(name, null, a -> a.op32(f7, f3, A2, A0, A1), model);
    }

    @Test
    void registerRegisterAluMatchesTheSpec() {
        rr("add", 0, 0, Long::sum);
        rr("sub", 0x20, 0, (a, b) -> a - b);
        rr("sll", 0, 1, (a, b) -> a << b);
        rr("slt", 0, 2, (a, b) -> a < b ? 1 : 0);
        rr("sltu", 0, 3, (a, b) -> Long.compareUnsigned(a, b) < 0 ? 1 : 0);
        rr("xor", 0, 4, (a, b) -> a ^ b);
        rr("srl", 0, 5, (a, b) -> a >>> b);
        rr("sra", 0x20, 5, (a, b) -> a >> b);
        rr("or", 0, 6, (a, b) -> a | b);
        rr("and", 0, 7, (a, b) -> a & b);
    }

    @Test
    void wordFormsSignExtendTheirLow32Bits() {
        rr32("addw", 0, 0, (a, b) -> (int) (a + b));
        rr32("subw", 0x20, 0, (a, b) -> (int) (a - b));
        rr32("sllw", 0, 1, (a, b) -> (int) a << (b & 31));
        rr32("srlw", 0, 5, (a, b) -> (int) a >>> (b & 31));
        rr32("sraw", 0x20, 5, (a, b) -> (int) a >> (b & 31));
        for (long a : VALUES) {
            Machine m = runProgram(asm -> asm.li(A0, a).addiw(A2, A0, -5).slliw(A3, A0, 31).srliw(A4, A0, 1)
                    .sraiw(A5, A0, 7).srai(A6, A0, 63).srli(A7, A0, 60).slli(S2, A0, 40));
            Hart h = m.hart(0);
            assertThat(h.reg(A2)).isEqualTo((long) (int) (a - 5));
            assertThat(h.reg(A3)).isEqualTo((long) ((int) a << 31));
            assertThat(h.reg(A4)).isEqualTo((long) ((int) a >>> 1));
            assertThat(h.reg(A5)).isEqualTo((long) ((int) a >> 7));
            assertThat(h.reg(A6)).isEqualTo(a >> 63);
            assertThat(h.reg(A7)).isEqualTo(a >>> 60);
            assertThat(h.reg(S2)).isEqualTo(a << 40);
        }
    }

    @Test
    void multiplyAndDivideIncludingDivisionByZeroAndOverflow() {
        checkRegReg("mul", null, a -> a.mulop(0, A2, A0, A1), (a, b) -> a * b);
        checkRegReg("mulh", null, a -> a.mulop(1, A2, A0, A1), Math::multiplyHigh);
        checkRegReg("mulhsu", null, a -> a.mulop(2, A2, A0, A1),
                (a, b) -> new java.math.BigInteger(Long.toString(a)).multiply(new java.math.BigInteger(Long.toUnsignedString(b)))
                        .shiftRight(64).longValue());
        checkRegReg("mulhu", null, a -> a.mulop(3, A2, A0, A1), Math::unsignedMultiplyHigh);
        checkRegReg("div", null, a -> a.mulop(4, A2, A0, A1),
                (a, b) -> b == 0 ? -1 : a == Long.MIN_VALUE && b == -1 ? a : a / b);
        checkRegReg("divu", null, a -> a.mulop(5, A2, A0, A1), (a, b) -> b == 0 ? -1 : Long.divideUnsigned(a, b));
        checkRegReg("rem", null, a -> a.mulop(6, A2, A0, A1),
                (a, b) -> b == 0 ? a : a == Long.MIN_VALUE && b == -1 ? 0 : a % b);
        checkRegReg("remu", null, a -> a.mulop(7, A2, A0, A1), (a, b) -> b == 0 ? a : Long.remainderUnsigned(a, b));
        checkRegReg("mulw", null, a -> a.mulop32(0, A2, A0, A1), (a, b) -> (int) a * (int) b);
        checkRegReg("divw", null, a -> a.mulop32(4, A2, A0, A1),
                (a, b) -> (int) b == 0 ? -1 : (int) a == Integer.MIN_VALUE && (int) b == -1 ? (int) a : (int) a / (int) b);
        checkRegReg("divuw", null, a -> a.mulop32(5, A2, A0, A1),
                (a, b) -> (int) b == 0 ? -1 : Integer.divideUnsigned((int) a, (int) b));
        checkRegReg("remw", null, a -> a.mulop32(6, A2, A0, A1),
                (a, b) -> (int) b == 0 ? (int) a : (int) a == Integer.MIN_VALUE && (int) b == -1 ? 0 : (int) a % (int) b);
        checkRegReg("remuw", null, a -> a.mulop32(7, A2, A0, A1),
                (a, b) -> (int) b == 0 ? (int) a : Integer.remainderUnsigned((int) a, (int) b));
    }

    @Test
    void loadsSignOrZeroExtendAndMisalignedAccessesWork() {
        long data = TestMachines.DATA;
        Machine m = runProgram(a -> a.li(A0, data).li(A1, 0x8877_6655_4433_2211L).sd(A1, A0, 0)
                .load(0, S1, A0, 7).load(4, T0, A0, 7).load(1, T1, A0, 6).load(5, T2, A0, 6).load(2, T3, A0, 4)
                .load(6, T4, A0, 4).ld(A2, A0, 3) // misaligned: emulated
                .sd(A1, A0, 0xFFD) // misaligned across a page boundary
                .ld(A3, A0, 0xFFD).addi(ZERO, ZERO, 0));
        Hart h = m.hart(0);
        assertThat(h.reg(S1)).isEqualTo((byte) 0x88);
        assertThat(h.reg(T0)).isEqualTo(0x88);
        assertThat(h.reg(T1)).isEqualTo((short) 0x8877);
        assertThat(h.reg(T2)).isEqualTo(0x8877);
        assertThat(h.reg(T3)).isEqualTo((int) 0x88776655);
        assertThat(h.reg(T4)).isEqualTo(0x88776655L);
        assertThat(h.reg(A2)).isEqualTo(0x8877_6655_44L);
        assertThat(h.reg(A3)).isEqualTo(0x8877_6655_4433_2211L);
        assertThat(h.reg(ZERO)).isZero();
    }

    @Test
    void amosReturnTheOldValueAndStoreTheResult() {
        long data = TestMachines.DATA;
        int[][] cases = {{0x00}, {0x01}, {0x04}, {0x08}, {0x0C}, {0x10}, {0x14}, {0x18}, {0x1C}};
        long mem0 = 0x8000_0000_0000_0005L, src = 0x7;
        for (int[] c : cases) {
            for (int width : new int[] {2, 3}) {
                Machine m = runProgram(a -> a.li(A0, data).li(A1, mem0).sd(A1, A0, 0).li(A2, src)
                        .amo(c[0], width, A3, A0, A2).ld(A4, A0, 0));
                Hart h = m.hart(0);
                long old = width == 2 ? (long) (int) mem0 : mem0;
                long s = width == 2 ? (long) (int) src : src;
                long r = switch (c[0]) {
                    case 0x00 -> old + s;
                    case 0x01 -> s;
                    case 0x04 -> old ^ s;
                    case 0x08 -> old | s;
                    case 0x0C -> old & s;
                    case 0x10 -> Math.min(old, s);
                    case 0x14 -> Math.max(old, s);
                    case 0x18 -> Long.compareUnsigned(old, s) < 0 ? old : s;
                    default -> Long.compareUnsigned(old, s) > 0 ? old : s;
                };
                assertThat(h.reg(A3)).as("amo %x width %d old", c[0], width).isEqualTo(old);
                long expectMem = width == 2 ? (mem0 & 0xFFFF_FFFF_0000_0000L) | (r & 0xFFFF_FFFFL) : r;
                assertThat(h.reg(A4)).as("amo %x width %d memory", c[0], width).isEqualTo(expectMem);
            }
        }
    }

    @Test
    void scSucceedsOnlyAfterAMatchingLrAndFailsOtherwise() {
        long data = TestMachines.DATA;
        Machine m = runProgram(a -> a.li(A0, data).li(A1, 42)
                .amo(0x03, 3, T0, A0, A1) // sc without lr: fails (1)
                .amo(0x02, 3, T1, A0, ZERO) // lr
                .amo(0x03, 3, T2, A0, A1) // sc: succeeds (0)
                .amo(0x03, 3, T3, A0, A1) // sc again: reservation gone, fails
                .addi(A2, A0, 8).amo(0x02, 3, T4, A0, ZERO).amo(0x03, 3, S1, A2, A1) // sc to another address fails
                .ld(A3, A0, 0).ld(A4, A2, 0));
        Hart h = m.hart(0);
        assertThat(h.reg(T0)).isEqualTo(1);
        assertThat(h.reg(T2)).isEqualTo(0);
        assertThat(h.reg(T3)).isEqualTo(1);
        assertThat(h.reg(S1)).isEqualTo(1);
        assertThat(h.reg(A3)).isEqualTo(42);
        assertThat(h.reg(A4)).isEqualTo(0);
    }

    @Test
    void misalignedAmoRaisesStoreMisalignedWithTheAddress() {
        long data = TestMachines.DATA + 4;
        Asm a = new Asm();
        a.li(T0, TestMachines.CODE + 0x800).csrw(0x305, T0).li(A0, data).amo(0x00, 3, A1, A0, A0);
        TestMachines.exitCode(a, 3);
        while (a.pos() < 0x800) a.word(0x13);
        a.csrr(S1, 0x342).csrr(S2, 0x343);
        TestMachines.pass(a);
        Machine m = TestMachines.bare(a, dev.vmtree.core.Console.NONE);
        assertThat(TestMachines.run(m).reason()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(m.hart(0).reg(S1)).isEqualTo(Trap.STORE_MISALIGNED);
        assertThat(m.hart(0).reg(S2)).isEqualTo(data);
    }

    @Test
    void jumpsLinkAndBranchesCompareSignedAndUnsigned() {
        Machine m = runProgram(a -> a.li(A0, -1).li(A1, 1).li(S1, 0)
                .blt(A0, A1, "l1").addi(S1, S1, 1).label("l1") // taken: -1 < 1
                .branch(6, A0, A1, "l2").addi(S1, S1, 2).label("l2") // bltu: not taken
                .branch(7, A0, A1, "l3").addi(S1, S1, 4).label("l3") // bgeu: taken
                .jal(RA, "f").addi(S1, S1, 8).j("end")
                .label("f").auipc(T1, 0).jalr(ZERO, RA, 0)
                .label("end"));
        assertThat(m.hart(0).reg(S1)).isEqualTo(2 + 8);
    }
}
