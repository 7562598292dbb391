package dev.vmtree.core;

import static dev.vmtree.core.Asm.*;
import static org.assertj.core.api.Assertions.assertThat;

import dev.vmtree.core.devices.Platform;
import dev.vmtree.core.mem.Bus;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The platform devices as the Machine wires them: UART → Console, PLIC → SEIP, syscon → stop reason, input at check points. */
class PlatformWiringTest {
    static final long PLIC_S_CONTEXT = Platform.PLIC + 0x200000 + 0x1000; // hart 0, S mode: threshold; +4 claim
    static final String INPUT = "hello, uart";

    @Test
    void aGuestUartWriteReachesTheConsole() {
        Asm a = new Asm().li(T0, Platform.UART);
        for (char c : "hi\n".toCharArray()) {
            a.li(T1, c).sb(T1, T0, 0);
        }
        TestMachines.Recorder console = new TestMachines.Recorder();
        Machine m = TestMachines.bare(TestMachines.pass(a), console);
        assertThat(TestMachines.run(m).reason()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(console.text()).isEqualTo("hi\n");
    }

    @Test
    void sysconEndsTheRunWithTheStopReasonsOfSbiReset() {
        assertThat(syscon(0x5555).reason()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(syscon(0x7777).reason()).isEqualTo(StopReason.REBOOT);
        RunResult fail = syscon(0x3333 | (7 << 16));
        assertThat(fail.reason()).isEqualTo(StopReason.GUEST_FAILURE);
        assertThat(fail.detail()).isEqualTo(7);
    }

    private static RunResult syscon(long value) {
        Asm a = new Asm().li(T0, Platform.SYSCON).li(T1, value).sw(T1, T0, 0).label("spin").j("spin");
        return TestMachines.run(TestMachines.supervisor(a, 1, Console.NONE));
    }

    /**
     * S-mode driver: routes UART source 10 to its PLIC context, enables the UART receive interrupt
     * and SEIE, waits in WFI; the handler claims, drains the FIFO to DATA, completes, and powers off
     * through syscon once the whole input arrived. S2 counts interrupts, A2 holds the last scause.
     */
    static Asm uartDriver(int expected) {
        Asm a = new Asm();
        a.li(T0, Bus.RAM_BASE + 0x20_0000 + 0x400).csrw(0x105, T0) // stvec
                .li(T0, Platform.PLIC + 4 * Platform.UART_IRQ).li(T1, 1).sw(T1, T0, 0) // priority 1
                .li(T0, Platform.PLIC + 0x2000 + 0x80).li(T1, 1 << Platform.UART_IRQ).sw(T1, T0, 0) // enable, context 1
                .li(T0, PLIC_S_CONTEXT).sw(ZERO, T0, 0) // threshold 0
                .li(T0, Platform.UART).li(T1, 1).sb(T1, T0, 1) // IER: received data available
                .li(A1, TestMachines.DATA).li(A3, TestMachines.DATA + expected)
                .li(T0, 1 << 9).csrrs(ZERO, 0x104, T0) // sie.SEIE
                .li(T0, 1 << 1).csrrs(ZERO, 0x100, T0) // sstatus.SIE
                .label("idle").wfi().j("idle");
        a.org(0x400)
                .addi(S2, S2, 1).csrr(A2, 0x142)
                .li(T0, PLIC_S_CONTEXT).lw(T2, T0, 4) // claim
                .li(T1, Platform.UART)
                .label("drain").lbu(T4, T1, 5).andi(T4, T4, 1).beq(T4, ZERO, "drained")
                .lbu(T3, T1, 0).sb(T3, A1, 0).addi(A1, A1, 1).j("drain")
                .label("drained").sw(T2, T0, 4) // complete
                .blt(A1, A3, "back")
                .li(T0, Platform.SYSCON).li(T1, 0x5555).sw(T1, T0, 0)
                .label("back").sret();
        return a;
    }

    static Machine uartMachine(TestMachines.Recorder console) {
        for (byte b : INPUT.getBytes(StandardCharsets.US_ASCII)) {
            console.in.add(b & 0xFF);
        }
        return TestMachines.supervisor(uartDriver(INPUT.length()), 1, console);
    }

    static String received(Machine m) {
        byte[] b = new byte[INPUT.length()];
        m.memory().readRam(TestMachines.DATA, b, 0, b.length);
        return new String(b, StandardCharsets.US_ASCII);
    }

    @Test
    void uartInputReachesTheSupervisorThroughThePlic() {
        TestMachines.Recorder console = new TestMachines.Recorder();
        Machine m = uartMachine(console);
        RunResult r = TestMachines.run(m);
        assertThat(r.reason()).isEqualTo(StopReason.SHUTDOWN);
        assertThat(received(m)).isEqualTo(INPUT);
        assertThat(m.hart(0).reg(A2)).as("scause").isEqualTo(0x8000_0000_0000_0009L);
        // 11 bytes through a 16-byte FIFO: more than one interrupt only if the FIFO were smaller
        assertThat(m.hart(0).reg(S2)).isPositive();
        assertThat(console.in).isEmpty();
    }

    @Test
    void inputArrivesAtTheSameInstructionCountHoweverTheRunIsSplit() {
        Machine whole = uartMachine(new TestMachines.Recorder());
        RunResult one = TestMachines.run(whole);
        assertThat(one.reason()).isEqualTo(StopReason.SHUTDOWN);

        Random random = new Random(7);
        for (int trial = 0; trial < 5; trial++) {
            Machine split = uartMachine(new TestMachines.Recorder());
            RunResult last;
            long total = 0;
            do {
                last = split.run(1 + random.nextInt(3 * Machine.CHECK_INTERVAL));
                total += last.executed();
            } while (last.reason() == StopReason.BUDGET_EXHAUSTED);
            assertThat(last.reason()).isEqualTo(StopReason.SHUTDOWN);
            assertThat(total).isEqualTo(one.executed());
            assertThat(MachineTest.state(split)).isEqualTo(MachineTest.state(whole));
            assertThat(received(split)).isEqualTo(INPUT);
        }
    }

    @Test
    void sbiGetcharReadsTheConsoleUntilTheUartDriverListens() {
        // no UART driver: legacy getchar (EID 2) sees the console bytes in order
        Asm a = new Asm().li(A1, TestMachines.DATA);
        for (int i = 0; i < 3; i++) {
            a.li(A7, 2).ecall().sb(A0, A1, i);
        }
        a.li(T0, Platform.SYSCON).li(T1, 0x5555).sw(T1, T0, 0).label("spin").j("spin");
        TestMachines.Recorder console = new TestMachines.Recorder();
        console.in.add((int) 'a');
        console.in.add((int) 'b');
        console.in.add((int) 'c');
        Machine m = TestMachines.supervisor(a, 1, console);
        assertThat(TestMachines.run(m).reason()).isEqualTo(StopReason.SHUTDOWN);
        byte[] got = new byte[3];
        m.memory().readRam(TestMachines.DATA, got, 0, 3);
        assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo("abc");
    }
}
