/*
 * A long computation with a planted bug, for `vmtree bisect` (BisectCommandTest). It posts a
 * step to one of 64 accounts at a time; at one step deep into the run the slot is computed one
 * past the end and the post lands in the canary that follows the accounts. Nothing else ever
 * writes the canary, so "the canary is not zero" holds from exactly that store on. Needs no
 * input: a run can be cut into snapshots anywhere (`run --max-instructions N; commit`).
 */
#include "guest.h"

#define ACCOUNTS 64
#define STEPS 300000
#define PLANTED 201337

/* book[ACCOUNTS] is the canary: well-defined C, so the compiler keeps the bug as written */
static u64 book[ACCOUNTS + 1];

__attribute__((noinline)) static void post(u64 step)
{
    u64 slot = step % ACCOUNTS;
    if (step == PLANTED)
        slot = ACCOUNTS;
    book[slot] += step | 1;
}

int main(void)
{
    for (u64 step = 0; step < STEPS; step++)
        post(step);
    u64 total = 0;
    for (int i = 0; i < ACCOUNTS; i++)
        total += book[i];
    printf("planted: total %lu, canary %lu\n", total, book[ACCOUNTS]);
    return 0;
}
