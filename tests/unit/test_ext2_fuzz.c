/*
 * Corruption fuzz of the ext2 library (fs/ext2/): random bytes are
 * flipped in the metadata blocks of an image made by mke2fs (superblock,
 * group descriptors, bitmaps, inode tables, directories, indirect
 * blocks); each corrupt image is mounted and walked (readdir, getattr,
 * readlink, bmap of every block) and changed (create, mkdir, unlink,
 * rename, truncate, evict). Errors are expected; a crash, an access out
 * of bounds (ASan) or undefined behaviour (UBSan) fails the test, and so
 * would a walk that never ends. Also: read errors of the device.
 */
#include "harness.h"
#include "ext2_util.h"
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/stat.h>
#include <stdlib.h>

#define MAX_META  512
#define MAX_NODES 300

static struct host_fs hf;
static struct ext2_fs *fs = &hf.fs;
static uint32_t meta[MAX_META];
static int nmeta;
static int nodes;
static uint32_t rng = 1;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static void add_meta(uint32_t blk)
{
	if (blk && nmeta < MAX_META)
		meta[nmeta++] = blk;
}

/* Superblock, descriptors, bitmaps and the start of each inode table. */
static void collect_groups(void)
{
	const struct ext2_group_desc *gd;

	add_meta(fs->sb_block);
	add_meta(fs->first_data_block + 1);
	ext2_txn_begin(fs);
	for (uint32_t g = 0; g < fs->groups; g++) {
		if (ext2_gd_read(fs, g, &gd))
			continue;
		add_meta(gd->bg_block_bitmap);
		add_meta(gd->bg_inode_bitmap);
		for (uint32_t i = 0; i < 8; i++)
			add_meta(gd->bg_inode_table + i);
	}
	ext2_txn_abort(fs);
}

struct walk {
	uint32_t ino[64];
	int n;
};

static int walk_fn(void *ctx, const char *name, size_t len, uint32_t ino, uint64_t next)
{
	struct walk *w = ctx;

	(void)name;
	(void)len;
	(void)next;
	if (w->n < 64)
		w->ino[w->n++] = ino;
	return 0;
}

static void visit(uint32_t ino, int depth, bool collect);

static void visit_dir(uint32_t dir, int depth, bool collect)
{
	struct walk w = { .n = 0 };
	uint64_t cursor = 0;
	int err;

	if (ext2_txn_begin(fs))
		return;
	err = ext2_iterate(fs, dir, &cursor, walk_fn, &w);
	ext2_txn_abort(fs);
	for (int i = 0; !err && i < w.n; i++)
		visit(w.ino[i], depth + 1, collect);
}

static void visit_file(uint32_t ino, const struct ext2_attr *a, bool collect)
{
	uint64_t n = ((uint64_t)a->size + fs->block_size - 1) / fs->block_size;
	uint32_t blk;

	if (n > 2000)
		n = 2000;
	if (ext2_txn_begin(fs))
		return;
	for (uint64_t l = 0; l < n; l++) {
		if (ext2_bmap(fs, ino, l, false, &blk))
			break;
		if (collect && S_ISDIR(a->mode))
			add_meta(blk);
	}
	ext2_txn_abort(fs);
}

static void visit(uint32_t ino, int depth, bool collect)
{
	const struct ext2_inode *in;
	struct ext2_attr a;
	char buf[4096];
	int err;

	if (depth > 10 || ++nodes > MAX_NODES || ext2_txn_begin(fs))
		return;
	err = ext2_getattr(fs, ino, &a);
	if (!err && collect && !ext2_iread(fs, ino, &in) && ext2_has_blocks(fs, in))
		for (int i = EXT2_IND_BLOCK; i <= EXT2_TIND_BLOCK; i++)
			add_meta(in->i_block[i]);
	if (!err && S_ISLNK(a.mode))
		ext2_readlink(fs, ino, buf, sizeof(buf));
	ext2_txn_abort(fs);
	if (err)
		return;
	if (S_ISREG(a.mode) || S_ISDIR(a.mode))
		visit_file(ino, &a, collect);
	if (S_ISDIR(a.mode))
		visit_dir(ino, depth, collect);
}

/* Changes that make the library allocate, free and rewrite directories. */
static void mutate(void)
{
	struct ext2_new n = { .mode = S_IFDIR | 0755, .time = 1 };
	struct ext2_setattr sa = { .valid = EXT2_ATTR_SIZE, .size = 10 };
	struct ext2_attr a;
	uint32_t ino;
	int err;

	if (ext2_txn_begin(fs))
		return;
	hfs_txn_end(fs, ext2_create(fs, EXT2_ROOT_INO, "fz", 2, &n, &a));
	ext2_txn_begin(fs);
	n.mode = S_IFREG | 0644;
	hfs_txn_end(fs, ext2_create(fs, EXT2_ROOT_INO, "fz2", 3, &n, &a));
	ext2_txn_begin(fs);
	hfs_txn_end(fs, ext2_rename(fs, EXT2_ROOT_INO, "sub", 3, EXT2_ROOT_INO, "fz", 2, 0, 2));
	ext2_txn_begin(fs);
	err = ext2_lookup(fs, EXT2_ROOT_INO, "sparse", 6, &ino);
	hfs_txn_end(fs, err ?: ext2_setattr(fs, ino, &sa, &a));
	ext2_txn_begin(fs);
	err = ext2_unlink(fs, EXT2_ROOT_INO, "small", 5, 0, false, 3, &a);
	hfs_txn_end(fs, err);
	for (int i = 0; !err && i < 8; i++) { /* a few steps of freeing it */
		bool more = false;
		uint32_t next;

		ext2_txn_begin(fs);
		err = ext2_evict_step(fs, a.ino, &more, &next);
		hfs_txn_end(fs, err);
		if (!more)
			break;
	}
	ext2_txn_begin(fs);
	hfs_txn_end(fs, ext2_bmap(fs, rnd() % fs->inodes_count + 1, rnd() % 100000, true, &ino));
}

static void fuzz(const char *tag, unsigned bs, int rounds)
{
	uint8_t *pristine;
	int mounted = 0, walked = 0;

	CHECK_EQ(hfs_make(&hf, tag, bs, NULL, true), 0);
	nmeta = nodes = 0;
	collect_groups();
	visit(EXT2_ROOT_INO, 0, true);
	CHECK(nmeta > 10);
	pristine = malloc(hf.img.size);
	CHECK(pristine);
	memcpy(pristine, hf.img.data, hf.img.size);
	for (int i = 0; i < rounds; i++) {
		memcpy(hf.img.data, pristine, hf.img.size);
		for (uint32_t k = 1 + rnd() % 16; k; k--) {
			size_t blk = meta[rnd() % nmeta];
			hf.img.data[blk * bs + rnd() % bs] ^= (uint8_t)(1 + rnd() % 255);
		}
		if (hfs_remount(&hf))
			continue;
		mounted++;
		nodes = 0;
		visit(EXT2_ROOT_INO, 0, false);
		walked += nodes > 20;
		if (!fs->rdonly)
			mutate();
		nodes = 0;
		visit(EXT2_ROOT_INO, 0, false);
	}
	free(pristine);
	hfs_free(&hf);
	/* most corrupt images still mount and walk: the fuzz reached the walk */
	CHECK(mounted > rounds / 2);
	CHECK(walked > rounds / 4);
}

TEST(ext2_fuzz, corrupt_1k)
{
	rng = 0x1234567;
	fuzz("fuzz1k", 1024, 300);
}

TEST(ext2_fuzz, corrupt_4k)
{
	rng = 0x7654321;
	fuzz("fuzz4k", 4096, 300);
}

/* A device whose reads start failing: -EIO, no crash, no partial commit. */
TEST(ext2_fuzz, read_errors)
{
	CHECK_EQ(hfs_make(&hf, "eio", 1024, NULL, true), 0);
	for (unsigned after = 1; after < 60; after += 3) {
		hf.img.reads = 0;
		hf.img.fail_after = after;
		nodes = 0;
		visit(EXT2_ROOT_INO, 0, false);
		mutate();
		hf.img.fail_after = 0;
	}
	CHECK_EQ(hfs_fsck(&hf), 0);
	hfs_free(&hf);
}
