package dev.vmtree.core.cpu;

import static dev.vmtree.core.Asm.*;
import static dev.vmtree.core.cpu.TrapTest.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.Asm;
import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.StopReason;
import dev.vmtree.core.TestMachines;
import dev.vmtree.core.mem.Bus;
import org.junit.jupiter.api.Test;

/**
 * Sv39 translation from S-mode: faults, A/D updates, superpages, SUM/MXR, sfence.vma. Page tables
 * are written from Java; the S code runs identity-mapped through a gigapage at 0x80000000, and the
 * M handler of {@link TrapTest} logs every fault and skips the instruction.
 */
class MmuTest {
    static final long ROOT = TestMachines.DATA + 0x1_0000, L1 = ROOT + 0x1000, L0 = ROOT + 0x2000;
    static final long PAGES = TestMachines.DATA + 0x2_0000; // physical pages the tests map
    static final long V = 1, R = 2, W = 4, X = 8, U = 16, A = 64, D = 128;
    static final long VA = 0x4000_0000L;

    static long pte(long pa, long flags) {
        return (pa >>> 12) << 10 | flags;
    }

    static void put(Machine m, long at, long value) {
        byte[] b = new byte[8];
        for (int i = 0; i < 8; i++) b[i] = (byte) (value >>> (8 * i));
        m.memory().writeRam(at, b, 0, 8);
    }

    static long get(Machine m, long at) {
        return m.bus().ram().load(at - Bus.RAM_BASE, 8);
    }

    /** Builds the machine: root[2] = RAM gigapage, root[1] -> L1, L1[0] -> L0. */
    static Machine machine(Asm a) {
        Machine m = TestMachines.bare(a, Console.NONE);
        put(m, ROOT + 2 * 8, pte(Bus.RAM_BASE, V | R | W | X | A | D));
        put(m, ROOT + 1 * 8, pte(L1, V));
        put(m, L1, pte(L0, V));
        return m;
    }

    /** Program: satp = Sv39(ROOT), extra mstatus bits, drop to S, then the body. */
    static Asm program(long mstatusBits) {
        Asm a = TrapTest.program();
        a.li(T0, (8L << 60) | (ROOT >>> 12)).csrw(SATP, T0);
        if (mstatusBits != 0) a.li(T0, mstatusBits).csrrs(ZERO, MSTATUS, T0);
        return enterS(a, 1);
    }

    @Test
    void readsSetAccessedAndWritesSetDirty() {
        Asm a = program(0);
        a.li(A0, VA).ld(A1, A0, 0).li(A0, VA + 0x1000).li(A1, 5).sd(A1, A0, 0).ecall();
        Machine m = machine(a);
        put(m, L0, pte(PAGES, V | R | W));
        put(m, L0 + 8, pte(PAGES + 0x1000, V | R | W));
        assertThat(TestMachines.run(m).reason()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(logCount(m)).isZero();
        assertThat(get(m, L0)).isEqualTo(pte(PAGES, V | R | W | A));
        assertThat(get(m, L0 + 8)).isEqualTo(pte(PAGES + 0x1000, V | R | W | A | D));
        assertThat(get(m, PAGES + 0x1000)).isEqualTo(5);
    }

    @Test
    void faultsCarryTheCauseAndTheVirtualAddress() {
        Asm a = program(0);
        a.li(A0, VA + 0x2000).ld(A1, A0, 8) // invalid PTE: load page fault
                .li(A0, VA + 0x3000).sd(A1, A0, 0) // read-only: store page fault
                .li(A0, VA + 0x4000).ld(A1, A0, 0) // user page from S without SUM
                .li(A0, VA + 0x5000).ld(A1, A0, 0) // execute-only without MXR
                .li(A0, VA + 0x3000).jalr(RA, A0, 0) // fetch from a non-executable page
                .li(A0, 0x0000_0040_0000_0000L).ld(A1, A0, 0) // not canonical for Sv39
                .li(A0, VA + 0x40_0000).ld(A1, A0, 0) // misaligned megapage
                .li(A0, VA + 0x6000).ld(A1, A0, 0) // W without R: reserved
                .ecall();
        Machine m = machine(a);
        put(m, L0 + 3 * 8, pte(PAGES, V | R | A));
        put(m, L0 + 4 * 8, pte(PAGES, V | R | W | U | A | D));
        put(m, L0 + 5 * 8, pte(PAGES, V | X | A));
        put(m, L0 + 6 * 8, pte(PAGES, V | W | A | D));
        put(m, L1 + 2 * 8, pte(Bus.RAM_BASE + 0x1000, V | R | W | A | D)); // megapage, PPN not 2 MiB aligned
        assertThat(TestMachines.run(m).reason()).isEqualTo(StopReason.SHUTDOWN);
        long[][] expected = {
            {Trap.LOAD_PAGE_FAULT, VA + 0x2008}, {Trap.STORE_PAGE_FAULT, VA + 0x3000},
            {Trap.LOAD_PAGE_FAULT, VA + 0x4000}, {Trap.LOAD_PAGE_FAULT, VA + 0x5000},
            {Trap.FETCH_PAGE_FAULT, VA + 0x3000}, {Trap.LOAD_PAGE_FAULT, 0x0000_0040_0000_0000L},
            {Trap.LOAD_PAGE_FAULT, VA + 0x40_0000}, {Trap.LOAD_PAGE_FAULT, VA + 0x6000},
        };
        assertThat(logCount(m)).isEqualTo(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(log(m, i, 0)).as("cause %d", i).isEqualTo(expected[i][0]);
            assertThat(log(m, i, 1)).as("tval %d", i).isEqualTo(expected[i][1]);
        }
    }

    @Test
    void sumAndMxrOpenUserAndExecuteOnlyPagesToLoads() {
        Asm a = program((1L << 18) | (1L << 19));
        a.li(A0, VA + 0x4000).ld(S1, A0, 0).li(A0, VA + 0x5000).ld(S2, A0, 0).ecall();
        Machine m = machine(a);
        put(m, PAGES, 77);
        put(m, L0 + 4 * 8, pte(PAGES, V | R | W | U | A | D));
        put(m, L0 + 5 * 8, pte(PAGES, V | X | A));
        assertThat(TestMachines.run(m).reason()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(logCount(m)).isZero();
        assertThat(m.hart(0).reg(S1)).isEqualTo(77);
        assertThat(m.hart(0).reg(S2)).isEqualTo(77);
    }

    @Test
    void megapagesTranslateWholeTwoMegabyteRanges() {
        Asm a = program(0);
        a.li(A0, VA + 0x20_0000 + 0xE_F008).ld(S1, A0, 0).ecall();
        Machine m = machine(a);
        put(m, L1 + 8, pte(Bus.RAM_BASE, V | R | A)); // maps RAM_BASE..+2 MiB
        put(m, Bus.RAM_BASE + 0xE_F008, 0x1234);
        assertThat(TestMachines.run(m).reason()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(logCount(m)).isZero();
        assertThat(m.hart(0).reg(S1)).isEqualTo(0x1234);
    }

    @Test
    void sfenceVmaMakesAChangedMappingVisible() {
        Asm a = program(0);
        long l0entry = L0;
        a.li(A0, VA).ld(S1, A0, 0) // through PAGES
                .li(T0, l0entry).li(T1, pte(PAGES + 0x1000, V | R | W | A | D)).sd(T1, T0, 0) // remap via the gigapage
                .sfenceVma(ZERO, ZERO).ld(S2, A0, 0).ecall();
        Machine m = machine(a);
        put(m, L0, pte(PAGES, V | R | W | A | D));
        put(m, PAGES, 1);
        put(m, PAGES + 0x1000, 2);
        assertThat(TestMachines.run(m).reason()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(m.hart(0).reg(S1)).isEqualTo(1);
        assertThat(m.hart(0).reg(S2)).isEqualTo(2);
    }

    @Test
    void sv48TranslatesWithFourLevels() {
        Asm a = TrapTest.program();
        long root4 = ROOT + 0x3000;
        a.li(T0, (9L << 60) | (root4 >>> 12)).csrw(SATP, T0);
        enterS(a, 1);
        a.li(A0, VA).ld(S1, A0, 0).ecall();
        Machine m = machine(a);
        put(m, root4, pte(ROOT, V)); // level 3 entry 0 -> the Sv39 root used as level 2
        put(m, L0, pte(PAGES, V | R | A));
        put(m, PAGES, 99);
        assertThat(TestMachines.run(m).reason()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(m.hart(0).reg(S1)).isEqualTo(99);
    }
}
