/*
 * The virtio block driver (drivers/virtio_blk.c). kmain calls
 * virtio_blk_probe once, after pci_init: every modern virtio-blk PCI
 * function becomes a block device (vda, vdb, ... in PCI order), and one
 * service, "blk", drives them all. A bio submitted to one of these disks
 * travels to the service as a byte message (below); the self-tests send
 * hand-made messages too, malformed ones included.
 *
 * Message (payload, little-endian), opcode VBLK_OP_*:
 *   u8 version (VBLK_VERSION), u8 disk index, u64 first sector,
 *   u8 segment count, then per segment: u64 physical address, u32 bytes.
 * A flush has no segments (and its sector is ignored). The reply is
 * empty; the status is 0 or -errno.
 */
#ifndef DRIVERS_VIRTIO_BLK_H
#define DRIVERS_VIRTIO_BLK_H

#include <drivers/block.h>
#include <svc/msg.h>

#define VBLK_VERSION   1
#define VBLK_OP_READ   1
#define VBLK_OP_WRITE  2
#define VBLK_OP_FLUSH  3
#define VBLK_MSG_MAX   (1 + 1 + 8 + 1 + BIO_MAX_SEGS * 12)
#define VBLK_MAX_DISKS 16

/* Finds the disks, registers them and starts the "blk" service. */
void virtio_blk_probe(void);
/* The most requests disk index had in its queue at once since its service started. */
unsigned vblk_peak_inflight(unsigned disk);
/* Writes b's message for disk index into w; returns the opcode. */
uint16_t vblk_encode(struct svc_writer *w, unsigned disk, const struct bio *b);

#endif
