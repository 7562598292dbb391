/*
 * input: proves that outside input reaches a guest only at its stamped instruction counts.
 * First it asks the virtio entropy device for 16 bytes (a minimal polled virtio-mmio v2 driver)
 * and prints them with the time it asked; then it takes console bytes from the ns16550a UART,
 * waiting in wfi on the PLIC's supervisor external interrupt, and prints each with the virtual
 * time (in instructions: time CSR x 10) at which it saw it. A '.' powers the machine off.
 */
#include "guest.h"

#define UART 0x10000000UL
#define PLIC 0x0C000000UL
#define VIRTIO 0x10001000UL
#define UART_IRQ 10
#define S_CONTEXT 1
#define SIE_SEIE (1UL << 9)

static inline u32 r32(u64 a) { return *(volatile u32 *)a; }
static inline void w32(u64 a, u32 v) { *(volatile u32 *)a = v; }
static inline u8 r8(u64 a) { return *(volatile u8 *)a; }
static inline void w8(u64 a, u8 v) { *(volatile u8 *)a = v; }

struct desc { u64 addr; u32 len; u16 flags; u16 next; };
static struct desc descs[4] __attribute__((aligned(16)));
static struct { u16 flags, idx, ring[4], event; } avail __attribute__((aligned(4)));
static struct { u16 flags, idx; struct { u32 id, len; } ring[4]; u16 event; } used __attribute__((aligned(8)));
static u8 random_bytes[16];

static u64 find_virtio(u32 device)
{
    for (u64 slot = 0; slot < 8; slot++) {
        u64 base = VIRTIO + slot * 0x1000;
        if (r32(base) == 0x74726976 && r32(base + 4) == 2 && r32(base + 8) == device)
            return base;
    }
    return 0;
}

static void entropy(void)
{
    u64 v = find_virtio(4);
    if (!v) {
        printf("input: no entropy device\n");
        return;
    }
    w32(v + 0x70, 0);
    w32(v + 0x70, 1 | 2);
    w32(v + 0x24, 1);
    w32(v + 0x20, 1);                   /* VIRTIO_F_VERSION_1 */
    w32(v + 0x24, 0);
    w32(v + 0x20, 0);
    w32(v + 0x70, 1 | 2 | 8);
    if (!(r32(v + 0x70) & 8)) {
        printf("input: entropy features refused\n");
        return;
    }
    w32(v + 0x30, 0);
    w32(v + 0x38, 4);
    w32(v + 0x80, (u32)(u64)descs);
    w32(v + 0x84, (u32)((u64)descs >> 32));
    w32(v + 0x90, (u32)(u64)&avail);
    w32(v + 0x94, (u32)((u64)&avail >> 32));
    w32(v + 0xa0, (u32)(u64)&used);
    w32(v + 0xa4, (u32)((u64)&used >> 32));
    w32(v + 0x44, 1);
    w32(v + 0x70, 1 | 2 | 8 | 4);
    descs[0].addr = (u64)random_bytes;
    descs[0].len = sizeof random_bytes;
    descs[0].flags = 2;                 /* device writes */
    avail.ring[0] = 0;
    __asm__ volatile("fence rw, rw" ::: "memory");
    avail.idx = 1;
    __asm__ volatile("fence rw, rw" ::: "memory");
    u64 asked = csr_read(time) * 10;
    w32(v + 0x50, 0);
    while (*(volatile u16 *)&used.idx == 0)
        ;
    printf("input: entropy asked near %lu:", asked);
    for (u32 i = 0; i < used.ring[0].len && i < sizeof random_bytes; i++)
        printf(" %02x", random_bytes[i]);
    printf("\n");
}

int main(void)
{
    printf("input: start\n");
    entropy();
    w32(PLIC + 4 * UART_IRQ, 1);
    w32(PLIC + 0x2000 + 0x80 * S_CONTEXT, 1U << UART_IRQ);
    w32(PLIC + 0x200000 + 0x1000 * S_CONTEXT, 0);
    w8(UART + 1, 1);                    /* IER: receive data available */
    csr_set(sie, SIE_SEIE);
    for (;;) {
        while (!(r8(UART + 5) & 1)) {
            __asm__ volatile("wfi");
            u32 claim = r32(PLIC + 0x200004 + 0x1000 * S_CONTEXT);
            if (claim)
                w32(PLIC + 0x200004 + 0x1000 * S_CONTEXT, claim);
        }
        u8 c = r8(UART);
        printf("input: got %c at %lu\n", c, csr_read(time) * 10);
        if (c == '.')
            sbi_shutdown(0);
    }
}
