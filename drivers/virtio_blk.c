/*
 * The virtio block driver (include/drivers/virtio_blk.h), run as the
 * service "blk" (DESIGN.md section 5). kmain calls virtio_blk_probe at
 * boot: each modern virtio-blk PCI function is found, its configuration
 * structures are mapped, its MSI-X entry 0 is routed to vblk_irq, and it
 * is registered as a block device. That part is the core's and is never
 * redone.
 *
 * Everything that touches the device afterwards runs in the service's
 * thread: init (again after each crash) resets each disk and builds its
 * queue from scratch; handle takes a request (a bio serialised by
 * vblk_submit), checks it as untrusted bytes, posts a descriptor chain
 * (header, data segments, status byte) and returns SVC_ASYNC; the
 * interrupt kicks the service, whose poll reaps the used ring and
 * completes the requests. As many requests are in flight as the queue
 * has descriptors for.
 *
 * Lock key for struct vblk_disk: (c) constant after probe, (s) the
 * service thread (init, handle, poll, crashed -- never two at once).
 */
#include <drivers/virtio_blk.h>
#include <drivers/virtio.h>
#include <drivers/pci.h>
#include <arch/x86_64/cpu.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <svc/service.h>
#include <uapi/errno.h>

#define VBLK_QUEUE_MAX 256

/* Feature bits and the request format (virtio 1.1, 5.2). */
#define VIRTIO_BLK_F_RO	   (1ULL << 5)
#define VIRTIO_BLK_F_FLUSH (1ULL << 9)
#define VIRTIO_BLK_T_IN	   0
#define VIRTIO_BLK_T_OUT   1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_S_OK	   0
#define STATUS_UNSET	   0xff
#define CFG_CAPACITY	   0

struct vblk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct vblk_disk {
	struct virtio_pci vp;	   /* (c) */
	struct block_device bd;	   /* (c) */
	uint8_t index;		   /* (c) in disks[] */
	uint64_t features;	   /* (s) agreed with the device */
	bool live;		   /* (s) the queue is set up */
	struct virtq vq;	   /* (s) */
	struct page *dma;	   /* (s) hdrs and status, shared with the device */
	unsigned dma_order;	   /* (s) */
	struct vblk_hdr *hdrs;	   /* (s) one per head id */
	uint8_t *status;	   /* (s) one per head id */
	struct svc_request **reqs; /* (s) the request of each chain in flight, by head id */
	uint64_t rejected;	   /* (s) used entries refused */
};

static struct vblk_disk *disks[VBLK_MAX_DISKS]; /* (c) after probe */
static unsigned nr_disks;			/* (c) */
static struct service *blk_svc;			/* (c) once started */

/* ---- The service: queue set-up ------------------------------------------ */

/* Frees a disk's queue memory; the device must be reset (it no longer reads it). */
static void disk_forget(struct vblk_disk *d)
{
	d->live = false;
	virtq_free(&d->vq);
	if (d->dma)
		free_pages(d->dma, d->dma_order);
	kfree(d->reqs);
	d->dma = NULL;
	d->hdrs = NULL;
	d->status = NULL;
	d->reqs = NULL;
}

/* The header and status memory of each possible chain, and the request table. */
static int alloc_chain_memory(struct vblk_disk *d)
{
	size_t bytes = d->vq.size * (sizeof(struct vblk_hdr) + 1);

	d->dma_order = 0;
	while (((size_t)PAGE_SIZE << d->dma_order) < bytes)
		d->dma_order++;
	d->dma = alloc_pages(d->dma_order);
	d->reqs = kzalloc(d->vq.size * sizeof(*d->reqs));
	if (!d->dma || !d->reqs)
		return -ENOMEM;
	d->hdrs = page_address(d->dma);
	d->status = (uint8_t *)(d->hdrs + d->vq.size);
	return 0;
}

/* Resets the device and builds its queue from nothing. */
static int disk_start(struct vblk_disk *d)
{
	int err;

	virtio_reset(&d->vp);
	disk_forget(d);
	err = virtio_negotiate(&d->vp, VIRTIO_BLK_F_RO | VIRTIO_BLK_F_FLUSH, &d->features);
	if (!err)
		err = virtio_set_config_vector(&d->vp, VIRTIO_NO_VECTOR);
	if (!err)
		err = virtq_setup(&d->vp, &d->vq, 0, VBLK_QUEUE_MAX, 0);
	if (!err)
		err = alloc_chain_memory(d);
	if (err) {
		virtio_reset(&d->vp);
		disk_forget(d);
		return err;
	}
	virtio_add_status(&d->vp, VIRTIO_S_DRIVER_OK);
	d->live = true;
	return 0;
}

static int vblk_init(struct service *s)
{
	(void)s;
	for (unsigned i = 0; i < nr_disks; i++) {
		int err = disk_start(disks[i]);

		if (err)
			pr_err("virtio-blk %s: cannot start the device (%d)\n", disks[i]->bd.name,
			       err);
	}
	return 0;
}

/* After a crash: stop the devices now; the framework has taken their requests back. */
static void vblk_crashed(struct service *s)
{
	(void)s;
	for (unsigned i = 0; i < nr_disks; i++)
		virtio_reset(&disks[i]->vp);
}

/* ---- The service: completions -------------------------------------------- */

/* Ends the chain at head: its request gets 0 when the device wrote OK in its status. */
static void complete_chain(struct vblk_disk *d, uint16_t head, bool len_ok)
{
	struct svc_request *req = d->reqs[head];
	int status = len_ok && d->status[head] == VIRTIO_BLK_S_OK ? 0 : -EIO;

	d->reqs[head] = NULL;
	if (req)
		svc_complete(req, status);
}

/* Takes everything the device has finished. Never trusts an entry it did not post. */
static void reap(struct vblk_disk *d)
{
	uint16_t head;
	uint32_t len;
	int r;

	while (d->live && (r = virtq_get_used(&d->vq, &head, &len)) != 0) {
		if (r == -EIO) /* the device's ring is nonsense: crash, reset, retry */
			panic("virtio-blk %s: used index ahead of the requests posted", d->bd.name);
		if (r == -EBADMSG) {
			if (!d->rejected++)
				pr_warn("virtio-blk %s: used entry for no request\n", d->bd.name);
			continue;
		}
		if (r == -EMSGSIZE && !d->rejected++)
			pr_warn("virtio-blk %s: used length %u too large\n", d->bd.name, len);
		complete_chain(d, head, r == 1);
	}
}

static void vblk_poll(struct service *s)
{
	(void)s;
	for (unsigned i = 0; i < nr_disks; i++)
		reap(disks[i]);
}

/* ---- The service: requests ------------------------------------------------ */

/* Reads a message into b (disk in *disk); 0, -EPROTO or -EINVAL. */
static int parse(struct svc_request *req, struct bio *b, unsigned *disk)
{
	struct svc_reader r;

	svc_request_reader(req, &r);
	if (svc_msg_check(&r, VBLK_VERSION))
		return -EPROTO;
	memset(b, 0, sizeof(*b));
	*disk = svc_get_u8(&r);
	b->sector = svc_get_u64(&r);
	b->nsegs = svc_get_u8(&r);
	if (b->nsegs > BIO_MAX_SEGS)
		return -EINVAL;
	for (uint32_t i = 0; i < b->nsegs; i++) {
		b->segs[i].phys = svc_get_u64(&r);
		b->segs[i].len = svc_get_u32(&r);
	}
	if (!svc_reader_done(&r))
		return -EINVAL;
	switch (req->hdr.opcode) {
	case VBLK_OP_READ:
		b->op = BIO_READ;
		return 0;
	case VBLK_OP_WRITE:
		b->op = BIO_WRITE;
		return 0;
	case VBLK_OP_FLUSH:
		b->op = BIO_FLUSH;
		return 0;
	}
	return -EINVAL;
}

/* Waits (reaping) until the queue has n free descriptors; false if the disk went down. */
static bool wait_for_room(struct vblk_disk *d, unsigned n)
{
	while (d->live && d->vq.nfree < n) {
		reap(d);
		cpu_relax();
	}
	return d->live;
}

/* Posts b's chain: header, segments, status. */
static void post(struct vblk_disk *d, const struct bio *b, struct svc_request *req)
{
	struct virtq_buf bufs[BIO_MAX_SEGS + 2];
	uint16_t head = virtq_next_head(&d->vq);
	unsigned n = 0;

	d->hdrs[head] = (struct vblk_hdr){
		.type = b->op == BIO_READ    ? VIRTIO_BLK_T_IN
			: b->op == BIO_WRITE ? VIRTIO_BLK_T_OUT
					     : VIRTIO_BLK_T_FLUSH,
		.sector = b->op == BIO_FLUSH ? 0 : b->sector,
	};
	d->status[head] = STATUS_UNSET;
	bufs[n++] = (struct virtq_buf){ virt_to_phys(&d->hdrs[head]), sizeof(struct vblk_hdr),
					false };
	for (uint32_t i = 0; i < b->nsegs; i++)
		bufs[n++] = (struct virtq_buf){ b->segs[i].phys, b->segs[i].len,
						b->op == BIO_READ };
	bufs[n++] = (struct virtq_buf){ virt_to_phys(&d->status[head]), 1, true };
	d->reqs[head] = req;
	if (virtq_add(&d->vq, bufs, n) != head)
		panic("virtio-blk: the queue lost its free descriptors");
	virtq_kick(&d->vq);
}

static int vblk_handle(struct service *s, struct svc_request *req)
{
	struct vblk_disk *d;
	unsigned disk;
	struct bio b;
	int err;

	(void)s;
	err = parse(req, &b, &disk);
	if (err)
		return err;
	if (disk >= nr_disks)
		return -ENXIO;
	d = disks[disk];
	err = bio_check(&d->bd, &b);
	if (err)
		return err;
	if (b.op == BIO_FLUSH && !(d->features & VIRTIO_BLK_F_FLUSH))
		return 0; /* no write cache: what was written is stored */
	if (!wait_for_room(d, b.nsegs + 2))
		return -EIO;
	post(d, &b, req);
	return SVC_ASYNC;
}

static const struct service_ops vblk_ops = {
	.init = vblk_init,
	.handle = vblk_handle,
	.poll = vblk_poll,
	.crashed = vblk_crashed,
};

/* ---- The core: bios to messages, interrupts, probe ----------------------- */

uint16_t vblk_encode(struct svc_writer *w, unsigned disk, const struct bio *b)
{
	svc_msg_begin(w, VBLK_VERSION);
	svc_put_u8(w, (uint8_t)disk);
	svc_put_u64(w, b->sector);
	svc_put_u8(w, (uint8_t)b->nsegs);
	for (uint32_t i = 0; i < b->nsegs && i < BIO_MAX_SEGS; i++) {
		svc_put_u64(w, b->segs[i].phys);
		svc_put_u32(w, b->segs[i].len);
	}
	return b->op == BIO_READ    ? VBLK_OP_READ
	       : b->op == BIO_WRITE ? VBLK_OP_WRITE
				    : VBLK_OP_FLUSH;
}

unsigned vblk_peak_inflight(unsigned disk)
{
	return disk < nr_disks ? READ_ONCE(disks[disk]->vq.peak) : 0;
}

static void vblk_done(struct svc_request *req)
{
	struct bio *b = req->cookie;

	b->status = req->status;
	b->done(b);
}

static void vblk_submit(struct block_device *bd, struct bio *b)
{
	struct vblk_disk *d = bd->driver;
	struct svc_request *req = blk_svc ? svc_request_new(0, VBLK_MSG_MAX, 0) : NULL;

	if (!req) {
		b->status = blk_svc ? -ENOMEM : -EIO;
		b->done(b);
		return;
	}
	req->hdr.opcode = vblk_encode(svc_payload(req), d->index, b);
	svc_submit(blk_svc, req, vblk_done, b);
	svc_request_put(req); /* the queue holds it until on_done has run */
}

static const struct block_ops vblk_block_ops = { .submit = vblk_submit };

static void vblk_irq(struct trap_frame *f, void *ctx)
{
	(void)f;
	(void)ctx;
	if (READ_ONCE(blk_svc))
		svc_kick(blk_svc);
}

/* Reads what the block device needs (capacity, read-only) and leaves the device reset. */
static int read_geometry(struct vblk_disk *d)
{
	uint64_t features;
	int err;

	virtio_reset(&d->vp);
	err = virtio_negotiate(&d->vp, VIRTIO_BLK_F_RO, &features);
	if (!err) {
		d->bd.sectors = virtio_cfg_read64(&d->vp, CFG_CAPACITY);
		d->bd.read_only = features & VIRTIO_BLK_F_RO;
	}
	virtio_reset(&d->vp);
	return err;
}

static int probe_one(struct pci_dev *pci, struct vblk_disk *d)
{
	int err = virtio_pci_probe(pci, &d->vp);

	if (!err)
		err = read_geometry(d);
	if (!err && pci_msix_enable(pci) < 1)
		err = -ENODEV;
	if (!err) {
		err = pci_msix_route(pci, 0, vblk_irq, d);
		err = err < 0 ? err : 0;
	}
	return err;
}

static void add_disk(struct pci_dev *pci)
{
	struct vblk_disk *d = kzalloc(sizeof(*d));
	int err;

	if (!d || nr_disks == VBLK_MAX_DISKS) {
		kfree(d);
		pr_err("virtio-blk %02x:%02x.%u: no room for another disk\n", pci->bus, pci->dev,
		       pci->fn);
		return;
	}
	err = probe_one(pci, d);
	if (err) {
		pr_err("virtio-blk %02x:%02x.%u: unusable (%d)\n", pci->bus, pci->dev, pci->fn,
		       err);
		kfree(d); /* its BAR mappings stay: the MMIO area is never given back */
		return;
	}
	pci->claimed = true;
	d->index = (uint8_t)nr_disks;
	block_next_name("vd", d->bd.name);
	d->bd.ops = &vblk_block_ops;
	d->bd.driver = d;
	disks[nr_disks++] = d;
	err = block_register(&d->bd);
	if (err)
		pr_err("virtio-blk %s: no /dev node (%d)\n", d->bd.name, err);
}

void virtio_blk_probe(void)
{
	struct pci_dev *pci = NULL;

	while ((pci = pci_find(VIRTIO_VENDOR, VIRTIO_DEVICE_MODERN + VIRTIO_TYPE_BLOCK, pci)))
		add_disk(pci);
	if (!nr_disks)
		return;
	blk_svc = svc_start("blk", &vblk_ops, NULL, 0);
	if (!blk_svc)
		pr_err("virtio-blk: cannot start the blk service\n");
}
