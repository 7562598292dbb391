/*
 * A extension: every AMO in .w and .d form (old value returned, sign-extended for .w; memory
 * updated), and LR/SC: success, a second SC after a successful one fails, an SC to an address
 * outside the reservation fails and leaves memory alone.
 */
#include "guest.h"

static volatile u64 cell[1024] __attribute__((aligned(4096)));

#define AMO(op, addr, v) ({ u64 old; \
        __asm__ volatile(op " %0, %2, (%1)" : "=r"(old) : "r"(addr), "r"((u64)(v)) : "memory"); old; })

/* Sets the cell, runs one AMO, checks the returned old value and the new memory contents. */
#define T_AMO_D(op, init, v, exp_mem) do { \
        cell[0] = (init); \
        check(op " old", AMO(op, &cell[0], v), (u64)(init)); \
        check(op " memory", cell[0], exp_mem); \
    } while (0)
#define T_AMO_W(op, init, v, exp_old, exp_mem) do { \
        cell[0] = 0x5a5a5a5a00000000UL | (u32)(init); \
        check(op " old", AMO(op, &cell[0], v), exp_old); \
        check(op " memory", cell[0], 0x5a5a5a5a00000000UL | (u32)(exp_mem)); \
    } while (0)

static void amos(void)
{
    T_AMO_D("amoswap.d", 0x1111111111111111UL, 0x2222222222222222UL, 0x2222222222222222UL);
    T_AMO_D("amoadd.d", 0xffffffffffffffffUL, 2, 1);
    T_AMO_D("amoxor.d", 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL, 0xf0f0f0f0f0f0f0f0UL);
    T_AMO_D("amoand.d", 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL, 0x0f000f000f000f00UL);
    T_AMO_D("amoor.d", 0xff00ff00ff00ff00UL, 0x0ff00ff00ff00ff0UL, 0xfff0fff0fff0fff0UL);
    T_AMO_D("amomin.d", 5, 0xfffffffffffffffbUL, 0xfffffffffffffffbUL);
    T_AMO_D("amomin.d", 0xfffffffffffffffbUL, 5, 0xfffffffffffffffbUL);
    T_AMO_D("amomax.d", 5, 0xfffffffffffffffbUL, 5);
    T_AMO_D("amomax.d", 0x8000000000000000UL, 0x7fffffffffffffffUL, 0x7fffffffffffffffUL);
    T_AMO_D("amominu.d", 5, 0xfffffffffffffffbUL, 5);
    T_AMO_D("amomaxu.d", 5, 0xfffffffffffffffbUL, 0xfffffffffffffffbUL);

    /* .w: operates on the low word only, returns it sign-extended, leaves the high word alone. */
    T_AMO_W("amoswap.w", 0x80000001, 0x1234567876543210UL, 0xffffffff80000001UL, 0x76543210);
    T_AMO_W("amoadd.w", 0x7fffffff, 1, 0x7fffffff, 0x80000000);
    T_AMO_W("amoadd.w", 0xffffffff, 0x100000001UL, 0xffffffffffffffffUL, 0);
    T_AMO_W("amoxor.w", 0xff00ff00, 0x0ff00ff0, 0xffffffffff00ff00UL, 0xf0f0f0f0);
    T_AMO_W("amoand.w", 0xff00ff00, 0x0ff00ff0, 0xffffffffff00ff00UL, 0x0f000f00);
    T_AMO_W("amoor.w", 0x0f00ff00, 0x0ff00ff0, 0x0f00ff00, 0x0ff0fff0);
    T_AMO_W("amomin.w", 5, 0xfffffffb, 5, 0xfffffffb);
    T_AMO_W("amomin.w", 5, 0x00000000fffffffbUL, 5, 0xfffffffb);   /* compares 32-bit signed */
    T_AMO_W("amomax.w", 0x80000000, 0x7fffffff, 0xffffffff80000000UL, 0x7fffffff);
    T_AMO_W("amominu.w", 5, 0xfffffffb, 5, 5);
    T_AMO_W("amomaxu.w", 5, 0xfffffffb, 5, 0xfffffffb);
    T_AMO_W("amomaxu.w", 0x80000000, 0x17fffffffUL, 0xffffffff80000000UL, 0x80000000);
}

static void lr_sc(void)
{
    u64 v, fail;
    cell[0] = 41;
    __asm__ volatile("lr.d %0, (%2)\n addi %0, %0, 1\n sc.d %1, %0, (%2)"
                     : "=&r"(v), "=&r"(fail) : "r"(&cell[0]) : "memory");
    check("sc.d after lr.d succeeds", fail, 0);
    check("sc.d stored", cell[0], 42);
    __asm__ volatile("sc.d %0, %1, (%2)" : "=&r"(fail) : "r"(7UL), "r"(&cell[0]) : "memory");
    check_true("second sc.d without lr fails", fail != 0);
    check("failed sc.d stores nothing", cell[0], 42);

    cell[0] = 0xffffffff00000005UL;
    __asm__ volatile("lr.w %0, (%1)" : "=&r"(v) : "r"(&cell[0]) : "memory");
    check("lr.w sign-extends", v, 5);
    __asm__ volatile("sc.w %0, %1, (%2)" : "=&r"(fail) : "r"(0x80000000UL), "r"(&cell[0]) : "memory");
    check("sc.w succeeds", fail, 0);
    check("sc.w stores low word", cell[0], 0xffffffff80000000UL);

    cell[512] = 9;
    __asm__ volatile("lr.d %0, (%2)\n sc.d %1, %0, (%3)"
                     : "=&r"(v), "=&r"(fail) : "r"(&cell[0]), "r"(&cell[512]) : "memory");
    check_true("sc.d to another address fails", fail != 0);
    check("sc.d to another address stores nothing", cell[512], 9);

    /* The usual retry loop converges. */
    cell[1] = 100;
    for (int i = 0; i < 10; i++) {
        __asm__ volatile("1: lr.d %0, (%2)\n addi %0, %0, 3\n sc.d %1, %0, (%2)\n bnez %1, 1b"
                         : "=&r"(v), "=&r"(fail) : "r"(&cell[1]) : "memory");
    }
    check("lr/sc increment loop", cell[1], 130);
}

int main(void)
{
    amos();
    lr_sc();
    return finish("a");
}
