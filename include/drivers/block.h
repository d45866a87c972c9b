/*
 * Block devices (drivers/block.c): disks seen as arrays of 512-byte
 * sectors. A driver (drivers/virtio_blk.c, a service) registers a
 * block_device; the core's block cache (fs/bcache.c) and page cache
 * submit bios to it. A bio names its memory by physical address (pages
 * of the block cache or the page cache), so that the request a driver
 * service gets is self-contained bytes and the device can DMA directly.
 *
 * Each registered device gets a node /dev/NAME (block special, major
 * BLOCK_MAJOR) in devfs.
 */
#ifndef DRIVERS_BLOCK_H
#define DRIVERS_BLOCK_H

#include <lib/types.h>
#include <lib/list.h>
#include <kernel/spinlock.h>

#define SECTOR_SIZE    512
#define SECTOR_SHIFT   9
#define BIO_MAX_SEGS   16
#define BLOCK_MAJOR    254 /* virtio-blk's major on Linux is dynamic; Linux uses 254 often */
#define BLOCK_NAME_LEN 8

enum bio_op {
	BIO_READ,
	BIO_WRITE,
	BIO_FLUSH, /* everything written before is on stable storage when it completes */
};

struct bio_seg {
	uint64_t phys; /* physical address */
	uint32_t len;  /* bytes, a multiple of 512 */
};

struct bio;
typedef void (*bio_done_fn)(struct bio *b);

/* One transfer. The submitter owns it; done() runs once, in any context. */
struct bio {
	enum bio_op op;
	uint64_t sector; /* first sector */
	uint32_t nsegs;
	struct bio_seg segs[BIO_MAX_SEGS];
	int status; /* 0 or -errno (-EIO, -EINVAL, -EROFS, -ENOMEM), set before done */
	bio_done_fn done;
	void *priv; /* the submitter's */
};

struct block_device;

struct block_ops {
	/* Starts b; its done() runs when it finishes (possibly before this returns). */
	void (*submit)(struct block_device *bd, struct bio *b);
};

/* Lock key: (c) constant after registration. */
struct block_device {
	char name[BLOCK_NAME_LEN];   /* (c) "vda" */
	uint64_t sectors;	     /* (c) capacity */
	bool read_only;		     /* (c) */
	uint32_t rdev;		     /* (c) set by block_register */
	const struct block_ops *ops; /* (c) */
	void *driver;		     /* (c) the driver's */
	struct list_head node;	     /* (block devices lock) */
};

/* Gives bd a device number and /dev/NAME; 0 or -errno. */
int block_register(struct block_device *bd);
/* The device with number rdev, or NULL. */
struct block_device *block_by_rdev(uint32_t rdev);
/* The index-th registered device (0, 1, ...) or NULL: for listings. */
struct block_device *block_nth(unsigned index);
/* The next free name "vda", "vdb", ... for a driver. */
void block_next_name(const char *prefix, char *out);

/*
 * Checks b against the device (range, whole sectors, segment count,
 * segments in RAM, a flush without data); 0, -EINVAL, or -EROFS for a
 * write to a read-only disk. block_submit checks with it; the driver
 * service checks the bio it rebuilt from a message again.
 */
int bio_check(const struct block_device *bd, const struct bio *b);
/* bio_check, then the driver's submit; a bio that fails the check is done at once. */
void block_submit(struct block_device *bd, struct bio *b);
/*
 * For kernel threads (services, the flusher): reads or writes len bytes
 * (a multiple of 512, contiguous in the direct map, any alignment) at
 * sector and waits; long transfers go as several bios of up to
 * BIO_MAX_SEGS pages. 0 or -errno as bio->status.
 */
int block_rw_sync(struct block_device *bd, enum bio_op op, uint64_t sector, void *buf, size_t len);
/* Submits a flush and waits for it; 0 or -EIO. */
int block_flush_sync(struct block_device *bd);

#endif
