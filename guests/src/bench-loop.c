/*
 * Benchmark: a tight integer loop with the MMU on (Sv39 identity map), then SRST shutdown.
 * Runs unchanged on vmtree (`vmtree exec`) and on QEMU + OpenSBI (-M virt -bios default -kernel).
 *
 * The loop body is 6 instructions (add, xor, addi, slli, add, bne), so one run retires
 * 6 * ITERATIONS + a few thousand instructions (prologue, checks, console): 960,000,000 + ~3,000
 * for the value below. The results are checked against closed forms computed without the loop.
 * Another benchmark may #define ITERATIONS and NAME and #include this file (bench-long.c).
 */
#include "guest.h"

#ifndef ITERATIONS
#define ITERATIONS 160000000UL
#endif
#ifndef NAME
#define NAME "bench-loop"
#endif

/* XOR of 0 .. n-1. */
static u64 xor_upto(u64 n)
{
    u64 last = n - 1;
    switch (last & 3) {
    case 0: return last;
    case 1: return 1;
    case 2: return last + 1;
    default: return 0;
    }
}

int main(void)
{
    enable_identity_sv39();
    printf(NAME ": start, %lu iterations\n", ITERATIONS);
    u64 i = 0, sum = 0, x = 0, evens = 0, t;
    u64 start = csr_read(instret);
    __asm__ volatile(".option push\n.option norvc\n"
                     "1: add %1, %1, %0\n"
                     "xor %2, %2, %0\n"
                     "addi %0, %0, 1\n"
                     "slli %4, %0, 1\n"
                     "add %3, %3, %4\n"
                     "bne %0, %5, 1b\n"
                     ".option pop"
                     : "+r"(i), "+r"(sum), "+r"(x), "+r"(evens), "=&r"(t)
                     : "r"(ITERATIONS));
    u64 retired = csr_read(instret) - start;
    check("sum", sum, ITERATIONS * (ITERATIONS - 1) / 2);
    check("xor", x, xor_upto(ITERATIONS));
    check("sum of 2(i+1)", evens, ITERATIONS * (ITERATIONS + 1));
    printf(NAME ": instret %lu\n", retired);
    return finish(NAME);
}
