/*
 * Unit tests of the path helpers under the path walk (fs/path.c): length
 * limits, splitting into components, trailing slashes and name hashing.
 */
#include "harness.h"
#include <fs/path.h>
#include <lib/printf.h>
#include <lib/string.h>
#include <uapi/errno.h>
#include <stdlib.h>

/* Splits path into "a|b|c" form, or returns the error. */
static int split(const char *path, char *out, size_t size)
{
	size_t len = 0;
	struct qstr c;
	int r;

	while ((r = path_next(&path, &c)) > 0 && len + c.len + 2 < size) {
		if (len)
			out[len++] = '|';
		memcpy(out + len, c.name, c.len);
		len += c.len;
	}
	out[len] = '\0';
	return r;
}

TEST(fs_path, components)
{
	char out[256];

	CHECK_EQ(split("/usr//lib/./x/", out, sizeof(out)), 0);
	CHECK_STR_EQ(out, "usr|lib|.|x");
	CHECK_EQ(split("a", out, sizeof(out)), 0);
	CHECK_STR_EQ(out, "a");
	CHECK_EQ(split("///", out, sizeof(out)), 0);
	CHECK_STR_EQ(out, "");
	CHECK_EQ(split("../..", out, sizeof(out)), 0);
	CHECK_STR_EQ(out, "..|..");
}

TEST(fs_path, last_component_and_slashes)
{
	const char *p = "dir/name//";
	struct qstr c;

	CHECK_EQ(path_next(&p, &c), 1);
	CHECK(!path_only_slashes(p));
	CHECK_EQ(path_next(&p, &c), 1);
	CHECK_EQ(c.len, 4u);
	CHECK(path_only_slashes(p));
	CHECK_STR_EQ(p, "//");
	CHECK(path_trailing_slash("a/"));
	CHECK(path_trailing_slash("/a/b//"));
	CHECK(!path_trailing_slash("/"));
	CHECK(!path_trailing_slash("a"));
	CHECK(!path_trailing_slash(""));
}

TEST(fs_path, dots)
{
	struct qstr dot = { ".", 1 }, dotdot = { "..", 2 }, other = { "..a", 3 };

	CHECK(qstr_is_dot(&dot) && !qstr_is_dotdot(&dot));
	CHECK(qstr_is_dotdot(&dotdot) && !qstr_is_dot(&dotdot));
	CHECK(!qstr_is_dot(&other) && !qstr_is_dotdot(&other));
}

TEST(fs_path, name_length_limit)
{
	char name[NAME_MAX + 3], path[NAME_MAX + 8];
	const char *p;
	struct qstr c;

	memset(name, 'n', NAME_MAX);
	name[NAME_MAX] = '\0';
	snprintf(path, sizeof(path), "/%s/", name);
	p = path;
	CHECK_EQ(path_next(&p, &c), 1);
	CHECK_EQ(c.len, (size_t)NAME_MAX);
	name[NAME_MAX] = 'n';
	name[NAME_MAX + 1] = '\0';
	snprintf(path, sizeof(path), "/%s", name);
	p = path;
	CHECK_EQ(path_next(&p, &c), -ENAMETOOLONG);
}

TEST(fs_path, path_length_limit)
{
	char *path = malloc(PATH_MAX + 1);

	CHECK_EQ(path_check(""), -ENOENT);
	CHECK_EQ(path_check("/"), 0);
	memset(path, 'a', PATH_MAX);
	path[PATH_MAX - 1] = '\0'; /* 4095 characters: the longest allowed */
	CHECK_EQ(path_check(path), 0);
	path[PATH_MAX - 1] = 'a';
	path[PATH_MAX] = '\0';
	CHECK_EQ(path_check(path), -ENAMETOOLONG);
	free(path);
}

TEST(fs_path, hash_tells_names_apart)
{
	CHECK_EQ(name_hash("abc", 3), name_hash("abcd", 3));
	CHECK(name_hash("abc", 3) != name_hash("abd", 3));
	CHECK(name_hash("ab", 2) != name_hash("ba", 2));
	CHECK(name_hash("", 0) != name_hash("a", 1));
}
