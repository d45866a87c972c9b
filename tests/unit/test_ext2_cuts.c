/*
 * Host tests of power cuts in the middle of a write-back pass (fs/bcache.c,
 * include/fs/bcache.h; docs/ext2.md "Power cuts in the middle of a
 * write-back"). The host I/O layer's write-back mode writes a pass as the
 * kernel's block cache does -- the bitmaps first, then the rest -- and a
 * test takes the disk as a cut after every write of every pass leaves it,
 * in both orders of the rest. Each such disk, mounted again (free counts
 * recounted, the orphan chain walked to its end), must be e2fsck-clean
 * with every block of the deleted file free. (The unlink's own pass is
 * not tried: a name and an inode change in different blocks, and a cut
 * between them needs e2fsck, as ext2 without a journal always has; the
 * core sends the first step only after it.) Also: a block freed since the
 * last pass is not handed out again before a pass settles it (on a disk
 * with no other space the answer is EXT2_UNSETTLED until one, not
 * -ENOSPC); allocations after a recovery share no block whatever two cuts
 * do; an unlink and an orphan leaving the chain in the same pass lose no
 * orphan.
 */
#include "harness.h"
#include "ext2_util.h"
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define T0 1700000000

static struct host_fs hf;
static struct ext2_fs *fs = &hf.fs;

/* One request on f: begin, run, commit or abort. */
#define REQ(f, call) (ext2_txn_begin(f) ?: hfs_txn_end((f), (call)))

static uint32_t free_blocks(struct ext2_fs *f)
{
	struct ext2_statfs st = { 0 };

	if (!ext2_txn_begin(f)) {
		ext2_statfs(f, &st);
		ext2_txn_abort(f);
	}
	return (uint32_t)st.free_blocks;
}

static uint32_t orphan_head(struct ext2_fs *f)
{
	uint32_t head = 0;

	if (!ext2_txn_begin(f)) {
		ext2_orphan_head(f, &head);
		ext2_txn_abort(f);
	}
	return head;
}

static uint32_t create(const char *name)
{
	struct ext2_new n = { .mode = S_IFREG | 0644, .time = T0 };
	struct ext2_attr a = { 0 };

	CHECK_EQ(REQ(fs, ext2_create(fs, EXT2_ROOT_INO, name, strlen(name), &n, &a)), 0);
	return (uint32_t)a.ino;
}

/* Allocates logical blocks [0, n) and sets the size; the first error (-ENOSPC) or 0. */
static int fill(uint32_t ino, uint64_t n)
{
	struct ext2_setattr sa = { .valid = EXT2_ATTR_SIZE };
	struct ext2_attr a;
	uint64_t l;
	uint32_t blk;
	int err = 0;

	for (l = 0; !err && l < n; l++)
		err = REQ(fs, ext2_bmap(fs, ino, l, true, &blk));
	sa.size = (int64_t)(err ? l - 1 : l) * fs->block_size;
	return REQ(fs, ext2_setattr(fs, ino, &sa, &a)) ?: err;
}

static void unlink_name(const char *name)
{
	struct ext2_attr a;

	CHECK_EQ(REQ(fs, ext2_unlink(fs, EXT2_ROOT_INO, name, strlen(name), 0, false, T0, &a)), 0);
	CHECK_EQ(a.nlink, 0u);
}

/* What the next mount does: free counts from the bitmaps, then the orphan chain freed. */
static void recover(struct ext2_fs *f)
{
	uint32_t ino = orphan_head(f), next = 0;
	bool more, changed;
	int steps = 0;

	CHECK_EQ(REQ(f, ext2_recount(f, &changed)), 0);
	while (ino && steps++ < 10000) {
		CHECK_EQ(REQ(f, ext2_evict_step(f, ino, &more, &next)), 0);
		if (!more)
			ino = next;
	}
	CHECK_EQ(orphan_head(f), 0u);
}

/* The disk after a cut at write cut of the coming pass: recovered, clean, all space back. */
static void check_cut(unsigned cut, bool reverse, uint32_t free0)
{
	struct host_fs c = { 0 };

	c.img.data = host_img_cut(&hf.img, cut, reverse);
	CHECK(c.img.data);
	c.img.size = hf.img.size;
	snprintf(c.path, sizeof(c.path), "%s-cut", hf.path);
	CHECK_EQ(ext2_mount(&c.fs, &c.img, 0), 0);
	c.fs.step_blocks = 40;
	recover(&c.fs);
	CHECK_EQ(free_blocks(&c.fs), free0);
	if (hfs_fsck(&c)) {
		printf("  after a cut at write %u of %u (%s)\n", cut, host_img_dirty(&hf.img),
		       reverse ? "rest in descending order" : "rest in ascending order");
		CHECK(0);
	}
	unlink(c.path);
	host_img_free(&c.img);
}

TEST(ext2_cuts, delete_cut_at_every_write_of_every_pass_is_finished_by_next_mount)
{
	uint64_t p;
	uint32_t free0, a, held, next;
	bool more = true;
	int steps = 0, cuts = 0;

	CHECK_EQ(hfs_make(&hf, "cuts", 1024, NULL, false), 0);
	fs->step_blocks = 40;
	p = fs->ptrs_per_block;
	free0 = free_blocks(fs);
	a = create("a");
	CHECK_EQ(fill(a, 12 + p + 2 * p + 30), 0); /* direct, single and double indirect */
	held = create("held");
	CHECK_EQ(fill(held, 20), 0);
	CHECK_EQ(host_img_writeback(&hf.img, fs->block_size), 0);
	unlink_name("held"); /* "open": stays on the chain until the next mount */
	unlink_name("a");
	host_img_pass(&hf.img); /* the core sends a's first step after a pass (evict_start) */
	/* a is freed two steps per pass; every cut of every pass is tried */
	while (more && steps < 1000) {
		for (int i = 0; i < 2 && more; i++, steps++)
			CHECK_EQ(REQ(fs, ext2_evict_step(fs, a, &more, &next)), 0);
		for (unsigned cut = 0; cut <= host_img_dirty(&hf.img); cut++, cuts++) {
			check_cut(cut, false, free0);
			check_cut(cut, true, free0);
		}
		host_img_pass(&hf.img);
	}
	CHECK(!more);
	CHECK(steps > 8);
	printf("  %d steps, %d cut points, each recovered e2fsck-clean\n", steps, cuts);
	hfs_free(&hf);
}

/* Whether bit of the settled copy of the group-0 block bitmap is set. */
static bool settled_bit(uint32_t blk)
{
	const struct ext2_group_desc *gd;
	const uint8_t *settled;
	uint32_t bit = blk - fs->first_data_block;
	bool set;

	CHECK_EQ(ext2_txn_begin(fs), 0);
	CHECK_EQ(ext2_gd_read(fs, 0, &gd), 0);
	CHECK_EQ(ext2_bsettled(fs, gd->bg_block_bitmap, (const void **)&settled), 0);
	set = settled && (settled[bit / 8] & (1u << (bit % 8)));
	ext2_txn_abort(fs);
	return set;
}

TEST(ext2_cuts, freed_blocks_wait_for_a_pass_before_reuse)
{
	uint32_t a, b, blk, next;
	bool more = true;
	int n = 0;

	CHECK_EQ(hfs_make(&hf, "settle", 1024, NULL, false), 0);
	CHECK_EQ(host_img_writeback(&hf.img, fs->block_size), 0);
	a = create("a");
	CHECK_EQ(fill(a, 200), 0);
	host_img_pass(&hf.img);
	unlink_name("a");
	while (more && n++ < 100)
		CHECK_EQ(REQ(fs, ext2_evict_step(fs, a, &more, &next)), 0);
	/* a's blocks are free in the bitmap, not settled: a new file gets others */
	b = create("b");
	for (uint64_t l = 0; l < 50; l++) {
		CHECK_EQ(REQ(fs, ext2_bmap(fs, b, l, true, &blk)), 0);
		CHECK(!settled_bit(blk));
	}
	host_img_pass(&hf.img);
	hfs_free(&hf);
}

TEST(ext2_cuts, allocation_on_a_full_disk_waits_for_a_pass)
{
	uint32_t a, b, blk, next;
	bool more = true;
	int n = 0;

	CHECK_EQ(hfs_make(&hf, "full", 1024, NULL, false), 0);
	CHECK_EQ(host_img_writeback(&hf.img, fs->block_size), 0);
	a = create("a");
	CHECK_EQ(fill(a, 100000), -ENOSPC); /* the whole disk */
	b = create("b");
	host_img_pass(&hf.img);
	CHECK_EQ(free_blocks(fs), 0u);
	unlink_name("a");
	host_img_pass(&hf.img);
	while (more && n++ < 1000)
		CHECK_EQ(REQ(fs, ext2_evict_step(fs, a, &more, &next)), 0);
	/* every free block is unsettled: EXT2_UNSETTLED until a pass (the core runs one, asks again) */
	CHECK(free_blocks(fs) > 1000);
	CHECK_EQ(REQ(fs, ext2_bmap(fs, b, 0, true, &blk)), EXT2_UNSETTLED);
	host_img_pass(&hf.img);
	CHECK_EQ(REQ(fs, ext2_bmap(fs, b, 0, true, &blk)), 0);
	CHECK(blk != 0);
	CHECK_EQ(hfs_fsck(&hf), 0);
	hfs_free(&hf);
}

/* What e2fsck said of the image at path (run by hfs_fsck_quiet) contains s. */
static bool fsck_said(const struct host_fs *h, const char *s)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "grep -q -- '%s' %s.fsck", s, h->path);
	return system(cmd) == 0;
}

/*
 * A disk cut at write cut (reverse: the other order) of h's coming pass,
 * mounted and recovered (with an empty cache in write-back mode: cache).
 */
static void cut_and_recover(struct host_fs *h, unsigned cut, bool reverse, bool cache,
			    struct host_fs *out)
{
	memset(out, 0, sizeof(*out));
	out->img.data = host_img_cut(&h->img, cut, reverse);
	CHECK(out->img.data);
	out->img.size = h->img.size;
	snprintf(out->path, sizeof(out->path), "%s-%u%c", h->path, cut, reverse ? 'r' : 'a');
	CHECK_EQ(ext2_mount(&out->fs, &out->img, 0), 0);
	if (cache)
		CHECK_EQ(host_img_writeback(&out->img, out->fs.block_size), 0);
	out->fs.step_blocks = 40;
	recover(&out->fs);
}

static void drop(struct host_fs *h)
{
	unlink(h->path);
	host_img_free(&h->img);
}

/*
 * After a cut, the mount's recovery frees an orphan whose pointers the cut
 * left naming blocks its bitmap already called free; only once a pass has
 * written that (the core's gate, wait_recovered) may anything allocate.
 * Then a cut anywhere in the next pass, full of new allocations, must
 * never leave a block in use by a file and free in its bitmap.
 */
TEST(ext2_cuts, allocations_after_a_recovery_never_share_a_block)
{
	uint32_t f, a, next;
	bool more;
	int tried = 0;

	CHECK_EQ(hfs_make(&hf, "twice", 1024, NULL, false), 0);
	fs->step_blocks = 40;
	f = create("f");
	for (int i = 0; i < 10; i++) { /* a's inode in another inode-table block than f's */
		char name[8];

		snprintf(name, sizeof(name), "d%d", i);
		create(name);
	}
	a = create("a");
	CHECK_EQ(fill(a, 100000), -ENOSPC); /* all the space: f gets what a's delete frees */
	CHECK_EQ(host_img_writeback(&hf.img, fs->block_size), 0);
	unlink_name("a");
	host_img_pass(&hf.img);
	CHECK_EQ(REQ(fs, ext2_evict_step(fs, a, &more, &next)), 0); /* 40 blocks freed */
	CHECK(more);
	for (unsigned cut = 0; cut <= host_img_dirty(&hf.img); cut++) {
		struct host_fs c;

		cut_and_recover(&hf, cut, false, true, &c);
		host_img_pass(&c.img); /* the gate opens after it */
		for (uint64_t l = 0; l < 10; l++) {
			uint32_t blk;
			int err = REQ(&c.fs, ext2_bmap(&c.fs, f, l, true, &blk));

			if (err == EXT2_UNSETTLED) { /* the core runs a pass and asks again */
				host_img_pass(&c.img);
				err = REQ(&c.fs, ext2_bmap(&c.fs, f, l, true, &blk));
			}
			CHECK_EQ(err, 0);
		}
		for (unsigned cut2 = 0; cut2 <= host_img_dirty(&c.img); cut2++) {
			for (int rev = 0; rev < 2; rev++, tried++) {
				struct host_fs d;

				cut_and_recover(&c, cut2, rev, false, &d);
				if (hfs_fsck_quiet(&d) && fsck_said(&d, "differences: .*+")) {
					printf("  cut %u, then %u (%s): a block in use and free\n",
					       cut, cut2, rev ? "descending" : "ascending");
					CHECK(0);
				}
				drop(&d);
			}
		}
		drop(&c);
	}
	printf("  %d double cuts, no block in use and free\n", tried);
	hfs_free(&hf);
}

/*
 * rm -rf: an unlink puts y on the chain in the pass where another orphan
 * (a) leaves it from behind p, whose inode shares y's inode-table block.
 * Whatever the cut, no orphan that was on the chain falls off it (its
 * blocks would leak) and no block is in use and free. (y's own unlink,
 * a name and an inode in two blocks, may need e2fsck: not asked here.)
 */
TEST(ext2_cuts, an_unlink_and_a_leave_in_one_pass_lose_no_orphan)
{
	uint32_t a, p, y, next;
	bool more = true;
	int tried = 0;

	CHECK_EQ(hfs_make(&hf, "rmrf", 1024, NULL, false), 0);
	a = create("a");
	p = create("p");
	y = create("y");
	CHECK_EQ(fill(a, 5), 0);
	CHECK_EQ(fill(p, 5), 0);
	CHECK_EQ(host_img_writeback(&hf.img, fs->block_size), 0);
	unlink_name("a");
	unlink_name("p");
	host_img_pass(&hf.img); /* the chain: p, a; p stays ("open") */
	unlink_name("y");
	while (more)
		CHECK_EQ(REQ(fs, ext2_evict_step(fs, a, &more, &next)), 0);
	for (unsigned cut = 0; cut <= host_img_dirty(&hf.img); cut++) {
		for (int rev = 0; rev < 2; rev++, tried++) {
			struct host_fs c;

			cut_and_recover(&hf, cut, rev, false, &c);
			if (hfs_fsck_quiet(&c) && fsck_said(&c, "Block bitmap differences")) {
				printf("  cut %u (%s): blocks lost or shared (y %u)\n", cut,
				       rev ? "descending" : "ascending", y);
				CHECK(0);
			}
			drop(&c);
		}
	}
	printf("  %d cuts, no orphan lost\n", tried);
	hfs_free(&hf);
}
