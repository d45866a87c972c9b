/*
 * Path strings (include/fs/path.h). Portable helpers under the path walk
 * of fs/namei.c and the initramfs; they only look at the string, never at
 * the file system. Linux's limits apply: a path has fewer than PATH_MAX
 * bytes, a component at most NAME_MAX.
 */
#include <fs/path.h>
#include <lib/string.h>
#include <uapi/errno.h>

int path_check(const char *path)
{
	size_t len = strnlen(path, PATH_MAX);

	if (len == 0)
		return -ENOENT;
	return len == PATH_MAX ? -ENAMETOOLONG : 0;
}

int path_next(const char **p, struct qstr *c)
{
	const char *s = *p, *e;

	while (*s == '/')
		s++;
	if (*s == '\0') {
		*p = s;
		return 0;
	}
	for (e = s; *e && *e != '/'; e++)
		;
	if ((size_t)(e - s) > NAME_MAX)
		return -ENAMETOOLONG;
	c->name = s;
	c->len = (size_t)(e - s);
	*p = e;
	return 1;
}

bool path_only_slashes(const char *p)
{
	while (*p == '/')
		p++;
	return *p == '\0';
}

bool path_trailing_slash(const char *path)
{
	size_t len = strlen(path);

	if (len == 0 || path[len - 1] != '/')
		return false;
	while (len > 0 && path[len - 1] == '/')
		len--;
	return len > 0;
}

uint32_t name_hash(const char *name, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		h ^= (uint8_t)name[i];
		h *= 16777619u;
	}
	return h;
}
