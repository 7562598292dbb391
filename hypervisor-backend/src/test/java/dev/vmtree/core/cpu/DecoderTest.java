package dev.vmtree.core.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class DecoderTest {
    /** Compressed encodings and their 32-bit expansions, as assembled by GNU as (rv64imac). */
    private static final int[][] RVC = {
        {0x1fe0, 0x3fc10413}, // c.addi4spn s0, sp, 1020
        {0x5efc, 0x07c6a783}, // c.lw a5, 124(a3)
        {0x7cf8, 0x0f84b703}, // c.ld a4, 248(s1)
        {0xc130, 0x04c52023}, // c.sw a2, 64(a0)
        {0xe784, 0x0097b423}, // c.sd s1, 8(a5)
        {0x0001, 0x00000013}, // c.nop
        {0x1281, 0xfe028293}, // c.addi t0, -32
        {0x257d, 0x01f5051b}, // c.addiw a0, 31
        {0x55fd, 0xfff00593}, // c.li a1, -1
        {0x7101, 0xe0010113}, // c.addi16sp sp, -512
        {0x617d, 0x1f010113}, // c.addi16sp sp, 496
        {0x7385, 0xfffe13b7}, // c.lui t2, 0xfffe1
        {0x63fd, 0x0001f3b7}, // c.lui t2, 0x1f
        {0x92fd, 0x03f6d693}, // c.srli a3, 63
        {0x8405, 0x40145413}, // c.srai s0, 1
        {0x9b3d, 0xfef77713}, // c.andi a4, -17
        {0x8c9d, 0x40f484b3}, // c.sub s1, a5
        {0x8d2d, 0x00b54533}, // c.xor a0, a1
        {0x8e55, 0x00d66633}, // c.or a2, a3
        {0x8f7d, 0x00f77733}, // c.and a4, a5
        {0x9c05, 0x4094043b}, // c.subw s0, s1
        {0x9d3d, 0x00f5053b}, // c.addw a0, a5
        {0x1306, 0x02131313}, // c.slli t1, 33
        {0x50fe, 0x0fc12083}, // c.lwsp ra, 252(sp)
        {0x797e, 0x1f813903}, // c.ldsp s2, 504(sp)
        {0x8282, 0x00028067}, // c.jr t0
        {0x8572, 0x01c00533}, // c.mv a0, t3
        {0x9002, 0x00100073}, // c.ebreak
        {0x9602, 0x000600e7}, // c.jalr a2
        {0x99f6, 0x01d989b3}, // c.add s3, t4
        {0xdf7a, 0x0be12e23}, // c.swsp t5, 188(sp)
        {0xffee, 0x1fb13c23}, // c.sdsp s11, 504(sp)
        {0xb001, 0x801ff06f}, // c.j .-2048
        {0xaffd, 0x7fe0006f}, // c.j .+2046
        {0xa02d, 0x02a0006f}, // c.j .+0x2a
        {0xd101, 0xf00500e3}, // c.beqz a0, .-256
        {0xecfd, 0x0e049f63}, // c.bnez s1, .+254
        {0xcf89, 0x00078d63}, // c.beqz a5, .+0x1a
    };

    @Test
    void everyCompressedFormExpandsToItsBaseInstruction() {
        for (int[] v : RVC) {
            long c = Decoder.decode16(v[0]);
            long e = Decoder.decode32(v[1]);
            assertThat(Op.length(c)).isEqualTo(2);
            assertThat(Op.length(e)).isEqualTo(4);
            assertThat(c & ~0x100L).as("c.%04x vs %08x", v[0], v[1]).isEqualTo(e);
        }
    }

    @Test
    void reservedCompressedEncodingsAreIllegal() {
        int[] reserved = {
            0x0000, // all zero (also c.addi4spn with nzuimm 0)
            0x6101, // c.addi16sp with immediate 0
            0x6081, // c.lui ra, 0
            0x2001, // c.addiw with rd = x0
            0x4002, // c.lwsp with rd = x0
            0x8002, // c.jr with rs1 = x0
            0x9c41, // c.subw/c.addw class with funct2 = 10
            0x8000, // quadrant 0, funct3 4: reserved
        };
        for (int r : reserved) {
            assertThat(Op.op(Decoder.decode16(r))).as("%04x", r).isEqualTo(Op.ILLEGAL);
        }
    }

    @Test
    void illegalInstructionsKeepTheirBitsForMtval() {
        long d = Decoder.decode32(0xFFFFFFFF);
        assertThat(Op.op(d)).isEqualTo(Op.ILLEGAL);
        assertThat(Op.imm(d)).isEqualTo(0xFFFFFFFF);
        assertThat(Op.op(Decoder.decode32(0x04000053))).as("fadd.h: no Zfh").isEqualTo(Op.ILLEGAL);
        assertThat(Op.op(Decoder.decode32(0x00005053))).as("fadd.s with reserved rm 5").isEqualTo(Op.ILLEGAL);
        assertThat(Op.op(Decoder.decode32(0x00006053))).as("fadd.s with reserved rm 6").isEqualTo(Op.ILLEGAL);
        assertThat(Op.op(Decoder.decode32(0x58100053))).as("fsqrt.s with rs2 != 0").isEqualTo(Op.ILLEGAL);
        assertThat(Op.op(Decoder.decode32(0x00007053))).as("fadd.s, dynamic rm").isEqualTo(Op.FP_OP);
        assertThat(Op.op(Decoder.decode32(0x00002007))).as("flw f0, 0(zero)").isEqualTo(Op.FLW);
        assertThat(Op.rs2(Decoder.decode32(0x00002007))).as("f0 is a real destination").isZero();
        assertThat(Op.op(Decoder.decode16(0x2000))).as("c.fld").isEqualTo(Op.FLD);
        assertThat(Op.op(Decoder.decode16(0xA002))).as("c.fsdsp").isEqualTo(Op.FSD);
        assertThat(Op.op(Decoder.decode32(0x02000033 | 0x40000000))).isEqualTo(Op.ILLEGAL);
    }

    @Test
    void writesToX0GoToTheSinkRegister() {
        assertThat(Op.rd(Decoder.decode32(0x00100013))).isEqualTo(32); // addi x0, x0, 1
    }
}
