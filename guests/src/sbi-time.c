/*
 * SBI TIME: set_timer to a near deadline, wait with wfi and STIE enabled, the supervisor timer
 * interrupt arrives no earlier than the deadline; set_timer to the far future clears STIP.
 */
#include "guest.h"

#define IRQ_S_TIMER (INTERRUPT_BIT | 5)

static volatile u64 timer_irqs, time_at_irq;

static int on_timer(struct frame *f)
{
    if (f->cause != IRQ_S_TIMER)
        return 0;
    time_at_irq = csr_read(time);
    timer_irqs++;
    sbi_call(SBI_EXT_TIME, 0, ~0UL, 0, 0, 0, 0, 0);     /* far future: clears the pending bit */
    return 1;
}

int main(void)
{
    trap_hook = on_timer;
    csr_set(sie, SIE_STIE);
    u64 deadline = csr_read(time) + 10000;
    struct sbiret r = sbi_call(SBI_EXT_TIME, 0, deadline, 0, 0, 0, 0, 0);
    check("set_timer error", r.error, 0);
    /*
     * Wait with sstatus.SIE = 0: wfi still wakes on a pending enabled interrupt, and no interrupt
     * can slip in between the check and the wfi (which would leave the hart asleep for good).
     */
    for (int i = 0; i < 1000000 && (csr_read(sip) & SIE_STIE) == 0; i++)
        __asm__ volatile("wfi");
    csr_set(sstatus, SSTATUS_SIE);              /* now take it */
    for (int i = 0; i < 1000 && timer_irqs == 0; i++)
        ;
    csr_clear(sstatus, SSTATUS_SIE);
    check("one timer interrupt", timer_irqs, 1);
    check_true("interrupt not before the deadline", time_at_irq >= deadline);
    check("STIP clear after set_timer(-1)", csr_read(sip) & SIE_STIE, 0);

    /* A deadline already in the past fires as soon as interrupts are enabled. */
    r = sbi_call(SBI_EXT_TIME, 0, csr_read(time) - 1, 0, 0, 0, 0, 0);
    check("set_timer past error", r.error, 0);
    for (int i = 0; i < 100000 && (csr_read(sip) & SIE_STIE) == 0; i++)
        ;
    check_true("past deadline pends STIP", (csr_read(sip) & SIE_STIE) != 0);
    csr_set(sstatus, SSTATUS_SIE);
    for (int i = 0; i < 1000 && timer_irqs == 1; i++)
        ;
    csr_clear(sstatus, SSTATUS_SIE);
    check("second timer interrupt", timer_irqs, 2);
    return finish("sbi-time");
}
