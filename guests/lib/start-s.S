/*
 * S-mode entry for payloads loaded at 0x80200000 (vmtree exec, or OpenSBI fw_dynamic on QEMU virt):
 * a0 = hart id, a1 = device-tree address. Clears .bss, points stvec at the shared trap entry,
 * calls main(hartid, dtb) and shuts down through SBI SRST: reason none when main returns 0,
 * system failure otherwise.
 */
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

/*
 * Trap entry shared by all S-mode programs. sscratch always holds the top of the trap stack, so
 * traps from U-mode (whose sp is not trusted) and from S-mode both land on it; traps do not nest.
 */
    .text
    .align 2
    .globl trap_entry
trap_entry:
    csrrw sp, sscratch, sp
    addi sp, sp, -36*8
    sd x1, 1*8(sp)
    sd x3, 3*8(sp)
    sd x4, 4*8(sp)
    sd x5, 5*8(sp)
    sd x6, 6*8(sp)
    sd x7, 7*8(sp)
    sd x8, 8*8(sp)
    sd x9, 9*8(sp)
    sd x10, 10*8(sp)
    sd x11, 11*8(sp)
    sd x12, 12*8(sp)
    sd x13, 13*8(sp)
    sd x14, 14*8(sp)
    sd x15, 15*8(sp)
    sd x16, 16*8(sp)
    sd x17, 17*8(sp)
    sd x18, 18*8(sp)
    sd x19, 19*8(sp)
    sd x20, 20*8(sp)
    sd x21, 21*8(sp)
    sd x22, 22*8(sp)
    sd x23, 23*8(sp)
    sd x24, 24*8(sp)
    sd x25, 25*8(sp)
    sd x26, 26*8(sp)
    sd x27, 27*8(sp)
    sd x28, 28*8(sp)
    sd x29, 29*8(sp)
    sd x30, 30*8(sp)
    sd x31, 31*8(sp)
    csrr t0, sscratch           /* the interrupted sp */
    sd t0, 2*8(sp)
    csrr t0, sepc
    sd t0, 32*8(sp)
    csrr t0, scause
    sd t0, 33*8(sp)
    csrr t0, stval
    sd t0, 34*8(sp)
    csrr t0, sstatus
    sd t0, 35*8(sp)
    mv a0, sp
    call trap_dispatch
    ld t0, 32*8(sp)
    csrw sepc, t0
    ld t0, 35*8(sp)
    csrw sstatus, t0
    addi t0, sp, 36*8
    csrw sscratch, t0           /* trap stack top again */
    ld x1, 1*8(sp)
    ld x3, 3*8(sp)
    ld x4, 4*8(sp)
    ld x5, 5*8(sp)
    ld x6, 6*8(sp)
    ld x7, 7*8(sp)
    ld x8, 8*8(sp)
    ld x9, 9*8(sp)
    ld x10, 10*8(sp)
    ld x11, 11*8(sp)
    ld x12, 12*8(sp)
    ld x13, 13*8(sp)
    ld x14, 14*8(sp)
    ld x15, 15*8(sp)
    ld x16, 16*8(sp)
    ld x17, 17*8(sp)
    ld x18, 18*8(sp)
    ld x19, 19*8(sp)
    ld x20, 20*8(sp)
    ld x21, 21*8(sp)
    ld x22, 22*8(sp)
    ld x23, 23*8(sp)
    ld x24, 24*8(sp)
    ld x25, 25*8(sp)
    ld x26, 26*8(sp)
    ld x27, 27*8(sp)
    ld x28, 28*8(sp)
    ld x29, 29*8(sp)
    ld x30, 30*8(sp)
    ld x31, 31*8(sp)
    ld sp, 2*8(sp)
    sret

    .bss
    .align 4
boot_stack:
    .space 16384
boot_stack_top:
trap_stack:
    .space 8192
trap_stack_top:
