/*
 * The virtio 1.x PCI transport, modern devices only, and split
 * virtqueues (include/drivers/virtio.h). Device drivers call it:
 * drivers/virtio_blk.c probes at boot (virtio_pci_probe maps the
 * configuration structures once) and, from its service's init, resets
 * the device, negotiates features and sets queues up again; its service
 * thread posts chains with virtq_add and reaps them with virtq_get_used.
 *
 * Nothing here takes a lock: a virtio_pci is constant after probe, and a
 * virtqueue belongs to one thread (its driver's service thread).
 */
#include <drivers/virtio.h>
#include <arch/x86_64/cpu.h>
#include <kernel/printk.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>

/* Capability types and fields (virtio 1.1, 4.1.4). */
#define CAP_COMMON	1
#define CAP_NOTIFY	2
#define CAP_ISR		3
#define CAP_DEVICE	4
#define CAP_TYPE	3
#define CAP_BAR		4
#define CAP_OFFSET	8
#define CAP_LENGTH	12
#define CAP_NOTIFY_MULT 16

/* struct virtio_pci_common_cfg. */
#define CC_DFSELECT	0x00
#define CC_DF		0x04
#define CC_GFSELECT	0x08
#define CC_GF		0x0c
#define CC_MSIX_CONFIG	0x10
#define CC_NUM_QUEUES	0x12
#define CC_STATUS	0x14
#define CC_GENERATION	0x15
#define CC_Q_SELECT	0x16
#define CC_Q_SIZE	0x18
#define CC_Q_MSIX	0x1a
#define CC_Q_ENABLE	0x1c
#define CC_Q_NOTIFY_OFF 0x1e
#define CC_Q_DESC	0x20
#define CC_Q_DRIVER	0x28
#define CC_Q_DEVICE	0x30
#define COMMON_CFG_LEN	0x38

#define RESET_SPINS	 1000000
#define USED_F_NO_NOTIFY 1

static inline void mb(void)
{
	__asm__ volatile("mfence" ::: "memory");
}

static inline void barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

static void cc_write8(struct virtio_pci *vp, unsigned off, uint8_t v)
{
	*(volatile uint8_t *)(vp->common + off) = v;
}

static void cc_write16(struct virtio_pci *vp, unsigned off, uint16_t v)
{
	*(volatile uint16_t *)(vp->common + off) = v;
}

static void cc_write32(struct virtio_pci *vp, unsigned off, uint32_t v)
{
	*(volatile uint32_t *)(vp->common + off) = v;
}

static void cc_write64(struct virtio_pci *vp, unsigned off, uint64_t v)
{
	cc_write32(vp, off, (uint32_t)v);
	cc_write32(vp, off + 4, (uint32_t)(v >> 32));
}

static uint8_t cc_read8(struct virtio_pci *vp, unsigned off)
{
	return *(volatile uint8_t *)(vp->common + off);
}

static uint16_t cc_read16(struct virtio_pci *vp, unsigned off)
{
	return *(volatile uint16_t *)(vp->common + off);
}

static uint32_t cc_read32(struct virtio_pci *vp, unsigned off)
{
	return *(volatile uint32_t *)(vp->common + off);
}

/* Maps the structure a vendor capability at cap describes; NULL if it is out of its BAR. */
static volatile uint8_t *map_cap(struct pci_dev *pci, unsigned cap, uint32_t *len)
{
	uint8_t bar = pci_read8(pci, cap + CAP_BAR);
	uint32_t off = pci_read32(pci, cap + CAP_OFFSET);
	uint8_t *base;

	*len = pci_read32(pci, cap + CAP_LENGTH);
	if (bar >= PCI_NUM_BARS)
		return NULL;
	base = pci_map_bar(pci, bar);
	if (!base || (uint64_t)off + *len > pci->bars[bar].size)
		return NULL;
	return base + off;
}

/* Takes the first capability of each kind, as the specification asks. */
static void take_cap(struct virtio_pci *vp, unsigned cap)
{
	uint8_t type = pci_read8(vp->pci, cap + CAP_TYPE);
	volatile uint8_t *p;
	uint32_t len;

	if (type < CAP_COMMON || type > CAP_DEVICE)
		return;
	p = map_cap(vp->pci, cap, &len);
	if (!p)
		return;
	if (type == CAP_COMMON && !vp->common && len >= COMMON_CFG_LEN) {
		vp->common = p;
	} else if (type == CAP_NOTIFY && !vp->notify) {
		vp->notify = p;
		vp->notify_len = len;
		vp->notify_mult = pci_read32(vp->pci, cap + CAP_NOTIFY_MULT);
	} else if (type == CAP_ISR && !vp->isr && len >= 1) {
		vp->isr = p;
	} else if (type == CAP_DEVICE && !vp->device) {
		vp->device = p;
		vp->device_len = len;
	}
}

int virtio_pci_probe(struct pci_dev *pci, struct virtio_pci *vp)
{
	memset(vp, 0, sizeof(*vp));
	vp->pci = pci;
	for (unsigned cap = pci_find_cap(pci, PCI_CAP_ID_VENDOR, 0); cap;
	     cap = pci_find_cap(pci, PCI_CAP_ID_VENDOR, cap))
		take_cap(vp, cap);
	if (!vp->common || !vp->notify || !vp->isr || !vp->device)
		return -ENODEV;
	pci_enable(pci, PCI_CMD_MEMORY | PCI_CMD_MASTER);
	return 0;
}

void virtio_reset(struct virtio_pci *vp)
{
	cc_write8(vp, CC_STATUS, 0);
	for (unsigned i = 0; i < RESET_SPINS && cc_read8(vp, CC_STATUS); i++)
		cpu_relax();
	if (cc_read8(vp, CC_STATUS))
		pr_warn("virtio %02x:%02x.%u: the device did not reset\n", vp->pci->bus,
			vp->pci->dev, vp->pci->fn);
}

void virtio_add_status(struct virtio_pci *vp, uint8_t bits)
{
	cc_write8(vp, CC_STATUS, cc_read8(vp, CC_STATUS) | bits);
}

uint8_t virtio_status(struct virtio_pci *vp)
{
	return cc_read8(vp, CC_STATUS);
}

uint64_t virtio_device_features(struct virtio_pci *vp)
{
	uint64_t f;

	cc_write32(vp, CC_DFSELECT, 0);
	f = cc_read32(vp, CC_DF);
	cc_write32(vp, CC_DFSELECT, 1);
	return f | (uint64_t)cc_read32(vp, CC_DF) << 32;
}

int virtio_negotiate(struct virtio_pci *vp, uint64_t wanted, uint64_t *got)
{
	uint64_t f;

	virtio_add_status(vp, VIRTIO_S_ACKNOWLEDGE | VIRTIO_S_DRIVER);
	f = virtio_device_features(vp) & (wanted | VIRTIO_F_VERSION_1);
	if (!(f & VIRTIO_F_VERSION_1))
		goto fail;
	cc_write32(vp, CC_GFSELECT, 0);
	cc_write32(vp, CC_GF, (uint32_t)f);
	cc_write32(vp, CC_GFSELECT, 1);
	cc_write32(vp, CC_GF, (uint32_t)(f >> 32));
	virtio_add_status(vp, VIRTIO_S_FEATURES_OK);
	if (!(virtio_status(vp) & VIRTIO_S_FEATURES_OK))
		goto fail;
	*got = f;
	return 0;
fail:
	virtio_add_status(vp, VIRTIO_S_FAILED);
	return -ENODEV;
}

uint32_t virtio_cfg_read32(struct virtio_pci *vp, unsigned off)
{
	if (off + 4 > vp->device_len)
		return 0;
	return *(volatile uint32_t *)(vp->device + off);
}

uint64_t virtio_cfg_read64(struct virtio_pci *vp, unsigned off)
{
	uint8_t gen;
	uint64_t v;

	do {
		gen = cc_read8(vp, CC_GENERATION);
		v = virtio_cfg_read32(vp, off) | (uint64_t)virtio_cfg_read32(vp, off + 4) << 32;
	} while (gen != cc_read8(vp, CC_GENERATION));
	return v;
}

int virtio_set_config_vector(struct virtio_pci *vp, uint16_t entry)
{
	cc_write16(vp, CC_MSIX_CONFIG, entry);
	return cc_read16(vp, CC_MSIX_CONFIG) == entry ? 0 : -EIO;
}

/* Byte offsets of the avail and used rings in a queue's memory, and its size. */
static size_t avail_offset(uint16_t size)
{
	return (size_t)size * sizeof(struct virtq_desc);
}

static size_t used_offset(uint16_t size)
{
	return ALIGN_UP(avail_offset(size) + 6 + 2 * (size_t)size, 4);
}

static unsigned ring_order(uint16_t size)
{
	size_t bytes = used_offset(size) + 6 + 8 * (size_t)size;
	unsigned order = 0;

	while (((size_t)PAGE_SIZE << order) < bytes)
		order++;
	return order;
}

int virtq_alloc(struct virtq *vq, uint16_t size)
{
	uint8_t *mem;

	memset(vq, 0, sizeof(*vq));
	if (!size || (size & (size - 1)) || size > 32768)
		return -EINVAL;
	vq->order = ring_order(size);
	vq->pages = alloc_pages(vq->order);
	vq->next = kzalloc(size * sizeof(uint16_t));
	vq->chain = kzalloc(size * sizeof(uint16_t));
	vq->writable = kzalloc(size * sizeof(uint32_t));
	if (!vq->pages || !vq->next || !vq->chain || !vq->writable) {
		virtq_free(vq);
		return -ENOMEM;
	}
	mem = page_address(vq->pages);
	memset(mem, 0, (size_t)PAGE_SIZE << vq->order);
	vq->size = size;
	vq->desc = (struct virtq_desc *)mem;
	vq->avail = (volatile uint16_t *)(mem + avail_offset(size));
	vq->used_hdr = (volatile uint16_t *)(mem + used_offset(size));
	vq->used = (volatile struct virtq_used_elem *)(mem + used_offset(size) + 4);
	for (unsigned i = 0; i < size; i++)
		vq->next[i] = (uint16_t)(i + 1);
	vq->nfree = size;
	return 0;
}

void virtq_free(struct virtq *vq)
{
	if (vq->pages)
		free_pages(vq->pages, vq->order);
	kfree(vq->next);
	kfree(vq->chain);
	kfree(vq->writable);
	memset(vq, 0, sizeof(*vq));
}

/* Where the device wants queue index's notifications; NULL if outside the notify area. */
static volatile uint16_t *notify_addr(struct virtio_pci *vp)
{
	uint64_t off = (uint64_t)cc_read16(vp, CC_Q_NOTIFY_OFF) * vp->notify_mult;

	if (off + 2 > vp->notify_len)
		return NULL;
	return (volatile uint16_t *)(vp->notify + off);
}

int virtq_setup(struct virtio_pci *vp, struct virtq *vq, uint16_t index, uint16_t max,
		uint16_t msix)
{
	uint16_t size;
	int err;

	if (index >= cc_read16(vp, CC_NUM_QUEUES))
		return -ENOENT;
	cc_write16(vp, CC_Q_SELECT, index);
	size = MIN(cc_read16(vp, CC_Q_SIZE), max);
	while (size & (size - 1))
		size &= (uint16_t)(size - 1); /* down to a power of two */
	if (!size)
		return -ENOENT;
	err = virtq_alloc(vq, size);
	if (err)
		return err;
	vq->index = index;
	vq->notify = notify_addr(vp);
	cc_write16(vp, CC_Q_SIZE, size);
	cc_write64(vp, CC_Q_DESC, page_to_phys(vq->pages));
	cc_write64(vp, CC_Q_DRIVER, page_to_phys(vq->pages) + avail_offset(size));
	cc_write64(vp, CC_Q_DEVICE, page_to_phys(vq->pages) + used_offset(size));
	cc_write16(vp, CC_Q_MSIX, msix);
	if (!vq->notify || cc_read16(vp, CC_Q_MSIX) != msix) {
		virtq_free(vq); /* the device is not live yet: nothing uses the rings */
		return -EIO;
	}
	cc_write16(vp, CC_Q_ENABLE, 1);
	return 0;
}

int virtq_add(struct virtq *vq, const struct virtq_buf *bufs, unsigned n)
{
	uint16_t head = vq->free_head, d = head;
	uint32_t writable = 0;

	if (!n || n > vq->nfree)
		return -ENOSPC;
	for (unsigned i = 0; i < n; i++) {
		vq->desc[d].addr = bufs[i].phys;
		vq->desc[d].len = bufs[i].len;
		vq->desc[d].flags = (uint16_t)((bufs[i].write ? VIRTQ_DESC_F_WRITE : 0) |
					       (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
		vq->desc[d].next = vq->next[d];
		writable += bufs[i].write ? bufs[i].len : 0;
		d = vq->next[d];
	}
	vq->free_head = d;
	vq->nfree = (uint16_t)(vq->nfree - n);
	vq->chain[head] = (uint16_t)n;
	vq->writable[head] = writable;
	vq->inflight++;
	vq->peak = MAX(vq->peak, vq->inflight);
	barrier(); /* the descriptors before the ring entry */
	vq->avail[2 + (vq->avail_idx & (vq->size - 1))] = head;
	barrier(); /* the entry before the index (x86 keeps stores in order) */
	vq->avail_idx++;
	vq->avail[1] = vq->avail_idx;
	return head;
}

void virtq_kick(struct virtq *vq)
{
	mb(); /* the new index is visible before we look at the device's flags */
	if (vq->notify && !(vq->used_hdr[0] & USED_F_NO_NOTIFY))
		*vq->notify = vq->index;
}

/* Gives the chain at head back to the free list, using only the driver's copy of it. */
static void free_chain(struct virtq *vq, uint16_t head)
{
	uint16_t d = head;

	for (unsigned i = 1; i < vq->chain[head]; i++)
		d = vq->next[d];
	vq->next[d] = vq->free_head;
	vq->free_head = head;
	vq->nfree = (uint16_t)(vq->nfree + vq->chain[head]);
	vq->chain[head] = 0;
	vq->inflight--;
}

int virtq_get_used(struct virtq *vq, uint16_t *id, uint32_t *len)
{
	uint16_t used_idx = vq->used_hdr[1];
	struct virtq_used_elem e;

	if (used_idx == vq->last_used)
		return 0;
	if ((uint16_t)(used_idx - vq->last_used) > vq->inflight) {
		vq->bad_used++;
		return -EIO;
	}
	barrier(); /* the entry after the index (x86 keeps loads in order) */
	e.id = vq->used[vq->last_used & (vq->size - 1)].id;
	e.len = vq->used[vq->last_used & (vq->size - 1)].len;
	vq->last_used++;
	if (e.id >= vq->size || !vq->chain[e.id]) {
		vq->bad_used++;
		return -EBADMSG;
	}
	*id = (uint16_t)e.id;
	*len = e.len;
	if (e.len > vq->writable[e.id]) {
		vq->bad_used++;
		free_chain(vq, (uint16_t)e.id);
		return -EMSGSIZE;
	}
	free_chain(vq, (uint16_t)e.id);
	return 1;
}
