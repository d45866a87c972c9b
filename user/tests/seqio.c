/*
 * seqio: sequential write and read throughput of a file system, for the
 * ext2 tests (tests/system/test_ext2.py), which print what it measures
 * and never fail on it (timing belongs in benchmarks).
 *
 *	seqio write FILE MIB	writes MIB MiB in 1 MiB write(2) calls, then
 *				fsync; prints the time with and without fsync
 *	seqio read FILE		reads FILE in 1 MiB read(2) calls and checks
 *				every byte against the pattern write wrote
 *
 * The pattern depends on the byte's offset only, so a read in another
 * boot checks what the disk kept. Exit status 0, or 1 on any error or
 * mismatch. Not a ut program: no cases, one line of results.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1 << 20)

static unsigned char buf[CHUNK], want[CHUNK];

/* The 1 MiB chunk number n of the pattern: 8-byte words holding their offset, mixed. */
static void pattern(unsigned char *p, uint64_t n)
{
	for (size_t i = 0; i < CHUNK; i += 8) {
		uint64_t v = (n * CHUNK + i) * 0x9e3779b97f4a7c15ull;

		memcpy(p + i, &v, 8);
	}
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fail(const char *what, const char *file)
{
	fprintf(stderr, "seqio: %s %s: %s\n", what, file, strerror(errno));
	return 1;
}

static int do_write(const char *file, long mib)
{
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	double t0, t1, t2;

	if (fd < 0)
		return fail("open", file);
	t0 = now();
	for (long n = 0; n < mib; n++) {
		pattern(buf, (uint64_t)n);
		if (write(fd, buf, CHUNK) != CHUNK)
			return fail("write", file);
	}
	t1 = now();
	if (fsync(fd) || close(fd))
		return fail("fsync", file);
	t2 = now();
	printf("seqio: wrote %ld MiB in %.3f s: %.1f MiB/s with fsync (%.1f MiB/s into the "
	       "page cache, fsync %.3f s)\n",
	       mib, t2 - t0, mib / (t2 - t0), mib / (t1 - t0), t2 - t1);
	return 0;
}

/* Reads up to a whole chunk (short reads are allowed); returns its length or -1. */
static ssize_t read_chunk(int fd)
{
	size_t len = 0;
	ssize_t got = 1;

	while (len < CHUNK && (got = read(fd, buf + len, CHUNK - len)) > 0)
		len += (size_t)got;
	return got < 0 ? -1 : (ssize_t)len;
}

static int do_read(const char *file)
{
	int fd = open(file, O_RDONLY);
	long n = 0;
	double t0, t1;
	ssize_t got;

	if (fd < 0)
		return fail("open", file);
	t0 = now();
	while ((got = read_chunk(fd)) > 0) {
		pattern(want, (uint64_t)n);
		for (size_t i = 0; i < CHUNK; i += 4096)
			if (got != CHUNK || memcmp(buf + i, want + i, 4096)) {
				fprintf(stderr,
					"seqio: %s: MiB %ld differs from what was written "
					"(%zd bytes read, page at %zu)\n",
					file, n, got, i);
				return 1;
			}
		n++;
	}
	if (got < 0)
		return fail("read", file);
	t1 = now();
	close(fd);
	printf("seqio: read %ld MiB in %.3f s: %.1f MiB/s (content checked)\n", n, t1 - t0,
	       n / (t1 - t0));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "write") && atol(argv[3]) > 0)
		return do_write(argv[2], atol(argv[3]));
	if (argc == 3 && !strcmp(argv[1], "read"))
		return do_read(argv[2]);
	fprintf(stderr, "usage: seqio write FILE MIB | seqio read FILE\n");
	return 2;
}
