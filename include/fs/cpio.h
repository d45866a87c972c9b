/*
 * Reader of cpio "newc" archives (fs/cpio.c), the format of the initramfs.
 * Portable: it only walks a buffer in memory, so the host unit tests run it
 * under the sanitizers. fs/initramfs.c uses it to fill the root tmpfs.
 *
 * Every entry is a 110-byte ASCII header (magic "070701", or "070702" with
 * a checksum of the data, then 13 fields of 8 hex digits), the name with
 * its NUL, padding to a multiple of 4, the data, padding to a multiple of
 * 4. An entry named "TRAILER!!!" ends the archive; zero padding and further
 * archives may follow it, as the Linux initramfs allows.
 */
#ifndef FS_CPIO_H
#define FS_CPIO_H

#include <lib/types.h>

#define CPIO_HEADER_SIZE 110
#define CPIO_NAME_MAX	 4096 /* name size limit, NUL included (PATH_MAX) */

struct cpio_entry {
	const char *name; /* NUL-terminated, points into the archive */
	size_t name_len;  /* without the NUL */
	const void *data; /* file contents or symlink target (not terminated) */
	size_t size;
	uint32_t ino, mode, uid, gid, nlink, mtime;
	uint32_t dev_major, dev_minor, rdev_major, rdev_minor;
};

struct cpio_iter {
	const uint8_t *base;
	size_t len;
	size_t off; /* next header */
	bool done;  /* the final trailer was reached */
};

void cpio_iter_init(struct cpio_iter *it, const void *data, size_t len);

/*
 * Reads the next entry into *e. Returns 1 for an entry, 0 at the end of
 * the archive (after a trailer with only zero padding behind it), or
 * -EINVAL when the archive is malformed; never reads outside the buffer.
 * Trailers are not reported as entries.
 */
int cpio_next(struct cpio_iter *it, struct cpio_entry *e);

/* Walks the whole archive: the number of entries, or -EINVAL. */
int cpio_validate(const void *data, size_t len);

#endif /* FS_CPIO_H */
