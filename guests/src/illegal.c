/*
 * Reserved and privileged encodings must raise the right exception: reserved RV64IMAC and RVC
 * encodings (all zeros, c.addi4spn/c.lui/c.addi16sp with zero immediates, c.lwsp/c.ldsp with
 * rd = x0, c.jr x0, slliw with shamt[5], undefined funct3/funct7 values) raise illegal
 * instruction with stval 0 or the encoding; ebreak and c.ebreak raise breakpoint; mret from S and
 * sret, sfence.vma and S CSRs from U are illegal.
 */
#include "guest.h"

#define CAUSE_ILLEGAL 2
#define CAUSE_BREAKPOINT 3
#define CAUSE_ECALL_U 8
#define CALL_EXIT 0x5e7
#define TRAPPED 0x7a9UL

static volatile u64 cause, epc, tval, from_user;

static int on_trap(struct frame *f)
{
    if (f->cause == CAUSE_ECALL_U && f->regs[17] == CALL_EXIT) {
        f->epc = (u64)s_return;
        f->status |= SSTATUS_SPP;
        return 1;
    }
    if (f->cause != CAUSE_ILLEGAL && f->cause != CAUSE_BREAKPOINT)
        return 0;
    cause = f->cause;
    epc = f->epc;
    tval = f->tval;
    from_user = (f->status & SSTATUS_SPP) == 0;
    if (from_user) {
        f->regs[10] = TRAPPED;
        f->epc = (u64)s_return;
        f->status |= SSTATUS_SPP;
    } else {
        /* Skip the probe: its length follows from the low bits of the first halfword. */
        f->epc += (*(volatile u16 *)f->epc & 3) == 3 ? 4 : 2;
    }
    return 1;
}

/* The probes: each a label and one instruction, emitted raw so no assembler rule can reject them. */
#define PROBE16(name, bits) \
    static u64 name(void) { u64 at; __asm__ volatile("lla %0, 1f\n1: .2byte " #bits : "=&r"(at) :: "memory"); return at; }
#define PROBE32(name, bits) \
    static u64 name(void) { u64 at; __asm__ volatile("lla %0, 1f\n1: .4byte " #bits : "=&r"(at) :: "memory"); return at; }

PROBE16(all_zero16, 0x0000)
PROBE16(c_addi4spn_zero, 0x0004)
PROBE16(c_lui_zero, 0x6081)
PROBE16(c_addi16sp_zero, 0x6101)
PROBE16(c_lwsp_x0, 0x4002)
PROBE16(c_ldsp_x0, 0x6002)
PROBE16(c_jr_x0, 0x8002)
PROBE32(slliw_shamt5, 0x0200109b)
PROBE32(load_funct3_7, 0x00007083)
PROBE32(jalr_funct3_1, 0x00001067)
PROBE32(branch_funct3_2, 0x00002063)
PROBE32(op_funct7_2, 0x04000033)
PROBE32(amo_funct3_0, 0x0000002f)
PROBE32(mret_from_s, 0x30200073)
PROBE32(ebreak32, 0x00100073)
PROBE16(c_ebreak, 0x9002)

struct probe {
    const char *name;
    u64 (*run)(void);
    u64 bits;
    u64 cause;
};

static const struct probe probes[] = {
    {"16-bit all zeros", all_zero16, 0x0000, CAUSE_ILLEGAL},
    {"c.addi4spn imm 0", c_addi4spn_zero, 0x0004, CAUSE_ILLEGAL},
    {"c.lui imm 0", c_lui_zero, 0x6081, CAUSE_ILLEGAL},
    {"c.addi16sp imm 0", c_addi16sp_zero, 0x6101, CAUSE_ILLEGAL},
    {"c.lwsp rd=x0", c_lwsp_x0, 0x4002, CAUSE_ILLEGAL},
    {"c.ldsp rd=x0", c_ldsp_x0, 0x6002, CAUSE_ILLEGAL},
    {"c.jr x0", c_jr_x0, 0x8002, CAUSE_ILLEGAL},
    {"slliw shamt[5]", slliw_shamt5, 0x0200109b, CAUSE_ILLEGAL},
    {"load funct3 7", load_funct3_7, 0x00007083, CAUSE_ILLEGAL},
    {"jalr funct3 1", jalr_funct3_1, 0x00001067, CAUSE_ILLEGAL},
    {"branch funct3 2", branch_funct3_2, 0x00002063, CAUSE_ILLEGAL},
    {"OP funct7 2", op_funct7_2, 0x04000033, CAUSE_ILLEGAL},
    {"AMO funct3 0", amo_funct3_0, 0x0000002f, CAUSE_ILLEGAL},
    {"mret from S", mret_from_s, 0x30200073, CAUSE_ILLEGAL},
    {"ebreak", ebreak32, 0, CAUSE_BREAKPOINT},
    {"c.ebreak", c_ebreak, 0, CAUSE_BREAKPOINT},
};

extern char user_sret[], user_sfence[], user_csr_sstatus[], user_csr_satp[];

int main(void)
{
    trap_hook = on_trap;
    for (unsigned k = 0; k < sizeof probes / sizeof probes[0]; k++) {
        const struct probe *p = &probes[k];
        cause = ~0UL;
        u64 at = p->run();
        if (cause != p->cause || epc != at) {
            printf("FAIL %s: scause 0x%lx sepc 0x%lx, expected cause %lu at 0x%lx\n", p->name, cause, epc,
                   p->cause, at);
            check_failures++;
            continue;
        }
        /* stval: 0 or the faulting encoding for illegal instructions; 0 or the pc for breakpoints. */
        u64 good = p->cause == CAUSE_BREAKPOINT ? at : p->bits;
        if (tval != 0 && tval != good) {
            printf("FAIL %s: stval 0x%lx\n", p->name, tval);
            check_failures++;
        }
    }
    static const struct { const char *name; char *fn; } user[] = {
        {"sret from U", user_sret}, {"sfence.vma from U", user_sfence},
        {"csrr sstatus from U", user_csr_sstatus}, {"csrw satp from U", user_csr_satp},
    };
    static u64 user_stack[64];
    for (unsigned k = 0; k < sizeof user / sizeof user[0]; k++) {
        cause = ~0UL;
        u64 r = enter_user((void (*)(void))user[k].fn, (u64)&user_stack[64], 0, 0);
        check(user[k].name, r, TRAPPED);
        check(user[k].name, cause, CAUSE_ILLEGAL);
        check(user[k].name, epc, (u64)user[k].fn);
    }
    return finish("illegal");
}
