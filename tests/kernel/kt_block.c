/*
 * In-kernel self-tests of the block layer (drivers/block.c), the split
 * virtqueue (drivers/virtio_pci.c) and the virtio-blk service
 * (drivers/virtio_blk.c). Two run without a disk: bio checks, and a
 * virtqueue in plain memory fed bad used entries. The others need vda,
 * an image the host filled with block_pattern (tests/system/test_block.py
 * makes it and runs `./axl ktest block --disk IMG`): reads compared with
 * the pattern, many bios in flight at once, writes read back and
 * flushed into the upper half (the host checks the image afterwards),
 * bad bios and malformed service messages, the /dev node, and a crash of
 * the service with requests in flight. Without a disk they pass with a
 * note that they skipped.
 */
#include <kernel/ktest.h>
#include <kernel/printk.h>
#include <kernel/thread.h>
#include <drivers/block.h>
#include <drivers/virtio.h>
#include <drivers/virtio_blk.h>
#include <fs/vfs.h>
#include <lib/string.h>
#include <mm/page.h>
#include <mm/slab.h>
#include <svc/fault_inject.h>
#include <svc/service.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <uapi/stat.h>

#define INFLIGHT 48

/* What the host wrote into sector s (the lower half) or the guest writes (the upper). */
static uint8_t pattern_byte(uint64_t s, unsigned k, bool written)
{
	if (k < 8)
		return (uint8_t)((written ? ~s : s) >> (8 * k));
	return written ? (uint8_t)(s * 13 + k * 3 + 0x5a) : (uint8_t)(s * 31 + k);
}

static bool sectors_match(const uint8_t *buf, uint64_t first, unsigned n, bool written)
{
	for (unsigned i = 0; i < n; i++)
		for (unsigned k = 0; k < SECTOR_SIZE; k++)
			if (buf[i * SECTOR_SIZE + k] != pattern_byte(first + i, k, written))
				return false;
	return true;
}

static void fill_sectors(uint8_t *buf, uint64_t first, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		for (unsigned k = 0; k < SECTOR_SIZE; k++)
			buf[i * SECTOR_SIZE + k] = pattern_byte(first + i, k, true);
}

/* vda, or NULL (the test then passes, saying so). */
static struct block_device *test_disk(const char *test)
{
	struct block_device *bd = block_nth(0);

	if (!bd || bd->sectors < 2048) {
		kprintf("ktest: %s: no disk of 1 MiB or more attached, skipped\n", test);
		return NULL;
	}
	return bd;
}

KTEST(block_bio_check)
{
	struct block_device bd = { .name = "fake", .sectors = 100 };
	struct bio b = { .op = BIO_READ, .sector = 98, .nsegs = 1 };

	b.segs[0] = (struct bio_seg){ 0x100000, 1024 };
	KT_ASSERT(bio_check(&bd, &b) == 0);
	b.sector = 99; /* one sector past the end */
	KT_ASSERT(bio_check(&bd, &b) == -EINVAL);
	b.sector = ~0ULL; /* wraps */
	KT_ASSERT(bio_check(&bd, &b) == -EINVAL);
	b.sector = 0;
	b.segs[0].len = 100; /* not whole sectors */
	KT_ASSERT(bio_check(&bd, &b) == -EINVAL);
	b.segs[0].len = 0;
	KT_ASSERT(bio_check(&bd, &b) == -EINVAL);
	b.segs[0] = (struct bio_seg){ (max_pfn + 1) << PAGE_SHIFT, 512 }; /* not RAM */
	KT_ASSERT(bio_check(&bd, &b) == -EINVAL);
	b.segs[0] = (struct bio_seg){ ~0ULL - 511, 1024 }; /* wraps */
	KT_ASSERT(bio_check(&bd, &b) == -EINVAL);
	b.segs[0] = (struct bio_seg){ 0x100000, 512 };
	b.nsegs = 0;
	KT_ASSERT(bio_check(&bd, &b) == -EINVAL);
	b.nsegs = BIO_MAX_SEGS + 1;
	KT_ASSERT(bio_check(&bd, &b) == -EINVAL);
	b.nsegs = 1;
	b.op = BIO_WRITE;
	bd.read_only = true;
	KT_ASSERT(bio_check(&bd, &b) == -EROFS);
	b.op = BIO_FLUSH;
	KT_ASSERT(bio_check(&bd, &b) == -EINVAL); /* a flush carries no data */
	b.nsegs = 0;
	KT_ASSERT(bio_check(&bd, &b) == 0);
	b.op = 7;
	KT_ASSERT(bio_check(&bd, &b) == -EINVAL);
}

/* Plays the device: puts (id, len) into the used ring. */
static void device_uses(struct virtq *vq, uint16_t at, uint32_t id, uint32_t len)
{
	vq->used[at & (vq->size - 1)].id = id;
	vq->used[at & (vq->size - 1)].len = len;
	vq->used_hdr[1] = (uint16_t)(at + 1);
}

KTEST(virtq_rejects_bad_used)
{
	struct virtq_buf bufs[3] = { { 0x1000, 16, false },
				     { 0x2000, 512, true },
				     { 0x3000, 1, true } };
	struct virtq vq;
	uint32_t len;
	uint16_t id;
	int a, b;

	KT_ASSERT(virtq_alloc(&vq, 8) == 0);
	KT_ASSERT(virtq_get_used(&vq, &id, &len) == 0);
	a = virtq_add(&vq, bufs, 3);
	b = virtq_add(&vq, bufs, 3);
	KT_ASSERT(a >= 0 && b >= 0 && a != b && vq.nfree == 2);
	KT_ASSERT(virtq_add(&vq, bufs, 3) == -ENOSPC);
	KT_ASSERT(vq.avail[1] == 2 && vq.desc[a].flags == VIRTQ_DESC_F_NEXT);
	device_uses(&vq, 0, 99, 1); /* no such descriptor */
	KT_ASSERT(virtq_get_used(&vq, &id, &len) == -EBADMSG);
	device_uses(&vq, 1, (uint32_t)a + 1, 1); /* not the head of a chain */
	KT_ASSERT(virtq_get_used(&vq, &id, &len) == -EBADMSG);
	KT_ASSERT(vq.nfree == 2 && vq.bad_used == 2);
	device_uses(&vq, 2, (uint32_t)a, 600); /* more than the 513 writable bytes */
	KT_ASSERT(virtq_get_used(&vq, &id, &len) == -EMSGSIZE && id == a && vq.nfree == 5);
	device_uses(&vq, 3, (uint32_t)a, 513); /* a again: no longer in flight */
	KT_ASSERT(virtq_get_used(&vq, &id, &len) == -EBADMSG);
	vq.used_hdr[1] = 40; /* far ahead of the one chain in flight */
	KT_ASSERT(virtq_get_used(&vq, &id, &len) == -EIO);
	device_uses(&vq, 4, (uint32_t)b, 513);
	KT_ASSERT(virtq_get_used(&vq, &id, &len) == 1 && id == b && len == 513);
	KT_ASSERT(vq.nfree == 8 && vq.inflight == 0);
	KT_ASSERT(virtq_get_used(&vq, &id, &len) == 0);
	virtq_free(&vq);
}

KTEST(block_read)
{
	struct block_device *bd = test_disk("block_read");
	uint8_t *buf = kmalloc(64 * SECTOR_SIZE);
	uint64_t half;

	if (!bd) {
		kfree(buf);
		return;
	}
	half = bd->sectors / 2;
	KT_ASSERT(buf);
	KT_ASSERT(block_rw_sync(bd, BIO_READ, 0, buf, 64 * SECTOR_SIZE) == 0);
	KT_ASSERT(sectors_match(buf, 0, 64, false));
	KT_ASSERT(block_rw_sync(bd, BIO_READ, half - 3, buf + 512, 3 * SECTOR_SIZE) == 0);
	KT_ASSERT(sectors_match(buf + 512, half - 3, 3, false));
	KT_ASSERT(block_rw_sync(bd, BIO_READ, 1001, buf, SECTOR_SIZE) == 0);
	KT_ASSERT(sectors_match(buf, 1001, 1, false));
	kfree(buf);
}

struct inflight {
	struct waitq wq;
	int left;   /* (wq.lock) */
	int errors; /* (wq.lock) */
};

static void inflight_done(struct bio *b)
{
	struct inflight *in = b->priv;
	unsigned long flags = spin_lock_irqsave(&in->wq.lock);

	in->errors += b->status != 0;
	in->left--;
	spin_unlock_irqrestore(&in->wq.lock, flags);
	waitq_wake_all(&in->wq);
}

/*
 * Submits INFLIGHT reads at once, each of 8 sectors in two segments on
 * two pages, the second half first in memory; waits for all; returns the
 * number of failed bios, and the pages in pages[2 * i], pages[2 * i + 1].
 */
static int read_many(struct block_device *bd, struct bio *bios, uint8_t **pages, bool crash)
{
	static struct inflight in; /* static: waitq_wake_all may still run after the last done */

	waitq_init(&in.wq, "kt-block");
	in.left = INFLIGHT;
	in.errors = 0;
	for (int i = 0; i < INFLIGHT; i++) {
		struct bio *b = &bios[i];

		memset(b, 0, sizeof(*b));
		b->op = BIO_READ;
		b->sector = (uint64_t)i * 37;
		b->nsegs = 2;
		b->segs[0] = (struct bio_seg){ virt_to_phys(pages[2 * i + 1]) + 512, 2048 };
		b->segs[1] = (struct bio_seg){ virt_to_phys(pages[2 * i]), 2048 };
		b->done = inflight_done;
		b->priv = &in;
		block_submit(bd, b);
		if (crash && i == INFLIGHT / 2) {
			/* Some done, some in the device: the next request the service takes panics. */
			waitq_wait_until(&in.wq, in.left <= INFLIGHT - 4);
			svc_fault_configure("blk panic next");
		}
	}
	waitq_wait_until(&in.wq, in.left == 0);
	return in.errors;
}

static uint8_t **alloc_pages_array(unsigned n)
{
	uint8_t **p = kzalloc(n * sizeof(*p));

	for (unsigned i = 0; p && i < n; i++)
		if (!(p[i] = page_alloc_zeroed()))
			return NULL; /* a test leak, on out of memory only */
	return p;
}

static void free_pages_array(uint8_t **p, unsigned n)
{
	for (unsigned i = 0; p && i < n; i++)
		page_free_addr(p[i]);
	kfree(p);
}

static bool many_match(uint8_t **pages)
{
	for (int i = 0; i < INFLIGHT; i++) {
		uint64_t s = (uint64_t)i * 37;

		if (!sectors_match(pages[2 * i + 1] + 512, s, 4, false) ||
		    !sectors_match(pages[2 * i], s + 4, 4, false))
			return false;
	}
	return true;
}

KTEST(block_many_in_flight)
{
	struct block_device *bd = test_disk("block_many_in_flight");
	struct bio *bios = kzalloc(INFLIGHT * sizeof(*bios));
	uint8_t **pages = alloc_pages_array(2 * INFLIGHT);
	bool ok;

	if (bd) {
		KT_ASSERT(bios && pages);
		KT_ASSERT(read_many(bd, bios, pages, false) == 0);
		ok = many_match(pages);
		KT_ASSERT(ok);
		KT_ASSERT(vblk_peak_inflight(0) > 1);
	}
	free_pages_array(pages, 2 * INFLIGHT);
	kfree(bios);
}

KTEST(block_write_flush)
{
	struct block_device *bd = test_disk("block_write_flush");
	uint8_t *out = kmalloc(64 * SECTOR_SIZE), *in = kzalloc(64 * SECTOR_SIZE);
	uint64_t half;

	if (bd) {
		half = bd->sectors / 2;
		KT_ASSERT(out && in);
		fill_sectors(out, half, 64);
		KT_ASSERT(block_rw_sync(bd, BIO_WRITE, half, out, 64 * SECTOR_SIZE) == 0);
		KT_ASSERT(block_flush_sync(bd) == 0);
		KT_ASSERT(block_rw_sync(bd, BIO_READ, half, in, 64 * SECTOR_SIZE) == 0);
		KT_ASSERT(sectors_match(in, half, 64, true));
		/* The last sector of the disk, alone. */
		fill_sectors(out, bd->sectors - 1, 1);
		KT_ASSERT(block_rw_sync(bd, BIO_WRITE, bd->sectors - 1, out, SECTOR_SIZE) == 0);
		KT_ASSERT(block_rw_sync(bd, BIO_READ, bd->sectors - 1, in, SECTOR_SIZE) == 0);
		KT_ASSERT(sectors_match(in, bd->sectors - 1, 1, true));
		KT_ASSERT(block_flush_sync(bd) == 0);
	}
	kfree(out);
	kfree(in);
}

/* Sends a raw message to the blk service; returns its status. */
static int send_raw(uint16_t opcode, const uint8_t *bytes, size_t n)
{
	struct svc_request *req = svc_request_new(opcode, n, 0), *done;
	struct svc_writer *w;
	int r;

	if (!req)
		return -ENOMEM;
	w = svc_payload(req);
	for (size_t i = 0; i < n; i++)
		svc_put_u8(w, bytes[i]);
	r = svc_call(svc_find("blk"), req, &done);
	svc_request_put(done);
	return r;
}

/* A message for bio b, then changed by the caller through its bytes. */
static size_t encode(uint8_t *out, const struct bio *b, uint16_t *opcode)
{
	struct svc_writer w;

	svc_writer_init(&w, out, VBLK_MSG_MAX + 8);
	*opcode = vblk_encode(&w, 0, b);
	return w.len;
}

static int bad_messages(const struct bio *good)
{
	uint8_t m[VBLK_MSG_MAX + 8];
	uint16_t op;
	size_t n = encode(m, good, &op);
	int fails = 0;

	fails += send_raw(op, m, n) != 0; /* the good one, as it was made */
	m[0] = VBLK_VERSION + 1;
	fails += send_raw(op, m, n) != -EPROTO;
	fails += send_raw(op, m, 0) != -EPROTO; /* empty */
	n = encode(m, good, &op);
	fails += send_raw(op, m, n - 1) != -EINVAL; /* cut short */
	fails += send_raw(op, m, n + 1) != -EINVAL; /* a byte too many */
	fails += send_raw(99, m, n) != -EINVAL;	    /* no such operation */
	m[1] = 200;				    /* no such disk */
	fails += send_raw(op, m, n) != -ENXIO;
	n = encode(m, good, &op);
	m[10] = BIO_MAX_SEGS + 1; /* more segments than allowed (and than sent) */
	fails += send_raw(op, m, n) != -EINVAL;
	n = encode(m, good, &op);
	m[11 + 8] = 100; /* a length of 100 bytes (little-endian u32 after the address) */
	m[11 + 9] = 0;
	fails += send_raw(op, m, n) != -EINVAL;
	n = encode(m, good, &op);
	memset(m + 11, 0xff, 8); /* an address outside RAM */
	fails += send_raw(op, m, n) != -EINVAL;
	n = encode(m, good, &op);
	memset(m + 2, 0x7f, 8); /* a sector past the end */
	fails += send_raw(op, m, n) != -EINVAL;
	n = encode(m, good, &op);
	fails += send_raw(VBLK_OP_FLUSH, m, n) != -EINVAL; /* a flush with data */
	return fails;
}

KTEST(block_rejects_bad_requests)
{
	struct block_device *bd = test_disk("block_rejects_bad_requests");
	uint8_t *buf = page_alloc_zeroed();
	struct service *s = svc_find("blk");
	uint64_t crashes;
	struct bio good = { .op = BIO_READ, .sector = 5, .nsegs = 1 };

	if (bd) {
		KT_ASSERT(buf && s);
		crashes = READ_ONCE(s->stats.crashes);
		KT_ASSERT(block_rw_sync(bd, BIO_READ, bd->sectors, buf, SECTOR_SIZE) == -EINVAL);
		KT_ASSERT(block_rw_sync(bd, BIO_READ, bd->sectors - 1, buf, 1024) == -EINVAL);
		KT_ASSERT(block_rw_sync(bd, BIO_READ, 0, buf, 100) == -EINVAL);
		good.segs[0] = (struct bio_seg){ virt_to_phys(buf), SECTOR_SIZE };
		KT_ASSERT(bad_messages(&good) == 0);
		KT_ASSERT(sectors_match(buf, 5, 1, false)); /* the good message did read */
		KT_ASSERT(READ_ONCE(s->stats.crashes) == crashes);
		KT_ASSERT(block_rw_sync(bd, BIO_READ, 7, buf, SECTOR_SIZE) == 0);
		KT_ASSERT(sectors_match(buf, 7, 1, false));
	}
	page_free_addr(buf);
}

KTEST(block_dev_node)
{
	struct block_device *bd = test_disk("block_dev_node");
	struct kstat st;
	struct file *f;

	if (!bd)
		return;
	KT_ASSERT(vfs_statat(NULL, "/dev/vda", 0, &st) == 0);
	KT_ASSERT(S_ISBLK(st.mode) && st.rdev == bd->rdev);
	KT_ASSERT(block_by_rdev(st.rdev) == bd);
	KT_ASSERT(vfs_openat(NULL, "/dev/vda", O_RDONLY, 0, &f) == 0);
	file_put(f);
	KT_ASSERT(vfs_statat(NULL, "/dev/vdz", 0, &st) == -ENOENT);
}

/*
 * A crash of the service with reads queued and in flight (injected after
 * half of them were submitted): all complete, with the right data.
 */
KTEST(block_service_restart)
{
	struct block_device *bd = test_disk("block_service_restart");
	struct bio *bios = kzalloc(INFLIGHT * sizeof(*bios));
	uint8_t **pages = alloc_pages_array(2 * INFLIGHT);
	struct service *s = svc_find("blk");
	uint64_t restarts;

	if (bd) {
		KT_ASSERT(bios && pages && s);
		restarts = READ_ONCE(s->stats.restarts);
		KT_ASSERT(read_many(bd, bios, pages, true) == 0);
		KT_ASSERT(many_match(pages));
		KT_ASSERT(READ_ONCE(s->stats.restarts) == restarts + 1);
		KT_ASSERT(block_rw_sync(bd, BIO_READ, 9, pages[0], SECTOR_SIZE) == 0);
		KT_ASSERT(sectors_match(pages[0], 9, 1, false));
	}
	free_pages_array(pages, 2 * INFLIGHT);
	kfree(bios);
}

/* A hang in the service: the watchdog ends it, and the read that hung is done on the new one. */
KTEST(block_service_hang)
{
	struct block_device *bd = test_disk("block_service_hang");
	uint8_t *buf = page_alloc_zeroed();
	struct service *s = svc_find("blk");
	uint64_t restarts;

	if (bd) {
		KT_ASSERT(buf && s);
		restarts = READ_ONCE(s->stats.restarts);
		KT_ASSERT(svc_fault_configure("blk hang next") == 0);
		KT_ASSERT(block_rw_sync(bd, BIO_READ, 11, buf, 2 * SECTOR_SIZE) == 0);
		KT_ASSERT(sectors_match(buf, 11, 2, false));
		KT_ASSERT(READ_ONCE(s->stats.restarts) == restarts + 1);
	}
	page_free_addr(buf);
}
