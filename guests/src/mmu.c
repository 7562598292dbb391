/*
 * Sv39 from S-mode: 4 KiB pages, a 2 MiB and a 1 GiB superpage aliasing RAM, load/store/fetch page
 * faults with the right scause/stval/sepc, A/D bits, sfence.vma after a PTE change, SUM and MXR,
 * U-mode access to S pages, a misaligned superpage and a reserved W-without-R encoding.
 *
 * A/D: a core may set A/D in hardware (Svadu) or raise a page fault and let software set them
 * (Svade). Both are accepted: the trap handler sets the missing bit and retries, and the test
 * checks the bits are set afterwards.
 */
#include "guest.h"

#define CAUSE_ECALL_U 8
#define CAUSE_FETCH_PF 12
#define CAUSE_LOAD_PF 13
#define CAUSE_STORE_PF 15
#define CALL_EXIT 0x5e7
#define FAULTED 0xfa017edUL             /* what a U-mode probe "returns" when it faulted */

#define TEST_VA 0x40000000UL            /* 4 KiB test pages: TEST_VA + slot * 4096 */
#define VA(slot) (TEST_VA + (u64)(slot) * 4096)
#define MEGA_VA 0x00200000UL            /* 2 MiB page -> PA 0x80200000 (this program), read-only */
#define BAD_MEGA_VA 0x00400000UL        /* 2 MiB leaf with a misaligned PPN */
#define GIGA_VA 0xC0000000UL            /* 1 GiB page -> PA 0x80000000, read/write */

enum slot { S_RW, S_INVALID, S_READONLY, S_NOEXEC, S_AD_LOAD, S_AD_STORE, S_USER, S_EXECONLY,
            S_REMAP, S_USER_CODE, S_USER_DATA, S_WRITEONLY, SLOTS };

extern char user_page[], user_load[], user_store[], user_jump[];
#define USER_FN(sym) ((void (*)(void))(VA(S_USER_CODE) + ((u64)(sym) - (u64)user_page)))

static u64 root[512] __attribute__((aligned(4096)));
static u64 l1_low[512] __attribute__((aligned(4096)));
static u64 l1_test[512] __attribute__((aligned(4096)));
static u64 l0_test[512] __attribute__((aligned(4096)));
static u64 frames[4][512] __attribute__((aligned(4096)));
static volatile u64 magic = 0x6d6d752d6d61676cUL;

static volatile u64 fault_cause, fault_tval, fault_epc, fault_from_user, faults, ad_fixups;

static u64 leaf(u64 pa, u64 flags) { return ((pa >> 12) << 10) | PTE_V | flags; }
static u64 table(void *next) { return (((u64)next >> 12) << 10) | PTE_V; }

static int ad_fixup(struct frame *f)
{
    u64 va = f->tval;
    if (va < VA(S_AD_LOAD) || va >= VA(S_AD_STORE + 1))
        return 0;
    u64 *pte = &l0_test[(va - TEST_VA) >> 12];
    u64 want = PTE_A | (f->cause == CAUSE_STORE_PF ? PTE_D : 0);
    if ((*pte & want) == want)
        return 0;
    *pte |= want;
    sfence_vma();
    ad_fixups++;
    return 1;                           /* retry the access */
}

static int mmu_trap(struct frame *f)
{
    int from_user = (f->status & SSTATUS_SPP) == 0;
    if (f->cause == CAUSE_ECALL_U && f->regs[17] == CALL_EXIT) {
        f->epc = (u64)s_return;
        f->status |= SSTATUS_SPP;
        return 1;
    }
    if (f->cause != CAUSE_FETCH_PF && f->cause != CAUSE_LOAD_PF && f->cause != CAUSE_STORE_PF)
        return 0;
    if (ad_fixup(f))
        return 1;
    fault_cause = f->cause;
    fault_tval = f->tval;
    fault_epc = f->epc;
    fault_from_user = from_user;
    faults++;
    if (from_user) {                    /* abandon the probe: back to S with a marker */
        f->regs[10] = FAULTED;
        f->epc = (u64)s_return;
        f->status |= SSTATUS_SPP;
    } else if (f->cause == CAUSE_FETCH_PF) {
        f->epc = f->regs[1];            /* probes jump with jalr ra */
    } else {
        f->epc += 4;                    /* probes are 4-byte loads and stores */
    }
    return 1;
}

/* Loads/stores that may fault; on a fault the result is FAULTED. */
static u64 probe_load(u64 va)
{
    u64 v = FAULTED, n = faults;
    __asm__ volatile(".option push\n.option norvc\nld %0, 0(%1)\n.option pop" : "+r"(v) : "r"(va) : "memory");
    return faults != n ? FAULTED : v;
}

static int probe_store(u64 va, u64 v)
{
    u64 n = faults;
    __asm__ volatile(".option push\n.option norvc\nsd %0, 0(%1)\n.option pop" :: "r"(v), "r"(va) : "memory");
    return faults == n;
}

static int probe_fetch(u64 va)
{
    u64 n = faults;
    __asm__ volatile("jalr ra, 0(%0)" :: "r"(va) : "ra", "memory");
    return faults == n;
}

static void build_tables(void)
{
    u64 global = PTE_A | PTE_D;
    root[0] = table(l1_low);
    root[1] = table(l1_test);
    root[2] = leaf(0x80000000UL, PTE_R | PTE_W | PTE_X | global);
    root[3] = leaf(0x80000000UL, PTE_R | PTE_W | global);
    l1_low[1] = leaf(0x80200000UL, PTE_R | global);
    l1_low[2] = leaf(0x80201000UL, PTE_R | global);     /* PPN[0] != 0: misaligned superpage */
    l1_test[0] = table(l0_test);
    l0_test[S_RW] = leaf((u64)frames[0], PTE_R | PTE_W | global);
    l0_test[S_INVALID] = 0;
    l0_test[S_READONLY] = leaf((u64)frames[0], PTE_R | global);
    l0_test[S_NOEXEC] = leaf((u64)frames[0], PTE_R | PTE_W | global);
    l0_test[S_AD_LOAD] = leaf((u64)frames[1], PTE_R | PTE_W);
    l0_test[S_AD_STORE] = leaf((u64)frames[1], PTE_R | PTE_W);
    l0_test[S_USER] = leaf((u64)frames[0], PTE_R | PTE_W | PTE_U | global);
    l0_test[S_EXECONLY] = leaf((u64)frames[0], PTE_X | global);
    l0_test[S_REMAP] = leaf((u64)frames[2], PTE_R | PTE_W | global);
    l0_test[S_USER_CODE] = leaf((u64)user_page, PTE_R | PTE_X | PTE_U | global);
    l0_test[S_USER_DATA] = leaf((u64)frames[3], PTE_R | PTE_W | PTE_U | global);
    l0_test[S_WRITEONLY] = leaf((u64)frames[0], PTE_W | global);  /* reserved encoding */
}

static void mappings(void)
{
    frames[0][0] = 0x1111;
    check("4K page reads the frame", probe_load(VA(S_RW)), 0x1111);
    check_true("4K page store", probe_store(VA(S_RW) + 8, 0x2222));
    check("store through 4K page reaches the frame", frames[0][1], 0x2222);
    u64 off = (u64)&magic - 0x80200000UL;
    check("2M superpage alias", probe_load(MEGA_VA + off), magic);
    check("1G superpage alias", probe_load(GIGA_VA + ((u64)&magic - 0x80000000UL)), magic);
    check_true("store through 1G alias", probe_store(GIGA_VA + ((u64)&frames[0][2] - 0x80000000UL), 0x3333));
    check("1G alias store reaches RAM", frames[0][2], 0x3333);
}

static void expect_fault(const char *what, u64 cause, u64 tval)
{
    check(what, fault_cause, cause);
    check(what, fault_tval, tval);
}

static void faults_by_kind(void)
{
    check("load from invalid PTE faults", probe_load(VA(S_INVALID) + 16), FAULTED);
    expect_fault("load page fault", CAUSE_LOAD_PF, VA(S_INVALID) + 16);
    check_true("store to read-only page faults", !probe_store(VA(S_READONLY) + 24, 1));
    expect_fault("store page fault", CAUSE_STORE_PF, VA(S_READONLY) + 24);
    check("read-only page still readable", probe_load(VA(S_READONLY)), 0x1111);
    check_true("fetch from non-executable page faults", !probe_fetch(VA(S_NOEXEC) + 32));
    expect_fault("fetch page fault", CAUSE_FETCH_PF, VA(S_NOEXEC) + 32);
    check("fetch fault sepc", fault_epc, VA(S_NOEXEC) + 32);
    check_true("store to 2M read-only page faults", !probe_store(MEGA_VA, 1));
    expect_fault("2M store fault", CAUSE_STORE_PF, MEGA_VA);
    check("misaligned superpage faults", probe_load(BAD_MEGA_VA + 8), FAULTED);
    expect_fault("misaligned superpage fault", CAUSE_LOAD_PF, BAD_MEGA_VA + 8);
    check("W without R is reserved", probe_load(VA(S_WRITEONLY)), FAULTED);
    expect_fault("reserved PTE fault", CAUSE_LOAD_PF, VA(S_WRITEONLY));
}

static void accessed_and_dirty(void)
{
    frames[1][0] = 0xad;
    check("load from A=0 page", probe_load(VA(S_AD_LOAD)), 0xad);
    check_true("load sets A", (l0_test[S_AD_LOAD] & PTE_A) != 0);
    check_true("load leaves D clear", (l0_test[S_AD_LOAD] & PTE_D) == 0);
    check_true("store to A=0,D=0 page", probe_store(VA(S_AD_STORE) + 8, 0xd1));
    check_true("store sets A", (l0_test[S_AD_STORE] & PTE_A) != 0);
    check_true("store sets D", (l0_test[S_AD_STORE] & PTE_D) != 0);
    check("store landed", frames[1][1], 0xd1);
    printf("mmu: A/D %s (%lu software fix-ups)\n", ad_fixups ? "by page fault (Svade)" : "by hardware (Svadu)", ad_fixups);
}

static void sfence(void)
{
    frames[2][0] = 0xaaaa;
    frames[3][0] = 0xbbbb;
    check("before remap", probe_load(VA(S_REMAP)), 0xaaaa);
    l0_test[S_REMAP] = leaf((u64)frames[3], PTE_R | PTE_W | PTE_A | PTE_D | PTE_G);
    __asm__ volatile("sfence.vma %0, zero" :: "r"(VA(S_REMAP)) : "memory");
    check("sfence.vma va sees the new frame", probe_load(VA(S_REMAP)), 0xbbbb);
    l0_test[S_REMAP] = 0;
    sfence_vma();
    check("sfence.vma after invalidation faults", probe_load(VA(S_REMAP)), FAULTED);
    l0_test[S_REMAP] = leaf((u64)frames[2], PTE_R | PTE_W | PTE_A | PTE_D | PTE_G);
    sfence_vma();
    check("mapping restored", probe_load(VA(S_REMAP)), 0xaaaa);
}

static void sum_and_mxr(void)
{
    csr_clear(sstatus, SSTATUS_SUM | SSTATUS_MXR);
    check("S load from U page without SUM faults", probe_load(VA(S_USER)), FAULTED);
    expect_fault("SUM=0 fault", CAUSE_LOAD_PF, VA(S_USER));
    csr_set(sstatus, SSTATUS_SUM);
    check("S load from U page with SUM", probe_load(VA(S_USER)), 0x1111);
    check_true("S fetch from U page faults even with SUM", !probe_fetch(VA(S_USER_CODE)));
    expect_fault("S fetch from U page", CAUSE_FETCH_PF, VA(S_USER_CODE));
    csr_clear(sstatus, SSTATUS_SUM);
    check("load from execute-only page faults", probe_load(VA(S_EXECONLY)), FAULTED);
    csr_set(sstatus, SSTATUS_MXR);
    check("load from execute-only page with MXR", probe_load(VA(S_EXECONLY)), 0x1111);
    csr_clear(sstatus, SSTATUS_MXR);
}

static void user_mode(void)
{
    frames[3][0] = 0x05e7da7a;
    check("U load from U page", enter_user(USER_FN(user_load), 0, VA(S_USER_DATA), 0), 0x05e7da7a);
    check("U store to U page", enter_user(USER_FN(user_store), 0, VA(S_USER_DATA) + 8, 0x77), 0);
    check("U store landed", frames[3][1], 0x77);
    check("U load from S page faults", enter_user(USER_FN(user_load), 0, VA(S_RW), 0), FAULTED);
    check("U fault is from U-mode", fault_from_user, 1);
    expect_fault("U load fault", CAUSE_LOAD_PF, VA(S_RW));
    csr_set(sstatus, SSTATUS_SUM);      /* SUM never lets U-mode reach S pages */
    check("U store to S page faults with SUM", enter_user(USER_FN(user_store), 0, VA(S_RW), 1), FAULTED);
    expect_fault("U store fault", CAUSE_STORE_PF, VA(S_RW));
    csr_clear(sstatus, SSTATUS_SUM);
    check("U fetch from S page faults", enter_user(USER_FN(user_jump), 0, (u64)probe_load, 0), FAULTED);
    expect_fault("U fetch fault", CAUSE_FETCH_PF, (u64)probe_load);
}

int main(void)
{
    trap_hook = mmu_trap;
    build_tables();
    sfence_vma();
    csr_write(satp, SATP_SV39 | ((u64)root >> 12));
    sfence_vma();
    check("satp reads back", csr_read(satp), SATP_SV39 | ((u64)root >> 12));
    mappings();
    faults_by_kind();
    accessed_and_dirty();
    sfence();
    sum_and_mxr();
    user_mode();
    return finish("mmu");
}
