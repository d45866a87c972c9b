/*
 * inotify and memfd system calls (include/fs/notify.h): inotify_init,
 * inotify_init1, inotify_add_watch, inotify_rm_watch and memfd_create,
 * with Linux's argument checks in Linux's order. The instances are in
 * fs/inotify.c, memfds in fs/memfd.c; fcntl's F_ADD_SEALS and F_GET_SEALS
 * are in sys/file.c.
 */
#include <kernel/syscall.h>
#include <kernel/proc.h>
#include <kernel/uaccess.h>
#include <fs/fdtable.h>
#include <fs/notify.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>

/* Bits add_watch takes at all (Linux's ALL_INOTIFY_BITS): one is needed. */
#define ALL_INOTIFY_BITS (IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | IN_WATCH_FLAGS)

/* A new file as the lowest free descriptor; the file is dropped on failure. */
static long install(struct file *f, bool cloexec)
{
	long r = fd_install(current_proc()->fds, f, cloexec);

	if (r < 0)
		file_put(f);
	return r;
}

SYSCALL_DEFINE1(inotify_init1, int, flags)
{
	struct file *f;
	long r;

	if (flags & ~(IN_NONBLOCK | IN_CLOEXEC))
		return -EINVAL;
	r = inotify_create(flags, &f);
	return r ? r : install(f, flags & IN_CLOEXEC);
}

SYSCALL_DEFINE0(inotify_init)
{
	return do_sys_inotify_init1(0);
}

/* The descriptor's inotify file, referenced: -EBADF, or -EINVAL for another file. */
static long get_inotify(int fd, struct file **out)
{
	struct file *f = fget(fd);

	if (!f)
		return -EBADF;
	if (!is_inotify(f)) {
		file_put(f);
		return -EINVAL;
	}
	*out = f;
	return 0;
}

/* What path names, as add_watch looks it up (IN_DONT_FOLLOW, IN_ONLYDIR). */
static long watch_lookup(uintptr_t upath, uint32_t mask, struct dentry **out)
{
	unsigned lookup = (mask & IN_DONT_FOLLOW ? 0 : LOOKUP_FOLLOW) |
			  (mask & IN_ONLYDIR ? LOOKUP_DIRECTORY : 0);
	struct dentry *base;
	char *path;
	long r = copy_path(upath, &path);

	if (r)
		return r;
	r = at_base(AT_FDCWD, path, &base);
	if (!r)
		r = vfs_lookup(base, path, lookup, out);
	if (base)
		dentry_put(base);
	kfree(path);
	if (!r && (r = inode_permission((*out)->inode, MAY_READ)))
		dentry_put(*out); /* watching needs read permission, as Linux */
	return r;
}

SYSCALL_DEFINE3(inotify_add_watch, int, fd, uintptr_t, upath, uint32_t, mask)
{
	struct dentry *d;
	struct file *f;
	long r;

	if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE))
		return -EINVAL;
	if (!(mask & ALL_INOTIFY_BITS))
		return -EINVAL;
	r = get_inotify(fd, &f);
	if (r)
		return r;
	r = watch_lookup(upath, mask, &d);
	if (!r) {
		r = inotify_add(f, d->inode, mask);
		dentry_put(d);
	}
	file_put(f);
	return r;
}

SYSCALL_DEFINE2(inotify_rm_watch, int, fd, int, wd)
{
	struct file *f;
	long r = get_inotify(fd, &f);

	if (r)
		return r;
	r = inotify_rm(f, wd);
	file_put(f);
	return r;
}

#define MFD_KNOWN (MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL | MFD_EXEC)

SYSCALL_DEFINE2(memfd_create, uintptr_t, uname, unsigned, flags)
{
	char name[MFD_NAME_MAX + 1];
	struct file *f;
	long r;

	/* MFD_HUGETLB too: there are no huge pages to back it. */
	if (flags & ~MFD_KNOWN)
		return -EINVAL;
	if ((flags & MFD_EXEC) && (flags & MFD_NOEXEC_SEAL))
		return -EINVAL;
	r = strncpy_from_user(name, uname, sizeof(name));
	if (r == -ENAMETOOLONG)
		return -EINVAL; /* longer than MFD_NAME_MAX */
	if (r < 0)
		return r;
	r = memfd_create(name, flags, &f);
	return r ? r : install(f, flags & MFD_CLOEXEC);
}
