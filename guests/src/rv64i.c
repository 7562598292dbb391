/*
 * RV64I instruction classes: register/immediate ALU and shifts (known-answer tables from
 * tools/gen-vectors.py), lui/auipc, every conditional branch both ways, jal/jalr links and targets,
 * and every load/store width with sign and zero extension.
 */
#include "guest.h"

#define T_RR(op, a, b, exp) do { \
        u64 r; \
        __asm__ volatile(op " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); \
        check(op " " #a " " #b, r, exp); \
    } while (0);
#define T_RI(op, a, imm, exp) do { \
        u64 r; \
        __asm__ volatile(op " %0, %1, %2" : "=r"(r) : "r"(a), "i"(imm)); \
        check(op " " #a " " #imm, r, exp); \
    } while (0);
/* Evaluates to 1 when the branch is taken. */
#define BRANCH(op, a, b) ({ \
        u64 t; \
        __asm__ volatile("li %0, 1\n" op " %1, %2, 1f\n li %0, 0\n1:" : "=&r"(t) : "r"(a), "r"(b)); \
        t; })
#define T_BR(op, a, b, taken) check(op " " #a " " #b, BRANCH(op, (u64)(a), (u64)(b)), taken)

static void alu(void)
{
#include "vectors-i.h"
}

static void upper_immediates(void)
{
    u64 r, here, label;
    __asm__ volatile("lui %0, 0x80000" : "=r"(r));
    check("lui 0x80000 sign-extends", r, 0xffffffff80000000UL);
    __asm__ volatile("lui %0, 0x7ffff" : "=r"(r));
    check("lui 0x7ffff", r, 0x7ffff000UL);
    __asm__ volatile(".option push\n.option norvc\n"
                     "1: auipc %0, 0\n auipc %1, 1\n lla %2, 1b\n.option pop"
                     : "=r"(here), "=r"(r), "=r"(label));
    check("auipc 0 is pc", here, label);
    check("auipc 1 is pc+4+4096", r, label + 4 + 4096);
    __asm__ volatile("1: auipc %0, 0xfffff\n lla %1, 1b" : "=r"(r), "=r"(label));
    check("auipc negative", r, label - 4096);
}

static void branches(void)
{
    T_BR("beq", 5, 5, 1);
    T_BR("beq", 5, 6, 0);
    T_BR("bne", 5, 6, 1);
    T_BR("bne", -1, -1, 0);
    T_BR("blt", -1, 0, 1);
    T_BR("blt", 0, -1, 0);
    T_BR("blt", 3, 3, 0);
    T_BR("blt", 0x8000000000000000, 0x7fffffffffffffff, 1);
    T_BR("bge", 3, 3, 1);
    T_BR("bge", -1, 0, 0);
    T_BR("bge", 0x7fffffffffffffff, 0x8000000000000000, 1);
    T_BR("bltu", 0, -1, 1);
    T_BR("bltu", -1, 0, 0);
    T_BR("bltu", 7, 7, 0);
    T_BR("bgeu", -1, 0, 1);
    T_BR("bgeu", 0, -1, 0);
    T_BR("bgeu", 7, 7, 1);
    /* A backward branch: count down a loop of exactly 10 iterations. */
    u64 n = 10, count = 0;
    __asm__ volatile("1: addi %1, %1, 1\n addi %0, %0, -1\n bnez %0, 1b" : "+r"(n), "+r"(count));
    check("backward bne loop count", count, 10);
}

static void jumps(void)
{
    u64 link, start, skipped = 0;
    __asm__ volatile(".option push\n.option norvc\n"
                     "lla %1, 1f\n"
                     "1: jal %0, 2f\n"
                     "li %2, 1\n"
                     "2:\n.option pop"
                     : "=&r"(link), "=&r"(start), "+r"(skipped));
    check("jal link is pc+4", link, start + 4);
    check("jal skips", skipped, 0);

    u64 target;
    __asm__ volatile(".option push\n.option norvc\n"
                     "lla %1, 3f\n"
                     "addi %1, %1, 1\n"          /* jalr clears bit 0 of the target */
                     "lla %2, 2f\n"
                     "2: jalr %0, 0(%1)\n"
                     "li %3, 1\n"
                     "3:\n.option pop"
                     : "=&r"(link), "=&r"(target), "=&r"(start), "+r"(skipped));
    check("jalr link is pc+4", link, start + 4);
    check("jalr odd target skips", skipped, 0);

    /* rd == rs1: the target must be read before the link is written. */
    __asm__ volatile(".option push\n.option norvc\n"
                     "lla %0, 5f\n"
                     "lla %1, 4f\n"
                     "4: jalr %0, -4(%0)\n"
                     "li %2, 1\n"
                     "j 6f\n"
                     "nop\n"
                     "5: j 6f\n"
                     "6:\n.option pop"
                     : "=&r"(link), "=&r"(start), "+r"(skipped));
    check("jalr rd==rs1 link", link, start + 4);
    check("jalr rd==rs1 target", skipped, 0);
}

static u64 memory[4] __attribute__((aligned(16)));

#define LOAD(op, base, off) ({ u64 v; __asm__ volatile(op " %0, " #off "(%1)" : "=r"(v) : "r"(base) : "memory"); v; })
#define STORE(op, base, off, v) __asm__ volatile(op " %0, " #off "(%1)" :: "r"((u64)(v)), "r"(base) : "memory")

static void loads_and_stores(void)
{
    u64 *m = memory;
    STORE("sd", m, 0, 0x8182838485868788UL);
    STORE("sd", m, 8, 0x7172737475767778UL);
    check("ld", LOAD("ld", m, 0), 0x8182838485868788UL);
    check("ld +8", LOAD("ld", m, 8), 0x7172737475767778UL);
    check("lb sign", LOAD("lb", m, 0), 0xffffffffffffff88UL);
    check("lb +15", LOAD("lb", m, 15), 0x71);
    check("lbu", LOAD("lbu", m, 7), 0x81);
    check("lh sign", LOAD("lh", m, 6), 0xffffffffffff8182UL);
    check("lh +8", LOAD("lh", m, 8), 0x7778);
    check("lhu", LOAD("lhu", m, 6), 0x8182);
    check("lw sign", LOAD("lw", m, 4), 0xffffffff81828384UL);
    check("lw +12", LOAD("lw", m, 12), 0x71727374);
    check("lwu", LOAD("lwu", m, 4), 0x81828384);
    u64 *mid = m + 1;
    check("lw negative offset", LOAD("lw", mid, -8), 0xffffffff85868788UL);
    STORE("sb", m, 1, 0x1234);
    check("sb writes one byte", LOAD("ld", m, 0), 0x8182838485863488UL);
    STORE("sh", m, 2, 0xabcdef);
    check("sh writes two bytes", LOAD("ld", m, 0), 0x81828384cdef3488UL);
    STORE("sw", m, 4, 0x1122334455667788UL);
    check("sw writes four bytes", LOAD("ld", m, 0), 0x55667788cdef3488UL);
    STORE("sd", mid, -8, 0);
    check("sd negative offset", LOAD("ld", m, 0), 0);
    check("neighbour untouched", LOAD("ld", m, 8), 0x7172737475767778UL);
    /* x0 ignores writes, reads zero. */
    u64 z;
    __asm__ volatile("li x0, 5\n addi x0, x0, 1\n mv %0, x0" : "=r"(z));
    check("x0 stays zero", z, 0);
}

int main(void)
{
    alu();
    upper_immediates();
    branches();
    jumps();
    loads_and_stores();
    return finish("rv64i");
}
