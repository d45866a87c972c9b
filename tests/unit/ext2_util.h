/*
 * Helpers shared by the ext2 host tests (tests/unit/test_ext2_*.c,
 * implemented in tests/unit/ext2_util.c): making images with mke2fs from a
 * directory, mounting them with the library over tests/unit/ext2_host_io.c,
 * running one request in a transaction, and asking e2fsck about the result.
 */
#ifndef TESTS_UNIT_EXT2_UTIL_H
#define TESTS_UNIT_EXT2_UTIL_H

#include "ext2_host.h"

struct host_fs {
	struct host_img img;
	struct ext2_fs fs;
	char path[128]; /* the image file */
	char dir[128];	/* the mke2fs -d source */
};

/*
 * A fresh work directory with a tree of every file kind in hf->dir, an
 * image of it made with `mke2fs -b block_size extra`, loaded and mounted.
 * Returns 0 or the failing step's error.
 */
int hfs_make(struct host_fs *hf, const char *tag, unsigned block_size, const char *extra,
	     bool populate);
void hfs_free(struct host_fs *hf);
/* Writes the image back and runs e2fsck -fn on it: its exit status (0: clean). */
int hfs_fsck(struct host_fs *hf);
/* The same without printing e2fsck's report (for a test that expects one). */
int hfs_fsck_quiet(struct host_fs *hf);
/* Ends a request's transaction: commits when err is 0, aborts otherwise; returns err. */
int hfs_txn_end(struct ext2_fs *fs, int err);
/* Mounts the in-memory image again (as a restarted service would). */
int hfs_remount(struct host_fs *hf);

/* Resolves a path from the root; 0 or -errno. */
int hfs_walk(struct host_fs *hf, const char *path, uint32_t *ino);
/* Reads a regular file's data through the block map (holes read as zeros). */
int hfs_read(struct host_fs *hf, uint32_t ino, void *buf, size_t size);

#endif
