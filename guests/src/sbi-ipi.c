/*
 * SBI IPI: send_ipi to this hart (by mask with base 0, and by base = hart id) raises the
 * supervisor software interrupt; the handler clears SSIP.
 */
#include "guest.h"

#define IRQ_S_SOFT (INTERRUPT_BIT | 1)

static volatile u64 soft_irqs;

static int on_soft(struct frame *f)
{
    if (f->cause != IRQ_S_SOFT)
        return 0;
    soft_irqs++;
    csr_clear(sip, SIE_SSIE);
    return 1;
}

/* Waits for SSIP with sstatus.SIE = 0 (no lost wake-up between check and wfi), then takes it. */
static void wait_for(u64 count)
{
    for (int i = 0; i < 1000000 && (csr_read(sip) & SIE_SSIE) == 0 && soft_irqs < count; i++)
        __asm__ volatile("wfi");
    csr_set(sstatus, SSTATUS_SIE);
    for (int i = 0; i < 1000 && soft_irqs < count; i++)
        ;
    csr_clear(sstatus, SSTATUS_SIE);
}

int main(u64 hartid)
{
    trap_hook = on_soft;
    csr_set(sie, SIE_SSIE);
    struct sbiret r = sbi_call(SBI_EXT_IPI, 0, 1UL << hartid, 0, 0, 0, 0, 0);
    check("send_ipi mask error", r.error, 0);
    wait_for(1);
    check("IPI by mask arrives", soft_irqs, 1);
    r = sbi_call(SBI_EXT_IPI, 0, 1, hartid, 0, 0, 0, 0);
    check("send_ipi base error", r.error, 0);
    wait_for(2);
    check("IPI by base arrives", soft_irqs, 2);
    check("SSIP clear", csr_read(sip) & SIE_SSIE, 0);
    return finish("sbi-ipi");
}
