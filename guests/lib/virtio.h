/*
 * A minimal polled virtio-mmio (version 2) driver for guest programs: find a device by id among
 * the eight slots of QEMU virt's layout, negotiate VIRTIO_F_VERSION_1 only, set up queue 0 with
 * four descriptors, and submit one descriptor chain at a time, waiting for the device to use it.
 */
#ifndef VIRTIO_H
#define VIRTIO_H
#include "guest.h"

#define VIRTIO_BASE 0x10001000UL
#define VIRTQ_SIZE 4
#define VIRTQ_DESC_NEXT 1
#define VIRTQ_DESC_WRITE 2

struct virtq_desc { u64 addr; u32 len; u16 flags; u16 next; };

struct virtq {
    u64 base;                           /* the device's registers; 0 when there is none */
    u16 submitted;
    struct virtq_desc desc[VIRTQ_SIZE] __attribute__((aligned(16)));
    struct { u16 flags, idx, ring[VIRTQ_SIZE], event; } avail __attribute__((aligned(4)));
    struct { u16 flags, idx; struct { u32 id, len; } ring[VIRTQ_SIZE]; u16 event; } used __attribute__((aligned(8)));
};

/* Finds device `id` (2 block, 4 entropy ...) and readies queue 0; returns 1 on success. */
int virtio_open(struct virtq *q, u32 id);

/* Submits the chain in q->desc starting at 0 and waits until the device has used it; returns the used length. */
u32 virtio_submit(struct virtq *q);

#endif
