/*
 * The self-modifying half of smc (see smc.c): loops that patch an instruction on their own 4 KiB
 * page and then reach it by a jump, never straight-line after the store. Everything here lives
 * in one page-aligned section, so every store below hits the page the storing code runs from; the
 * last routine's target is a 32-bit instruction at page offset 4094 whose upper half lies on the
 * next page.
 *
 * The forward and backward loops share one calling convention:
 *   a0 = u64 out[n]      each iteration's t2 (the patched instruction writes t2) is stored here
 *   a1 = u32 words[n]    the instruction word to patch in on iteration i
 *   a2 = n (>= 1)
 *   a3 = fence.i after the store when non-zero
 *   a4 = how the word is stored at the target t3 (see PATCH)
 * t0 holds the iteration number i while the patched instruction runs (c.mv t2, t0 reads it).
 */
    .option norvc
    .option norelax

/*
 * Stores words[i] (already in t1) at t3 in one of the ways below, then fence.i when a3 != 0:
 *   0 sw (misaligned when t3 is), 1 sh of the low half, 2 sh of the high half at t3+2,
 *   3 amoswap.w, 4 four sb, low byte first.
 */
.macro PATCH
    beqz a4, 30f
    addi t4, a4, -1
    beqz t4, 31f
    addi t4, a4, -2
    beqz t4, 32f
    addi t4, a4, -3
    beqz t4, 33f
    sb t1, 0(t3)
    srli t5, t1, 8
    sb t5, 1(t3)
    srli t5, t1, 16
    sb t5, 2(t3)
    srli t5, t1, 24
    sb t5, 3(t3)
    j 40f
30: sw t1, 0(t3)
    j 40f
31: sh t1, 0(t3)
    j 40f
32: srli t5, t1, 16
    sh t5, 2(t3)
    j 40f
33: amoswap.w zero, t1, (t3)
40: beqz a3, 41f
    fence.i
41:
.endm

/* t1 = words[t0] */
.macro LOAD_WORD
    slli t1, t0, 2
    add t1, a1, t1
    lwu t1, 0(t1)
.endm

/* Records t2 in out[i], advances a0 and i. */
.macro RECORD
    sd t2, 0(a0)
    addi a0, a0, 8
    addi t0, t0, 1
.endm

/*
 * Forward loop: patch the target, jump forward to it, record, branch back to the top.
 * PLACE is the directive that puts the target where wanted, INITIAL its first contents (same
 * size as the words patched in; never executed before iteration 0 overwrites it).
 */
.macro FORWARD name, place, initial
    .balign 4, 0
    .globl \name, \name\()_target
\name:
    lla t3, \name\()_target
    li t0, 0
10: LOAD_WORD
    PATCH
    j \name\()_target
    \place
\name\()_target:
    \initial
    RECORD
    blt t0, a2, 10b
    ret
.endm

/*
 * Backward loop: the target is the first instruction of the loop; words[0] is stored with fence.i
 * before the loop starts, and every later word is patched in after the target ran, then reached
 * by the branch back to the top.
 */
.macro BACKWARD name, place, initial
    .balign 4, 0
    .globl \name, \name\()_target
\name:
    lla t3, \name\()_target
    li t0, 0
    LOAD_WORD
    mv t6, a3
    li a3, 1
    PATCH
    mv a3, t6
    j \name\()_target
    \place
\name\()_target:
    \initial
    RECORD
    bge t0, a2, 50f
    LOAD_WORD
    PATCH
    j \name\()_target
50: ret
.endm

    .section .text.smc, "ax"
    .balign 4096
    .globl smc_page
smc_page:

/* A 32-bit target at a 4-byte-aligned address. */
    FORWARD smc_fwd32, ".balign 4, 0", "addi t2, zero, 0"
/* A 32-bit target at a 2-mod-4 address (stores to it with kind 0 are misaligned). */
    FORWARD smc_fwd32_odd, ".balign 4, 0; .2byte 0x0001", "addi t2, zero, 0"
/* A compressed target at a 2-mod-4 address. */
    FORWARD smc_fwd16, ".balign 4, 0; .2byte 0x0001", ".2byte 0x0001"
    BACKWARD smc_back32, ".balign 4, 0", "addi t2, zero, 0"
    BACKWARD smc_back16, ".balign 4, 0; .2byte 0x0001", ".2byte 0x0001"

/*
 * u64 smc_hot(u64 n, u64 half, u32 word, u64 fence): runs "addi a5, a5, K" (the target, set by
 * the caller) n times and returns a5; after iteration number half it stores word over the target
 * (fence.i after it when fence != 0) and the loop goes on with the new instruction.
 */
    .balign 4, 0
    .globl smc_hot, smc_hot_target
smc_hot:
    lla t3, smc_hot_target
    li a5, 0
    li t0, 0
smc_hot_target:
    addi a5, a5, 1
    addi t0, t0, 1
    bne t0, a1, 20f
    sw a2, 0(t3)
    beqz a3, 20f
    fence.i
20: blt t0, a0, smc_hot_target
    mv a0, a5
    ret

/* The straddler: same loop as FORWARD, the target at page offset 4094. */
    .balign 4, 0
    .globl smc_straddle, smc_straddle_target
smc_straddle:
    lla t3, smc_straddle_target
    li t0, 0
10: LOAD_WORD
    PATCH
    j smc_straddle_target
    .org smc_page + 4094
smc_straddle_target:
    addi t2, zero, 0
    RECORD
    blt t0, a2, 10b
    ret
