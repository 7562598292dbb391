/*
 * SBI RFENCE with this hart as the target: remote_fence_i makes rewritten code visible,
 * remote_sfence_vma (whole address space and one page) and remote_sfence_vma_asid make a changed
 * PTE visible, each returning success.
 */
#include "guest.h"

static u64 l1[512] __attribute__((aligned(4096)));
static u64 l0[512] __attribute__((aligned(4096)));
static u64 frames[2][512] __attribute__((aligned(4096)));
static u32 code[2] __attribute__((aligned(4)));
#define VA 0x40000000UL

static u64 leaf(void *pa) { return (((u64)pa >> 12) << 10) | PTE_V | PTE_R | PTE_W | PTE_A | PTE_D; }

static struct sbiret rfence(u64 fid, u64 mask, u64 base, u64 start, u64 size, u64 asid)
{
    return sbi_call(SBI_EXT_RFENCE, fid, mask, base, start, size, asid, 0);
}

static u64 generated(u32 value, u64 hartmask)
{
    code[0] = 0x00000513 | (value << 20);     /* addi a0, x0, value */
    code[1] = 0x00008067;                     /* ret */
    check("remote_fence_i error", rfence(0, hartmask, 0, 0, 0, 0).error, 0);
    return ((u64 (*)(void))(u64)code)();
}

int main(u64 hartid)
{
    u64 mask = 1UL << hartid;
    check("code after remote_fence_i", generated(3, mask), 3);
    check("rewritten code after remote_fence_i", generated(4, mask), 4);

    u64 *root = enable_identity_sv39();
    root[1] = (((u64)l1 >> 12) << 10) | PTE_V;
    l1[0] = (((u64)l0 >> 12) << 10) | PTE_V;
    l0[0] = leaf(frames[0]);
    frames[0][0] = 100;
    frames[1][0] = 200;
    sfence_vma();
    volatile u64 *p = (volatile u64 *)VA;
    check("mapped", *p, 100);
    l0[0] = leaf(frames[1]);
    check("remote_sfence_vma all error", rfence(1, mask, 0, 0, ~0UL, 0).error, 0);
    check("after remote_sfence_vma all", *p, 200);
    l0[0] = leaf(frames[0]);
    check("remote_sfence_vma page error", rfence(1, mask, 0, VA, 4096, 0).error, 0);
    check("after remote_sfence_vma page", *p, 100);
    l0[0] = leaf(frames[1]);
    check("remote_sfence_vma_asid error", rfence(2, mask, 0, 0, ~0UL, 0).error, 0);
    check("after remote_sfence_vma_asid", *p, 200);
    return finish("sbi-rfence");
}
