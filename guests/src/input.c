/*
 * input: proves that outside input reaches a guest only at its stamped instruction counts.
 * First it asks the virtio entropy device for 16 bytes (a minimal polled virtio-mmio v2 driver)
 * and prints them with the time it asked; then it takes console bytes from the ns16550a UART,
 * waiting in wfi on the PLIC's supervisor external interrupt, and prints each with the virtual
 * time (in instructions: time CSR x 10) at which it saw it. A '.' powers the machine off.
 */
#include "guest.h"
#include "virtio.h"

#define UART 0x10000000UL
#define PLIC 0x0C000000UL
#define UART_IRQ 10
#define S_CONTEXT 1
#define SIE_SEIE (1UL << 9)

static inline u32 r32(u64 a) { return *(volatile u32 *)a; }
static inline void w32(u64 a, u32 v) { *(volatile u32 *)a = v; }
static inline u8 r8(u64 a) { return *(volatile u8 *)a; }
static inline void w8(u64 a, u8 v) { *(volatile u8 *)a = v; }

static struct virtq rng __attribute__((aligned(16)));
static u8 random_bytes[16];

static void entropy(void)
{
    if (!virtio_open(&rng, 4)) {
        printf("input: no entropy device\n");
        return;
    }
    rng.desc[0] = (struct virtq_desc){(u64)random_bytes, sizeof random_bytes, VIRTQ_DESC_WRITE, 0};
    u64 asked = csr_read(time) * 10;
    u32 got = virtio_submit(&rng);
    printf("input: entropy asked near %lu:", asked);
    for (u32 i = 0; i < got && i < sizeof random_bytes; i++)
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
