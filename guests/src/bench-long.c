/*
 * Benchmark for a whole `vmtree exec` process against qemu-system-riscv64 (docs/performance.md,
 * "Cold, whole process"; bench/exec-cold.sh): bench-loop's 6-instruction loop, long enough that
 * start-up is small beside it: 6 * 333,333,333 = 1,999,999,998 instructions in the loop, about
 * 2 * 10^9 measured. Same checks as bench-loop.
 */
#define ITERATIONS 333333333UL
#define NAME "bench-long"
#include "bench-loop.c"
