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

void ext2_io_update(void *handle, const void *data)
{
	struct host_buf *b = handle;

	memcpy(b->img->data + b->off, data, b->size);
	b->img->updates++;
}

void ext2_io_forget(struct ext2_fs *fs, uint64_t blk)
{
	struct host_img *img = fs->dev;

	(void)blk;
	img->forgets++;
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
	free(img->data);
	img->data = NULL;
}
