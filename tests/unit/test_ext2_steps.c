/*
 * Host tests of bounded truncate and delete (fs/ext2/bmap.c, namei.c,
 * orphan.c; docs/ext2.md "Deleting in steps"): a file with single, double
 * and triple indirect blocks is cut and then deleted a few blocks per
 * step, each step its own transaction, with e2fsck -fn clean along the
 * way; files unlinked while "open" make an orphan chain that a remount
 * frees; a step that fails halfway changes nothing.
 */
#include "harness.h"
#include "ext2_util.h"
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/stat.h>
#include <stdio.h>
#include <stdlib.h>

#define T0 1700000000

static struct host_fs hf;
static struct ext2_fs *fs = &hf.fs;

static int begin(void)
{
	return ext2_txn_begin(fs);
}

static struct ext2_attr attr(uint64_t ino)
{
	struct ext2_attr a = { 0 };

	if (!begin()) {
		ext2_getattr(fs, ino, &a);
		ext2_txn_abort(fs);
	}
	return a;
}

static uint32_t free_blocks(void)
{
	struct ext2_statfs st = { 0 };

	if (!begin()) {
		ext2_statfs(fs, &st);
		ext2_txn_abort(fs);
	}
	return (uint32_t)st.free_blocks;
}

static uint32_t orphan_head(void)
{
	uint32_t head = 0;

	if (!begin()) {
		ext2_orphan_head(fs, &head);
		ext2_txn_abort(fs);
	}
	return head;
}

static int create(const char *name, struct ext2_attr *a)
{
	struct ext2_new n = { .mode = S_IFREG | 0644, .time = T0 };

	return begin()
		       ?: hfs_txn_end(fs,
				      ext2_create(fs, EXT2_ROOT_INO, name, strlen(name), &n, a));
}

/* Allocates logical blocks [from, to) every stride, then sets the size past the last. */
static int fill(uint64_t ino, uint64_t from, uint64_t to, uint64_t stride)
{
	struct ext2_setattr sa = { .valid = EXT2_ATTR_SIZE, .size = (int64_t)to * fs->block_size };
	struct ext2_attr a;
	uint32_t blk;
	int err = 0;

	for (uint64_t l = from; !err && l < to; l += stride)
		err = begin() ?: hfs_txn_end(fs, ext2_bmap(fs, ino, l, true, &blk));
	return err ?: begin() ?: hfs_txn_end(fs, ext2_setattr(fs, ino, &sa, &a));
}

static int unlink_name(const char *name, struct ext2_attr *a)
{
	return begin()
		       ?: hfs_txn_end(fs, ext2_unlink(fs, EXT2_ROOT_INO, name, strlen(name), 0,
						      false, T0, a));
}

/* A big sparse-and-dense file: direct, single, double and triple indirect blocks. */
static uint32_t big_file(const char *name)
{
	uint64_t p = fs->ptrs_per_block, tind = 12 + p + p * p;
	struct ext2_attr a;

	CHECK_EQ(create(name, &a), 0);
	CHECK_EQ(fill(a.ino, 0, 12 + p + 40, 1), 0); /* direct, single, some double */
	CHECK_EQ(fill(a.ino, 12 + p + 3 * p, 12 + p + 3 * p + 30, 3), 0); /* further double */
	CHECK_EQ(fill(a.ino, tind + 5, tind + 2 * p + 9, 37), 0);	  /* triple */
	return (uint32_t)a.ino;
}

TEST(ext2_steps, truncate_in_steps_fsck_clean)
{
	struct ext2_setattr sa = { .valid = EXT2_ATTR_SIZE, .ctime = T0 };
	struct ext2_attr a = { 0 };
	uint32_t ino, free0;
	int64_t last;
	int steps = 0;

	CHECK_EQ(hfs_make(&hf, "steps", 1024, NULL, false), 0);
	fs->step_blocks = 9;
	free0 = free_blocks();
	ino = big_file("big");
	CHECK(attr(ino).blocks > 0);
	/* down to 5000 bytes, 9 blocks per step: the size shrinks with each step */
	sa.size = 5000;
	last = attr(ino).size;
	do {
		CHECK_EQ(begin() ?: hfs_txn_end(fs, ext2_setattr(fs, ino, &sa, &a)), 0);
		CHECK(a.size <= last);
		CHECK(a.size >= 5000);
		last = a.size;
		if (++steps % 25 == 0)
			CHECK_EQ(hfs_fsck(&hf), 0);
	} while (a.size > 5000 && steps < 10000);
	CHECK_EQ(a.size, 5000);
	CHECK(steps > 20);
	CHECK_EQ(a.blocks, 5 * 2); /* 5 KiB data, 1 KiB blocks, no indirect */
	CHECK_EQ(hfs_fsck(&hf), 0);
	CHECK(free_blocks() < free0);
	hfs_free(&hf);
}

TEST(ext2_steps, delete_in_steps_with_orphan_chain)
{
	struct ext2_attr a, b, c;
	uint32_t free0, next = 0, ino;
	bool more = true;
	int steps = 0;

	CHECK_EQ(hfs_make(&hf, "orph", 1024, NULL, false), 0);
	fs->step_blocks = 50;
	free0 = free_blocks();
	big_file("a");
	CHECK_EQ(create("b", &b), 0);
	CHECK_EQ(fill(b.ino, 0, 300, 1), 0);
	CHECK_EQ(create("c", &c), 0); /* no blocks */
	CHECK_EQ(unlink_name("a", &a), 0);
	CHECK_EQ(a.nlink, 0u);
	CHECK_EQ(orphan_head(), (uint32_t)a.ino);
	CHECK_EQ(unlink_name("b", &b), 0);
	CHECK_EQ(unlink_name("c", &c), 0);
	CHECK_EQ(orphan_head(), (uint32_t)c.ino); /* chain: c, b, a */
	/* b is freed in steps (its last one takes it off the middle of the chain) */
	while (more && steps++ < 1000) {
		CHECK_EQ(begin() ?: hfs_txn_end(fs, ext2_evict_step(fs, b.ino, &more, &next)), 0);
		if (more && steps == 3)
			CHECK_EQ(hfs_fsck_quiet(&hf) != 0, 1); /* e2fsck -n reports a live chain */
	}
	CHECK(steps > 3);
	CHECK_EQ(next, (uint32_t)a.ino);
	CHECK_EQ(orphan_head(), (uint32_t)c.ino);
	/* a few steps of a, then the "power cut": the next mount walks the chain */
	for (int i = 0; i < 5; i++)
		CHECK_EQ(begin() ?: hfs_txn_end(fs, ext2_evict_step(fs, a.ino, &more, &next)), 0);
	CHECK(more);
	CHECK_EQ(hfs_remount(&hf), 0);
	fs->step_blocks = 50;
	ino = orphan_head();
	steps = 0;
	while (ino && steps++ < 10000) {
		CHECK_EQ(begin() ?: hfs_txn_end(fs, ext2_evict_step(fs, ino, &more, &next)), 0);
		if (!more)
			ino = next;
	}
	CHECK_EQ(orphan_head(), 0u);
	CHECK_EQ(free_blocks(), free0);
	CHECK_EQ(hfs_fsck(&hf), 0);
	/* a linked inode on the chain (ext3 puts truncated files there) just leaves it */
	CHECK_EQ(create("linked", &b), 0);
	CHECK_EQ(begin() ?: hfs_txn_end(fs, ext2_orphan_add(fs, (uint32_t)b.ino)), 0);
	CHECK_EQ(orphan_head(), (uint32_t)b.ino);
	CHECK_EQ(begin() ?: hfs_txn_end(fs, ext2_evict_step(fs, b.ino, &more, &next)), 0);
	CHECK(!more);
	CHECK_EQ(orphan_head(), 0u);
	CHECK_EQ(attr(b.ino).nlink, 1u);
	/* a repeated request for a freed inode does nothing */
	CHECK_EQ(begin() ?: hfs_txn_end(fs, ext2_evict_step(fs, a.ino, &more, &next)), 0);
	CHECK(!more);
	CHECK_EQ(hfs_fsck(&hf), 0);
	hfs_free(&hf);
}

/* A step that fails (or is killed) halfway leaves the image as it was. */
TEST(ext2_steps, aborted_step_changes_nothing)
{
	struct ext2_attr a;
	uint32_t next;
	uint8_t *copy;
	bool more;

	CHECK_EQ(hfs_make(&hf, "stepab", 1024, NULL, false), 0);
	fs->step_blocks = 100;
	big_file("a");
	CHECK_EQ(unlink_name("a", &a), 0);
	copy = malloc(hf.img.size);
	CHECK(copy);
	memcpy(copy, hf.img.data, hf.img.size);
	CHECK_EQ(begin(), 0);
	CHECK_EQ(ext2_evict_step(fs, a.ino, &more, &next), 0);
	CHECK(more);
	ext2_txn_abort(fs);
	CHECK(memcmp(copy, hf.img.data, hf.img.size) == 0);
	/* a read error in the middle of a step: the same */
	hf.img.fail_after = hf.img.reads + 3;
	CHECK_EQ(begin(), 0);
	CHECK_EQ(ext2_evict_step(fs, a.ino, &more, &next), -EIO);
	ext2_txn_abort(fs);
	hf.img.fail_after = 0;
	CHECK(memcmp(copy, hf.img.data, hf.img.size) == 0);
	free(copy);
	hfs_free(&hf);
}
