/*
 * The path walk's internals (fs/namei.c), shared with the operations that
 * handle two names at once (fs/rename.c: rename and link). Everyone else
 * goes through the vfs_* calls of include/fs/vfs.h.
 *
 * A walk holds a reference on the directory it is in (cur) and on the
 * root it started from; walk_parent stops before the last component,
 * which it leaves in last.
 */
#ifndef FS_NAMEI_H
#define FS_NAMEI_H

#include <fs/vfs.h>

struct nameidata {
	struct dentry *root; /* where "/" starts and ".." stops */
	struct dentry *cur;  /* the directory the walk is in */
	const char *p;	     /* what is left of the path */
	char *buf;	     /* PATH_MAX bytes, once a symlink was followed */
	int links;	     /* symlinks followed */
	struct qstr last;    /* the final component, after walk_parent */
	bool last_slash;     /* a slash follows it */
};

/* What create_in passes to the file system. */
struct make_args {
	unsigned mode;
	uint32_t rdev;
	const char *target; /* symlinks */
	struct dentry *old; /* hard links */
};

typedef int (*make_fn)(struct inode *dir, struct dentry *d, const struct make_args *a);

int nd_init(struct nameidata *nd, struct dentry *base, const char *path);
void nd_release(struct nameidata *nd);
/* Walks every component but the last (nd->last), following symlinks. */
int walk_parent(struct nameidata *nd);
/* The child name of dir (referenced), from the tree or the file system; mounts not crossed. */
int lookup_child(struct dentry *dir, const struct qstr *name, struct dentry **out);
/* Makes a directory that is read in on demand (ext2) hold all its names; 0, -EWAIT, -EIO. */
int dir_fill(struct dentry *dir);
/* Whether the last component is a plain name (not "", "." or ".."). */
bool last_is_normal(const struct nameidata *nd);
/*
 * Creates name in dir with make, under dir's lock, and links it; *out
 * (if given) gets the new dentry referenced. A trailing slash is only
 * allowed for directories.
 */
int create_in(struct dentry *dir, const struct qstr *name, bool slash, make_fn make,
	      const struct make_args *a, struct dentry **out);
/* Walks to path's parent and creates its last component there. */
int do_create(struct dentry *base, const char *path, make_fn make, const struct make_args *a);

#endif /* FS_NAMEI_H */
