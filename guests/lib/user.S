/*
 * u64 enter_user(void (*fn)(void), u64 sp, u64 arg0, u64 arg1): from S-mode, sret into fn in
 * U-mode with sp, a0 = arg0, a1 = arg1. The U-mode code comes back through s_return (an S trap
 * handler sets sepc there and SPP = S), which restores this call's registers and returns the a0
 * the handler left. Not reentrant: one U-mode excursion at a time.
 */
    .text
    .option norvc
    .globl enter_user
enter_user:
    la t0, s_context
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
    li t1, 1 << 8
    csrc sstatus, t1
    csrw sepc, a0
    mv sp, a1
    mv a0, a2
    mv a1, a3
    sret

    .globl s_return
s_return:
    la t0, s_context
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

    .bss
    .align 4
s_context: .space 14*8
