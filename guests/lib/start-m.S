/*
 * M-mode entry for bare-metal programs at 0x80000000 (vmtree exec --m-mode, QEMU -M spike
 * -bios none). Hart 0 runs main(); other harts park in wfi. PMP entry 0 opens all memory to S and
 * U (a core without PMP ignores the write: it is done with mtvec pointing past it). main's return
 * value goes to HTIF: tohost = 1 for pass, (n << 1) | 1 for failing check n.
 *
 * Two trap entries (lib/trapframe.h): m_trap_entry calls m_trap_dispatch, s_trap_entry calls
 * s_trap_dispatch; the program defines both dispatchers.
 */
#include "trapframe.h"

    .section .text.start, "ax"
    .option norvc
    .globl _start
_start:
    csrr t0, mhartid
    bnez t0, park
    la sp, m_stack_top
    la t0, m_trap_stack_top
    csrw mscratch, t0
    la t0, s_trap_stack_top
    csrw sscratch, t0
    la t0, 1f
    csrw mtvec, t0
    li t0, -1
    csrw pmpaddr0, t0
    li t0, 0x1f                 /* NAPOT, R, W, X */
    csrw pmpcfg0, t0
    .align 2
1:  la t0, m_trap_entry
    csrw mtvec, t0
    la t0, s_trap_entry
    csrw stvec, t0
    la t0, __bss_start
    la t1, __bss_end
2:  bgeu t0, t1, 3f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 2b
3:  call main
    slli a0, a0, 1
    ori a0, a0, 1
    la t0, tohost
    sd a0, 0(t0)
park:
    wfi
    j park

    .text
    TRAP_ENTRY m, m_trap_entry, m_trap_dispatch
    TRAP_ENTRY s, s_trap_entry, s_trap_dispatch

/*
 * u64 enter_mode(u64 mpp, void (*fn)(void), u64 sp): mret into fn at privilege mpp on stack sp.
 * The lower-privileged code comes back through m_return (a handler points mepc there with MPP=M),
 * which restores this call's registers and returns the value the handler left in a0.
 */
    .globl enter_mode
enter_mode:
    la t0, m_context
    sd ra, 0(t0)
    sd sp, 8(t0)
    sd s0, 16(t0)
    sd s1, 24(t0)
    sd s2, 32(t0)
    sd s3, 40(t0)
    sd s4, 48(t0)
    sd s5, 56(t0)
    sd s6, 64(t0)
    sd s7, 72(t0)
    sd s8, 80(t0)
    sd s9, 88(t0)
    sd s10, 96(t0)
    sd s11, 104(t0)
    li t1, 3 << 11
    csrc mstatus, t1
    slli a0, a0, 11
    csrs mstatus, a0
    csrw mepc, a1
    mv sp, a2
    mret

    .globl m_return
m_return:
    la t0, m_context
    ld ra, 0(t0)
    ld sp, 8(t0)
    ld s0, 16(t0)
    ld s1, 24(t0)
    ld s2, 32(t0)
    ld s3, 40(t0)
    ld s4, 48(t0)
    ld s5, 56(t0)
    ld s6, 64(t0)
    ld s7, 72(t0)
    ld s8, 80(t0)
    ld s9, 88(t0)
    ld s10, 96(t0)
    ld s11, 104(t0)
    ret

    .section .tohost, "aw", @progbits
    .align 6
    .globl tohost
    .type tohost, @object
    .size tohost, 8
tohost: .dword 0
    .align 6
    .globl fromhost
    .type fromhost, @object
    .size fromhost, 8
fromhost: .dword 0

    .bss
    .align 4
m_context: .space 14*8
    .space 16384
m_stack_top:
    .space 8192
m_trap_stack_top:
    .space 8192
s_trap_stack_top:
