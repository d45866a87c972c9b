/*
 * cpio "newc" reader (include/fs/cpio.h). Portable code with no kernel
 * dependencies beyond lib/string: fs/initramfs.c iterates the boot
 * archive with it, and tests/unit/test_cpio.c fuzzes it on the host.
 *
 * Every length read from the archive is checked against what is left of
 * the buffer before it is used, so a malformed archive yields -EINVAL and
 * never a read outside the buffer.
 */
#include <fs/cpio.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <uapi/errno.h>

/* The 13 header fields after the magic, in archive order. */
enum cpio_field {
	F_INO,
	F_MODE,
	F_UID,
	F_GID,
	F_NLINK,
	F_MTIME,
	F_FILESIZE,
	F_DEVMAJOR,
	F_DEVMINOR,
	F_RDEVMAJOR,
	F_RDEVMINOR,
	F_NAMESIZE,
	F_CHECK,
	F_COUNT,
};

static const char cpio_trailer[] = "TRAILER!!!";

static int hex_digit(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parses exactly 8 hex digits. */
static int parse_hex8(const uint8_t *p, uint32_t *out)
{
	uint32_t v = 0;

	for (int i = 0; i < 8; i++) {
		int d = hex_digit(p[i]);

		if (d < 0)
			return -EINVAL;
		v = (v << 4) | (uint32_t)d;
	}
	*out = v;
	return 0;
}

/* Checks the magic and parses the fields; *has_check is set for 070702. */
static int parse_header(const uint8_t *h, uint32_t f[F_COUNT], bool *has_check)
{
	if (memcmp(h, "07070", 5) != 0 || (h[5] != '1' && h[5] != '2'))
		return -EINVAL;
	*has_check = h[5] == '2';
	for (int i = 0; i < F_COUNT; i++) {
		if (parse_hex8(h + 6 + 8 * i, &f[i]))
			return -EINVAL;
	}
	return 0;
}

/* The name must fit, end with its NUL and contain no other NUL. */
static int check_name(const uint8_t *name, size_t namesize, size_t avail)
{
	if (namesize == 0 || namesize > CPIO_NAME_MAX || namesize > avail)
		return -EINVAL;
	if (name[namesize - 1] != '\0' || memchr(name, '\0', namesize - 1))
		return -EINVAL;
	return 0;
}

static uint32_t byte_sum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += p[i];
	return sum;
}

static void fill_entry(struct cpio_entry *e, const uint32_t f[F_COUNT], const uint8_t *name,
		       const uint8_t *data)
{
	e->name = (const char *)name;
	e->name_len = f[F_NAMESIZE] - 1;
	e->data = data;
	e->size = f[F_FILESIZE];
	e->ino = f[F_INO];
	e->mode = f[F_MODE];
	e->uid = f[F_UID];
	e->gid = f[F_GID];
	e->nlink = f[F_NLINK];
	e->mtime = f[F_MTIME];
	e->dev_major = f[F_DEVMAJOR];
	e->dev_minor = f[F_DEVMINOR];
	e->rdev_major = f[F_RDEVMAJOR];
	e->rdev_minor = f[F_RDEVMINOR];
}

/*
 * Reads the entry at it->off and advances past it. The padding after the
 * last entry may be cut off by the end of the buffer.
 */
static int read_entry(struct cpio_iter *it, struct cpio_entry *e, bool *trailer)
{
	size_t left = it->len - it->off, data_off, end;
	const uint8_t *h = it->base + it->off, *data;
	uint32_t f[F_COUNT];
	bool has_check;

	if (left < CPIO_HEADER_SIZE || parse_header(h, f, &has_check))
		return -EINVAL;
	if (check_name(h + CPIO_HEADER_SIZE, f[F_NAMESIZE], left - CPIO_HEADER_SIZE))
		return -EINVAL;
	data_off = ALIGN_UP(it->off + CPIO_HEADER_SIZE + f[F_NAMESIZE], (size_t)4);
	if (f[F_FILESIZE] == 0) {
		end = MIN(data_off, it->len);
	} else {
		if (data_off > it->len || f[F_FILESIZE] > it->len - data_off)
			return -EINVAL;
		end = MIN(ALIGN_UP(data_off + f[F_FILESIZE], (size_t)4), it->len);
	}
	data = it->base + MIN(data_off, it->len);
	if (has_check && byte_sum(data, f[F_FILESIZE]) != f[F_CHECK])
		return -EINVAL;
	fill_entry(e, f, h + CPIO_HEADER_SIZE, data);
	*trailer = e->name_len == sizeof(cpio_trailer) - 1 &&
		   memcmp(e->name, cpio_trailer, sizeof(cpio_trailer)) == 0;
	it->off = end;
	return 0;
}

/*
 * After a trailer: zero padding up to the end means the archive is over
 * (0); anything else must be another archive on a 4-byte boundary (1).
 */
static int skip_trailer_padding(struct cpio_iter *it)
{
	while (it->off < it->len && it->base[it->off] == 0)
		it->off++;
	if (it->off == it->len) {
		it->done = true;
		return 0;
	}
	return IS_ALIGNED(it->off, (size_t)4) ? 1 : -EINVAL;
}

void cpio_iter_init(struct cpio_iter *it, const void *data, size_t len)
{
	it->base = data;
	it->len = len;
	it->off = 0;
	it->done = false;
}

int cpio_next(struct cpio_iter *it, struct cpio_entry *e)
{
	bool trailer;
	int r;

	for (;;) {
		if (it->done)
			return 0;
		if (it->off >= it->len)
			return -EINVAL; /* no trailer */
		r = read_entry(it, e, &trailer);
		if (r < 0)
			return r;
		if (!trailer)
			return 1;
		r = skip_trailer_padding(it);
		if (r <= 0)
			return r;
	}
}

int cpio_validate(const void *data, size_t len)
{
	struct cpio_iter it;
	struct cpio_entry e;
	int n = 0, r;

	cpio_iter_init(&it, data, len);
	while ((r = cpio_next(&it, &e)) > 0)
		n++;
	return r < 0 ? r : n;
}
