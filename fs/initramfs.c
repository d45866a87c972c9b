/*
 * initramfs unpacking (include/fs/initramfs.h), called at boot with the
 * archive the boot loader loaded, and by the self-tests. It walks the
 * archive with the cpio reader (fs/cpio.c) and recreates each entry
 * through the ordinary VFS calls, relative to the root. As Linux does, an
 * entry replaces what already has its name (except a directory over a
 * directory), and directory mtimes are set in a second pass, after their
 * contents were added.
 *
 * Hard links: entries of another type than directory with a link count
 * of 2 or more and the same inode and device numbers are names of one
 * file. The first is created as usual and remembered; the others become
 * links to it. The data may come with any of them (GNU cpio puts it with
 * the last): an entry with data writes it into the shared file.
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

/* The first name of a hard-linked file, by inode and device number. */
struct link_seen {
	struct link_seen *next;
	uint32_t ino, dev_major, dev_minor, type;
	char path[];
};

static bool same_file(const struct link_seen *l, const struct cpio_entry *e)
{
	return l->ino == e->ino && l->dev_major == e->dev_major && l->dev_minor == e->dev_minor &&
	       l->type == (e->mode & S_IFMT);
}

static struct link_seen *find_link(struct link_seen *list, const struct cpio_entry *e)
{
	for (; list; list = list->next) {
		if (same_file(list, e))
			return list;
	}
	return NULL;
}

/* Remembers path as the first name of e's file; -ENOMEM. */
static int remember_link(struct link_seen **list, const struct cpio_entry *e, const char *path)
{
	size_t len = strlen(path) + 1;
	struct link_seen *l = kmalloc(sizeof(*l) + len);

	if (!l)
		return -ENOMEM;
	l->ino = e->ino;
	l->dev_major = e->dev_major;
	l->dev_minor = e->dev_minor;
	l->type = e->mode & S_IFMT;
	memcpy(l->path, path, len);
	l->next = *list;
	*list = l;
	return 0;
}

static void forget_links(struct link_seen *list)
{
	while (list) {
		struct link_seen *next = list->next;

		kfree(list);
		list = next;
	}
}

static int write_file(const char *path, const struct cpio_entry *e, int flags)
{
	struct iobuf buf = iobuf_kernel((void *)e->data, e->size);
	struct file *f;
	ssize_t n;
	int r;

	r = vfs_openat(NULL, path, O_WRONLY | O_NOFOLLOW | flags, e->mode & S_IALLUGO, &f);
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
		return write_file(path, e, O_CREAT | O_EXCL);
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

/* A further name of a file met before: a link, then the data if this entry has it. */
static int make_hard_link(const char *path, const struct cpio_entry *e, const char *first)
{
	struct dentry *old;
	int r = vfs_lookup(NULL, first, 0, &old);

	if (r)
		return r;
	r = vfs_link(old, NULL, path);
	dentry_put(old);
	if (!r && S_ISREG(e->mode) && e->size)
		r = write_file(path, e, O_TRUNC);
	return r;
}

/* Creates e at path: a link to an earlier name of the same file, or a new file. */
static int make_or_link(const char *path, const struct cpio_entry *e, struct link_seen **links)
{
	struct link_seen *l;
	int r;

	if (S_ISDIR(e->mode) || e->nlink < 2)
		return make_entry(path, e);
	l = find_link(*links, e);
	if (l)
		return make_hard_link(path, e, l->path);
	r = make_entry(path, e);
	return r ? r : remember_link(links, e, path);
}

static int unpack_entry(const struct cpio_entry *e, struct link_seen **links)
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
		r = make_or_link(path, e, links);
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
	struct link_seen *links = NULL;
	struct cpio_iter it;
	struct cpio_entry e;
	int n = cpio_validate(data, len), r;

	if (n < 0) {
		pr_err("initramfs: malformed cpio archive (%zu bytes): not unpacked\n", len);
		return n;
	}
	cpio_iter_init(&it, data, len);
	while ((r = cpio_next(&it, &e)) > 0) {
		r = unpack_entry(&e, &links);
		if (r) {
			pr_err("initramfs: cannot unpack '%s': error %d\n", e.name, r);
			forget_links(links);
			return r;
		}
	}
	forget_links(links);
	set_dir_times(data, len);
	pr_info("initramfs: %d entries unpacked\n", n);
	return n;
}
