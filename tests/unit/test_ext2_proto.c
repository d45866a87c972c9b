/*
 * Host tests of the ext2 service's protocol (include/fs/ext2_proto.h):
 * the attribute record's round trip, and the service's handler
 * (fs/ext2/service.c) driven with byte messages as the core sends them:
 * init remounting from the core's list, requests, a small readdir reply
 * paged with its cursor, and malformed messages (wrong version, unknown
 * opcode or file system, every truncation, trailing bytes, random
 * payloads) that must get errors, never a crash, and leave an image
 * e2fsck finds clean. The framework's and the core's functions the
 * handler calls are stood in for here.
 */
#include "harness.h"
#include "ext2_util.h"
#include <svc/service.h>
#include <drivers/block.h>
#include <kernel/printk.h>
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/stat.h>
#include <stdio.h>
#include <stdlib.h>

#define FSID 7
#define RDEV 0x800

static struct host_fs hf;
static struct ext2_state state;
static struct service svc = { .state = &state };

/* Stand-ins for the framework, the block layer, the core and the log. */
void svc_request_reader(const struct svc_request *req, struct svc_reader *r)
{
	svc_reader_init(r, req->req.buf, req->req.len);
}

struct block_device *block_by_rdev(uint32_t rdev)
{
	return rdev == RDEV ? (struct block_device *)(void *)&hf.img : NULL;
}

void ext2_core_for_each_mount(void (*fn)(uint32_t fsid, uint32_t rdev, uint32_t flags, void *ctx),
			      void *ctx)
{
	fn(FSID, RDEV, 0, ctx);
	fn(FSID + 1, RDEV + 1, 0, ctx); /* a device that went away */
}

void printk(int level, const char *fmt, ...)
{
	(void)level;
	(void)fmt;
}

TEST(ext2_proto, attr_round_trip)
{
	struct ext2_attr a = { 1ull << 40, 0100644, 3,	70000,	    80000,    0x1234,
			       1ll << 33,  99,	    -5, 1700000000, 1ll << 35 };
	struct ext2_attr b;
	uint8_t buf[EXT2_ATTR_BYTES];
	struct svc_writer w;
	struct svc_reader r;

	svc_writer_init(&w, buf, sizeof(buf));
	ext2_put_attr(&w, &a);
	CHECK(!w.overflow);
	CHECK_EQ(w.len, (size_t)EXT2_ATTR_BYTES);
	svc_reader_init(&r, buf, w.len);
	CHECK_EQ(ext2_get_attr(&r, &b), 0);
	CHECK_EQ(b.ino, a.ino);
	CHECK_EQ(b.mode, a.mode);
	CHECK_EQ(b.nlink, a.nlink);
	CHECK_EQ(b.uid, a.uid);
	CHECK_EQ(b.gid, a.gid);
	CHECK_EQ(b.rdev, a.rdev);
	CHECK_EQ(b.size, a.size);
	CHECK_EQ(b.blocks, a.blocks);
	CHECK_EQ(b.atime, a.atime);
	CHECK_EQ(b.mtime, a.mtime);
	CHECK_EQ(b.ctime, a.ctime);
	CHECK(svc_reader_done(&r));
	svc_reader_init(&r, buf, w.len - 1);
	CHECK_EQ(ext2_get_attr(&r, &b), -EPROTO);
}

static uint8_t pbuf[8192], rbuf[8192];
static struct svc_request req;

/* A request for opcode op: the version and the file system id written. */
static struct svc_writer *msg(uint16_t op, uint32_t fsid)
{
	memset(&req, 0, sizeof(req));
	req.hdr.opcode = op;
	svc_writer_init(&req.req, pbuf, sizeof(pbuf));
	svc_writer_init(&req.reply, rbuf, sizeof(rbuf));
	svc_msg_begin(&req.req, EXT2_PROTO_VERSION);
	svc_put_u32(&req.req, fsid);
	return &req.req;
}

/* Sends the request (reply room cap); r reads the reply. */
static int send(size_t cap, struct svc_reader *r)
{
	int st;

	req.reply.cap = cap;
	st = ext2_service_ops.handle(&svc, &req);
	svc_reader_init(r, rbuf, req.reply.len);
	return st;
}

static int create(uint64_t dir, const char *name, uint32_t mode, struct ext2_attr *a)
{
	struct svc_writer *w = msg(EXT2_CREATE, FSID);
	struct svc_reader r;
	int st;

	svc_put_u64(w, dir);
	svc_put_str(w, name, strlen(name));
	svc_put_u32(w, mode);
	svc_put_u32(w, 0);
	svc_put_u32(w, 0);
	svc_put_u32(w, 0);
	svc_put_i64(w, 1700000000);
	st = send(sizeof(rbuf), &r);
	if (!st)
		st = ext2_get_attr(&r, a);
	return st;
}

static void setup(const char *tag)
{
	struct svc_reader r;

	CHECK_EQ(hfs_make(&hf, tag, 1024, NULL, true), 0);
	CHECK_EQ(ext2_service_ops.init(&svc), 0);
	CHECK(state.mounts[0].used);
	CHECK(!state.mounts[1].used);
	msg(EXT2_GETATTR, FSID);
	svc_put_u64(&req.req, EXT2_ROOT_INO);
	CHECK_EQ(send(sizeof(rbuf), &r), 0);
}

/* Pages through the root with a small reply; returns the entry count. */
static int count_root(size_t cap)
{
	uint64_t cursor = 0;
	struct ext2_attr a;
	struct svc_reader r;
	char name[256];
	uint32_t n, total = 0;
	int rounds = 0;

	do {
		msg(EXT2_READDIR, FSID);
		svc_put_u64(&req.req, EXT2_ROOT_INO);
		svc_put_u64(&req.req, cursor);
		CHECK_EQ(send(cap, &r), 0);
		cursor = svc_get_u64(&r);
		n = svc_get_u32(&r);
		for (uint32_t i = 0; i < n; i++) {
			CHECK(svc_get_str(&r, name, sizeof(name)) > 0);
			CHECK_EQ(ext2_get_attr(&r, &a), 0);
		}
		CHECK(svc_reader_done(&r));
		total += n;
	} while (cursor && ++rounds < 1000);
	return (int)total;
}

TEST(ext2_proto, requests)
{
	struct ext2_attr d, f;
	struct svc_reader r;

	setup("proto");
	CHECK_EQ(create(EXT2_ROOT_INO, "pdir", S_IFDIR | 0755, &d), 0);
	CHECK_EQ(create(d.ino, "pfile", S_IFREG | 0644, &f), 0);
	CHECK_EQ(count_root(sizeof(rbuf)), 11);
	CHECK_EQ(count_root(160), 11);
	msg(EXT2_BMAP, FSID);
	svc_put_u64(&req.req, f.ino);
	svc_put_u64(&req.req, 0);
	svc_put_u32(&req.req, 1000);
	svc_put_u32(&req.req, 1);
	CHECK_EQ(send(4 + 8 * 5 + EXT2_ATTR_BYTES + 8, &r), 0);
	CHECK_EQ(svc_get_u32(&r), 5u); /* as many as fit */
	for (int i = 0; i < 5; i++)
		CHECK(svc_get_u64(&r) != 0);
	CHECK_EQ(ext2_get_attr(&r, &f), 0);
	CHECK_EQ(f.blocks, 10);
	CHECK_EQ(svc_get_u64(&r), 5u); /* the blocks this request allocated */
	CHECK(!r.error);
	msg(EXT2_BMAP, FSID); /* the same blocks again: nothing new */
	svc_put_u64(&req.req, f.ino);
	svc_put_u64(&req.req, 0);
	svc_put_u32(&req.req, 5);
	svc_put_u32(&req.req, 1);
	CHECK_EQ(send(sizeof(rbuf), &r), 0);
	CHECK_EQ(svc_get_u32(&r), 5u);
	for (int i = 0; i < 5; i++)
		CHECK(svc_get_u64(&r) != 0);
	CHECK_EQ(ext2_get_attr(&r, &f), 0);
	CHECK_EQ(svc_get_u64(&r), 0u);
	CHECK(!r.error);
	msg(EXT2_SETATTR, FSID);
	svc_put_u64(&req.req, f.ino);
	svc_put_u32(&req.req, EXT2_ATTR_SIZE);
	svc_put_u32(&req.req, 0);
	svc_put_u32(&req.req, 0);
	svc_put_u32(&req.req, 0);
	svc_put_i64(&req.req, 5 * 1024);
	svc_put_i64(&req.req, 0);
	svc_put_i64(&req.req, 0);
	svc_put_i64(&req.req, 1700000001);
	CHECK_EQ(send(sizeof(rbuf), &r), 0);
	msg(EXT2_STATFS, FSID);
	CHECK_EQ(send(sizeof(rbuf), &r), 0);
	CHECK_EQ(svc_get_u64(&r), 8192u);
	{
		uint64_t free = svc_get_u64(&r);

		svc_get_u64(&r);
		svc_get_u64(&r);
		CHECK_EQ(svc_get_u32(&r), 1024u);
		CHECK(svc_get_u64(&r) <= free); /* the blocks kept for root */
		CHECK(!r.error);
	}
	msg(EXT2_UMOUNT, FSID);
	CHECK_EQ(send(sizeof(rbuf), &r), 0);
	msg(EXT2_STATFS, FSID);
	CHECK_EQ(send(sizeof(rbuf), &r), -EIO);
	msg(EXT2_MOUNT, FSID);
	svc_put_u32(&req.req, RDEV);
	svc_put_u32(&req.req, 0);
	CHECK_EQ(send(sizeof(rbuf), &r), 0);
	CHECK_EQ(svc_get_u64(&r), (uint64_t)EXT2_ROOT_INO);
	CHECK_EQ(svc_get_u32(&r), 1024u);
	CHECK_EQ(hfs_fsck(&hf), 0);
	hfs_free(&hf);
}

/* Every prefix of a valid payload is refused, and so is one byte more. */
static void truncations(uint16_t op)
{
	uint8_t full[512];
	size_t len = req.req.len;
	struct svc_reader r;

	memcpy(full, pbuf, len);
	for (size_t cut = 0; cut < len; cut++) {
		msg(op, FSID);
		memcpy(pbuf, full, cut);
		req.req.len = cut;
		CHECK(send(sizeof(rbuf), &r) < 0);
	}
	msg(op, FSID);
	memcpy(pbuf, full, len);
	pbuf[len] = 0;
	req.req.len = len + 1;
	CHECK_EQ(send(sizeof(rbuf), &r), -EPROTO);
}

TEST(ext2_proto, malformed)
{
	struct svc_reader r;
	struct svc_writer *w;

	setup("malformed");
	w = msg(EXT2_GETATTR, FSID);
	pbuf[0] = EXT2_PROTO_VERSION + 1;
	svc_put_u64(w, EXT2_ROOT_INO);
	CHECK_EQ(send(sizeof(rbuf), &r), -EPROTO);
	msg(EXT2_NR_OPS, FSID);
	CHECK_EQ(send(sizeof(rbuf), &r), -EPROTO);
	msg(0, FSID);
	CHECK_EQ(send(sizeof(rbuf), &r), -EPROTO);
	msg(EXT2_GETATTR, FSID + 5);
	svc_put_u64(&req.req, EXT2_ROOT_INO);
	CHECK_EQ(send(sizeof(rbuf), &r), -EIO);
	msg(EXT2_GETATTR, FSID);
	svc_put_u64(&req.req, 1ull << 40);
	CHECK_EQ(send(sizeof(rbuf), &r), -EUCLEAN);
	w = msg(EXT2_RENAME, FSID);
	svc_put_u64(w, EXT2_ROOT_INO);
	svc_put_str(w, "small", 5);
	svc_put_u64(w, EXT2_ROOT_INO);
	svc_put_str(w, "renamed", 7);
	svc_put_u32(w, 0);
	svc_put_i64(w, 1);
	truncations(EXT2_RENAME);
	w = msg(EXT2_SYMLINK, FSID);
	svc_put_u64(w, EXT2_ROOT_INO);
	svc_put_str(w, "ln", 2);
	svc_put_bytes(w, "target", 6);
	svc_put_u32(w, 0);
	svc_put_u32(w, 0);
	svc_put_i64(w, 1);
	truncations(EXT2_SYMLINK);
	CHECK_EQ(hfs_fsck(&hf), 0);
	hfs_free(&hf);
}

/* Random payloads for every opcode: errors or harmless changes, never a crash. */
TEST(ext2_proto, random_payloads)
{
	struct svc_reader r;
	uint32_t seed = 12345;

	setup("randpay");
	for (int i = 0; i < 20000; i++) {
		uint16_t op = (uint16_t)(EXT2_GETATTR + i % (EXT2_NR_OPS - EXT2_GETATTR));
		size_t len = 5 + (seed = seed * 1103515245 + 12345) % 64;

		if (op == EXT2_BMAP || op == EXT2_UMOUNT)
			continue; /* allocation past the size would be a (real) fsck complaint */
		msg(op, FSID);
		for (size_t j = 5; j < len; j++) {
			seed = seed * 1103515245 + 12345;
			pbuf[j] = (uint8_t)(seed >> 16);
			if (j < 13 && (seed & 0x300000))
				pbuf[j] = j == 5 ? 2 : 0; /* often the root directory */
		}
		req.req.len = len;
		send(sizeof(rbuf), &r);
	}
	CHECK_EQ(hfs_fsck(&hf), 0);
	hfs_free(&hf);
}
