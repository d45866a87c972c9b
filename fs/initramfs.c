/*
 * initramfs unpacking (include/fs/initramfs.h), called at boot with the
 * archive the boot loader loaded, and by the self-tests. It walks the
 * archive with the cpio reader (fs/cpio.c) and recreates each entry
 * through the ordinary VFS calls, relative to the root. As Linux does, an
 * entry replaces what already has its name (except a directory over a
 * directory), and directory mtimes are set in a second pass, after their
 * contents were added.
 *
 * Hard links (several entries with one inode number) are not joined yet:
 * each name gets its own file.
 */
#include <fs/initramfs.h>
#include <fs/cpio.h>
#include <fs/vfs.h>
#include <kernel/printk.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>

/* The archive name without leading "./" and "/"; "" for the root itself. */
static const char *entry_path(const struct cpio_entry *e)
{
	const char *p = e->name;

	for (;;) {
		if (p[0] == '/')
			p++;
		else if (p[0] == '.' && p[1] == '/')
			p += 2;
		else
			break;
	}
	return strcmp(p, ".") ? p : "";
}

/* Creates the directories leading to path, as mkdir -p of its parent. */
static int make_parents(char *path)
{
	for (char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
		int r;

		*slash = '\0';
		r = vfs_mkdir(NULL, path, 0755);
		*slash = '/';
		if (r && r != -EEXIST)
			return r;
	}
	return 0;
}

/* Removes what has path's name, unless both are directories. */
static void clear_path(const char *path, unsigned mode)
{
	struct kstat st;

	if (vfs_statat(NULL, path, 0, &st))
		return;
	if (S_ISDIR(st.mode) && S_ISDIR(mode))
		return;
	if (S_ISDIR(st.mode))
		vfs_rmdir(NULL, path);
	else
		vfs_unlink(NULL, path);
}

static int write_file(const char *path, const struct cpio_entry *e)
{
	struct iobuf buf = iobuf_kernel((void *)e->data, e->size);
	struct file *f;
	ssize_t n;
	int r;

	r = vfs_openat(NULL, path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, e->mode & S_IALLUGO,
		       &f);
	if (r)
		return r;
	n = e->size ? vfs_write(f, &buf) : 0;
	file_put(f);
	if (n < 0)
		return (int)n;
	return (size_t)n == e->size ? 0 : -ENOSPC;
}

static int make_symlink(const char *path, const struct cpio_entry *e)
{
	char *target = kmalloc(e->size + 1);
	int r;

	if (!target)
		return -ENOMEM;
	memcpy(target, e->data, e->size);
	target[e->size] = '\0';
	r = strlen(target) == e->size ? vfs_symlink(target, NULL, path) : -EINVAL;
	kfree(target);
	return r;
}

static int make_entry(const char *path, const struct cpio_entry *e)
{
	unsigned perm = e->mode & S_IALLUGO;

	switch (e->mode & S_IFMT) {
	case S_IFDIR: {
		int r = vfs_mkdir(NULL, path, perm);

		return r == -EEXIST ? 0 : r;
	}
	case S_IFREG:
		return write_file(path, e);
	case S_IFLNK:
		return make_symlink(path, e);
	case S_IFCHR:
	case S_IFBLK:
	case S_IFIFO:
	case S_IFSOCK:
		return vfs_mknod(NULL, path, e->mode, MKDEV(e->rdev_major, e->rdev_minor));
	default:
		return -EINVAL;
	}
}

/* Mode, owner and mtime as the archive says (the symlink itself, not its target). */
static int set_attrs(const char *path, const struct cpio_entry *e)
{
	struct vfs_attr a = {
		.valid = ATTR_UID | ATTR_GID | ATTR_MTIME,
		.uid = e->uid,
		.gid = e->gid,
		.mtime = { e->mtime, 0 },
	};

	if (!S_ISLNK(e->mode)) {
		a.valid |= ATTR_MODE;
		a.mode = e->mode & S_IALLUGO;
	}
	return vfs_setattrat(NULL, path, 0, &a);
}

static int unpack_entry(const struct cpio_entry *e)
{
	char *path = kmalloc(e->name_len + 1);
	int r;

	if (!path)
		return -ENOMEM;
	strlcpy(path, entry_path(e), e->name_len + 1);
	if (path[0] == '\0') {
		kfree(path);
		return 0; /* "." : the root exists */
	}
	r = make_parents(path);
	if (!r) {
		clear_path(path, e->mode);
		r = make_entry(path, e);
	}
	if (!r)
		r = set_attrs(path, e);
	kfree(path);
	return r;
}

/* Second pass: directory mtimes, now that their contents are in. */
static void set_dir_times(const void *data, size_t len)
{
	struct cpio_iter it;
	struct cpio_entry e;

	cpio_iter_init(&it, data, len);
	while (cpio_next(&it, &e) > 0) {
		struct vfs_attr a = { .valid = ATTR_MTIME, .mtime = { e.mtime, 0 } };
		const char *path = entry_path(&e);

		if (S_ISDIR(e.mode) && path[0])
			vfs_setattrat(NULL, path, 0, &a);
	}
}

int initramfs_unpack(const void *data, size_t len)
{
	struct cpio_iter it;
	struct cpio_entry e;
	int n = cpio_validate(data, len), r;

	if (n < 0) {
		pr_err("initramfs: malformed cpio archive (%zu bytes): not unpacked\n", len);
		return n;
	}
	cpio_iter_init(&it, data, len);
	while ((r = cpio_next(&it, &e)) > 0) {
		r = unpack_entry(&e);
		if (r) {
			pr_err("initramfs: cannot unpack '%s': error %d\n", e.name, r);
			return r;
		}
	}
	set_dir_times(data, len);
	pr_info("initramfs: %d entries unpacked\n", n);
	return n;
}
