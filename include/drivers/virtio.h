/*
 * Virtio 1.x over PCI, modern transport only (drivers/virtio_pci.c), and
 * split virtqueues. A device driver (drivers/virtio_blk.c) calls
 * virtio_pci_probe once at boot to find the device's configuration
 * structures (common, notify, ISR, device-specific) through the PCI
 * vendor capabilities and map them; the rest -- reset, feature
 * negotiation, queue set-up -- it does again whenever its service is
 * (re)initialised.
 *
 * A virtqueue's rings are shared with the device, which may write
 * anything into the used ring: virtq_get_used checks every entry (index,
 * descriptor id, length) against what the driver posted, using only the
 * driver's own copy of the chains, never the shared memory.
 */
#ifndef DRIVERS_VIRTIO_H
#define DRIVERS_VIRTIO_H

#include <lib/types.h>
#include <drivers/pci.h>
#include <mm/page.h>

#define VIRTIO_VENDOR	     0x1af4
#define VIRTIO_DEVICE_MODERN 0x1040 /* + the device type */
#define VIRTIO_TYPE_BLOCK    2

/* Device status bits. */
#define VIRTIO_S_ACKNOWLEDGE 1
#define VIRTIO_S_DRIVER	     2
#define VIRTIO_S_DRIVER_OK   4
#define VIRTIO_S_FEATURES_OK 8
#define VIRTIO_S_NEEDS_RESET 64
#define VIRTIO_S_FAILED	     128

#define VIRTIO_F_VERSION_1 (1ULL << 32)
#define VIRTIO_NO_VECTOR   0xffff

/* Lock key: (c) constant after virtio_pci_probe. */
struct virtio_pci {
	struct pci_dev *pci;	  /* (c) */
	volatile uint8_t *common; /* (c) struct virtio_pci_common_cfg */
	volatile uint8_t *notify; /* (c) notification area */
	uint32_t notify_mult;	  /* (c) notify_off_multiplier */
	uint32_t notify_len;	  /* (c) */
	volatile uint8_t *isr;	  /* (c) */
	volatile uint8_t *device; /* (c) device-specific configuration */
	uint32_t device_len;	  /* (c) */
};

/* Finds and maps the capabilities of pci; 0, or -ENODEV when one is missing. */
int virtio_pci_probe(struct pci_dev *pci, struct virtio_pci *vp);
/* Resets the device (it forgets its queues and stops using their memory). */
void virtio_reset(struct virtio_pci *vp);
void virtio_add_status(struct virtio_pci *vp, uint8_t bits);
uint8_t virtio_status(struct virtio_pci *vp);
uint64_t virtio_device_features(struct virtio_pci *vp);
/*
 * Acknowledges the device and agrees on features: wanted & what it
 * offers, VIRTIO_F_VERSION_1 required. Sets FEATURES_OK and checks that
 * the device kept it. Returns 0 (features in *got) or -ENODEV.
 */
int virtio_negotiate(struct virtio_pci *vp, uint64_t wanted, uint64_t *got);
/* Device-specific configuration fields (a 64-bit read retries across a generation change). */
uint32_t virtio_cfg_read32(struct virtio_pci *vp, unsigned off);
uint64_t virtio_cfg_read64(struct virtio_pci *vp, unsigned off);
/* Routes configuration-change interrupts to MSI-X entry (or VIRTIO_NO_VECTOR); 0 or -EIO. */
int virtio_set_config_vector(struct virtio_pci *vp, uint16_t entry);

/* Split virtqueue descriptors and rings, as the device sees them. */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
#define VIRTQ_DESC_F_NEXT  1
#define VIRTQ_DESC_F_WRITE 2

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

/* One buffer of a chain: device-readable, or device-writable when write. */
struct virtq_buf {
	uint64_t phys;
	uint32_t len;
	bool write;
};

/*
 * A split virtqueue. Lock key: (c) constant after virtq_alloc, (o) its
 * owner (the driver's service thread), (d) shared with the device.
 */
struct virtq {
	uint16_t size;			       /* (c) entries, a power of two */
	uint16_t index;			       /* (c) queue number in the device */
	struct virtq_desc *desc;	       /* (d) written by the driver only */
	volatile uint16_t *avail;	       /* (d) flags, idx, ring[size], used_event */
	volatile uint16_t *used_hdr;	       /* (d) flags, idx (written by the device) */
	volatile struct virtq_used_elem *used; /* (d) ring[size] */
	volatile uint16_t *notify;	       /* (c) where to write index, or NULL */
	uint16_t free_head;		       /* (o) first free descriptor */
	uint16_t nfree;			       /* (o) */
	uint16_t avail_idx;		       /* (o) next avail index */
	uint16_t last_used;		       /* (o) next used index to read */
	uint16_t inflight;		       /* (o) chains posted and not yet used */
	uint16_t peak;			       /* (o) the most chains in flight at once */
	uint16_t *next;			       /* (o) the driver's copy of each descriptor's next */
	uint16_t *chain;		       /* (o) per head in flight: its length, 0 when not */
	uint32_t *writable; /* (o) per head: device-writable bytes of its chain */
	struct page *pages; /* (c) the rings' memory */
	unsigned order;	    /* (c) */
	uint64_t bad_used;  /* (o) used entries rejected */
};

/* Rings of size entries (a power of two, <= 32768) in fresh memory; 0 or -ENOMEM. */
int virtq_alloc(struct virtq *vq, uint16_t size);
/* Frees the rings: only once the device is reset or never saw them. */
void virtq_free(struct virtq *vq);
/*
 * Gives queue index of the device the rings of a new virtq: its size is
 * the device's, at most max. MSI-X entry msix (or VIRTIO_NO_VECTOR)
 * signals it. 0, -ENOENT (no such queue), -ENOMEM or -EIO.
 */
int virtq_setup(struct virtio_pci *vp, struct virtq *vq, uint16_t index, uint16_t max,
		uint16_t msix);
/*
 * Posts a chain of n buffers; returns its head id (the one virtq_next_head
 * gave just before), or -ENOSPC. Does not notify.
 */
int virtq_add(struct virtq *vq, const struct virtq_buf *bufs, unsigned n);
/* The head id the next chain will get, for per-chain driver memory indexed by it. */
static inline uint16_t virtq_next_head(const struct virtq *vq)
{
	return vq->free_head;
}
/* Tells the device that chains were posted. */
void virtq_kick(struct virtq *vq);
/*
 * Takes the next used entry and frees its chain: 1 with the head id and
 * length written; 0 when there is none; -EMSGSIZE (id written, chain
 * freed) when the device claims to have written more bytes than the
 * chain could take; -EBADMSG for an entry that names no chain in flight
 * (skipped); -EIO when the device's used index ran ahead of what was
 * posted (nothing taken: the queue is unusable until a reset).
 */
int virtq_get_used(struct virtq *vq, uint16_t *id, uint32_t *len);

#endif
