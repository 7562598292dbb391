package dev.vmtree.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Writes a minimal static RISC-V ELF64 executable: header, one PT_LOAD per segment, no sections.
 * Enough for qemu-riscv64 (Linux user mode), OpenSBI payloads and {@code vmtree exec}.
 */
final class Elf64 {
    private Elf64() {}

    /** A loadable segment: bytes placed at vaddr (= paddr) with flags (4 R, 2 W, 1 X). */
    record Segment(long vaddr, byte[] bytes, int flags) {}

    private static final int PAGE = 0x1000;
    private static final int EM_RISCV = 243;
    private static final int EF_RISCV_RVC = 1;

    static byte[] write(long entry, Segment... segments) {
        long[] offsets = new long[segments.length];
        long offset = PAGE;
        for (int k = 0; k < segments.length; k++) {
            if (segments[k].vaddr % PAGE != 0) {
                throw new IllegalArgumentException("segment not page aligned: " + Long.toHexString(segments[k].vaddr));
            }
            offsets[k] = offset;
            offset += (segments[k].bytes.length + PAGE - 1) / PAGE * PAGE;
        }
        ByteBuffer out = ByteBuffer.allocate((int) offset).order(ByteOrder.LITTLE_ENDIAN);
        out.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1, 0});   // ELF64, little endian, version 1, SYSV
        out.position(16);
        out.putShort((short) 2);                 // ET_EXEC
        out.putShort((short) EM_RISCV);
        out.putInt(1);                           // EV_CURRENT
        out.putLong(entry);
        out.putLong(64);                         // program headers right after this header
        out.putLong(0);                          // no section headers
        out.putInt(EF_RISCV_RVC);                // soft-float ABI, compressed code
        out.putShort((short) 64);
        out.putShort((short) 56);
        out.putShort((short) segments.length);
        out.putShort((short) 64);
        out.putShort((short) 0);
        out.putShort((short) 0);
        for (int k = 0; k < segments.length; k++) {
            Segment s = segments[k];
            out.putInt(1);                       // PT_LOAD
            out.putInt(s.flags);
            out.putLong(offsets[k]);
            out.putLong(s.vaddr);
            out.putLong(s.vaddr);
            out.putLong(s.bytes.length);
            out.putLong(s.bytes.length);
            out.putLong(PAGE);
        }
        for (int k = 0; k < segments.length; k++) {
            out.put((int) offsets[k], segments[k].bytes);
        }
        return out.array();
    }
}
