/*
 * Host tests of the ext2 library's write side (fs/ext2/): create, mkdir,
 * device nodes, symlinks (fast and slow), link, unlink, rmdir, rename in
 * all its forms, truncate, block allocation of sparse, triple-indirect and
 * large offsets, evict; each run as a transaction, then the image goes to
 * e2fsck -fn, which must find nothing to fix. Also: a failed request
 * changes nothing (shadow blocks), -ENOSPC, block sizes 1024 and 4096.
 */
#include "harness.h"
#include "ext2_util.h"
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
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

static int mk(uint64_t dir, const char *name, uint32_t mode, uint32_t rdev, struct ext2_attr *a)
{
	struct ext2_new n = { .mode = mode, .rdev = rdev, .uid = 1000, .gid = 100, .time = T0 };

	return begin() ?: hfs_txn_end(fs, ext2_create(fs, dir, name, strlen(name), &n, a));
}

static int mksym(uint64_t dir, const char *name, const char *target, struct ext2_attr *a)
{
	struct ext2_new n = { .target = target, .target_len = strlen(target), .time = T0 };

	return begin() ?: hfs_txn_end(fs, ext2_symlink(fs, dir, name, strlen(name), &n, a));
}

/* Frees an unlinked inode the way the core does: EXT2_EVICT steps, each its own request. */
static int evict(uint64_t ino)
{
	bool more = true;
	uint32_t next;
	int err = 0, steps = 0;

	while (!err && more && steps++ < 100000)
		err = begin() ?: hfs_txn_end(fs, ext2_evict_step(fs, ino, &more, &next));
	return err ? err : (more ? -ELOOP : 0);
}

static int rm(uint64_t dir, const char *name, bool is_dir, struct ext2_attr *a)
{
	int err = begin() ?: ext2_unlink(fs, dir, name, strlen(name), 0, is_dir, T0 + 1, a);

	hfs_txn_end(fs, err);
	if (!err && !a->nlink)
		err = evict(a->ino);
	return err;
}

static int ren(uint64_t od, const char *on, uint64_t nd, const char *nn, uint32_t flags)
{
	return begin()
		       ?: hfs_txn_end(fs, ext2_rename(fs, od, on, strlen(on), nd, nn, strlen(nn),
						      flags, T0 + 2));
}

static int lookup(uint64_t dir, const char *name, uint32_t *ino)
{
	int err = begin() ?: ext2_lookup(fs, dir, name, strlen(name), ino);

	ext2_txn_abort(fs);
	return err;
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

static int bmap(uint64_t ino, uint64_t lblk, bool alloc, uint32_t *blk)
{
	return begin() ?: hfs_txn_end(fs, ext2_bmap(fs, ino, lblk, alloc, blk));
}

static int set_size(uint64_t ino, int64_t size)
{
	struct ext2_setattr sa = { .valid = EXT2_ATTR_SIZE, .size = size, .ctime = T0 + 3 };
	struct ext2_attr a = { .size = INT64_MAX };
	int err = 0, steps = 0;

	/* As the core: a smaller size is reached in steps, each its own request. */
	while (!err && a.size > size && steps++ < 100000)
		err = begin() ?: hfs_txn_end(fs, ext2_setattr(fs, ino, &sa, &a));
	return err;
}

static void names_and_links(void)
{
	struct ext2_attr d, f, s, l, x;
	uint32_t ino;

	CHECK_EQ(mk(EXT2_ROOT_INO, "dir", S_IFDIR | 0755, 0, &d), 0);
	CHECK_EQ(d.nlink, 2u);
	CHECK_EQ(d.size, (int64_t)fs->block_size);
	CHECK_EQ(mk(d.ino, "file", S_IFREG | 0644, 0, &f), 0);
	CHECK_EQ(f.uid, 1000u);
	CHECK_EQ(f.mtime, (int64_t)T0);
	CHECK_EQ(mk(d.ino, "file", S_IFREG | 0644, 0, &x), -EEXIST);
	CHECK_EQ(mk(d.ino, "sub", S_IFDIR | 0700, 0, &x), 0);
	CHECK_EQ(attr(d.ino).nlink, 3u);
	CHECK_EQ(mk(d.ino, "tty", S_IFCHR | 0600, (4 << 8) | 1, &x), 0);
	CHECK_EQ(attr(x.ino).rdev, (4u << 8) | 1);
	CHECK_EQ(mk(d.ino, "big", S_IFBLK | 0600, 0x12345678, &x), 0);
	CHECK_EQ(attr(x.ino).rdev, 0x12345678u);
	CHECK_EQ(mk(d.ino, "fifo", S_IFIFO | 0600, 0, &x), 0);
	CHECK_EQ(mk(d.ino, "sock", S_IFSOCK | 0600, 0, &x), 0);
	CHECK_EQ(mksym(d.ino, "fast", "file", &s), 0);
	CHECK_EQ(s.blocks, 0);
	CHECK_EQ(mksym(d.ino, "slow",
		       "0123456789012345678901234567890123456789012345678901234567890123456789",
		       &l),
		 0);
	CHECK_EQ(l.blocks, (int64_t)fs->block_size / 512);
	CHECK_EQ(begin(), 0);
	CHECK_EQ(ext2_link(fs, EXT2_ROOT_INO, "hard", 4, f.ino, T0, &x), 0);
	hfs_txn_end(fs, 0);
	CHECK_EQ(x.nlink, 2u);
	CHECK_EQ(begin(), 0);
	CHECK_EQ(ext2_link(fs, EXT2_ROOT_INO, "dirlink", 7, d.ino, T0, &x), -EPERM);
	hfs_txn_end(fs, -EPERM);
	CHECK_EQ(rm(EXT2_ROOT_INO, "dir", true, &x), -ENOTEMPTY);
	CHECK_EQ(rm(d.ino, "file", true, &x), -ENOTDIR);
	CHECK_EQ(rm(d.ino, "sub", false, &x), -EISDIR);
	CHECK_EQ(rm(d.ino, "sub", true, &x), 0);
	CHECK_EQ(attr(d.ino).nlink, 2u);
	CHECK_EQ(rm(d.ino, "file", false, &x), 0);
	CHECK_EQ(x.nlink, 1u);
	CHECK_EQ(lookup(EXT2_ROOT_INO, "hard", &ino), 0);
	CHECK_EQ(ino, f.ino);
	CHECK_EQ(lookup(d.ino, "file", &ino), -ENOENT);
}

static void renames(void)
{
	struct ext2_attr a, b, f, g, x;
	uint32_t ino;

	CHECK_EQ(mk(EXT2_ROOT_INO, "A", S_IFDIR | 0755, 0, &a), 0);
	CHECK_EQ(mk(EXT2_ROOT_INO, "B", S_IFDIR | 0755, 0, &b), 0);
	CHECK_EQ(mk(a.ino, "f", S_IFREG | 0644, 0, &f), 0);
	CHECK_EQ(mk(b.ino, "g", S_IFREG | 0644, 0, &g), 0);
	CHECK_EQ(ren(a.ino, "f", a.ino, "f2", 0), 0); /* same directory */
	CHECK_EQ(ren(a.ino, "f2", b.ino, "f", 0), 0); /* across */
	CHECK_EQ(lookup(b.ino, "f", &ino), 0);
	CHECK_EQ(ino, f.ino);
	CHECK_EQ(ren(b.ino, "f", b.ino, "g", RENAME_NOREPLACE), -EEXIST);
	CHECK_EQ(ren(b.ino, "f", b.ino, "g", 0), 0); /* replaces g */
	CHECK_EQ(attr(g.ino).nlink, 0u);
	CHECK_EQ(evict(g.ino), 0);
	/* a directory moves: its ".." and both parents' link counts */
	CHECK_EQ(mk(a.ino, "d", S_IFDIR | 0755, 0, &x), 0);
	CHECK_EQ(mk(x.ino, "inner", S_IFREG | 0644, 0, &g), 0);
	CHECK_EQ(attr(a.ino).nlink, 3u);
	CHECK_EQ(ren(a.ino, "d", b.ino, "d", 0), 0);
	CHECK_EQ(attr(a.ino).nlink, 2u);
	CHECK_EQ(attr(b.ino).nlink, 3u);
	CHECK_EQ(lookup(x.ino, "..", &ino), -EINVAL);
	/* exchange a directory and a file across directories */
	CHECK_EQ(mk(a.ino, "e", S_IFREG | 0644, 0, &g), 0);
	CHECK_EQ(ren(a.ino, "e", b.ino, "d", RENAME_EXCHANGE), 0);
	CHECK_EQ(lookup(a.ino, "e", &ino), 0);
	CHECK_EQ(ino, x.ino);
	CHECK_EQ(attr(a.ino).nlink, 3u);
	CHECK_EQ(attr(b.ino).nlink, 2u);
	CHECK_EQ(ren(a.ino, "nothere", b.ino, "d", RENAME_EXCHANGE), -ENOENT);
	/* a directory replaces an empty one, not a full one */
	CHECK_EQ(mk(b.ino, "empty", S_IFDIR | 0755, 0, &g), 0);
	CHECK_EQ(ren(a.ino, "e", b.ino, "d", 0), -ENOTDIR);
	CHECK_EQ(ren(b.ino, "d", a.ino, "e", 0), -EISDIR);
	CHECK_EQ(ren(b.ino, "empty", a.ino, "e", 0), -ENOTEMPTY);
	CHECK_EQ(ren(a.ino, "e", b.ino, "empty", 0), 0);
	CHECK_EQ(attr(g.ino).nlink, 0u);
	CHECK_EQ(evict(g.ino), 0);
	CHECK_EQ(attr(a.ino).nlink, 2u);
	CHECK_EQ(attr(b.ino).nlink, 3u);
}

static void blocks(void)
{
	struct ext2_attr f, x;
	uint64_t p = fs->ptrs_per_block, tind = 12 + p + p * p + 5;
	uint32_t blk, blk2;

	CHECK_EQ(mk(EXT2_ROOT_INO, "sparse", S_IFREG | 0644, 0, &f), 0);
	CHECK_EQ(bmap(f.ino, 3, false, &blk), 0);
	CHECK_EQ(blk, 0u);
	CHECK_EQ(bmap(f.ino, 3, true, &blk), 0);
	CHECK(blk != 0);
	CHECK_EQ(bmap(f.ino, 3, false, &blk2), 0);
	CHECK_EQ(blk, blk2);
	CHECK_EQ(bmap(f.ino, 12 + p + 7, true, &blk), 0); /* double indirect */
	CHECK_EQ(bmap(f.ino, tind, true, &blk), 0);	  /* triple indirect */
	CHECK_EQ(bmap(f.ino, 12 + p * p * p + p * p + p, true, &blk), -EFBIG);
	/* data + 2 (double) + 3 (triple) indirect blocks */
	CHECK_EQ(attr(f.ino).blocks, (int64_t)(3 + 2 + 3) * fs->block_size / 512);
	CHECK_EQ(set_size(f.ino, (int64_t)(tind + 1) * fs->block_size), 0);
	CHECK_EQ(attr(f.ino).size, (int64_t)(tind + 1) * fs->block_size);
	/* shrink into the double-indirect range: the triple tree goes */
	CHECK_EQ(set_size(f.ino, (int64_t)(12 + p + 8) * fs->block_size - 1), 0);
	CHECK_EQ(attr(f.ino).blocks, (int64_t)(2 + 2) * fs->block_size / 512);
	CHECK_EQ(bmap(f.ino, 12 + p + 7, false, &blk), 0);
	CHECK(blk != 0);
	CHECK_EQ(set_size(f.ino, 100), 0);
	CHECK_EQ(attr(f.ino).blocks, 0);
	/* a file of more than 2 GiB: RO_COMPAT_LARGE_FILE */
	CHECK_EQ(mk(EXT2_ROOT_INO, "large", S_IFREG | 0644, 0, &x), 0);
	CHECK_EQ(bmap(x.ino, (3ull << 30) / fs->block_size, true, &blk), 0);
	CHECK_EQ(set_size(x.ino, (3ll << 30) + fs->block_size), 0);
	CHECK_EQ(attr(x.ino).size, (3ll << 30) + fs->block_size);
	CHECK_EQ(set_size(EXT2_ROOT_INO, 0), -EISDIR);
}

static void many_entries(void)
{
	struct ext2_attr d, x;
	char name[64];
	int i;

	CHECK_EQ(mk(EXT2_ROOT_INO, "many", S_IFDIR | 0755, 0, &d), 0);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "a-rather-long-file-name-number-%d", i);
		CHECK_EQ(mk(d.ino, name, S_IFREG | 0644, 0, &x), 0);
	}
	CHECK(attr(d.ino).size > (int64_t)fs->block_size);
	for (i = 0; i < 300; i += 2) {
		snprintf(name, sizeof(name), "a-rather-long-file-name-number-%d", i);
		CHECK_EQ(rm(d.ino, name, false, &x), 0);
	}
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "n%d", i);
		CHECK_EQ(mk(d.ino, name, S_IFDIR | 0755, 0, &x), 0);
	}
	CHECK_EQ(attr(d.ino).nlink, 52u);
}

static void ops_test(const char *tag, unsigned bs, const char *extra)
{
	CHECK_EQ(hfs_make(&hf, tag, bs, extra, true), 0);
	names_and_links();
	renames();
	blocks();
	many_entries();
	CHECK_EQ(hfs_fsck(&hf), 0);
	CHECK_EQ(hfs_remount(&hf), 0);
	CHECK(fs->ro_compat & EXT2_FEATURE_RO_COMPAT_LARGE_FILE);
	hfs_free(&hf);
}

TEST(ext2, ops_1k)
{
	ops_test("ops1k", 1024, NULL);
}

TEST(ext2, ops_4k)
{
	ops_test("ops4k", 4096, NULL);
}

TEST(ext2, ops_2k_inode256)
{
	ops_test("ops2k", 2048, "-I 256");
}

TEST(ext2, ops_rev0)
{
	struct ext2_attr x;
	uint32_t blk;

	CHECK_EQ(hfs_make(&hf, "opsr0", 1024, "-r 0", true), 0);
	names_and_links();
	renames();
	many_entries();
	CHECK_EQ(mk(EXT2_ROOT_INO, "large", S_IFREG | 0644, 0, &x), 0);
	CHECK_EQ(bmap(x.ino, 10, true, &blk), 0);
	CHECK_EQ(set_size(x.ino, 3ll << 30), -EFBIG); /* no feature flags in revision 0 */
	CHECK_EQ(set_size(x.ino, 11 * 1024), 0);
	CHECK_EQ(hfs_fsck(&hf), 0);
	hfs_free(&hf);
}

/* A request that fails halfway leaves the image as it was. */
TEST(ext2, abort_no_effect)
{
	struct ext2_new n = { .mode = S_IFDIR | 0755, .time = T0 };
	struct ext2_attr a;
	uint8_t *copy;

	CHECK_EQ(hfs_make(&hf, "abort", 1024, NULL, true), 0);
	copy = malloc(hf.img.size);
	CHECK(copy);
	memcpy(copy, hf.img.data, hf.img.size);
	CHECK_EQ(begin(), 0);
	CHECK_EQ(ext2_create(fs, EXT2_ROOT_INO, "newdir", 6, &n, &a), 0);
	CHECK_EQ(ext2_create(fs, a.ino, "inner", 5, &n, &a), 0);
	ext2_txn_abort(fs);
	CHECK(memcmp(copy, hf.img.data, hf.img.size) == 0);
	CHECK_EQ(hf.img.updates, 0u);
	free(copy);
	CHECK_EQ(hfs_fsck(&hf), 0);
	hfs_free(&hf);
}

/* Filling the file system: -ENOSPC, and what was allocated before is consistent. */
TEST(ext2, enospc)
{
	struct ext2_statfs st;
	struct ext2_attr f;
	uint32_t blk;
	uint64_t i;
	int err = 0;

	CHECK_EQ(hfs_make(&hf, "nospc", 4096, NULL, false), 0);
	CHECK_EQ(mk(EXT2_ROOT_INO, "fill", S_IFREG | 0644, 0, &f), 0);
	for (i = 0; !err && i < 4096; i++)
		err = bmap(f.ino, i * 7, true, &blk);
	CHECK_EQ(err, -ENOSPC);
	CHECK_EQ(begin() ?: hfs_txn_end(fs, ext2_statfs(fs, &st)), 0);
	CHECK_EQ(st.free_blocks, 0u);
	CHECK_EQ(set_size(f.ino, (int64_t)i * 7 * 4096), 0);
	CHECK_EQ(hfs_fsck(&hf), 0);
	CHECK_EQ(set_size(f.ino, 0), 0);
	CHECK_EQ(begin() ?: hfs_txn_end(fs, ext2_statfs(fs, &st)), 0);
	CHECK(st.free_blocks > 1900);
	CHECK(hf.img.forgets > 1900);
	CHECK_EQ(hfs_fsck(&hf), 0);
	hfs_free(&hf);
}
