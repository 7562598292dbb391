/*
 * Self-modifying code (issue 14): a guest that rewrites and re-runs its own code, with and without
 * fence.i, must see what it sees on QEMU (where each check was validated), which here is always
 * the new code once it is reached by a jump:
 *   1. a function in a RAM buffer on another page, rewritten with fence.i;
 *   2. the same without fence.i (the call is an indirect jump);
 *   3. code on the storing code's own page (src/smc-code.S), patched a few instructions ahead
 *      or behind and reached by a jump: 32-bit and compressed targets, a 32-bit target straddling
 *      a page boundary patched half by half, with and without fence.i;
 *   4. code run 100,000 times before it is rewritten (a caller's hot loop, a loop inside the
 *      buffer, a loop on the storing page that patches itself halfway);
 *   5. rewrites done by amoswap.w/amoadd.w, by byte stores and by misaligned stores (one crossing
 *      a page boundary).
 * Not checked, because it is a property of QEMU's translation blocks rather than of the ISA: on
 * QEMU 7.2 an instruction straight-line after the store that rewrites it, in the same block, runs
 * as it was when the block was translated (the old code, even on the block's first execution).
 */
#include "guest.h"

#define T0 5
#define T2 7
#define A0 10
#define A5 15

static u32 addi(int rd, int rs1, int imm) { return (u32)(imm & 0xfff) << 20 | rs1 << 15 | rd << 7 | 0x13; }
static u32 slti(int rd, int rs1, int imm) { return addi(rd, rs1, imm) | 2 << 12; }
static u32 lui(int rd, u32 imm20) { return imm20 << 12 | rd << 7 | 0x37; }
static u32 c_li(int rd, int imm) { return 0x4001 | (imm & 0x20) << 7 | rd << 7 | (imm & 0x1f) << 2; }
static u32 c_mv(int rd, int rs2) { return 0x8002 | rd << 7 | rs2 << 2; }
#define RET 0x00008067u     /* jalr x0, 0(ra) */

static void fence_i(void) { __asm__ volatile("fence.i" ::: "memory"); }

/* ---- 1, 2, 4, 5: a code buffer on pages of its own, two of them for a straddling instruction */

static u32 buffer[2048] __attribute__((aligned(4096)));
#define BUF ((u8 *)buffer)

static void put32(u32 off, u32 w) { *(volatile u32 *)(BUF + off) = w; }
static u64 run_at(u32 off) { return ((u64 (*)(void))(u64)(BUF + off))(); }

static void other_page_with_fence(void)
{
    put32(0, addi(A0, 0, 1));
    put32(4, RET);
    fence_i();
    check("1: buffer function with fence.i", run_at(0), 1);
    put32(0, addi(A0, 0, 2));
    fence_i();
    check("1: immediate rewritten to 2, fence.i", run_at(0), 2);
}

static void other_page_without_fence(void)
{
    put32(0, addi(A0, 0, 3));
    check("2: rewritten to 3, no fence.i", run_at(0), 3);
    put32(0, addi(A0, 0, 4));
    check("2: rewritten to 4, no fence.i", run_at(0), 4);
    put32(0, lui(A0, 5));
    check("2: rewritten to lui, no fence.i", run_at(0), 5 << 12);
    put32(0, addi(A0, 0, 0x7ff));       /* one call runs it, then a rewrite while it is still warm */
    check("2: rewritten to 0x7ff, no fence.i", run_at(0), 0x7ff);
    put32(0, addi(A0, 0, -1));
    check("2: rewritten again at once, no fence.i", run_at(0), (u64)-1);
}

/* ---- 3: code on the storing code's own page (smc-code.S) ---- */

typedef void patch_loop(u64 *out, const u32 *words, u64 n, u64 fence, u64 how);
extern patch_loop smc_fwd32, smc_fwd32_odd, smc_fwd16, smc_back32, smc_back16, smc_straddle;
/* Declared with the alignment they have, so that C stores to them are single sh/sw. */
extern u8 smc_page[], smc_fwd32_odd_target[];
extern u16 smc_fwd16_target[], smc_back16_target[], smc_straddle_target[];
extern u32 smc_fwd32_target[], smc_back32_target[], smc_hot_target[];
u64 smc_hot(u64 n, u64 half, u32 word, u64 fence);

enum { SW = 0, SH_LOW = 1, SH_HIGH = 2, AMOSWAP = 3, BYTES = 4 };
static const char *const how_name[] = {"sw", "sh low half", "sh high half", "amoswap.w", "byte stores"};

#define N 24
static u32 words[N];
static u64 expected[N], out[N];

/* Runs one patch loop over words[]/expected[]; reports the first wrong iteration and how many were. */
static void run_loop(const char *what, patch_loop *loop, const void *target, u64 fence, u64 how)
{
    check_true("3: patched code on the storing page", ((u64)target ^ (u64)smc_page) >> 12 == 0);
    for (int i = 0; i < N; i++)
        out[i] = 0xdead;
    loop(out, words, N, fence, how);
    int first = -1, wrong = 0;
    for (int i = 0; i < N; i++) {
        if (out[i] != expected[i]) {
            wrong++;
            if (first < 0)
                first = i;
        }
    }
    if (wrong > 0) {
        check_failures++;
        printf("FAIL 3: %s, %s, %s: iteration %d got 0x%lx expected 0x%lx (%d of %d iterations wrong)\n",
               what, how_name[how], fence ? "fence.i" : "no fence.i", first, out[first], expected[first], wrong, N);
    }
}

/* Even iterations addi t2, zero, 100 + i; odd ones lui t2, i. */
static void words_addi_lui(void)
{
    for (int i = 0; i < N; i++) {
        words[i] = i % 2 == 0 ? addi(T2, 0, 100 + i) : lui(T2, i);
        expected[i] = i % 2 == 0 ? (u64)(100 + i) : (u64)i << 12;
    }
}

/* Even iterations c.li t2, -i; odd ones c.mv t2, t0 (t0 is i). */
static void words_compressed(void)
{
    for (int i = 0; i < N; i++) {
        words[i] = i % 2 == 0 ? c_li(T2, -i) : c_mv(T2, T0);
        expected[i] = i % 2 == 0 ? (u64)-i : (u64)i;
    }
}

/* Sets the straddler (page offset 4094) to a known word with fence.i, through its two halves. */
static void set_straddler(u32 w)
{
    ((volatile u16 *)smc_straddle_target)[0] = (u16)w;
    ((volatile u16 *)smc_straddle_target)[1] = (u16)(w >> 16);
    fence_i();
}

static void same_page(void)
{
    check("3: straddler at page offset 4094", (u64)smc_straddle_target & 0xfff, 4094);
    for (int fence = 1; fence >= 0; fence--) {    /* with fence.i, then without */
        words_addi_lui();
        run_loop("forward, 32-bit", smc_fwd32, smc_fwd32_target, fence, SW);
        run_loop("forward, 32-bit at 2 mod 4 (misaligned sw)", smc_fwd32_odd, smc_fwd32_odd_target, fence, SW);
        run_loop("backward, 32-bit", smc_back32, smc_back32_target, fence, SW);
        run_loop("forward, 32-bit", smc_fwd32, smc_fwd32_target, fence, AMOSWAP);
        run_loop("forward, 32-bit", smc_fwd32, smc_fwd32_target, fence, BYTES);
        run_loop("forward, 32-bit at 2 mod 4", smc_fwd32_odd, smc_fwd32_odd_target, fence, BYTES);
        words_compressed();
        run_loop("forward, compressed", smc_fwd16, smc_fwd16_target, fence, SH_LOW);
        run_loop("backward, compressed", smc_back16, smc_back16_target, fence, SH_LOW);

        /* Straddler, high half only (on the next page): the immediate of addi t2, zero, imm. */
        set_straddler(addi(T2, 0, 0));
        for (int i = 0; i < N; i++) {
            words[i] = addi(T2, 0, 200 + i);
            expected[i] = 200 + i;
        }
        run_loop("straddler", smc_straddle, smc_straddle_target, fence, SH_HIGH);
        /* Low half only (on the storing page): funct3 turns addi t2, zero, 100 into slti. */
        set_straddler(addi(T2, 0, 100));
        for (int i = 0; i < N; i++) {
            words[i] = i % 2 == 0 ? slti(T2, 0, 100) : addi(T2, 0, 100);
            expected[i] = i % 2 == 0 ? 1 : 100;
        }
        run_loop("straddler", smc_straddle, smc_straddle_target, fence, SH_LOW);
        /* Whole word: a misaligned sw across the page boundary, then byte by byte. */
        words_addi_lui();
        run_loop("straddler, misaligned sw across the page boundary", smc_straddle, smc_straddle_target, fence, SW);
        run_loop("straddler", smc_straddle, smc_straddle_target, fence, BYTES);
    }
}

/* ---- 4: hot code rewritten ---- */

#define HOT 100000

static void hot_code(void)
{
    /* A caller's hot loop calling the buffer function. */
    put32(0, addi(A0, 0, 7));
    put32(4, RET);
    fence_i();
    u64 sum = 0;
    for (int i = 0; i < HOT; i++)
        sum += run_at(0);
    check("4: 100000 calls", sum, 7 * HOT);
    put32(0, addi(A0, 0, 9));
    check("4: hot function rewritten, no fence.i", run_at(0), 9);
    sum = 0;
    for (int i = 0; i < HOT; i++)
        sum += run_at(0);
    check("4: 100000 calls of the rewritten function", sum, 9 * HOT);
    put32(0, addi(A0, 0, 11));
    fence_i();
    check("4: hot function rewritten, fence.i", run_at(0), 11);

    /* A loop inside the buffer: a0 = 0; 100000 times a0 += K (lui/addi count down t0). */
    const u32 loop[] = {
        addi(A0, 0, 0),
        lui(T0, 0x18),
        addi(T0, T0, 0x6a0),    /* t0 = 100000 */
        addi(A0, A0, 0),        /* K, patched: word 3 */
        addi(T0, T0, -1),
        0xfe029ce3,             /* bnez t0, word 3 (-8) */
        RET,
    };
    for (u32 i = 0; i < sizeof loop / 4; i++)
        put32(64 + 4 * i, loop[i]);
    put32(64 + 12, addi(A0, A0, 3));
    fence_i();
    check("4: loop in the buffer", run_at(64), 3 * HOT);
    put32(64 + 12, addi(A0, A0, 5));
    check("4: loop in the buffer rewritten, no fence.i", run_at(64), 5 * HOT);
    put32(64 + 12, addi(A0, A0, -2));
    fence_i();
    check("4: loop in the buffer rewritten, fence.i", run_at(64), (u64)(-2L * HOT));

    /* A loop on its own page that patches its hot instruction after 50000 of 100000 iterations. */
    for (int fence = 1; fence >= 0; fence--) {
        *(volatile u32 *)smc_hot_target = addi(A5, A5, 1);
        fence_i();
        check(fence ? "4: loop patches itself halfway, fence.i" : "4: loop patches itself halfway, no fence.i",
              smc_hot(HOT, HOT / 2, addi(A5, A5, 3), fence), HOT / 2 + 3 * (HOT / 2));
    }
}

/* ---- 5: AMOs, byte stores, misaligned stores ---- */

static u64 amo32(const char *op, u32 off, u32 v)
{
    u64 old;
    if (op[3] == 's')
        __asm__ volatile("amoswap.w %0, %2, (%1)" : "=r"(old) : "r"(BUF + off), "r"((u64)v) : "memory");
    else
        __asm__ volatile("amoadd.w %0, %2, (%1)" : "=r"(old) : "r"(BUF + off), "r"((u64)v) : "memory");
    return old;
}

static void put_bytes(u32 off, const u8 *bytes, int n)
{
    for (int i = 0; i < n; i++)
        ((volatile u8 *)BUF)[off + i] = bytes[i];
}

/* Writes the 4 or 8 bytes at p with one sw/sd at BUF + off, aligned or not. */
static void put_misaligned(u32 off, const u8 *p, int n)
{
    u64 v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    if (n == 4)
        __asm__ volatile("sw %0, 0(%1)" :: "r"(v), "r"(BUF + off) : "memory");
    else
        __asm__ volatile("sd %0, 0(%1)" :: "r"(v), "r"(BUF + off) : "memory");
}

static void amo_and_byte_stores(void)
{
    put32(128, addi(A0, 0, 21));
    put32(132, RET);
    fence_i();
    check("5: buffer function before the AMO", run_at(128), 21);
    check("5: amoswap.w returns the old instruction", amo32("amoswap", 128, addi(A0, 0, 22)),
          addi(A0, 0, 21));
    check("5: rewritten by amoswap.w, no fence.i", run_at(128), 22);
    amo32("amoswap", 128, addi(A0, 0, 23));
    fence_i();
    check("5: rewritten by amoswap.w, fence.i", run_at(128), 23);
    amo32("amoadd", 128, 1 << 20);      /* the immediate of addi a0, zero, 23 becomes 24 */
    check("5: rewritten by amoadd.w, no fence.i", run_at(128), 24);

    /* Byte by byte, the last byte stored last. */
    u32 w = addi(A0, 0, 31);
    put_bytes(128, (const u8 *)&w, 4);
    check("5: rewritten by 4 sb, no fence.i", run_at(128), 31);
    w = lui(A0, 0x32);
    put_bytes(128, (const u8 *)&w, 4);
    fence_i();
    check("5: rewritten by 4 sb, fence.i", run_at(128), 0x32000);

    /* A function at 2 mod 4 rewritten by one misaligned sw. */
    w = addi(A0, 0, 41);
    put_misaligned(194, (const u8 *)&w, 4);
    w = RET;
    put_misaligned(198, (const u8 *)&w, 4);
    fence_i();
    check("5: function at 2 mod 4", run_at(194), 41);
    w = addi(A0, 0, 42);
    put_misaligned(194, (const u8 *)&w, 4);
    check("5: rewritten by a misaligned sw, no fence.i", run_at(194), 42);

    /*
     * Three instructions at 256 (addi a0, zero, x; addi a0, a0, y; ret): one misaligned sd at 258
     * rewrites the high half of the first, all of the second and the low half of the ret.
     */
    u32 code[3] = {addi(A0, 0, 50), addi(A0, A0, 1), RET};
    for (int i = 0; i < 3; i++)
        put32(256 + 4 * i, code[i]);
    fence_i();
    check("5: three instructions", run_at(256), 51);
    code[0] = addi(A0, 0, 60);
    code[1] = addi(A0, A0, 7);
    put_misaligned(258, (const u8 *)code + 2, 8);
    check("5: rewritten by a misaligned sd, no fence.i", run_at(256), 67);

    /* A function whose first instruction straddles the buffer's page boundary (offset 4094). */
    w = addi(A0, 0, 70);
    put_bytes(4094, (const u8 *)&w, 4);
    w = RET;
    put_bytes(4098, (const u8 *)&w, 4);
    fence_i();
    check("5: straddling function", run_at(4094), 70);
    w = addi(A0, 0, 71);
    put_misaligned(4094, (const u8 *)&w, 4);
    check("5: rewritten by a misaligned sw across the page boundary, no fence.i", run_at(4094), 71);
    w = addi(A0, 0, 72);
    put_bytes(4096, (const u8 *)&w + 2, 2);     /* only the half on the second page */
    check("5: high half rewritten on the next page, no fence.i", run_at(4094), 72);
}

int main(void)
{
    other_page_with_fence();
    other_page_without_fence();
    same_page();
    hot_code();
    amo_and_byte_stores();
    return finish("smc");
}
