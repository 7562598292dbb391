package dev.vmtree.core.cpu;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Registers of a saved hart by name, for tools that read and edit stopped machines (vmtree reg,
 * the gdb stub): {@code pc}, {@code x0}..{@code x31} or their ABI names ({@code ra}, {@code sp},
 * {@code a0} ...), {@code priv}, and the machine and supervisor CSRs the core keeps
 * ({@code sstatus}, {@code sie}, {@code sip} read as views of the machine registers). Stateless.
 */
public final class RegisterNames {
    public static final List<String> ABI = List.of("zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1",
            "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11",
            "t3", "t4", "t5", "t6");
    /** CSRs that can be read and written by name, in display order. */
    public static final List<String> CSRS = List.of("mstatus", "medeleg", "mideleg", "mie", "mip", "mtvec", "mepc",
            "mcause", "mtval", "mscratch", "stvec", "sepc", "scause", "stval", "sscratch", "satp", "mcounteren",
            "scounteren", "menvcfg", "senvcfg");

    private RegisterNames() {}

    /** The x-register number of {@code name} ("x5", "t0", "fp"), if it is one. */
    public static OptionalInt xIndex(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (n.equals("fp")) {
            return OptionalInt.of(8);
        }
        int abi = ABI.indexOf(n);
        if (abi >= 0) {
            return OptionalInt.of(abi);
        }
        if (n.matches("x([0-9]|[12][0-9]|3[01])")) {
            return OptionalInt.of(Integer.parseInt(n.substring(1)));
        }
        return OptionalInt.empty();
    }

    /** Every named register of {@code h}, in display order: pc, x0..x31 (by x name), priv, CSRs. */
    public static Map<String, Long> all(HartState h) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("pc", h.pc());
        for (int i = 0; i < 32; i++) {
            m.put("x" + i, h.reg(i));
        }
        m.put("priv", (long) h.privilege());
        for (String c : CSRS) {
            m.put(c, get(h, c));
        }
        return m;
    }

    /** One register by name; IllegalArgumentException naming the register when unknown. */
    public static long get(HartState h, String name) {
        OptionalInt x = xIndex(name);
        if (x.isPresent()) {
            return h.reg(x.getAsInt());
        }
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "pc" -> h.pc();
            case "priv" -> h.privilege();
            case "mstatus" -> h.mstatus();
            case "medeleg" -> h.medeleg();
            case "mideleg" -> h.mideleg();
            case "mie" -> h.mie();
            case "mip" -> h.mip();
            case "mtvec" -> h.mtvec();
            case "mepc" -> h.mepc();
            case "mcause" -> h.mcause();
            case "mtval" -> h.mtval();
            case "mscratch" -> h.mscratch();
            case "stvec" -> h.stvec();
            case "sepc" -> h.sepc();
            case "scause" -> h.scause();
            case "stval" -> h.stval();
            case "sscratch" -> h.sscratch();
            case "satp" -> h.satp();
            case "mcounteren" -> h.mcounteren();
            case "scounteren" -> h.scounteren();
            case "menvcfg" -> h.menvcfg();
            case "senvcfg" -> h.senvcfg();
            default -> throw unknown(name);
        };
    }

    /** {@code h} with one register changed; x0 and unknown names are refused. */
    public static HartState set(HartState h, String name, long v) {
        long[] x = h.x();
        OptionalInt xi = xIndex(name);
        if (xi.isPresent()) {
            if (xi.getAsInt() == 0) {
                throw new IllegalArgumentException("x0 (zero) is hard-wired to 0");
            }
            x[xi.getAsInt()] = v;
        }
        String n = name.toLowerCase(Locale.ROOT);
        long pc = n.equals("pc") ? v & ~1L : h.pc();
        int priv = h.privilege();
        if (n.equals("priv")) {
            if (v != Hart.PRIV_U && v != Hart.PRIV_S && v != Hart.PRIV_M) {
                throw new IllegalArgumentException("priv must be 0 (U), 1 (S) or 3 (M): " + v);
            }
            priv = (int) v;
        }
        long[] c = new long[CSRS.size()];
        for (int i = 0; i < c.length; i++) {
            c[i] = get(h, CSRS.get(i));
        }
        int ci = CSRS.indexOf(n);
        if (ci >= 0) {
            c[ci] = v;
        } else if (xi.isEmpty() && !n.equals("pc") && !n.equals("priv")) {
            throw unknown(name);
        }
        return new HartState(x, pc, priv, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12],
                c[13], c[14], c[15], c[16], c[17], c[18], c[19], h.pmpaddr(), h.pmpcfg(), h.steps(), h.cycleOffset(),
                h.instretOffset(), h.mtimecmp(), h.sbiTimer(), h.reservation(), h.waitingForInterrupt(), h.stopped(),
                h.hypervisorMode(), h.f(), h.fcsr());
    }

    private static IllegalArgumentException unknown(String name) {
        return new IllegalArgumentException("unknown register '" + name + "' (pc, x0-x31 or ABI names, priv, "
                + String.join(", ", CSRS) + ")");
    }
}
