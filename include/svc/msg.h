/*
 * Service messages (svc/msg.c): the bytes that travel between the core and
 * a service (DESIGN.md section 5). A request and its reply are each a
 * self-contained byte string, written field by field with svc_put_* and
 * read back with svc_get_*; nothing in them points into the caller's
 * memory, so a service that crashed and was rebuilt can take the same
 * request again. Every payload starts with the protocol's version byte
 * (svc_msg_begin / svc_msg_check): a service that meets a version it was
 * not built for answers -EPROTO instead of guessing.
 *
 * Pure code, no locks: also built into the host unit tests.
 */
#ifndef SVC_MSG_H
#define SVC_MSG_H

#include <lib/types.h>

/* A growable or fixed byte buffer being written. */
struct svc_writer {
	uint8_t *buf;
	size_t len; /* bytes written */
	size_t cap;
	bool overflow; /* a put did not fit: the message is unusable */
};

/* A byte buffer being read. */
struct svc_reader {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	bool error; /* a get ran past the end, or a string was malformed */
};

void svc_writer_init(struct svc_writer *w, void *buf, size_t cap);
void svc_reader_init(struct svc_reader *r, const void *buf, size_t len);

/* Little-endian fixed-size fields. */
void svc_put_u8(struct svc_writer *w, uint8_t v);
void svc_put_u16(struct svc_writer *w, uint16_t v);
void svc_put_u32(struct svc_writer *w, uint32_t v);
void svc_put_u64(struct svc_writer *w, uint64_t v);
void svc_put_i64(struct svc_writer *w, int64_t v);
/* A u32 length, then the bytes. */
void svc_put_bytes(struct svc_writer *w, const void *p, size_t n);
/* A string of n bytes (no NUL inside): svc_put_bytes of it. */
void svc_put_str(struct svc_writer *w, const char *s, size_t n);

uint8_t svc_get_u8(struct svc_reader *r);
uint16_t svc_get_u16(struct svc_reader *r);
uint32_t svc_get_u32(struct svc_reader *r);
uint64_t svc_get_u64(struct svc_reader *r);
int64_t svc_get_i64(struct svc_reader *r);
/*
 * A length-prefixed byte string: points *p into the reader's buffer
 * (no copy) and returns its length; at most max bytes, else an error.
 */
size_t svc_get_bytes(struct svc_reader *r, const void **p, size_t max);
/*
 * A string into buf (NUL-terminated, at most size-1 bytes, no NUL inside):
 * returns its length, or -1 with r->error set.
 */
long svc_get_str(struct svc_reader *r, char *buf, size_t size);
/* Whether every byte was read and nothing failed. */
bool svc_reader_done(const struct svc_reader *r);

/* The version byte every payload starts with. */
void svc_msg_begin(struct svc_writer *w, uint8_t version);
/* 0 when the next byte is version, else -EPROTO (and r->error set). */
int svc_msg_check(struct svc_reader *r, uint8_t version);

#endif
