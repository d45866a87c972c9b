/*
 * Unit tests of the cpio "newc" reader (fs/cpio.c): well-formed archives
 * with every entry type, each kind of malformed field, concatenated
 * archives, and a fuzz loop (every truncation of a small archive, then
 * random byte flips) run under AddressSanitizer, so that any read outside
 * the buffer fails the test.
 */
#include "harness.h"
#include <fs/cpio.h>
#include <lib/printf.h>
#include <lib/string.h>
#include <uapi/errno.h>
#include <stdlib.h>

#define BUF_SIZE 4096

struct archive {
	uint8_t buf[BUF_SIZE];
	size_t len;
};

struct entry_spec {
	const char *magic;
	const char *name;
	uint32_t mode;
	const char *data;
	uint32_t rdev_major, rdev_minor;
	uint32_t check;
};

static void pad4(struct archive *a)
{
	while (a->len % 4)
		a->buf[a->len++] = 0;
}

static void put(struct archive *a, const struct entry_spec *s)
{
	size_t size = s->data ? strlen(s->data) : 0, namesize = strlen(s->name) + 1;

	a->len += (size_t)snprintf((char *)a->buf + a->len, BUF_SIZE - a->len,
				   "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
				   s->magic ? s->magic : "070701", 7u, s->mode, 0u, 0u, 1u,
				   1700000000u, (unsigned)size, 0u, 0u, s->rdev_major,
				   s->rdev_minor, (unsigned)namesize, s->check);
	memcpy(a->buf + a->len, s->name, namesize);
	a->len += namesize;
	pad4(a);
	if (size)
		memcpy(a->buf + a->len, s->data, size);
	a->len += size;
	pad4(a);
}

static void put_simple(struct archive *a, const char *name, uint32_t mode, const char *data)
{
	struct entry_spec s = { .name = name, .mode = mode, .data = data };

	put(a, &s);
}

static void put_trailer(struct archive *a)
{
	put_simple(a, "TRAILER!!!", 0, NULL);
}

/* A small archive with a directory, a file, a symlink and a device node. */
static void sample(struct archive *a)
{
	struct entry_spec dev = {
		.name = "dev/console", .mode = 020600, .rdev_major = 5, .rdev_minor = 1
	};

	a->len = 0;
	put_simple(a, "bin", 040755, NULL);
	put_simple(a, "bin/hello", 0100644, "hello, world\n");
	put_simple(a, "bin/sh", 0120777, "busybox");
	put(a, &dev);
	put_trailer(a);
}

TEST(cpio, reads_every_entry_type)
{
	struct archive a;
	struct cpio_iter it;
	struct cpio_entry e;

	sample(&a);
	cpio_iter_init(&it, a.buf, a.len);
	CHECK_EQ(cpio_next(&it, &e), 1);
	CHECK_STR_EQ(e.name, "bin");
	CHECK_EQ(e.mode, 040755u);
	CHECK_EQ(e.size, 0u);
	CHECK_EQ(cpio_next(&it, &e), 1);
	CHECK_STR_EQ(e.name, "bin/hello");
	CHECK_EQ(e.name_len, 9u);
	CHECK_EQ(e.size, 13u);
	CHECK(memcmp(e.data, "hello, world\n", 13) == 0);
	CHECK_EQ(e.mtime, 1700000000u);
	CHECK_EQ(e.ino, 7u);
	CHECK_EQ(cpio_next(&it, &e), 1);
	CHECK_EQ(e.mode, 0120777u);
	CHECK(memcmp(e.data, "busybox", 7) == 0);
	CHECK_EQ(cpio_next(&it, &e), 1);
	CHECK_EQ(e.rdev_major, 5u);
	CHECK_EQ(e.rdev_minor, 1u);
	CHECK_EQ(cpio_next(&it, &e), 0);
	CHECK_EQ(cpio_next(&it, &e), 0);
	CHECK_EQ(cpio_validate(a.buf, a.len), 4);
}

TEST(cpio, crc_format_checks_the_sum)
{
	struct entry_spec s = { .magic = "070702", .name = "f", .mode = 0100644, .data = "abc" };
	struct archive a = { .len = 0 };

	s.check = 'a' + 'b' + 'c';
	put(&a, &s);
	put_trailer(&a);
	CHECK_EQ(cpio_validate(a.buf, a.len), 1);
	a.len = 0;
	s.check++;
	put(&a, &s);
	put_trailer(&a);
	CHECK_EQ(cpio_validate(a.buf, a.len), -EINVAL);
}

TEST(cpio, lowercase_hex_is_accepted)
{
	struct archive a;

	sample(&a);
	/* The mode field of the first entry: 000041ED -> 000041ed. */
	CHECK_EQ(a.buf[6 + 8 + 6], 'E');
	a.buf[6 + 8 + 6] = 'e';
	a.buf[6 + 8 + 7] = 'd';
	CHECK_EQ(cpio_validate(a.buf, a.len), 4);
}

TEST(cpio, bad_header_fields)
{
	struct archive a;

	sample(&a);
	a.buf[5] = '7'; /* magic 070707: the old ASCII format */
	CHECK_EQ(cpio_validate(a.buf, a.len), -EINVAL);
	sample(&a);
	a.buf[6 + 3] = 'g'; /* not a hex digit */
	CHECK_EQ(cpio_validate(a.buf, a.len), -EINVAL);
	sample(&a);
	a.buf[6 + 8 * 6 + 7] = ' '; /* file size */
	CHECK_EQ(cpio_validate(a.buf, a.len), -EINVAL);
	CHECK_EQ(cpio_validate(a.buf, 0), -EINVAL);
	CHECK_EQ(cpio_validate(a.buf, CPIO_HEADER_SIZE - 1), -EINVAL);
}

/* Rewrites the name size field of the entry at off. */
static void set_namesize(struct archive *a, size_t off, uint32_t v)
{
	char field[9];

	snprintf(field, sizeof(field), "%08X", v);
	memcpy(a->buf + off + 6 + 8 * 11, field, 8);
}

TEST(cpio, bad_names)
{
	struct archive a;

	sample(&a);
	set_namesize(&a, 0, 0);
	CHECK_EQ(cpio_validate(a.buf, a.len), -EINVAL);
	sample(&a);
	set_namesize(&a, 0, 3); /* "bin" without its NUL */
	CHECK_EQ(cpio_validate(a.buf, a.len), -EINVAL);
	sample(&a);
	a.buf[CPIO_HEADER_SIZE + 1] = '\0'; /* NUL inside the name */
	CHECK_EQ(cpio_validate(a.buf, a.len), -EINVAL);
	sample(&a);
	set_namesize(&a, 0, 0x7fffffff);
	CHECK_EQ(cpio_validate(a.buf, a.len), -EINVAL);
	sample(&a);
	set_namesize(&a, 0, CPIO_NAME_MAX + 1);
	CHECK_EQ(cpio_validate(a.buf, a.len), -EINVAL);
}

TEST(cpio, data_beyond_the_buffer)
{
	struct archive a = { .len = 0 };
	char field[9];

	put_simple(&a, "f", 0100644, "data");
	put_trailer(&a);
	snprintf(field, sizeof(field), "%08X", 0xffffffffu);
	memcpy(a.buf + 6 + 8 * 6, field, 8);
	CHECK_EQ(cpio_validate(a.buf, a.len), -EINVAL);
}

TEST(cpio, trailer_and_what_follows)
{
	struct archive a = { .len = 0 };
	size_t end;

	put_simple(&a, "a", 0100644, "x");
	CHECK_EQ(cpio_validate(a.buf, a.len), -EINVAL); /* no trailer */
	put_trailer(&a);
	end = a.len;
	memset(a.buf + a.len, 0, 512);
	a.len += 512;
	CHECK_EQ(cpio_validate(a.buf, a.len), 1); /* zero padding */
	/* A second archive after the padding is read too. */
	put_simple(&a, "b", 0100644, "y");
	put_trailer(&a);
	CHECK_EQ(cpio_validate(a.buf, a.len), 2);
	/* Garbage after the trailer is not. */
	a.len = end;
	a.buf[a.len++] = 'x';
	CHECK_EQ(cpio_validate(a.buf, a.len), -EINVAL);
	/* A second archive must start on a 4-byte boundary. */
	a.len = end;
	a.buf[a.len++] = 0;
	put_simple(&a, "b", 0100644, "y");
	put_trailer(&a);
	CHECK_EQ(cpio_validate(a.buf, a.len), -EINVAL);
}

TEST(cpio, final_padding_may_be_cut)
{
	struct archive a;

	sample(&a);
	/* The trailer's name (121 bytes with its header) ends 3 bytes before its padding. */
	CHECK_EQ(cpio_validate(a.buf, a.len - 1), 4);
	CHECK_EQ(cpio_validate(a.buf, a.len - 3), 4);
	CHECK_EQ(cpio_validate(a.buf, a.len - 4), -EINVAL);
}

/* Validates a copy of exactly len bytes, so ASan sees any overread; entries must lie inside. */
static int validate_exact(const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	struct cpio_iter it;
	struct cpio_entry e;
	int r, n = 0;

	memcpy(copy, data, len);
	cpio_iter_init(&it, copy, len);
	while ((r = cpio_next(&it, &e)) > 0) {
		const uint8_t *name = (const uint8_t *)e.name, *d = e.data;

		CHECK(name >= copy && name + e.name_len < copy + len);
		CHECK(d >= copy && d + e.size <= copy + len);
		CHECK_EQ(strlen(e.name), e.name_len);
		n++;
	}
	free(copy);
	CHECK(r == 0 || r == -EINVAL);
	return r < 0 ? r : n;
}

TEST(cpio, fuzz_truncations)
{
	struct archive a;
	size_t trailer_name_end;

	sample(&a);
	trailer_name_end = a.len - 3;
	for (size_t len = 0; len <= a.len; len++) {
		int r = validate_exact(a.buf, len);

		CHECK_EQ(r, len >= trailer_name_end ? 4 : -EINVAL);
	}
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

TEST(cpio, fuzz_byte_flips)
{
	static const uint8_t interesting[] = { '0', '7', 'F', 'f', 'g', 0, 0xff, '!', '/' };
	struct archive a, m;
	int ok = 0, bad = 0;

	sample(&a);
	for (int i = 0; i < 20000; i++) {
		unsigned flips = 1 + (unsigned)(rng() % 4);

		m = a;
		for (unsigned k = 0; k < flips; k++) {
			size_t at = rng() % a.len;

			if (rng() & 1)
				m.buf[at] = interesting[rng() % sizeof(interesting)];
			else
				m.buf[at] ^= (uint8_t)(1u << (rng() % 8));
		}
		if (validate_exact(m.buf, m.len) >= 0)
			ok++;
		else
			bad++;
	}
	/* Both outcomes happen: the mutations reach the checks and pass some. */
	CHECK(ok > 0 && bad > 0);
}
