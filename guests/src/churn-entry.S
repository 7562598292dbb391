/* Entry of churn's second hart (SBI HSM hart_start): a0 = hart id, a1 = its mailbox. */
    .text
    .option norvc
    .globl secondary_entry
secondary_entry:
    li sp, 32 + 8192            /* top of mailbox.stack: the mailbox header is 4 doublewords */
    add sp, sp, a1
    call secondary_main
1:  wfi
    j 1b
