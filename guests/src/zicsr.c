/*
 * Zicsr and Zifencei: the six CSR instructions on sscratch (old value returned, write/set/clear
 * applied, x0 source means no write), illegal-instruction traps for writes to read-only counters and
 * reads of M-mode CSRs from S-mode, the cycle/time/instret counters moving forward, and fence.i
 * making freshly written code visible (a decode cache must notice the store).
 */
#include "guest.h"

static volatile u64 trapped_cause, trapped_epc;

static int expect_illegal(struct frame *f)
{
    if (f->cause != 2)
        return 0;
    trapped_cause = f->cause;
    trapped_epc = f->epc;
    f->epc += 4;            /* every probed instruction is a 4-byte CSR instruction */
    return 1;
}

static void csr_instructions(void)
{
    u64 old, trap_stack = csr_read(sscratch);   /* the runtime keeps its trap stack here */
    csr_write(sscratch, 0xf0f0);
    __asm__ volatile("csrrw %0, sscratch, %1" : "=r"(old) : "r"(0x1234UL));
    check("csrrw old", old, 0xf0f0);
    __asm__ volatile("csrrs %0, sscratch, %1" : "=r"(old) : "r"(0x0f00UL));
    check("csrrs old", old, 0x1234);
    check("csrrs set", csr_read(sscratch), 0x1f34);
    __asm__ volatile("csrrc %0, sscratch, %1" : "=r"(old) : "r"(0x0034UL));
    check("csrrc old", old, 0x1f34);
    check("csrrc cleared", csr_read(sscratch), 0x1f00);
    __asm__ volatile("csrrwi %0, sscratch, 31" : "=r"(old));
    check("csrrwi old", old, 0x1f00);
    check("csrrwi wrote", csr_read(sscratch), 31);
    __asm__ volatile("csrrci %0, sscratch, 5" : "=r"(old));
    check("csrrci", csr_read(sscratch), 26);
    __asm__ volatile("csrrsi %0, sscratch, 1" : "=r"(old));
    check("csrrsi", csr_read(sscratch), 27);
    __asm__ volatile("csrrs %0, sscratch, x0" : "=r"(old));
    check("csrrs x0 reads", old, 27);
    __asm__ volatile("csrrw x0, sscratch, %0" :: "r"(0xdeadUL));
    check("csrrw rd=x0 writes", csr_read(sscratch), 0xdead);
    csr_write(sscratch, trap_stack);
}

static void illegal_accesses(void)
{
    trap_hook = expect_illegal;
    u64 epc;
    trapped_cause = 0;
    __asm__ volatile(".option push\n.option norvc\nlla %0, 1f\n1: csrw cycle, x0\n.option pop" : "=&r"(epc));
    check("write to cycle is illegal", trapped_cause, 2);
    check("sepc of illegal csrw", trapped_epc, epc);
    trapped_cause = 0;
    __asm__ volatile(".option push\n.option norvc\nlla %0, 1f\n1: csrr t0, mscratch\n.option pop" : "=&r"(epc) :: "t0");
    check("mscratch from S is illegal", trapped_cause, 2);
    check("sepc of illegal csrr", trapped_epc, epc);
    trapped_cause = 0;
    __asm__ volatile(".option push\n.option norvc\n csrr t0, sstatus\n.option pop" ::: "t0");
    check("sstatus read is legal", trapped_cause, 0);
    trap_hook = 0;
}

static void counters(void)
{
    u64 i0 = csr_read(instret), c0 = csr_read(cycle), t0 = csr_read(time);
    u64 i1 = csr_read(instret);
    check_true("instret increases across instructions", i1 > i0);
    volatile u64 sink = 0;
    for (int i = 0; i < 200000; i++)
        sink += i;
    u64 i2 = csr_read(instret), c2 = csr_read(cycle), t2 = csr_read(time);
    check_true("instret counts a 200000-iteration loop", i2 - i1 >= 200000);
    check_true("cycle increases", c2 > c0);
    check_true("time increases over a busy loop", t2 > t0);
    u64 r1, r2;
    __asm__ volatile("rdtime %0\n rdtime %1" : "=r"(r1), "=r"(r2));
    check_true("rdtime is monotonic", r2 >= r1);
}

/* Writes "li a0, value; ret" into a data buffer, fences, and calls it. */
static u32 code[2] __attribute__((aligned(4)));

static u64 run_generated(u32 value)
{
    code[0] = 0x00000513 | (value << 20);     /* addi a0, x0, value */
    code[1] = 0x00008067;                     /* jalr x0, 0(ra) */
    __asm__ volatile("fence.i" ::: "memory");
    u64 (*fn)(void) = (u64 (*)(void))(u64)code;
    return fn();
}

static void self_modifying_code(void)
{
    check("generated code runs", run_generated(1), 1);
    check("rewritten code runs after fence.i", run_generated(2), 2);
    check("rewritten again", run_generated(0x7ff), 0x7ff);
}

int main(void)
{
    csr_instructions();
    illegal_accesses();
    counters();
    self_modifying_code();
    return finish("zicsr");
}
