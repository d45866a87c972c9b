/*
 * The block-device layer (include/drivers/block.h): the registry of
 * disks, the checks every bio passes before a driver sees it, and the
 * synchronous helpers kernel threads use (block_rw_sync,
 * block_flush_sync). Drivers (drivers/virtio_blk.c) call block_register
 * once per disk at boot; the block cache, the page cache and the
 * self-tests submit bios. Each disk gets a block-special node /dev/NAME
 * (fs/devfs.c).
 *
 * Locks: block_lock guards the list of devices; a registered device is
 * constant. sync_wq's lock orders a synchronous caller's look at its
 * "done" flag with the completion that sets it.
 */
#include <drivers/block.h>
#include <fs/devfs.h>
#include <fs/vfs.h>
#include <kernel/printk.h>
#include <kernel/thread.h>
#include <lib/string.h>
#include <lib/printf.h>
#include <mm/page.h>
#include <uapi/errno.h>

#define MINORS_PER_DISK 16 /* as Linux's virtio-blk: room for partitions */

static spinlock_t block_lock = SPINLOCK_INIT("block-devices");
static LIST_HEAD(block_devices); /* (block_lock) */
static unsigned nr_block;	 /* (block_lock) */

/* Every synchronous bio waits here: one queue, so a waiter's own stack never holds it. */
static struct waitq sync_wq = { SPINLOCK_INIT("block-sync"), LIST_HEAD_INIT(sync_wq.waiters) };

struct sync_wait {
	bool done; /* (sync_wq.lock) */
};

int block_register(struct block_device *bd)
{
	unsigned long flags = spin_lock_irqsave(&block_lock);
	unsigned index = nr_block++;

	bd->rdev = MKDEV(BLOCK_MAJOR, index * MINORS_PER_DISK);
	list_add_tail(&bd->node, &block_devices);
	spin_unlock_irqrestore(&block_lock, flags);
	pr_info("block: %s, %lu sectors (%lu MiB)%s, device %u:%u\n", bd->name,
		(unsigned long)bd->sectors, (unsigned long)(bd->sectors >> 11),
		bd->read_only ? " read-only" : "", MAJOR(bd->rdev), MINOR(bd->rdev));
	return devfs_register_blkdev(MAJOR(bd->rdev), MINOR(bd->rdev), bd->name, 0660);
}

struct block_device *block_by_rdev(uint32_t rdev)
{
	unsigned long flags = spin_lock_irqsave(&block_lock);
	struct block_device *bd, *found = NULL;

	list_for_each_entry (bd, &block_devices, node) {
		if (bd->rdev == rdev) {
			found = bd;
			break;
		}
	}
	spin_unlock_irqrestore(&block_lock, flags);
	return found;
}

struct block_device *block_nth(unsigned index)
{
	unsigned long flags = spin_lock_irqsave(&block_lock);
	struct block_device *bd, *found = NULL;

	list_for_each_entry (bd, &block_devices, node) {
		if (!index--) {
			found = bd;
			break;
		}
	}
	spin_unlock_irqrestore(&block_lock, flags);
	return found;
}

void block_next_name(const char *prefix, char *out)
{
	unsigned long flags = spin_lock_irqsave(&block_lock);
	size_t n = strlen(prefix);
	struct block_device *bd;
	unsigned same = 0;

	list_for_each_entry (bd, &block_devices, node)
		same += !strncmp(bd->name, prefix, n);
	spin_unlock_irqrestore(&block_lock, flags);
	snprintf(out, BLOCK_NAME_LEN, "%s%c", prefix, 'a' + (int)MIN(same, 25u));
}

static int check_segments(const struct bio *b, uint64_t *sectors)
{
	uint64_t total = 0;

	if (b->nsegs == 0 || b->nsegs > BIO_MAX_SEGS)
		return -EINVAL;
	for (uint32_t i = 0; i < b->nsegs; i++) {
		const struct bio_seg *s = &b->segs[i];

		if (!s->len || s->len % SECTOR_SIZE)
			return -EINVAL;
		if (s->phys + s->len < s->phys || (s->phys + s->len) >> PAGE_SHIFT > max_pfn)
			return -EINVAL; /* not RAM: the device would write anywhere */
		total += s->len >> SECTOR_SHIFT;
	}
	*sectors = total;
	return 0;
}

int bio_check(const struct block_device *bd, const struct bio *b)
{
	uint64_t n;
	int err;

	if (b->op == BIO_FLUSH)
		return b->nsegs ? -EINVAL : 0;
	if (b->op != BIO_READ && b->op != BIO_WRITE)
		return -EINVAL;
	err = check_segments(b, &n);
	if (err)
		return err;
	if (b->sector >= bd->sectors || n > bd->sectors - b->sector)
		return -EINVAL;
	if (b->op == BIO_WRITE && bd->read_only)
		return -EROFS;
	return 0;
}

void block_submit(struct block_device *bd, struct bio *b)
{
	int err = bio_check(bd, b);

	if (err) {
		b->status = err;
		b->done(b);
		return;
	}
	bd->ops->submit(bd, b);
}

static void sync_done(struct bio *b)
{
	struct sync_wait *w = b->priv;
	unsigned long flags = spin_lock_irqsave(&sync_wq.lock);

	w->done = true; /* the waiter may return as soon as the lock is dropped */
	spin_unlock_irqrestore(&sync_wq.lock, flags);
	waitq_wake_all(&sync_wq);
}

/* Submits b and sleeps until it is done; returns its status. */
static int submit_wait(struct block_device *bd, struct bio *b)
{
	struct sync_wait w = { .done = false };

	b->done = sync_done;
	b->priv = &w;
	block_submit(bd, b);
	waitq_wait_until(&sync_wq, w.done);
	return b->status;
}

/*
 * Fills b with up to BIO_MAX_SEGS pieces of buf of a page each (the
 * direct map is contiguous, so each piece is too); returns their bytes.
 */
static size_t fill_segments(struct bio *b, uint8_t *buf, size_t len)
{
	size_t done = 0;

	b->nsegs = 0;
	while (done < len && b->nsegs < BIO_MAX_SEGS) {
		size_t n = MIN(len - done, (size_t)PAGE_SIZE);

		b->segs[b->nsegs++] = (struct bio_seg){ virt_to_phys(buf + done), (uint32_t)n };
		done += n;
	}
	return done;
}

int block_rw_sync(struct block_device *bd, enum bio_op op, uint64_t sector, void *buf, size_t len)
{
	struct bio b;
	size_t done = 0;
	int err;

	if ((op != BIO_READ && op != BIO_WRITE) || len % SECTOR_SIZE ||
	    (uintptr_t)buf < direct_map_base)
		return -EINVAL;
	while (done < len) {
		memset(&b, 0, sizeof(b));
		b.op = op;
		b.sector = sector + done / SECTOR_SIZE;
		done += fill_segments(&b, (uint8_t *)buf + done, len - done);
		err = submit_wait(bd, &b);
		if (err)
			return err;
	}
	return 0;
}

int block_flush_sync(struct block_device *bd)
{
	struct bio b;

	memset(&b, 0, sizeof(b));
	b.op = BIO_FLUSH;
	return submit_wait(bd, &b);
}
