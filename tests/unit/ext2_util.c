/*
 * Helpers of the ext2 host tests (tests/unit/ext2_util.h): images made by
 * mke2fs -d from a tree this file builds with shell commands, mounted with
 * the library, checked by e2fsck -fn.
 */
#include "ext2_util.h"
#include <lib/string.h>
#include <uapi/errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Every kind of file, with sizes that need direct, single and double indirect blocks. */
static const char populate_cmds[] =
	"mkdir -p D/sub/deeper D/empty && "
	"printf hello > D/small && : > D/zero && "
	"head -c 5000 /dev/urandom > D/sub/mid && "
	"head -c 300000 /dev/urandom > D/sub/deeper/big && "
	"ln D/small D/sub/hard && ln -s small D/fast && "
	"ln -s $(printf 'x%.0s' $(seq 100)) D/slow && "
	"mkfifo D/fifo && mknod D/chr c 4 5 && mknod D/blk b 300 70000 && "
	"chmod 0751 D/sub && chown 1234:5678 D/sub/mid && chmod 4755 D/small && "
	"touch -h -d @1000000000 D/fast && touch -d @1234567890 D/sub/mid && "
	"for i in $(seq 40); do : > D/sub/f$i; done && "
	"dd if=/dev/urandom of=D/sparse bs=1024 seek=1000 count=1 2>/dev/null";

static int sh(const char *fmt, const char *a, const char *b)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd), fmt, a, b);
	return system(cmd) == 0 ? 0 : -1;
}

int hfs_make(struct host_fs *hf, const char *tag, unsigned block_size, const char *extra,
	     bool populate)
{
	char cmd[512];

	memset(hf, 0, sizeof(*hf));
	snprintf(hf->dir, sizeof(hf->dir), "/tmp/axl-ext2-%d-%s", (int)getpid(), tag);
	snprintf(hf->path, sizeof(hf->path), "%s.img", hf->dir);
	if (sh("rm -rf %s && mkdir -p %s", hf->dir, hf->dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "cd %%s && %s", populate ? populate_cmds : "mkdir -p D");
	if (sh(cmd, hf->dir, NULL))
		return -2;
	snprintf(cmd, sizeof(cmd), "mke2fs -q -F -t ext2 -b %u %s -d %%s/D %%s 8M >/dev/null",
		 block_size, extra ? extra : "");
	if (sh(cmd, hf->dir, hf->path))
		return -3;
	if (host_img_load(&hf->img, hf->path))
		return -4;
	return ext2_mount(&hf->fs, &hf->img, 0);
}

void hfs_free(struct host_fs *hf)
{
	host_img_free(&hf->img);
	sh("rm -rf %s %s*", hf->dir, hf->path);
}

static int fsck(struct host_fs *hf, bool report)
{
	char cmd[512];
	int st;

	if (host_img_save(&hf->img, hf->path))
		return -1;
	snprintf(cmd, sizeof(cmd), "e2fsck -fn %s > %s.fsck 2>&1", hf->path, hf->path);
	st = system(cmd);
	if (st && report) {
		snprintf(cmd, sizeof(cmd), "cat %s.fsck", hf->path);
		if (system(cmd))
			return -1;
	}
	return st;
}

int hfs_fsck(struct host_fs *hf)
{
	return fsck(hf, true);
}

int hfs_fsck_quiet(struct host_fs *hf)
{
	return fsck(hf, false);
}

int hfs_remount(struct host_fs *hf)
{
	return ext2_mount(&hf->fs, &hf->img, 0);
}

int hfs_walk(struct host_fs *hf, const char *path, uint32_t *ino)
{
	const char *p = path, *end;
	int err = 0;

	*ino = EXT2_ROOT_INO;
	if (ext2_txn_begin(&hf->fs))
		return -ENOMEM;
	while (!err && *p) {
		while (*p == '/')
			p++;
		end = strchr(p, '/');
		if (!end)
			end = p + strlen(p);
		if (end > p)
			err = ext2_lookup(&hf->fs, *ino, p, (size_t)(end - p), ino);
		p = end;
	}
	ext2_txn_abort(&hf->fs);
	return err;
}

int hfs_read(struct host_fs *hf, uint32_t ino, void *buf, size_t size)
{
	uint32_t bs = hf->fs.block_size, blk;
	uint64_t lblk;
	size_t n;
	int err = ext2_txn_begin(&hf->fs);

	for (lblk = 0; !err && lblk * bs < size; lblk++) {
		n = size - lblk * bs < bs ? size - lblk * bs : bs;
		err = ext2_bmap(&hf->fs, ino, lblk, false, &blk);
		if (!err && blk)
			memcpy((char *)buf + lblk * bs, hf->img.data + (size_t)blk * bs, n);
		if (!err && !blk)
			memset((char *)buf + lblk * bs, 0, n);
	}
	ext2_txn_abort(&hf->fs);
	return err;
}

int hfs_txn_end(struct ext2_fs *fs, int err)
{
	if (err)
		ext2_txn_abort(fs);
	else
		ext2_txn_commit(fs);
	return err;
}
