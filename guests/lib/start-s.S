/*
 * S-mode entry for payloads loaded at 0x80200000 (vmtree exec, or OpenSBI fw_dynamic on QEMU virt):
 * a0 = hart id, a1 = device-tree address. Clears .bss, points stvec at the shared trap entry,
 * calls main(hartid, dtb) and shuts down through SBI SRST: reason none when main returns 0,
 * system failure otherwise.
 */
#include "trapframe.h"

    .section .text.start, "ax"
    .option norvc
    .globl _start
_start:
    la sp, boot_stack_top
    la t0, trap_stack_top
    csrw sscratch, t0
    la t0, trap_entry
    csrw stvec, t0
    la t0, __bss_start
    la t1, __bss_end
1:  bgeu t0, t1, 2f
    sd zero, 0(t0)
    addi t0, t0, 8
    j 1b
2:  call main
    snez a0, a0
    call sbi_shutdown

    .text
    TRAP_ENTRY s, trap_entry, trap_dispatch

    .bss
    .align 4
boot_stack:
    .space 16384
boot_stack_top:
trap_stack:
    .space 8192
trap_stack_top:
