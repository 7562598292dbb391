package dev.vmtree.core;

import dev.vmtree.core.cpu.Hart;
import dev.vmtree.core.mem.Bus;
import java.io.ByteArrayOutputStream;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.function.Consumer;

/** Builds small machines around assembled test programs. */
public final class TestMachines {
    private TestMachines() {}

    public static final long CODE = Bus.RAM_BASE;
    public static final long DATA = Bus.RAM_BASE + 0x8_0000;
    public static final long TOHOST = Bus.RAM_BASE + 0xF_0000;

    /** A console that records output and serves queued input. */
    public static final class Recorder implements Console {
        public final ByteArrayOutputStream out = new ByteArrayOutputStream();
        public final Queue<Integer> in = new ArrayDeque<>();

        @Override
        public void write(int b) {
            out.write(b);
        }

        @Override
        public int read() {
            Integer b = in.poll();
            return b == null ? -1 : b;
        }

        public String text() {
            return out.toString(java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** Emits "tohost = 1" (pass) and a self-loop. */
    public static Asm pass(Asm a) {
        return exitCode(a, 1);
    }

    public static Asm exitCode(Asm a, long tohost) {
        a.li(Asm.T6, TOHOST).li(Asm.T5, tohost).sd(Asm.T5, Asm.T6, 0);
        String l = "halt" + a.pos();
        return a.label(l).j(l);
    }

    /** A 1 MiB machine-mode machine running {@code a} from RAM_BASE with HTIF at {@link #TOHOST}. */
    public static Machine bare(Asm a, Console console) {
        Machine m = new Machine(new MachineConfig(1 << 20, 1, true, ""), console);
        byte[] code = a.bytes();
        m.memory().writeRam(CODE, code, 0, code.length);
        m.enableHtif(TOHOST);
        Hart h = m.hart(0);
        h.setPrivilege(Hart.PRIV_M);
        h.setPc(CODE);
        return m;
    }

    public static Machine bare(Consumer<Asm> program) {
        Asm a = new Asm();
        program.accept(a);
        pass(a);
        return bare(a, Console.NONE);
    }

    /** Runs to completion (at most 10 million instructions). */
    public static RunResult run(Machine m) {
        return m.run(10_000_000);
    }

    /** A hypervisor-mode machine (SBI) running {@code a} in S-mode from 0x80200000. */
    public static Machine supervisor(Asm a, int harts, Console console) {
        Machine m = new Machine(new MachineConfig(4 << 20, harts, false, ""), console);
        byte[] code = a.bytes();
        long at = Bus.RAM_BASE + 0x20_0000;
        m.memory().writeRam(at, code, 0, code.length);
        m.hart(0).startSupervisor(at, 0, 0);
        return m;
    }
}
