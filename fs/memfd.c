/*
 * memfd_create(2) and file seals (include/fs/notify.h, docs/files.md
 * "memfd"): a memfd is a regular tmpfs file of an internal instance that
 * no directory holds (fs/tmpfs.c, tmpfs_unnamed_file), opened read-write.
 * Its dentry is anonymous and named as Linux shows it in /proc/PID/fd,
 * "/memfd:NAME (deleted)". Seals live with the tmpfs file, which enforces
 * them; fcntl(F_ADD_SEALS, F_GET_SEALS) comes here.
 */
#include <fs/notify.h>
#include <fs/dcache.h>
#include <fs/tmpfs.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>

#define MEMFD_PREFIX "/memfd:"
#define MEMFD_SUFFIX " (deleted)"

int memfd_create(const char *name, unsigned flags, struct file **out)
{
	bool noexec = flags & MFD_NOEXEC_SEAL;
	unsigned seals = (flags & MFD_ALLOW_SEALING) || noexec ? 0 : F_SEAL_SEAL;
	size_t size = sizeof(MEMFD_PREFIX) + strlen(name) + sizeof(MEMFD_SUFFIX);
	char *dname = kmalloc(size);
	struct inode *inode;
	struct dentry *d;
	int r;

	if (!dname)
		return -ENOMEM;
	strlcpy(dname, MEMFD_PREFIX, size);
	strlcat(dname, name, size);
	strlcat(dname, MEMFD_SUFFIX, size);
	inode = tmpfs_unnamed_file(noexec ? 0666 : 0777, seals | (noexec ? F_SEAL_EXEC : 0));
	d = inode ? d_alloc_anon(inode, dname) : NULL;
	kfree(dname);
	if (!d) {
		if (inode)
			inode_put(inode);
		return -ENOMEM;
	}
	r = vfs_open_dentry(d, O_RDWR | O_LARGEFILE, out);
	dentry_put(d); /* the file holds it */
	return r;
}

int memfd_add_seals(struct file *f, unsigned seals)
{
	if (!(f->fmode & FMODE_WRITE))
		return -EPERM; /* as Linux, before it looks at the file's kind */
	return tmpfs_add_seals(f->inode, seals);
}

int memfd_get_seals(struct file *f)
{
	return tmpfs_get_seals(f->inode);
}
