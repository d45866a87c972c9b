/*
 * Service messages (include/svc/msg.h): writing and reading the fields of
 * a request or reply, little-endian, with every read bounds-checked. A
 * reader that runs out of bytes does not fault; it sets its error flag
 * and returns zeros, so a handler parses a whole message and checks once.
 * Pure code: the host unit tests build it too.
 */
#include <svc/msg.h>
#include <lib/string.h>
#include <uapi/errno.h>

void svc_writer_init(struct svc_writer *w, void *buf, size_t cap)
{
	w->buf = buf;
	w->len = 0;
	w->cap = cap;
	w->overflow = false;
}

void svc_reader_init(struct svc_reader *r, const void *buf, size_t len)
{
	r->buf = buf;
	r->len = len;
	r->pos = 0;
	r->error = false;
}

static void put_le(struct svc_writer *w, uint64_t v, size_t n)
{
	if (w->overflow || w->cap - w->len < n) {
		w->overflow = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		w->buf[w->len++] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(struct svc_reader *r, size_t n)
{
	uint64_t v = 0;

	if (r->error || r->len - r->pos < n) {
		r->error = true;
		return 0;
	}
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)r->buf[r->pos++] << (8 * i);
	return v;
}

void svc_put_u8(struct svc_writer *w, uint8_t v)
{
	put_le(w, v, 1);
}

void svc_put_u16(struct svc_writer *w, uint16_t v)
{
	put_le(w, v, 2);
}

void svc_put_u32(struct svc_writer *w, uint32_t v)
{
	put_le(w, v, 4);
}

void svc_put_u64(struct svc_writer *w, uint64_t v)
{
	put_le(w, v, 8);
}

void svc_put_i64(struct svc_writer *w, int64_t v)
{
	put_le(w, (uint64_t)v, 8);
}

void svc_put_bytes(struct svc_writer *w, const void *p, size_t n)
{
	if (n > UINT32_MAX) {
		w->overflow = true;
		return;
	}
	put_le(w, n, 4);
	if (w->overflow || w->cap - w->len < n) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, p, n);
	w->len += n;
}

void svc_put_str(struct svc_writer *w, const char *s, size_t n)
{
	svc_put_bytes(w, s, n);
}

uint8_t svc_get_u8(struct svc_reader *r)
{
	return (uint8_t)get_le(r, 1);
}

uint16_t svc_get_u16(struct svc_reader *r)
{
	return (uint16_t)get_le(r, 2);
}

uint32_t svc_get_u32(struct svc_reader *r)
{
	return (uint32_t)get_le(r, 4);
}

uint64_t svc_get_u64(struct svc_reader *r)
{
	return get_le(r, 8);
}

int64_t svc_get_i64(struct svc_reader *r)
{
	return (int64_t)get_le(r, 8);
}

size_t svc_get_bytes(struct svc_reader *r, const void **p, size_t max)
{
	size_t n = get_le(r, 4);

	*p = NULL;
	if (r->error || n > max || r->len - r->pos < n) {
		r->error = true;
		return 0;
	}
	*p = r->buf + r->pos;
	r->pos += n;
	return n;
}

long svc_get_str(struct svc_reader *r, char *buf, size_t size)
{
	const void *p;
	size_t n = svc_get_bytes(r, &p, size ? size - 1 : 0);

	if (r->error || memchr(p, 0, n)) {
		r->error = true;
		if (size)
			buf[0] = 0;
		return -1;
	}
	memcpy(buf, p, n);
	buf[n] = 0;
	return (long)n;
}

bool svc_reader_done(const struct svc_reader *r)
{
	return !r->error && r->pos == r->len;
}

void svc_msg_begin(struct svc_writer *w, uint8_t version)
{
	svc_put_u8(w, version);
}

int svc_msg_check(struct svc_reader *r, uint8_t version)
{
	if (svc_get_u8(r) != version || r->error) {
		r->error = true;
		return -EPROTO;
	}
	return 0;
}
