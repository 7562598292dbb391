/*
 * dirty: the workload of the running-commit benchmark (docs/performance.md, "Dom0 as a service"):
 * a guest that never stops and keeps PAGES pages (2.5 MiB: 1% of a 256 MiB machine) dirty. Each
 * round writes one word into every page of its buffer, so whenever Dom0 commits it running, the
 * commit stores about 1% of RAM. It prints a dot every 4096 rounds.
 */
#include "guest.h"

#define PAGES 655UL
#define PAGE 4096UL

static volatile u64 buffer[PAGES * PAGE / 8];

int main(void)
{
    puts_sbi("dirty: start\n");
    for (u64 round = 0;; round++) {
        u64 word = round % (PAGE / 8);
        for (u64 p = 0; p < PAGES; p++)
            buffer[p * (PAGE / 8) + word] = round ^ p;
        if ((round & 4095) == 4095)
            puts_sbi(".");
    }
    return 0;
}
