/*
 * churn: a never-ending workload for the determinism tests (capture/restore split runs must end in
 * the same StateId as one run). Two harts scramble their own RAM regions with an LCG; hart 1 sends
 * IPIs to hart 0; hart 0 re-arms an SBI timer from its interrupt handler and spends part of every
 * round with interrupts masked, so interrupts are often pending when a run is split, and sometimes
 * waits with wfi. A dot goes to the console every 64 rounds. With one hart it runs alone. After
 * ROUNDS rounds of hart 0 (about 2*10^8 instructions of it) it prints its verdict and powers off,
 * so it also runs to completion on QEMU.
 */
#include "guest.h"

#define IRQ_S_SOFT (INTERRUPT_BIT | 1)
#define IRQ_S_TIMER (INTERRUPT_BIT | 5)
#define WORDS (128 * 1024 / 8)
#define ROUNDS 40000

struct mailbox {
    volatile u64 hartid;
    volatile u64 runs;
    volatile u64 pad[2];
    u64 stack[1024];
} __attribute__((aligned(16)));

static struct mailbox box;
static u64 area[2][WORDS] __attribute__((aligned(4096)));
static volatile u64 ticks, softs, rounds[2];

void secondary_entry(void);     /* src/churn-entry.S */

static int on_interrupt(struct frame *f)
{
    if (f->cause == IRQ_S_TIMER) {
        ticks++;
        sbi_call(SBI_EXT_TIME, 0, csr_read(time) + 2000 + (ticks % 7) * 300, 0, 0, 0, 0, 0);
        return 1;
    }
    if (f->cause == IRQ_S_SOFT) {
        softs++;
        csr_clear(sip, SIE_SSIE);
        return 1;
    }
    return 0;
}

static u64 churn(u64 *a, u64 x, int steps)
{
    for (int i = 0; i < steps; i++) {
        x = x * 6364136223846793005UL + 1442695040888963407UL;
        a[(x >> 33) % WORDS] ^= x;
    }
    return x;
}

void secondary_main(u64 hartid, struct mailbox *m)
{
    u64 x = 2;
    for (;;) {
        x = churn(area[1], x, 4000);
        rounds[1]++;
        if (rounds[1] % 8 == 0)
            sbi_call(SBI_EXT_IPI, 0, 1, 0, 0, 0, 0, 0);
    }
}

int main(u64 hartid)
{
    trap_hook = on_interrupt;
    printf("churn: start\n");
    struct sbiret st = sbi_call(SBI_EXT_HSM, 2, 1, 0, 0, 0, 0, 0);
    if (st.error == 0)
        sbi_call(SBI_EXT_HSM, 0, 1, (u64)secondary_entry, (u64)&box, 0, 0, 0);
    csr_set(sie, SIE_STIE | SIE_SSIE);
    sbi_call(SBI_EXT_TIME, 0, csr_read(time) + 2000, 0, 0, 0, 0, 0);
    u64 x = 1;
    for (;;) {
        csr_set(sstatus, SSTATUS_SIE);
        x = churn(area[0], x, 3000);
        csr_clear(sstatus, SSTATUS_SIE);
        x = churn(area[0], x, 1500 + (int)(x >> 60) * 100);      /* interrupts pend here */
        rounds[0]++;
        if (rounds[0] % 16 == 0 && (csr_read(sip) & (SIE_STIE | SIE_SSIE)) == 0)
            __asm__ volatile("wfi");
        if (rounds[0] % 64 == 0)
            putchar_sbi('.');
        if (rounds[0] == ROUNDS) {
            printf("\nchurn: %lu timer and %lu software interrupts\n", ticks, softs);
            check_true("timer interrupts taken", ticks > 0);
            return finish("churn");
        }
    }
}
