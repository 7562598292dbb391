/*
 * U-mode probes for the illegal program: each runs one privileged instruction, which must trap
 * (illegal instruction) before the ecall that would report it ran (a7 = 0x5e7, a0 = 0).
 */
    .text
    .option norvc
    .globl user_sret, user_sfence, user_csr_sstatus, user_csr_satp
user_sret:
    sret
    j 1f
user_sfence:
    sfence.vma
    j 1f
user_csr_sstatus:
    csrr t0, sstatus
    j 1f
user_csr_satp:
    csrw satp, zero
1:  li a0, 0
    li a7, 0x5e7
    ecall
