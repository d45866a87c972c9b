/*
 * The attribute record of the ext2 service's protocol
 * (include/fs/ext2_proto.h): written by the service (fs/ext2/service.c)
 * into its replies, read by the core's ext2 glue (fs/ext2_vfs.c). Pure
 * code over svc/msg.c; the host unit tests build it too.
 */
#include <fs/ext2_proto.h>
#include <uapi/errno.h>

void ext2_put_attr(struct svc_writer *w, const struct ext2_attr *a)
{
	svc_put_u64(w, a->ino);
	svc_put_u32(w, a->mode);
	svc_put_u32(w, a->nlink);
	svc_put_u32(w, a->uid);
	svc_put_u32(w, a->gid);
	svc_put_u32(w, a->rdev);
	svc_put_i64(w, a->size);
	svc_put_i64(w, a->blocks);
	svc_put_i64(w, a->atime);
	svc_put_i64(w, a->mtime);
	svc_put_i64(w, a->ctime);
}

int ext2_get_attr(struct svc_reader *r, struct ext2_attr *a)
{
	a->ino = svc_get_u64(r);
	a->mode = svc_get_u32(r);
	a->nlink = svc_get_u32(r);
	a->uid = svc_get_u32(r);
	a->gid = svc_get_u32(r);
	a->rdev = svc_get_u32(r);
	a->size = svc_get_i64(r);
	a->blocks = svc_get_i64(r);
	a->atime = svc_get_i64(r);
	a->mtime = svc_get_i64(r);
	a->ctime = svc_get_i64(r);
	return r->error ? -EPROTO : 0;
}
