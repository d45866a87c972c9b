/*
 * Path strings (fs/path.c): limits, splitting into components and name
 * hashing. Portable, so the host unit tests check it; the path walk
 * (fs/namei.c) and the initramfs (fs/initramfs.c) build on it.
 */
#ifndef FS_PATH_H
#define FS_PATH_H

#include <lib/types.h>

#define PATH_MAX 4096 /* bytes of a path, NUL included */
#define NAME_MAX 255  /* bytes of one component */

/* One component of a path: not NUL-terminated, points into the path. */
struct qstr {
	const char *name;
	size_t len;
};

/* 0, -ENOENT for an empty path, -ENAMETOOLONG when no NUL in PATH_MAX bytes. */
int path_check(const char *path);

/*
 * Skips slashes at *p, stores the next component in *c and moves *p just
 * past it. Returns 1, 0 when no component is left, or -ENAMETOOLONG when
 * the component is longer than NAME_MAX.
 */
int path_next(const char **p, struct qstr *c);

/* Whether nothing but slashes is left at p. */
bool path_only_slashes(const char *p);

/* Whether the path ends with a slash (after a component: "a/", not "/"). */
bool path_trailing_slash(const char *path);

static inline bool qstr_is_dot(const struct qstr *c)
{
	return c->len == 1 && c->name[0] == '.';
}

static inline bool qstr_is_dotdot(const struct qstr *c)
{
	return c->len == 2 && c->name[0] == '.' && c->name[1] == '.';
}

/* FNV-1a hash of a component, to compare names quickly in the dentry cache. */
uint32_t name_hash(const char *name, size_t len);

#endif /* FS_PATH_H */
