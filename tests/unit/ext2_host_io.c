/*
 * The host's I/O layer for the ext2 library (tests/unit/ext2_host.h):
 * blocks are read from and committed to an image held in memory, and
 * request memory is malloc'd and freed when the transaction ends, as the
 * kernel's svc_alloc arena is freed at the end of a request.
 */
#include "ext2_host.h"
#include <lib/string.h>
#include <uapi/errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>

struct host_alloc {
	struct host_alloc *next;
	max_align_t mem[];
};

struct host_buf {
	struct host_img *img;
	size_t off;
	uint32_t size;
};

static struct host_alloc *allocs;

void *ext2_io_alloc(size_t n)
{
	struct host_alloc *a = calloc(1, sizeof(*a) + n);

	if (!a)
		return NULL;
	a->next = allocs;
	allocs = a;
	return a->mem;
}

void ext2_io_txn_end(void)
{
	struct host_alloc *a;

	while (allocs) {
		a = allocs;
		allocs = a->next;
		free(a);
	}
}

static int host_read(struct host_img *img, size_t off, uint32_t size)
{
	if (img->fail_after && ++img->reads > img->fail_after)
		return -EIO;
	if (off > img->size || img->size - off < size)
		return -EIO;
	return 0;
}

int ext2_io_get(struct ext2_fs *fs, uint64_t blk, void **handle, const void **data)
{
	struct host_img *img = fs->dev;
	struct host_buf *b;
	size_t off = blk * fs->block_size;
	int err = host_read(img, off, fs->block_size);

	if (err)
		return err;
	b = malloc(sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->img = img;
	b->off = off;
	b->size = fs->block_size;
	*handle = b;
	*data = img->data + off;
	return 0;
}

void ext2_io_put(void *handle)
{
	free(handle);
}

void ext2_io_commit_begin(void)
{
}

void ext2_io_commit_end(void)
{
}

void ext2_io_reset(void)
{
}

void ext2_io_update(void *handle, const void *data, enum ext2_order order)
{
	struct host_buf *b = handle;
	uint8_t *o;

	memcpy(b->img->data + b->off, data, b->size);
	b->img->updates++;
	if (b->img->disk) {
		b->img->dirty[b->off / b->img->bs] = 1;
		o = &b->img->order[b->off / b->img->bs];
		*o = *o > order ? *o : (uint8_t)order;
	}
}

int ext2_io_make_map(void *handle)
{
	struct host_buf *b = handle;
	struct host_img *img = b->img;
	size_t blk = b->off / (img->bs ? img->bs : 1);

	if (!img->disk || img->map[blk])
		return 0;
	img->settled[blk] = malloc(img->bs);
	if (!img->settled[blk])
		return -ENOMEM;
	memcpy(img->settled[blk], img->data + b->off, img->bs);
	img->map[blk] = 1;
	return 0;
}

bool ext2_io_settled(void *handle, void *out)
{
	struct host_buf *b = handle;
	struct host_img *img = b->img;

	if (!img->disk || !img->map[b->off / img->bs])
		return false;
	memcpy(out, img->settled[b->off / img->bs], img->bs);
	return true;
}

void ext2_io_forget(struct ext2_fs *fs, uint64_t blk)
{
	struct host_img *img = fs->dev;

	img->forgets++;
	if (img->disk)
		img->dirty[blk] = img->order[blk] = 0; /* dropped, never written */
}

static size_t img_blocks(const struct host_img *img)
{
	return img->size / img->bs;
}

int host_img_writeback(struct host_img *img, uint32_t bs)
{
	img->bs = bs;
	img->disk = malloc(img->size);
	img->dirty = calloc(img_blocks(img), 1);
	img->map = calloc(img_blocks(img), 1);
	img->order = calloc(img_blocks(img), 1);
	img->settled = calloc(img_blocks(img), sizeof(*img->settled));
	if (!img->disk || !img->dirty || !img->map || !img->order || !img->settled)
		return -1;
	memcpy(img->disk, img->data, img->size);
	return 0;
}

unsigned host_img_dirty(const struct host_img *img)
{
	unsigned n = 0;

	for (size_t i = 0; img->disk && i < img_blocks(img); i++)
		n += img->dirty[i];
	return n;
}

/* A block's place in a pass, as in fs/bcache.c: the maps, then by enum ext2_order. */
static int pass_class(const struct host_img *img, size_t i)
{
	return img->map[i] ? 0 : 1 + img->order[i];
}

/*
 * Writes the pass's first limit blocks to disk, class by class, each in
 * ascending block order (the classes after the maps in descending order
 * if reverse: the kernel's order is its hash's, so a test tries two).
 */
static void pass_write(const struct host_img *img, uint8_t *disk, unsigned limit, bool reverse)
{
	size_t nblocks = img_blocks(img);
	unsigned n = 0;

	for (int c = 0; c <= 1 + EXT2_ORDER_ROOT; c++) {
		for (size_t k = 0; k < nblocks && n < limit; k++) {
			size_t i = reverse && c ? nblocks - 1 - k : k;

			if (img->dirty[i] && pass_class(img, i) == c) {
				memcpy(disk + i * img->bs, img->data + i * img->bs, img->bs);
				n++;
			}
		}
	}
}

uint8_t *host_img_cut(const struct host_img *img, unsigned cut, bool reverse)
{
	uint8_t *disk = malloc(img->size);

	if (disk) {
		memcpy(disk, img->disk, img->size);
		pass_write(img, disk, cut, reverse);
	}
	return disk;
}

void host_img_pass(struct host_img *img)
{
	img->passes++;
	pass_write(img, img->disk, UINT_MAX, false);
	for (size_t i = 0; i < img_blocks(img); i++) {
		if (img->dirty[i] && img->map[i])
			memcpy(img->settled[i], img->data + i * img->bs, img->bs);
		img->dirty[i] = 0;
		img->order[i] = 0;
	}
}

int ext2_io_probe(void *dev, void *out)
{
	struct host_img *img = dev;
	int err = host_read(img, EXT2_SB_OFFSET, EXT2_SB_SIZE);

	if (!err)
		memcpy(out, img->data + EXT2_SB_OFFSET, EXT2_SB_SIZE);
	return err;
}

void ext2_io_probe_end(void *dev, uint32_t block_size)
{
	(void)dev;
	(void)block_size;
}

int host_img_load(struct host_img *img, const char *path)
{
	FILE *f = fopen(path, "rb");
	long size;

	memset(img, 0, sizeof(*img));
	if (!f)
		return -1;
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, 0, SEEK_SET);
	img->data = malloc(size > 0 ? (size_t)size : 1);
	img->size = (size_t)size;
	if (!img->data || fread(img->data, 1, img->size, f) != img->size) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

int host_img_save(const struct host_img *img, const char *path)
{
	FILE *f = fopen(path, "wb");
	int ok;

	if (!f)
		return -1;
	ok = fwrite(img->data, 1, img->size, f) == img->size;
	return fclose(f) == 0 && ok ? 0 : -1;
}

void host_img_free(struct host_img *img)
{
	for (size_t i = 0; img->settled && i < img_blocks(img); i++)
		free(img->settled[i]);
	free(img->settled);
	free(img->map);
	free(img->order);
	free(img->dirty);
	free(img->disk);
	free(img->data);
	memset(img, 0, sizeof(*img));
}
