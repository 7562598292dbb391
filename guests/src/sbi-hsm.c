/*
 * SBI HSM (run with two harts: vmtree exec --harts 2, qemu -smp 2): get_status of this hart is
 * STARTED, another hart is found STOPPED, hart_start runs it in S-mode at our entry with a1 =
 * opaque, it writes a flag and hart_stop()s, after which its status returns to STOPPED; it can be
 * started a second time; a retentive hart_suspend returns once the timer interrupt is pending.
 * Error codes: starting a running hart, status of a missing hart, a reserved suspend type.
 */
#include "guest.h"

#define HSM_STARTED 0
#define HSM_STOPPED 1
#define MAX_HARTS 8

struct mailbox {
    volatile u64 hartid;
    volatile u64 runs;
    volatile u64 satp;
    volatile u64 sie_bit;
    u64 stack[1024];
} __attribute__((aligned(16)));

static struct mailbox box;

void secondary_entry(void);   /* src/sbi-hsm-entry.S: sets sp from the mailbox, calls secondary_main */

void secondary_main(u64 hartid, struct mailbox *m)
{
    m->hartid = hartid;
    m->satp = csr_read(satp);
    m->sie_bit = csr_read(sstatus) & SSTATUS_SIE;
    __asm__ volatile("fence rw, rw" ::: "memory");
    m->runs = m->runs + 1;
    sbi_call(SBI_EXT_HSM, 1, 0, 0, 0, 0, 0, 0);      /* hart_stop: does not return */
    for (;;)
        __asm__ volatile("wfi");
}

static struct sbiret status(u64 hart) { return sbi_call(SBI_EXT_HSM, 2, hart, 0, 0, 0, 0, 0); }

static int wait_stopped(u64 hart)
{
    for (int i = 0; i < 1000000; i++) {
        struct sbiret r = status(hart);
        if (r.error == 0 && r.value == HSM_STOPPED)
            return 1;
    }
    return 0;
}

static int start_and_wait(u64 hart, u64 expected_runs)
{
    struct sbiret r = sbi_call(SBI_EXT_HSM, 0, hart, (u64)secondary_entry, (u64)&box, 0, 0, 0);
    check("hart_start error", r.error, 0);
    for (int i = 0; i < 10000000 && box.runs < expected_runs; i++)
        __asm__ volatile("fence r, r" ::: "memory");
    check("secondary hart ran", box.runs, expected_runs);
    check("secondary got its hart id", box.hartid, hart);
    check("secondary starts with satp 0", box.satp, 0);
    check("secondary starts with SIE clear", box.sie_bit, 0);
    return wait_stopped(hart);
}

int main(u64 hartid)
{
    struct sbiret me = status(hartid);
    check("status of this hart error", me.error, 0);
    check("this hart is STARTED", me.value, HSM_STARTED);

    u64 other = ~0UL;
    for (u64 h = 0; h < MAX_HARTS && other == ~0UL; h++) {
        if (h == hartid)
            continue;
        struct sbiret r = status(h);
        if (r.error == 0 && r.value == HSM_STOPPED)
            other = h;
    }
    if (other == ~0UL) {
        printf("FAIL sbi-hsm needs a second, stopped hart (run with --harts 2)\n");
        return 1;
    }
    printf("sbi-hsm: hart %lu starts hart %lu\n", hartid, other);
    check_true("secondary stops again", start_and_wait(other, 1));
    check_true("secondary restarts and stops", start_and_wait(other, 2));

    struct sbiret r = sbi_call(SBI_EXT_HSM, 0, hartid, (u64)secondary_entry, 0, 0, 0, 0);
    check("hart_start of a running hart", r.error, (u64)SBI_ERR_ALREADY_AVAILABLE);

    /* Default retentive suspend: returns success once an enabled interrupt (the timer) is pending. */
    csr_set(sie, SIE_STIE);
    u64 deadline = csr_read(time) + 10000;
    sbi_call(SBI_EXT_TIME, 0, deadline, 0, 0, 0, 0, 0);
    r = sbi_call(SBI_EXT_HSM, 3, 0, 0, 0, 0, 0, 0);
    check("retentive hart_suspend", r.error, 0);
    check_true("resumed with the timer pending", (csr_read(sip) & SIE_STIE) != 0 && csr_read(time) >= deadline);
    sbi_call(SBI_EXT_TIME, 0, ~0UL, 0, 0, 0, 0, 0);
    csr_clear(sie, SIE_STIE);
    check("reserved suspend type", sbi_call(SBI_EXT_HSM, 3, 0x1234, 0, 0, 0, 0, 0).error, (u64)SBI_ERR_INVALID_PARAM);
    check("status of a missing hart", status(4096).error, (u64)SBI_ERR_INVALID_PARAM);
    return finish("sbi-hsm");
}
