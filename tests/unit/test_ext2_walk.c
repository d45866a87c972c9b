/*
 * Host tests of the ext2 library's read side (fs/ext2/): an image made by
 * mke2fs -d from a tree of every file kind is walked with lookup, readdir,
 * getattr, readlink and bmap, and everything is compared with what lstat,
 * readlink and read say about the source tree. Block sizes 1024 and 4096,
 * revision 0, 256-byte inodes, and the mount checks of unsupported images.
 */
#include "harness.h"
#include "ext2_util.h"
#include <lib/string.h>
#include <uapi/errno.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct names {
	int count;
	char list[64][64];
	uint32_t ino[64];
};

static int collect(void *ctx, const char *name, size_t len, uint32_t ino, uint64_t next)
{
	struct names *n = ctx;

	(void)next;
	if (n->count >= 64 || len >= 64)
		return -ENOSPC;
	memcpy(n->list[n->count], name, len);
	n->list[n->count][len] = 0;
	n->ino[n->count++] = ino;
	return 0;
}

static void compare_attr(const struct stat *st, const struct ext2_attr *a)
{
	CHECK_EQ(a->mode, (uint32_t)st->st_mode);
	CHECK_EQ(a->nlink, (uint32_t)st->st_nlink);
	CHECK_EQ(a->uid, (uint32_t)st->st_uid);
	CHECK_EQ(a->gid, (uint32_t)st->st_gid);
	CHECK_EQ(a->mtime, (int64_t)st->st_mtime);
	if (S_ISREG(st->st_mode) || S_ISLNK(st->st_mode))
		CHECK_EQ(a->size, (int64_t)st->st_size);
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
		CHECK_EQ(a->rdev >> 8 & 0xfff, major(st->st_rdev));
		CHECK_EQ((a->rdev & 0xff) | (a->rdev >> 12 & 0xfff00), minor(st->st_rdev));
	}
}

static void compare_data(struct host_fs *hf, const char *path, const struct ext2_attr *a)
{
	char *want = malloc(a->size + 1), *got = malloc(a->size + 1);
	FILE *f = fopen(path, "rb");

	CHECK(want && got && f);
	CHECK_EQ(fread(want, 1, a->size, f), (size_t)a->size);
	fclose(f);
	CHECK_EQ(hfs_read(hf, a->ino, got, a->size), 0);
	CHECK(memcmp(want, got, a->size) == 0);
	free(want);
	free(got);
}

static void compare_link(struct host_fs *hf, const char *path, uint32_t ino)
{
	char want[256], got[4096];
	ssize_t n = readlink(path, want, sizeof(want));
	int len;

	CHECK(n > 0);
	CHECK_EQ(ext2_txn_begin(&hf->fs), 0);
	len = ext2_readlink(&hf->fs, ino, got, sizeof(got));
	ext2_txn_abort(&hf->fs);
	CHECK_EQ(len, (int)n);
	CHECK(memcmp(want, got, n) == 0);
}

static int host_count(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

/* Compares directory ino with the host directory path, recursively. */
static void compare_dir(struct host_fs *hf, const char *path, uint32_t ino)
{
	struct names n = { 0 };
	uint64_t cursor = 0;
	struct ext2_attr a;
	struct stat st;
	char sub[512];
	int i;

	CHECK_EQ(ext2_txn_begin(&hf->fs), 0);
	CHECK_EQ(ext2_iterate(&hf->fs, ino, &cursor, collect, &n), 0);
	ext2_txn_abort(&hf->fs);
	CHECK_EQ(cursor, 0);
	CHECK_EQ(n.count, host_count(path) + (ino == EXT2_ROOT_INO));
	for (i = 0; i < n.count; i++) {
		if (ino == EXT2_ROOT_INO && !strcmp(n.list[i], "lost+found"))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, n.list[i]);
		CHECK_EQ(lstat(sub, &st), 0);
		CHECK_EQ(ext2_txn_begin(&hf->fs), 0);
		CHECK_EQ(ext2_getattr(&hf->fs, n.ino[i], &a), 0);
		ext2_txn_abort(&hf->fs);
		compare_attr(&st, &a);
		if (S_ISREG(st.st_mode))
			compare_data(hf, sub, &a);
		if (S_ISLNK(st.st_mode))
			compare_link(hf, sub, n.ino[i]);
		if (S_ISDIR(st.st_mode))
			compare_dir(hf, sub, n.ino[i]);
	}
}

static void walk_test(const char *tag, unsigned bs, const char *extra)
{
	struct host_fs hf;
	char root[256];
	uint32_t ino;

	CHECK_EQ(hfs_make(&hf, tag, bs, extra, true), 0);
	CHECK_EQ(hf.fs.block_size, bs);
	snprintf(root, sizeof(root), "%s/D", hf.dir);
	compare_dir(&hf, root, EXT2_ROOT_INO);
	CHECK_EQ(hfs_walk(&hf, "/sub/deeper/big", &ino), 0);
	CHECK_EQ(hfs_walk(&hf, "/sub/nothere", &ino), -ENOENT);
	CHECK_EQ(hfs_walk(&hf, "/small/x", &ino), -ENOTDIR);
	CHECK_EQ(hfs_fsck(&hf), 0);
	hfs_free(&hf);
}

TEST(ext2, walk_1k)
{
	walk_test("walk1k", 1024, NULL);
}

TEST(ext2, walk_4k)
{
	walk_test("walk4k", 4096, NULL);
}

TEST(ext2, walk_2k_rev0)
{
	walk_test("walkr0", 2048, "-r 0");
}

TEST(ext2, walk_inode256)
{
	walk_test("walki256", 1024, "-I 256");
}

/* Readdir in batches of three sees every entry once. */
struct batch {
	struct names n;
	int left;
};

static int batch_fn(void *ctx, const char *name, size_t len, uint32_t ino, uint64_t next)
{
	struct batch *b = ctx;

	if (b->left-- == 0)
		return 1;
	return collect(&b->n, name, len, ino, next);
}

TEST(ext2, readdir_cursor)
{
	struct host_fs hf;
	struct batch b = { 0 };
	uint64_t cursor = 0;
	uint32_t sub;
	int rounds = 0;

	CHECK_EQ(hfs_make(&hf, "cursor", 1024, NULL, true), 0);
	CHECK_EQ(hfs_walk(&hf, "/sub", &sub), 0);
	do {
		CHECK_EQ(ext2_txn_begin(&hf.fs), 0);
		b.left = 3;
		CHECK_EQ(ext2_iterate(&hf.fs, sub, &cursor, batch_fn, &b), 0);
		ext2_txn_abort(&hf.fs);
		rounds++;
	} while (cursor && rounds < 100);
	CHECK_EQ(rounds, 15);
	CHECK_EQ(b.n.count, 43); /* f1..f40, mid, hard, deeper */
	hfs_free(&hf);
}

/* Patches a superblock field of the image and mounts it again. */
static int mount_patched(struct host_fs *hf, size_t off, const void *val, size_t n)
{
	memcpy(hf->img.data + EXT2_SB_OFFSET + off, val, n);
	return hfs_remount(hf);
}

TEST(ext2, mount_checks)
{
	struct host_fs hf;
	struct ext2_super sb;
	uint32_t v;
	uint16_t magic = 0x1234;

	CHECK_EQ(hfs_make(&hf, "mount", 1024, NULL, false), 0);
	memcpy(&sb, hf.img.data + EXT2_SB_OFFSET, sizeof(sb));
	v = 3; /* 8 KiB blocks */
	CHECK_EQ(mount_patched(&hf, offsetof(struct ext2_super, s_log_block_size), &v, 4), -EINVAL);
	v = sb.s_log_block_size;
	mount_patched(&hf, offsetof(struct ext2_super, s_log_block_size), &v, 4);
	v = sb.s_feature_incompat | 0x40; /* extents */
	CHECK_EQ(mount_patched(&hf, offsetof(struct ext2_super, s_feature_incompat), &v, 4),
		 -EINVAL);
	v = sb.s_feature_incompat;
	CHECK_EQ(mount_patched(&hf, offsetof(struct ext2_super, s_feature_incompat), &v, 4), 0);
	CHECK(!hf.fs.rdonly);
	v = sb.s_feature_ro_compat | 0x400;
	CHECK_EQ(mount_patched(&hf, offsetof(struct ext2_super, s_feature_ro_compat), &v, 4), 0);
	CHECK(hf.fs.rdonly);
	v = 0;
	CHECK_EQ(mount_patched(&hf, offsetof(struct ext2_super, s_inodes_per_group), &v, 4),
		 -EUCLEAN);
	CHECK_EQ(mount_patched(&hf, offsetof(struct ext2_super, s_magic), &magic, 2), -EINVAL);
	hfs_free(&hf);
}
