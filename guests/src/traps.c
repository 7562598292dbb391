/*
 * Traps, delegation and privilege transitions, run in M-mode (vmtree exec --m-mode). Walks
 * M -> S -> U and back: ecalls from each mode land in the right mode with the right cause,
 * illegal instructions and page faults follow medeleg, mret/sret set the privilege and MPP/SPP,
 * the CLINT timer interrupts M (also from U while mstatus.MIE=0), and delegated supervisor timer
 * and software interrupts reach S. Also: misa, the CLINT software interrupt, load access faults
 * outside memory, mstatus.MPRV, and mcounteren gating S-mode counter reads. No console: the result is the HTIF tohost value, 1 on pass,
 * (n << 1) | 1 for the first failing check number n.
 */
#include "guest.h"

#define MSTATUS_MIE (1UL << 3)
#define MSTATUS_MPP (3UL << 11)
#define MIE_MTIE (1UL << 7)
#define MIE_MSIE (1UL << 3)
#define MIP_MSIP (1UL << 3)
#define MSTATUS_MPRV (1UL << 17)
#define CAUSE_LOAD_ACCESS 5
#define IRQ_M_SOFT (INTERRUPT_BIT | 3)
#define CLINT_MSIP ((volatile u32 *)0x02000000UL)
#define NOT_RAM 0xC0000000UL            /* no memory or device there on virt, spike or vmtree */
#define MIP_MTIP (1UL << 7)
#define MIP_STIP (1UL << 5)
#define MIP_SSIP (1UL << 1)
#define CAUSE_ILLEGAL 2
#define CAUSE_ECALL_U 8
#define CAUSE_ECALL_S 9
#define CAUSE_ECALL_M 11
#define CAUSE_FETCH_PF 12
#define CAUSE_LOAD_PF 13
#define CAUSE_STORE_PF 15
#define IRQ_S_SOFT (INTERRUPT_BIT | 1)
#define IRQ_S_TIMER (INTERRUPT_BIT | 5)
#define IRQ_M_TIMER (INTERRUPT_BIT | 7)

/* a7 values our own ecalls use: leave the current mode for the one that entered it / clear STIP. */
#define CALL_EXIT 0x5e7
#define CALL_CLEAR_STIP 0x5e8

#define CLINT_MTIMECMP ((volatile u64 *)0x02004000UL)
#define CLINT_MTIME ((volatile u64 *)0x0200bff8UL)
#define UNMAPPED_VA 0x40001000UL
#define UNMAPPED_CODE_VA 0x40002000UL

u64 enter_mode(u64 mpp, void (*fn)(void), u64 sp);
void m_return(void);

static u8 s_stack[8192] __attribute__((aligned(16)));
static u8 u_stack[8192] __attribute__((aligned(16)));
#define S_STACK ((u64)s_stack + sizeof s_stack)
#define U_STACK ((u64)u_stack + sizeof u_stack)

/* What the last trap into each mode saw. */
static volatile u64 m_cause, m_epc, m_tval, m_mpp, m_traps;
static volatile u64 s_cause, s_epc, s_tval, s_spp, s_traps;
static volatile u64 m_timer_irqs, s_timer_irqs, s_soft_irqs, m_soft_irqs;

static int first_failure;
#define CHECK(n, cond) do { if (!(cond) && first_failure == 0) first_failure = (n); } while (0)

static inline void ecall(u64 a7)
{
    register u64 r7 __asm__("a7") = a7;
    __asm__ volatile(".option push\n.option norvc\necall\n.option pop" :: "r"(r7) : "memory");
}

static inline void __attribute__((noreturn)) exit_mode(u64 code)
{
    register u64 r0 __asm__("a0") = code;
    register u64 r7 __asm__("a7") = CALL_EXIT;
    __asm__ volatile("ecall" :: "r"(r0), "r"(r7) : "memory");
    for (;;)
        ;
}

/* Address of the 4-byte instruction the asm block runs at label 1. */
#define AT_LABEL(insn) ({ u64 pc; \
        __asm__ volatile(".option push\n.option norvc\nlla %0, 1f\n1: " insn "\n.option pop" \
                         : "=&r"(pc) :: "t0", "memory"); pc; })

static int returns_and_skips(struct frame *f, u64 cause)
{
    switch (cause) {
    case CAUSE_ILLEGAL:
    case CAUSE_LOAD_ACCESS:
    case CAUSE_ECALL_U:
    case CAUSE_ECALL_S:
    case CAUSE_ECALL_M:
    case CAUSE_LOAD_PF:
    case CAUSE_STORE_PF:
        f->epc += 4;
        return 1;
    case CAUSE_FETCH_PF:
        f->epc = f->regs[1];    /* the probe jumped with jalr ra: go back to the caller */
        return 1;
    default:
        return 0;
    }
}

extern volatile u64 tohost;

/* A trap nobody expected: report check 127 and stop. */
static void __attribute__((noreturn)) unexpected(void)
{
    tohost = (127 << 1) | 1;
    for (;;)
        __asm__ volatile("wfi");
}

void m_trap_dispatch(struct frame *f)
{
    if (f->cause == IRQ_M_SOFT) {
        m_soft_irqs++;
        *CLINT_MSIP = 0;
        return;
    }
    if (f->cause == IRQ_M_TIMER) {
        m_timer_irqs++;
        *CLINT_MTIMECMP = ~0UL;
        return;
    }
    m_cause = f->cause;
    m_epc = f->epc;
    m_tval = f->tval;
    m_mpp = (f->status & MSTATUS_MPP) >> 11;
    m_traps++;
    if ((f->cause == CAUSE_ECALL_U || f->cause == CAUSE_ECALL_S) && f->regs[17] == CALL_EXIT) {
        f->epc = (u64)m_return;
        f->status |= MSTATUS_MPP;               /* mret back into M-mode; a0 is the result */
        return;
    }
    if (f->cause == CAUSE_ECALL_S && f->regs[17] == CALL_CLEAR_STIP)
        csr_clear(mip, MIP_STIP);
    if (!returns_and_skips(f, f->cause))
        unexpected();
}

void s_trap_dispatch(struct frame *f)
{
    if (f->cause == IRQ_S_TIMER) {
        s_timer_irqs++;
        ecall(CALL_CLEAR_STIP);                 /* only M can clear a pending STIP it raised */
        return;
    }
    if (f->cause == IRQ_S_SOFT) {
        s_soft_irqs++;
        csr_clear(sip, MIP_SSIP);
        return;
    }
    s_cause = f->cause;
    s_epc = f->epc;
    s_tval = f->tval;
    s_spp = (f->status & SSTATUS_SPP) >> 8;
    s_traps++;
    if (f->cause == CAUSE_ECALL_U && f->regs[17] == CALL_EXIT) {
        f->epc = (u64)s_return;
        f->status |= SSTATUS_SPP;               /* sret back into S-mode; a0 is the result */
        return;
    }
    if (!returns_and_skips(f, f->cause))
        unexpected();
}

/* Legal: either 0 or the faulting instruction's bits (both are allowed by the privileged spec). */
static int tval_of_illegal(u64 tval, u64 bits) { return tval == 0 || tval == bits; }

/* ---- U-mode code (runs with satp = 0; PMP entry 0 grants access) ---- */

static void user_traps(void)
{
    u64 pc = AT_LABEL("ecall");                 /* a7 is whatever it is: not CALL_EXIT */
    CHECK(40, s_cause == CAUSE_ECALL_U && s_epc == pc && s_spp == 0);
    pc = AT_LABEL("csrr t0, sstatus");
    CHECK(41, s_cause == CAUSE_ILLEGAL && s_epc == pc && s_spp == 0);
    CHECK(42, tval_of_illegal(s_tval, 0x100022f3));
    exit_mode(77);
}

static void user_to_m(void)
{
    u64 pc = AT_LABEL("ecall");
    CHECK(60, m_cause == CAUSE_ECALL_U && m_epc == pc && m_mpp == 0);
    exit_mode(0);
}

static void user_waits_for_m_timer(void)
{
    for (u64 i = 0; i < 10000000 && m_timer_irqs < 2; i++)
        ;
    exit_mode(m_timer_irqs);
}

/* ---- S-mode code ---- */

static void supervisor_traps(void)
{
    u64 before = m_traps;
    u64 pc = AT_LABEL("ecall");                 /* not delegated: goes to M */
    CHECK(30, m_traps == before + 1 && m_cause == CAUSE_ECALL_S && m_epc == pc && m_mpp == 1);
    pc = AT_LABEL("csrr t0, mscratch");         /* delegated: goes to S */
    CHECK(31, s_cause == CAUSE_ILLEGAL && s_epc == pc && s_spp == 1);
    CHECK(32, tval_of_illegal(s_tval, 0x340022f3));
    CHECK(33, m_traps == before + 1);
    CHECK(34, enter_user(user_traps, U_STACK, 0, 0) == 77);
    CHECK(35, s_cause == CAUSE_ECALL_U && s_spp == 0);
    CHECK(36, (csr_read(sstatus) & SSTATUS_SPP) == 0);   /* sret to U left SPP = U */
    exit_mode(5);
}

static void supervisor_page_faults(void)
{
    u64 pc;
    __asm__ volatile(".option push\n.option norvc\nlla %0, 1f\n1: ld t0, 0(%1)\n.option pop"
                     : "=&r"(pc) : "r"(UNMAPPED_VA) : "t0", "memory");
    CHECK(50, s_cause == CAUSE_LOAD_PF && s_epc == pc && s_tval == UNMAPPED_VA && s_spp == 1);
    __asm__ volatile(".option push\n.option norvc\nlla %0, 1f\n1: sd zero, 8(%1)\n.option pop"
                     : "=&r"(pc) : "r"(UNMAPPED_VA) : "memory");
    CHECK(51, s_cause == CAUSE_STORE_PF && s_epc == pc && s_tval == UNMAPPED_VA + 8);
    __asm__ volatile("jalr ra, 0(%0)" :: "r"(UNMAPPED_CODE_VA) : "ra", "memory");
    CHECK(52, s_cause == CAUSE_FETCH_PF && s_epc == UNMAPPED_CODE_VA && s_tval == UNMAPPED_CODE_VA);
    exit_mode(6);
}

static void supervisor_load_fault_to_m(void)
{
    u64 before = s_traps;
    __asm__ volatile("ld t0, 0(%0)" :: "r"(UNMAPPED_VA + 16) : "t0", "memory");
    CHECK(55, m_cause == CAUSE_LOAD_PF && m_tval == UNMAPPED_VA + 16 && m_mpp == 1);
    CHECK(56, s_traps == before);
    exit_mode(7);
}

static void supervisor_interrupts(void)
{
    csr_set(sie, SIE_STIE | SIE_SSIE);
    csr_set(sstatus, SSTATUS_SIE);              /* STIP is already pending: taken right here */
    for (int i = 0; i < 1000 && s_timer_irqs == 0; i++)
        ;
    CHECK(80, s_timer_irqs == 1);
    CHECK(81, (csr_read(sip) & MIP_STIP) == 0);
    csr_set(sip, MIP_SSIP);                     /* S may raise its own software interrupt */
    for (int i = 0; i < 1000 && s_soft_irqs == 0; i++)
        ;
    CHECK(82, s_soft_irqs == 1);
    csr_clear(sstatus, SSTATUS_SIE);
    exit_mode(8);
}

/* ---- M-mode driver ---- */

static u64 root_table[512] __attribute__((aligned(4096)));

static void machine_traps(void)
{
    u64 pc = AT_LABEL("ecall");
    CHECK(1, m_cause == CAUSE_ECALL_M && m_epc == pc && m_mpp == 3);
    pc = AT_LABEL("csrw mvendorid, zero");      /* read-only CSR: illegal to write */
    CHECK(2, m_cause == CAUSE_ILLEGAL && m_epc == pc);
    CHECK(3, tval_of_illegal(m_tval, 0xf1101073));
}

static void supervisor_counters_denied(void)
{
    u64 pc = AT_LABEL("rdcycle t0");            /* mcounteren.CY = 0: illegal in S, delegated */
    CHECK(100, s_cause == CAUSE_ILLEGAL && s_epc == pc);
    pc = AT_LABEL("rdinstret t0");
    CHECK(101, s_cause == CAUSE_ILLEGAL && s_epc == pc);
    exit_mode(9);
}

static void supervisor_counters_allowed(void)
{
    u64 before = s_traps;
    __asm__ volatile("rdcycle t0\n rdinstret t0" ::: "t0");
    CHECK(102, s_traps == before);
    exit_mode(10);
}

static volatile u64 marker = 0x4d5052564d505256UL;

/* misa, a CLINT software interrupt, mstatus.MPRV translating M-mode loads, access faults. */
static void machine_features(void)
{
    u64 misa = csr_read(misa);
    u64 need = (1UL << ('I' - 'A')) | (1UL << ('M' - 'A')) | (1UL << ('A' - 'A')) | (1UL << ('C' - 'A'))
               | (1UL << ('S' - 'A')) | (1UL << ('U' - 'A'));
    CHECK(90, misa >> 62 == 2 && (misa & need) == need);
    CHECK(91, csr_read(mhartid) == 0);

    csr_set(mie, MIE_MSIE);
    *CLINT_MSIP = 1;
    csr_set(mstatus, MSTATUS_MIE);
    for (int i = 0; i < 1000 && m_soft_irqs == 0; i++)
        ;
    csr_clear(mstatus, MSTATUS_MIE);
    csr_clear(mie, MIE_MSIE);
    CHECK(92, m_soft_irqs == 1 && (csr_read(mip) & MIP_MSIP) == 0);

    u64 pc;
    __asm__ volatile(".option push\n.option norvc\nlla %0, 1f\n1: ld t0, 0(%1)\n.option pop"
                     : "=&r"(pc) : "r"(NOT_RAM) : "t0", "memory");
    CHECK(93, m_cause == CAUSE_LOAD_ACCESS && m_epc == pc && m_tval == NOT_RAM);

    /* With MPRV = 1 and MPP = S, M-mode loads use S-mode translation: NOT_RAM is an alias of RAM. */
    root_table[3] = ((0x80000000UL >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D;
    csr_write(satp, SATP_SV39 | ((u64)root_table >> 12));
    sfence_vma();
    u64 alias = NOT_RAM + ((u64)&marker - 0x80000000UL), seen;
    csr_clear(mstatus, MSTATUS_MPP);
    csr_set(mstatus, (1UL << 11) | MSTATUS_MPRV);
    __asm__ volatile("ld %0, 0(%1)" : "=r"(seen) : "r"(alias) : "memory");
    csr_clear(mstatus, MSTATUS_MPRV);
    CHECK(94, seen == marker);
    csr_write(satp, 0);
    sfence_vma();
    root_table[3] = 0;
}

static void machine_timer(void)
{
    /*
     * Wait with mstatus.MIE = 0 (an earlier mret may have left it set from MPIE): wfi still wakes on
     * a pending enabled interrupt, and no interrupt can slip in between the check and the wfi,
     * which would leave the hart asleep for good.
     */
    csr_clear(mstatus, MSTATUS_MIE);
    *CLINT_MTIMECMP = *CLINT_MTIME + 1000;
    csr_set(mie, MIE_MTIE);
    for (int i = 0; i < 100000 && (csr_read(mip) & MIP_MTIP) == 0; i++)
        __asm__ volatile("wfi");
    csr_set(mstatus, MSTATUS_MIE);              /* now take it */
    for (int i = 0; i < 1000 && m_timer_irqs == 0; i++)
        ;
    csr_clear(mstatus, MSTATUS_MIE);
    CHECK(70, m_timer_irqs == 1);
    CHECK(71, (csr_read(mip) & MIP_MTIP) == 0);
    /* With mstatus.MIE = 0, an M interrupt is still taken while the hart runs in U-mode. */
    *CLINT_MTIMECMP = *CLINT_MTIME + 2000;
    CHECK(72, enter_mode(0, user_waits_for_m_timer, U_STACK) == 2);
    csr_clear(mie, MIE_MTIE);
}

int main(void)
{
    machine_traps();

    u64 medeleg = (1UL << CAUSE_ILLEGAL) | (1UL << CAUSE_ECALL_U) | (1UL << CAUSE_FETCH_PF)
                  | (1UL << CAUSE_LOAD_PF) | (1UL << CAUSE_STORE_PF);
    csr_write(medeleg, medeleg);
    csr_write(mideleg, MIP_SSIP | MIP_STIP);
    CHECK(10, csr_read(medeleg) == medeleg);
    CHECK(11, (csr_read(mideleg) & (MIP_SSIP | MIP_STIP)) == (MIP_SSIP | MIP_STIP));

    CHECK(20, enter_mode(1, supervisor_traps, S_STACK) == 5);
    CHECK(21, m_cause == CAUSE_ECALL_S && m_mpp == 1);
    CHECK(22, (csr_read(mstatus) & MSTATUS_MPP) == 0);  /* mret leaves MPP = U (least privileged) */

    csr_clear(medeleg, 1UL << CAUSE_ECALL_U);
    CHECK(23, enter_mode(0, user_to_m, U_STACK) == 0);
    CHECK(24, m_cause == CAUSE_ECALL_U && m_mpp == 0);

    /* Sv39 with one 1 GiB identity page over RAM; 0x40000000.. stays unmapped. */
    root_table[2] = ((0x80000000UL >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D;
    csr_write(satp, SATP_SV39 | ((u64)root_table >> 12));
    sfence_vma();
    CHECK(25, enter_mode(1, supervisor_page_faults, S_STACK) == 6);
    csr_clear(medeleg, 1UL << CAUSE_LOAD_PF);
    CHECK(26, enter_mode(1, supervisor_load_fault_to_m, S_STACK) == 7);
    csr_write(satp, 0);
    sfence_vma();

    machine_timer();
    machine_features();

    csr_write(mcounteren, 0);
    CHECK(28, enter_mode(1, supervisor_counters_denied, S_STACK) == 9);
    csr_write(mcounteren, 7);
    CHECK(29, enter_mode(1, supervisor_counters_allowed, S_STACK) == 10);

    csr_set(mip, MIP_STIP);
    CHECK(27, enter_mode(1, supervisor_interrupts, S_STACK) == 8);
    return first_failure;
}
