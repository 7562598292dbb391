/*
 * C extension: each compressed form used by RV64 (CI, CSS, CIW, CL, CS, CA, CB, CJ and CR
 * formats), 32-bit instructions at 2-byte-aligned addresses, and one straddling a page boundary.
 * Every instruction here is written as an explicit c.* mnemonic so the assembler cannot widen it.
 */
#include "guest.h"

/* Registers x8..x15 are the only ones the 3-bit compressed register fields reach. */
#define R(name, reg) register u64 name __asm__(reg)

static u64 slots[4] __attribute__((aligned(8)));

/*
 * Local register variables are only pinned inside asm operands and calls clobber a0..a5, so each
 * block copies its results here before the first check() call.
 */
static u64 got[8];
#define SAVE4(a, b, c, d) (got[0] = (a), got[1] = (b), got[2] = (c), got[3] = (d))

static void integer_forms(void)
{
    R(a, "a0");
    R(b, "a1");
    R(c, "a2");
    R(d, "a3");
    __asm__ volatile(".option push\n.option rvc\n"
                     "c.li %0, -32\n"        /* CI: sign-extended 6-bit immediate */
                     "c.lui %1, 0xfffe1\n"   /* CI: nzimm[17:12] = -31, sign-extended */
                     "c.li %2, 31\n"
                     "c.addi %2, -1\n"
                     "c.li %3, 1\n"
                     "c.slli %3, 63\n"
                     ".option pop"
                     : "=r"(a), "=r"(b), "=r"(c), "=r"(d));
    SAVE4(a, b, c, d);
    check("c.li -32", got[0], (u64)-32);
    check("c.lui negative", got[1], 0xfffffffffffe1000UL);
    check("c.addi", got[2], 30);
    check("c.slli 63", got[3], 0x8000000000000000UL);

    a = 0x8000000000000000UL;
    b = 0x8000000000000000UL;
    c = 0x7fffffffUL;
    d = 0xf0f0f0f0f0f0f0f0UL;
    __asm__ volatile(".option push\n.option rvc\n"
                     "c.srli %0, 63\n"
                     "c.srai %1, 60\n"
                     "c.addiw %2, 1\n"       /* 0x80000000 sign-extended from 32 bits */
                     "c.andi %3, -16\n"
                     ".option pop"
                     : "+r"(a), "+r"(b), "+r"(c), "+r"(d));
    SAVE4(a, b, c, d);
    check("c.srli", got[0], 1);
    check("c.srai", got[1], 0xfffffffffffffff8UL);
    check("c.addiw", got[2], 0xffffffff80000000UL);
    check("c.andi", got[3], 0xf0f0f0f0f0f0f0f0UL);

    R(e, "a4");
    R(f, "a5");
    R(g, "s0");
    R(h, "s1");
    a = 0x0ff0; b = 0x00ff; c = 0x0ff0; d = 0x00ff; e = 0x0ff0; f = 0x00ff; g = 5; h = 7;
    __asm__ volatile(".option push\n.option rvc\n"
                     "c.and %0, %1\n"
                     "c.or %2, %3\n"
                     "c.xor %4, %5\n"
                     "c.sub %6, %7\n"
                     ".option pop"
                     : "+r"(a), "+r"(b), "+r"(c), "+r"(d), "+r"(e), "+r"(f), "+r"(g), "+r"(h));
    SAVE4(a, c, e, g);
    check("c.and", got[0], 0x00f0);
    check("c.or", got[1], 0x0fff);
    check("c.xor", got[2], 0x0f0f);
    check("c.sub", got[3], (u64)-2);

    a = 0x7fffffff; b = 1; c = 0; d = 1; e = 10; f = 32;
    __asm__ volatile(".option push\n.option rvc\n"
                     "c.addw %0, %1\n"
                     "c.subw %2, %3\n"
                     "c.add %4, %5\n"
                     "c.mv %1, %5\n"
                     ".option pop"
                     : "+r"(a), "+r"(b), "+r"(c), "+r"(d), "+r"(e), "+r"(f));
    SAVE4(a, c, e, b);
    check("c.addw wraps", got[0], 0xffffffff80000000UL);
    check("c.subw", got[1], 0xffffffffffffffffUL);
    check("c.add", got[2], 42);
    check("c.mv", got[3], 32);
}

static void memory_forms(void)
{
    R(p, "a0");
    R(v, "a1");
    R(w, "a2");
    R(x, "a3");
    p = (u64)slots;
    v = 0x8877665544332211UL;
    w = 0xfffffffff0000001UL;
    __asm__ volatile(".option push\n.option rvc\n"
                     "c.sd %1, 8(%0)\n"
                     "c.sw %2, 16(%0)\n"
                     "c.ld %3, 8(%0)\n"
                     "c.lw %2, 12(%0)\n"     /* high word of slot 1: sign-extended */
                     ".option pop"
                     : "+r"(p), "+r"(v), "+r"(w), "=&r"(x) :: "memory");
    SAVE4(x, w, 0, 0);
    check("c.sd/c.ld", got[0], 0x8877665544332211UL);
    check("c.lw sign-extends", got[1], 0xffffffff88776655UL);
    check("c.sw stores low word", slots[2] & 0xffffffffUL, 0xf0000001UL);

    u64 sp_loaded, sp_word, sp_back;
    __asm__ volatile(".option push\n.option rvc\n"
                     "addi sp, sp, -32\n"
                     "c.sdsp %3, 16(sp)\n"
                     "c.swsp %3, 4(sp)\n"
                     "c.ldsp %0, 16(sp)\n"
                     "c.lwsp %1, 4(sp)\n"
                     "c.addi4spn a4, sp, 8\n"
                     "sub %2, a4, sp\n"
                     "c.addi16sp sp, 32\n"
                     ".option pop"
                     : "=&r"(sp_loaded), "=&r"(sp_word), "=&r"(sp_back) : "r"(0x00000000deadbeefUL)
                     : "a4", "memory");
    check("c.sdsp/c.ldsp", sp_loaded, 0xdeadbeefUL);
    check("c.swsp/c.lwsp sign-extends", sp_word, 0xffffffffdeadbeefUL);
    check("c.addi4spn", sp_back, 8);
}

static void control_forms(void)
{
    R(z, "a0");
    R(nz, "a1");
    R(taken, "a2");
    u64 link, here;
    z = 0;
    nz = 3;
    taken = 0;
    __asm__ volatile(".option push\n.option rvc\n"
                     "c.beqz %0, 1f\n"
                     "c.addi %2, 1\n"
                     "1: c.bnez %1, 2f\n"
                     "c.addi %2, 2\n"
                     "2: c.beqz %1, 3f\n"    /* not taken */
                     "c.addi %2, 4\n"
                     "3: c.bnez %0, 4f\n"    /* not taken */
                     "c.addi %2, 8\n"
                     "4: c.j 5f\n"
                     "c.addi %2, 16\n"
                     "5: c.nop\n"
                     ".option pop"
                     : "+r"(z), "+r"(nz), "+r"(taken));
    got[0] = taken;
    check("c.beqz/c.bnez/c.j", got[0], 12);

    __asm__ volatile(".option push\n.option rvc\n"
                     "lla t0, 1f\n"
                     "lla %1, 2f\n"
                     "2: c.jalr t0\n"
                     "c.nop\n"
                     "1: mv %0, ra\n"
                     "lla t0, 3f\n"
                     "c.jr t0\n"
                     "c.nop\n"
                     "3:\n"
                     ".option pop"
                     : "=&r"(link), "=&r"(here) :: "t0", "ra");
    check("c.jalr link is pc+2", link, here + 2);
}

/* A 32-bit instruction at a 2-mod-4 address, and one whose halves lie in two different pages. */
static void alignment_forms(void)
{
    u64 r, start, after;
    __asm__ volatile(".option push\n.option rvc\n"
                     "li %0, 0\n"
                     "1: c.nop\n"
                     "2: addi %0, %0, 0x123\n"
                     "3:\n"
                     "lla %1, 1b\n"
                     "lla %2, 3b\n"
                     ".option pop"
                     : "=&r"(r), "=&r"(start), "=&r"(after));
    check("32-bit insn after c.nop", r, 0x123);
    check("c.nop is 2 bytes + addi 4", after - start, 6);

    __asm__ volatile(".option push\n.option norvc\n"
                     "j 1f\n"
                     ".balign 4096\n"
                     ".option rvc\n"
                     ".fill 2047, 2, 0x0001\n"  /* 2047 c.nop: the next instruction starts at 4094 */
                     ".option norvc\n"
                     "1: li %0, 0\n"
                     "j 2f\n"
                     ".balign 4096\n"
                     ".option rvc\n"
                     ".fill 2047, 2, 0x0001\n"
                     "2: .option norvc\n"
                     "addi %0, %0, 0x456\n"     /* straddles the page boundary */
                     ".option pop"
                     : "=&r"(r));
    check("32-bit insn across a page boundary", r, 0x456);
}

int main(void)
{
    integer_forms();
    memory_forms();
    control_forms();
    alignment_forms();
    return finish("c");
}
