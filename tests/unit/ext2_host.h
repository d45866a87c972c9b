/*
 * The host's I/O layer for the ext2 library (tests/unit/ext2_host_io.c):
 * an ext2 image file loaded into memory plays the block cache, so that
 * the ext2 tests run the library of fs/ext2/ on images made by
 * mke2fs and hand the result to e2fsck.
 *
 * In write-back mode (host_img_writeback) the image in memory is only
 * the cache and a second copy is the disk: commits mark blocks dirty, and
 * a pass writes them as the kernel's block cache does (fs/bcache.c: the
 * allocation maps first, then the rest, the orphan-chain links and the
 * chain's head; the maps' settled copies move on when a pass ends), so
 * that a test can cut the power after any write.
 */
#ifndef TESTS_UNIT_EXT2_HOST_H
#define TESTS_UNIT_EXT2_HOST_H

#include <fs/ext2.h>

struct host_img {
	uint8_t *data;
	size_t size;
	unsigned updates;    /* blocks committed */
	unsigned forgets;    /* blocks dropped */
	unsigned fail_after; /* when not 0: reads fail with -EIO after this many */
	unsigned reads;
	/* write-back mode only (disk != NULL), per block of bs bytes: */
	uint8_t *disk;
	uint32_t bs;
	uint8_t *dirty, *map, *order;
	uint8_t **settled;
	unsigned passes;
};

/* Write-back mode from now on, with blocks of bs bytes: the disk is the image now. */
int host_img_writeback(struct host_img *img, uint32_t bs);
/* How many writes the next pass makes (the dirty blocks). */
unsigned host_img_dirty(const struct host_img *img);
/*
 * A copy of the disk as a power cut after the first cut writes of a pass
 * leaves it (malloc'd); reverse: the pass writes the blocks after the
 * maps from the highest number down.
 */
uint8_t *host_img_cut(const struct host_img *img, unsigned cut, bool reverse);
/* A whole pass: every dirty block written; the maps' frees settle. */
void host_img_pass(struct host_img *img);

/* Loads path into img; 0 or -1. */
int host_img_load(struct host_img *img, const char *path);
/* Writes img back to path; 0 or -1. */
int host_img_save(const struct host_img *img, const char *path);
void host_img_free(struct host_img *img);

#endif
