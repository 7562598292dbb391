#include "virtio.h"

static inline u32 r32(u64 a) { return *(volatile u32 *)a; }
static inline void w32(u64 a, u32 v) { *(volatile u32 *)a = v; }
static inline void fence(void) { __asm__ volatile("fence rw, rw" ::: "memory"); }

static void w64(u64 lo, u64 v)
{
    w32(lo, (u32)v);
    w32(lo + 4, (u32)(v >> 32));
}

int virtio_open(struct virtq *q, u32 id)
{
    q->base = 0;
    for (u64 slot = 0; slot < 8 && !q->base; slot++) {
        u64 b = VIRTIO_BASE + slot * 0x1000;
        if (r32(b) == 0x74726976 && r32(b + 4) == 2 && r32(b + 8) == id)
            q->base = b;
    }
    u64 v = q->base;
    if (!v)
        return 0;
    w32(v + 0x70, 0);                   /* reset */
    w32(v + 0x70, 1 | 2);               /* ACKNOWLEDGE | DRIVER */
    w32(v + 0x24, 1);
    w32(v + 0x20, 1);                   /* VIRTIO_F_VERSION_1 */
    w32(v + 0x24, 0);
    w32(v + 0x20, 0);
    w32(v + 0x70, 1 | 2 | 8);           /* FEATURES_OK */
    if (!(r32(v + 0x70) & 8) || (w32(v + 0x30, 0), r32(v + 0x34) < VIRTQ_SIZE)) {
        q->base = 0;
        return 0;
    }
    w32(v + 0x38, VIRTQ_SIZE);
    w64(v + 0x80, (u64)q->desc);
    w64(v + 0x90, (u64)&q->avail);
    w64(v + 0xa0, (u64)&q->used);
    w32(v + 0x44, 1);                   /* QueueReady */
    w32(v + 0x70, 1 | 2 | 8 | 4);       /* DRIVER_OK */
    q->submitted = 0;
    return 1;
}

u32 virtio_submit(struct virtq *q)
{
    q->avail.ring[q->submitted % VIRTQ_SIZE] = 0;
    fence();
    q->avail.idx = ++q->submitted;
    fence();
    w32(q->base + 0x50, 0);             /* QueueNotify */
    while (*(volatile u16 *)&q->used.idx != q->submitted)
        ;
    fence();
    w32(q->base + 0x64, r32(q->base + 0x60));   /* acknowledge the interrupt */
    return q->used.ring[(q->submitted - 1) % VIRTQ_SIZE].len;
}
