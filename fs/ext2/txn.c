/*
 * Per-request shadow blocks of the ext2 library (include/fs/ext2.h).
 * Every request of the ext2 service (fs/ext2/service.c) runs between
 * ext2_txn_begin and ext2_txn_commit or ext2_txn_abort. Blocks it reads
 * are pinned in the block cache until the end; blocks it changes are
 * copied first (ext2_bwrite) and the request works on the copies, which
 * later reads in the same request see. Commit hands every copy to the
 * cache and drops freed blocks from it; abort (an error halfway) drops
 * the copies, so a failed request changes nothing. A request killed in
 * the middle never reaches commit: its copies die with its memory arena.
 *
 * Portable: the cache under it is the I/O layer (fs/ext2/io.c in the
 * kernel, tests/unit/ext2_host_io.c on the host).
 */
#include <fs/ext2.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <uapi/errno.h>

#define TXN_HASH 64

struct ext2_shadow {
	uint64_t blk;
	void *handle;		   /* the I/O layer's pinned buffer, or NULL (forgotten) */
	const void *data;	   /* the cached contents */
	void *copy;		   /* the request's version, or NULL if unchanged */
	void *settled;		   /* an allocation map's settled contents, once asked */
	bool map;		   /* an allocation map (ext2_io_make_map done) */
	uint8_t order;		   /* enum ext2_order: where a write-back pass puts it */
	bool settled_known;	   /* settled holds the answer (NULL: all settled) */
	bool forget;		   /* freed by the request */
	struct ext2_shadow *next;  /* all shadows, newest first */
	struct ext2_shadow *hnext; /* same hash bucket */
};

struct ext2_txn {
	struct ext2_shadow *hash[TXN_HASH];
	struct ext2_shadow *all;
};

int ext2_txn_begin(struct ext2_fs *fs)
{
	fs->txn = ext2_io_alloc(sizeof(*fs->txn));
	return fs->txn ? 0 : -ENOMEM;
}

static void txn_end(struct ext2_fs *fs, bool commit)
{
	struct ext2_shadow *sh;

	if (!fs->txn)
		return;
	if (commit)
		ext2_io_commit_begin();
	for (sh = fs->txn->all; sh; sh = sh->next) {
		if (commit && sh->copy && !sh->forget && sh->handle)
			ext2_io_update(sh->handle, sh->copy, sh->order);
		if (sh->handle)
			ext2_io_put(sh->handle);
		if (commit && sh->forget)
			ext2_io_forget(fs, sh->blk);
	}
	if (commit)
		ext2_io_commit_end();
	fs->txn = NULL;
	ext2_io_txn_end();
}

void ext2_txn_commit(struct ext2_fs *fs)
{
	txn_end(fs, true);
}

void ext2_txn_abort(struct ext2_fs *fs)
{
	txn_end(fs, false);
}

static struct ext2_shadow *txn_find(struct ext2_fs *fs, uint64_t blk)
{
	struct ext2_shadow *sh;

	for (sh = fs->txn->hash[blk % TXN_HASH]; sh; sh = sh->hnext)
		if (sh->blk == blk)
			return sh;
	return NULL;
}

/* The shadow entry of blk, pinning the cached block on first use. */
static int txn_get(struct ext2_fs *fs, uint64_t blk, bool read, struct ext2_shadow **out)
{
	struct ext2_shadow *sh;
	int err;

	if (!fs->txn)
		return -EINVAL;
	if (!ext2_block_ok(fs, blk) && blk != fs->sb_block)
		return -EUCLEAN;
	sh = txn_find(fs, blk);
	if (sh) {
		*out = sh;
		return 0;
	}
	sh = ext2_io_alloc(sizeof(*sh));
	if (!sh)
		return -ENOMEM;
	sh->blk = blk;
	if (read) {
		err = ext2_io_get(fs, blk, &sh->handle, &sh->data);
		if (err)
			return err;
	}
	sh->next = fs->txn->all;
	fs->txn->all = sh;
	sh->hnext = fs->txn->hash[blk % TXN_HASH];
	fs->txn->hash[blk % TXN_HASH] = sh;
	*out = sh;
	return 0;
}

int ext2_bread(struct ext2_fs *fs, uint64_t blk, const void **data)
{
	struct ext2_shadow *sh;
	int err = txn_get(fs, blk, true, &sh);

	if (err)
		return err;
	if (sh->forget || !(sh->copy || sh->data))
		return -EUCLEAN; /* a block the request freed is not metadata */
	*data = sh->copy ? sh->copy : sh->data;
	return 0;
}

static int shadow_copy(struct ext2_fs *fs, struct ext2_shadow *sh, bool zero)
{
	if (!sh->copy) {
		sh->copy = ext2_io_alloc(fs->block_size);
		if (!sh->copy)
			return -ENOMEM;
		if (!zero)
			memcpy(sh->copy, sh->data, fs->block_size);
	}
	if (zero)
		memset(sh->copy, 0, fs->block_size);
	return 0;
}

int ext2_bwrite(struct ext2_fs *fs, uint64_t blk, void **data)
{
	struct ext2_shadow *sh;
	int err;

	if (fs->rdonly)
		return -EROFS;
	err = txn_get(fs, blk, true, &sh);
	if (err)
		return err;
	if (sh->forget)
		return -EUCLEAN;
	err = shadow_copy(fs, sh, false);
	if (!err)
		*data = sh->copy;
	return err;
}

int ext2_bzero(struct ext2_fs *fs, uint64_t blk, void **data)
{
	struct ext2_shadow *sh;
	int err;

	if (fs->rdonly)
		return -EROFS;
	err = txn_get(fs, blk, true, &sh);
	if (!err && !sh->handle)
		err = ext2_io_get(fs, blk, &sh->handle, &sh->data);
	if (err)
		return err;
	sh->forget = false; /* freed and allocated again in one request */
	err = shadow_copy(fs, sh, true);
	if (!err)
		*data = sh->copy;
	return err;
}

int ext2_bforget(struct ext2_fs *fs, uint64_t blk)
{
	struct ext2_shadow *sh;
	int err = txn_get(fs, blk, false, &sh);

	if (err)
		return err;
	sh->forget = true;
	return 0;
}

int ext2_bwrite_map(struct ext2_fs *fs, uint64_t blk, void **data)
{
	struct ext2_shadow *sh;
	int err = ext2_bwrite(fs, blk, data);

	if (err)
		return err;
	sh = txn_find(fs, blk);
	if (!sh->map) {
		err = ext2_io_make_map(sh->handle);
		sh->map = !err;
	}
	return err;
}

int ext2_bsettled(struct ext2_fs *fs, uint64_t blk, const void **settled)
{
	struct ext2_shadow *sh;
	int err = txn_get(fs, blk, true, &sh);

	if (err)
		return err;
	if (!sh->handle || sh->forget)
		return -EUCLEAN;
	if (!sh->settled_known) {
		if (!sh->settled)
			sh->settled = ext2_io_alloc(fs->block_size);
		if (!sh->settled)
			return -ENOMEM;
		sh->settled_known = true;
		if (!ext2_io_settled(sh->handle, sh->settled))
			sh->settled = NULL; /* arena memory: freed with the request */
	}
	*settled = sh->settled;
	return 0;
}

int ext2_bcopy(struct ext2_fs *fs, uint64_t blk, void *out)
{
	struct ext2_shadow *sh;
	const void *data;
	void *handle;
	int err;

	if (!fs->txn)
		return -EINVAL;
	sh = txn_find(fs, blk);
	if (sh && !sh->forget && (sh->copy || sh->data)) {
		memcpy(out, sh->copy ? sh->copy : sh->data, fs->block_size);
		return 0;
	}
	if (sh || (!ext2_block_ok(fs, blk) && blk != fs->sb_block))
		return -EUCLEAN;
	err = ext2_io_get(fs, blk, &handle, &data);
	if (err)
		return err;
	memcpy(out, data, fs->block_size);
	ext2_io_put(handle);
	return 0;
}

int ext2_bwrite_ordered(struct ext2_fs *fs, uint64_t blk, enum ext2_order order, void **data)
{
	int err = ext2_bwrite(fs, blk, data);
	struct ext2_shadow *sh;

	if (!err) {
		sh = txn_find(fs, blk);
		sh->order = MAX(sh->order, (uint8_t)order);
	}
	return err;
}
