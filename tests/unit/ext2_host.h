/*
 * The host's I/O layer for the ext2 library (tests/unit/ext2_host_io.c):
 * an ext2 image file loaded into memory plays the block cache, so that
 * the ext2 tests run the library of fs/ext2/ on images made by
 * mke2fs and hand the result to e2fsck.
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
};

/* Loads path into img; 0 or -1. */
int host_img_load(struct host_img *img, const char *path);
/* Writes img back to path; 0 or -1. */
int host_img_save(const struct host_img *img, const char *path);
void host_img_free(struct host_img *img);

#endif
