/*
 * netecho: an echo server on the virtio-net card, proving that frames reach a guest only at their
 * stamped instruction counts and that what it sends follows from them alone. A polled two-queue
 * driver (receive queue 0 with four buffers, transmit queue 1) waits for frames in wfi on the card's
 * PLIC source and answers each: the same frame with its addresses turned round (destination the
 * sender, source the card's own MAC from configuration) and the virtual time it saw the frame
 * (time CSR x 10, little-endian) over the first 8 payload bytes. After answering a frame of
 * EtherType 0x88b5 whose payload starts with "bye" it powers the machine off.
 */
#include "guest.h"

#define VIRTIO_BASE 0x10001000UL
#define PLIC 0x0C000000UL
#define S_CONTEXT 1
#define SIE_SEIE (1UL << 9)
#define NQ 4
#define HDR 12
#define MAX_FRAME 1518

static inline u32 r32(u64 a) { return *(volatile u32 *)a; }
static inline void w32(u64 a, u32 v) { *(volatile u32 *)a = v; }
static inline u8 r8(u64 a) { return *(volatile u8 *)a; }
static inline void fence(void) { __asm__ volatile("fence rw, rw" ::: "memory"); }

struct desc { u64 addr; u32 len; u16 flags; u16 next; };
struct queue {
    struct desc desc[NQ] __attribute__((aligned(16)));
    struct { u16 flags, idx, ring[NQ], event; } avail __attribute__((aligned(4)));
    struct { u16 flags, idx; struct { u32 id, len; } ring[NQ]; u16 event; } used __attribute__((aligned(8)));
    u16 seen;
};

static struct queue rxq, txq;
static u8 rxbuf[NQ][HDR + MAX_FRAME] __attribute__((aligned(8)));
static u8 txbuf[HDR + MAX_FRAME] __attribute__((aligned(8)));
static u64 base;
static u8 mac[6];

static void w64(u64 lo, u64 v)
{
    w32(lo, (u32)v);
    w32(lo + 4, (u32)(v >> 32));
}

static int setup_queue(u32 q, struct queue *vq)
{
    w32(base + 0x30, q);
    if (r32(base + 0x34) < NQ)
        return 0;
    w32(base + 0x38, NQ);
    w64(base + 0x80, (u64)vq->desc);
    w64(base + 0x90, (u64)&vq->avail);
    w64(base + 0xa0, (u64)&vq->used);
    w32(base + 0x44, 1);
    return 1;
}

static void offer(struct queue *vq, u32 q, u16 id)
{
    vq->avail.ring[vq->avail.idx % NQ] = id;
    fence();
    vq->avail.idx++;
    fence();
    w32(base + 0x50, q);
}

static int open_card(void)
{
    u64 slot;
    for (slot = 0; slot < 8; slot++) {
        u64 b = VIRTIO_BASE + slot * 0x1000;
        if (r32(b) == 0x74726976 && r32(b + 4) == 2 && r32(b + 8) == 1)
            break;
    }
    if (slot == 8)
        return -1;
    base = VIRTIO_BASE + slot * 0x1000;
    w32(base + 0x70, 0);
    w32(base + 0x70, 1 | 2);
    w32(base + 0x24, 0);
    w32(base + 0x20, 1U << 5);          /* VIRTIO_NET_F_MAC */
    w32(base + 0x24, 1);
    w32(base + 0x20, 1);                /* VIRTIO_F_VERSION_1 */
    w32(base + 0x70, 1 | 2 | 8);
    if (!(r32(base + 0x70) & 8) || !setup_queue(0, &rxq) || !setup_queue(1, &txq))
        return -1;
    for (int i = 0; i < 6; i++)
        mac[i] = r8(base + 0x100 + i);
    for (u16 i = 0; i < NQ; i++) {
        rxq.desc[i] = (struct desc){(u64)rxbuf[i], sizeof rxbuf[i], 2, 0};
        rxq.avail.ring[i] = i;
    }
    fence();
    rxq.avail.idx = NQ;
    fence();
    w32(base + 0x70, 1 | 2 | 8 | 4);    /* DRIVER_OK */
    return (int)slot;
}

int main(void)
{
    int slot = open_card();
    if (slot < 0) {
        printf("netecho: no network card\n");
        sbi_shutdown(1);
    }
    u32 irq = 1 + (u32)slot;
    printf("netecho: card %02x:%02x:%02x:%02x:%02x:%02x at irq %u\n", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], irq);
    w32(PLIC + 4 * irq, 1);
    w32(PLIC + 0x2000 + 0x80 * S_CONTEXT, 1U << irq);
    w32(PLIC + 0x200000 + 0x1000 * S_CONTEXT, 0);
    csr_set(sie, SIE_SEIE);
    for (;;) {
        while (*(volatile u16 *)&rxq.used.idx == rxq.seen) {
            __asm__ volatile("wfi");
            u32 claim = r32(PLIC + 0x200004 + 0x1000 * S_CONTEXT);
            w32(base + 0x64, r32(base + 0x60));
            if (claim)
                w32(PLIC + 0x200004 + 0x1000 * S_CONTEXT, claim);
        }
        fence();
        u16 id = (u16)rxq.used.ring[rxq.seen % NQ].id;
        u32 n = rxq.used.ring[rxq.seen % NQ].len - HDR;
        rxq.seen++;
        u8 *f = rxbuf[id] + HDR;
        u64 t = csr_read(time) * 10;
        printf("netecho: %u bytes at %lu\n", n, t);
        u8 *o = txbuf + HDR;
        for (int i = 0; i < HDR; i++)
            txbuf[i] = 0;
        for (int i = 0; i < 6; i++) {
            o[i] = f[6 + i];
            o[6 + i] = mac[i];
        }
        for (u32 i = 12; i < n; i++)
            o[i] = f[i];
        for (u32 i = 0; i < 8 && 14 + i < n; i++)
            o[14 + i] = (u8)(t >> (8 * i));
        int bye = n >= 17 && f[12] == 0x88 && f[13] == 0xb5 && f[14] == 'b' && f[15] == 'y' && f[16] == 'e';
        txq.desc[0] = (struct desc){(u64)txbuf, HDR + n, 0, 0};
        offer(&txq, 1, 0);
        while (*(volatile u16 *)&txq.used.idx != txq.avail.idx)
            ;
        if (bye) {
            printf("netecho: bye\n");
            sbi_shutdown(0);
        }
        offer(&rxq, 0, id);
    }
}
