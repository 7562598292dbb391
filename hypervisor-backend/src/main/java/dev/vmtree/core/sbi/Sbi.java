package dev.vmtree.core.sbi;

import dev.vmtree.core.Console;
import dev.vmtree.core.Machine;
import dev.vmtree.core.StopReason;
import dev.vmtree.core.cpu.Hart;
import dev.vmtree.core.mem.Bus;
import java.util.List;

/**
 * The hypervisor's SBI implementation (spec version 2.0): S-mode {@code ecall}s are the hypercalls.
 * Extensions: Base, legacy 0x00-0x08, TIME, IPI, RFENCE, HSM, SRST and DBCN. EID in a7, FID in a6,
 * arguments in a0..a5; results in a0 (error) and a1 (value), legacy calls in a0 only.
 *
 * <p>Every argument is guest-controlled and checked: a bad hart mask, address or type yields an SBI
 * error code, never a host exception. Runs on the machine's thread.
 */
public final class Sbi {
    public static final long SUCCESS = 0, ERR_FAILED = -1, ERR_NOT_SUPPORTED = -2, ERR_INVALID_PARAM = -3,
            ERR_DENIED = -4, ERR_INVALID_ADDRESS = -5, ERR_ALREADY_AVAILABLE = -6, ERR_ALREADY_STARTED = -7,
            ERR_ALREADY_STOPPED = -8;

    public static final long EXT_BASE = 0x10, EXT_TIME = 0x54494D45L, EXT_IPI = 0x735049L,
            EXT_RFENCE = 0x52464E43L, EXT_HSM = 0x48534DL, EXT_SRST = 0x53525354L, EXT_DBCN = 0x4442434EL;
    /** SBI spec 2.0: major in bits 30:24, minor in 23:0. */
    public static final long SPEC_VERSION = 2L << 24;
    /** Implementation id reported by Base get_impl_id: "vmtr" in ASCII (not a registered id). */
    public static final long IMPL_ID = 0x766D7472L;
    public static final long IMPL_VERSION = 1;

    public static final long HSM_STARTED = 0, HSM_STOPPED = 1;
    /** Most bytes one DBCN call moves; the rest is a partial write the guest retries, as the spec allows. */
    static final int DBCN_MAX = 64 * 1024;

    private final Machine machine;

    public Sbi(Machine machine) {
        this.machine = machine;
    }

    /** Serves the call in the hart's registers; always true (unknown calls get ERR_NOT_SUPPORTED). */
    public boolean call(Hart h) {
        long eid = h.reg(17);
        long fid = h.reg(16);
        if (eid >= 0 && eid <= 8) {
            h.setReg(10, legacy(h, (int) eid));
            return true;
        }
        long[] ret = {ERR_NOT_SUPPORTED, 0};
        if (eid == EXT_BASE) {
            base(h, fid, ret);
        } else if (eid == EXT_TIME) {
            if (fid == 0) {
                h.setSbiTimer(h.reg(10), machine.now());
                ret[0] = SUCCESS;
            }
        } else if (eid == EXT_IPI) {
            if (fid == 0) {
                ret[0] = forHarts(h.reg(10), h.reg(11), t -> t.setPending(1L << 1, true));
            }
        } else if (eid == EXT_RFENCE) {
            rfence(fid, h, ret);
        } else if (eid == EXT_HSM) {
            hsm(h, fid, ret);
        } else if (eid == EXT_SRST) {
            srst(h, fid, ret);
        } else if (eid == EXT_DBCN) {
            dbcn(h, fid, ret);
        }
        h.setReg(10, ret[0]);
        h.setReg(11, ret[1]);
        return true;
    }

    private static boolean supported(long eid) {
        return (eid >= 0 && eid <= 8) || eid == EXT_BASE || eid == EXT_TIME || eid == EXT_IPI || eid == EXT_RFENCE
                || eid == EXT_HSM || eid == EXT_SRST || eid == EXT_DBCN;
    }

    private void base(Hart h, long fid, long[] ret) {
        long value;
        switch ((int) Math.min(fid, 7)) {
            case 0 -> value = SPEC_VERSION;
            case 1 -> value = IMPL_ID;
            case 2 -> value = IMPL_VERSION;
            case 3 -> value = supported(h.reg(10)) ? 1 : 0;
            case 4 -> value = h.csr(0xF11);
            case 5 -> value = h.csr(0xF12);
            case 6 -> value = h.csr(0xF13);
            default -> {
                return;
            }
        }
        if (fid < 0) {
            return;
        }
        ret[0] = SUCCESS;
        ret[1] = value;
    }

    private interface HartAction {
        void apply(Hart target);
    }

    /** Applies an action to the harts named by (mask, base); base -1 means all harts. */
    private long forHarts(long mask, long base, HartAction action) {
        List<Hart> harts = machine.harts();
        if (base == -1) {
            harts.forEach(action::apply);
            return SUCCESS;
        }
        if (base < 0 || base >= harts.size()) {
            return ERR_INVALID_PARAM;
        }
        for (int bit = 0; bit < 64; bit++) {
            if ((mask >>> bit & 1) != 0 && base + bit >= harts.size()) {
                return ERR_INVALID_PARAM;
            }
        }
        for (int bit = 0; bit < 64 && base + bit < harts.size(); bit++) {
            if ((mask >>> bit & 1) != 0) {
                action.apply(harts.get((int) (base + bit)));
            }
        }
        return SUCCESS;
    }

    private void rfence(long fid, Hart h, long[] ret) {
        if (fid == 0) {
            ret[0] = forHarts(h.reg(10), h.reg(11), t -> {}); // remote fence.i: decoded code is always coherent
        } else if (fid == 1 || fid == 2) {
            ret[0] = forHarts(h.reg(10), h.reg(11), Hart::flushTranslations);
        }
        // 3..6 are hypervisor-extension fences: not supported (no H extension)
    }

    private void hsm(Hart h, long fid, long[] ret) {
        List<Hart> harts = machine.harts();
        switch ((int) Math.max(-1, Math.min(fid, 4))) {
            case 0 -> { // hart_start(hartid, start_addr, opaque)
                long id = h.reg(10);
                if (id < 0 || id >= harts.size()) {
                    ret[0] = ERR_INVALID_PARAM;
                } else if (!harts.get((int) id).stopped()) {
                    ret[0] = ERR_ALREADY_AVAILABLE;
                } else if (!machine.bus().isRam(h.reg(11), 2)) {
                    ret[0] = ERR_INVALID_ADDRESS;
                } else {
                    harts.get((int) id).startSupervisor(h.reg(11), id, h.reg(12));
                    ret[0] = SUCCESS;
                }
            }
            case 1 -> { // hart_stop()
                h.setStopped(true);
                ret[0] = SUCCESS;
            }
            case 2 -> { // hart_get_status(hartid)
                long id = h.reg(10);
                if (id < 0 || id >= harts.size()) {
                    ret[0] = ERR_INVALID_PARAM;
                } else {
                    ret[0] = SUCCESS;
                    ret[1] = harts.get((int) id).stopped() ? HSM_STOPPED : HSM_STARTED;
                }
            }
            case 3 -> { // hart_suspend(type, resume_addr, opaque)
                long type = h.reg(10) & 0xFFFF_FFFFL;
                if (type == 0) {
                    h.setWaitingForInterrupt((h.mip() & h.mie()) == 0); // retentive: resumes like WFI
                    ret[0] = SUCCESS;
                } else if ((type > 0 && type < 0x1000_0000L) || (type > 0x8000_0000L && type < 0x9000_0000L)) {
                    ret[0] = ERR_INVALID_PARAM;
                } else {
                    ret[0] = ERR_NOT_SUPPORTED; // non-retentive and platform-specific suspend
                }
            }
            default -> {}
        }
    }

    private void srst(Hart h, long fid, long[] ret) {
        if (fid != 0) {
            return;
        }
        long type = h.reg(10) & 0xFFFF_FFFFL;
        long reason = h.reg(11) & 0xFFFF_FFFFL;
        if (type > 2 && type < 0xF000_0000L || reason > 1 && reason < 0xE000_0000L) {
            ret[0] = ERR_INVALID_PARAM;
            return;
        }
        if (type > 2) {
            return; // vendor-specific reset types: not supported
        }
        if (reason != 0) {
            machine.requestStop(StopReason.GUEST_FAILURE, reason);
        } else {
            machine.requestStop(type == 0 ? StopReason.SHUTDOWN : StopReason.REBOOT, 0);
        }
        ret[0] = SUCCESS;
    }

    private void dbcn(Hart h, long fid, long[] ret) {
        Console console = machine.console();
        if (fid == 2) {
            console.write((int) h.reg(10) & 0xFF);
            ret[0] = SUCCESS;
            return;
        }
        if (fid != 0 && fid != 1) {
            return;
        }
        long num = h.reg(10);
        long addr = h.reg(11);
        if (h.reg(12) != 0 || num < 0 || !machine.bus().isRam(addr, Math.min(num, machine.bus().ramSize() + 1))) {
            ret[0] = ERR_INVALID_PARAM;
            return;
        }
        int n = (int) Math.min(num, DBCN_MAX);
        byte[] buf = new byte[n];
        if (fid == 0) {
            machine.memory().readRam(addr, buf, 0, n);
            for (byte b : buf) {
                console.write(b & 0xFF);
            }
            ret[1] = n;
        } else {
            int got = 0;
            while (got < n) {
                int c = machine.readInput();
                if (c < 0) {
                    break;
                }
                buf[got++] = (byte) c;
            }
            machine.memory().writeRam(addr, buf, 0, got);
            ret[1] = got;
        }
        ret[0] = SUCCESS;
    }

    /** Legacy extensions (SBI v0.1): result in a0 only. */
    private long legacy(Hart h, int eid) {
        long a0 = h.reg(10);
        switch (eid) {
            case 0 -> h.setSbiTimer(a0, machine.now());
            case 1 -> machine.console().write((int) a0 & 0xFF);
            case 2 -> {
                return machine.readInput();
            }
            case 3 -> h.setPending(1L << 1, false);
            case 4 -> {
                return legacyMask(h, a0, t -> t.setPending(1L << 1, true));
            }
            case 5 -> {
                return legacyMask(h, a0, t -> {}); // legacy remote fence.i: decoded code is always coherent
            }
            case 6, 7 -> {
                return legacyMask(h, a0, Hart::flushTranslations);
            }
            case 8 -> machine.requestStop(StopReason.SHUTDOWN, 0);
            default -> {
                return ERR_NOT_SUPPORTED;
            }
        }
        return SUCCESS;
    }

    /** Legacy calls pass a virtual pointer to an unsigned long hart mask; 0 means all harts. */
    private long legacyMask(Hart h, long pointer, HartAction action) {
        if (pointer == 0) {
            return forHarts(0, -1, action);
        }
        long pa = h.translateForRead(pointer);
        if (pa == -1 || (pointer & 7) != 0 || !machine.bus().isRam(pa, 8)) {
            return ERR_INVALID_ADDRESS;
        }
        long mask = machine.bus().ram().load(pa - Bus.RAM_BASE, 8);
        return forHarts(mask, 0, action);
    }
}
