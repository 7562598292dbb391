/*
 * U-mode probes for the mmu program. They run from a page mapped (U=1) at a virtual address far
 * from where they were linked, so they touch no globals: everything comes in a0/a1, and they leave
 * U-mode with ecall a7 = 0x5e7 (the handler returns a0 to enter_user's caller).
 */
    .section .text.user, "ax"
    .option norvc
    .balign 4096
    .globl user_page, user_load, user_store, user_jump
user_page:
user_load:                  /* a0 = address: returns the doubleword there */
    ld a0, 0(a0)
    li a7, 0x5e7
    ecall
user_store:                 /* a0 = address, a1 = value: returns 0 */
    sd a1, 0(a0)
    li a0, 0
    li a7, 0x5e7
    ecall
user_jump:                  /* a0 = address to execute */
    jalr a0
    li a7, 0x5e7
    ecall
    .balign 4096
